//! Compute names (R7): 3 to 24 characters, letters, digits and dashes, starting with a letter and
//! ending with a letter or a digit.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Names the service reserves for its own compute targets; a new compute may not take them.
pub(crate) const RESERVED_NAMES: [&str; 3] = ["amlcompute", "local", "containerinstance"];

/// Shortest allowed compute name.
pub(crate) const MIN_LEN: usize = 3;
/// Longest allowed compute name.
pub(crate) const MAX_LEN: usize = 24;

/// One rule of R7 that a candidate name breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameRule {
    /// Fewer than 3 or more than 24 characters.
    Length {
        /// The number of characters the name has.
        len: usize,
    },
    /// The first character is not an ASCII letter.
    Start,
    /// The last character is neither an ASCII letter nor a digit.
    End,
    /// A character other than an ASCII letter, digit or `-`.
    Character {
        /// The offending character.
        ch: char,
        /// Its position (0-based, in characters).
        index: usize,
    },
}

impl NameRule {
    /// A stable, machine-readable code for the rule.
    pub fn code(&self) -> crate::Rule {
        match self {
            Self::Length { .. } => crate::Rule::NameLength,
            Self::Start => crate::Rule::NameStart,
            Self::End => crate::Rule::NameEnd,
            Self::Character { .. } => crate::Rule::NameCharacter,
        }
    }
}

impl fmt::Display for NameRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length { len } => write!(
                f,
                "must be {MIN_LEN} to {MAX_LEN} characters long, it has {len}"
            ),
            Self::Start => f.write_str("must start with a letter"),
            Self::End => f.write_str("must end with a letter or a digit"),
            Self::Character { ch, index } => write!(
                f,
                "may contain only letters, digits and dashes; {ch:?} at position {index} is not allowed"
            ),
        }
    }
}

/// Every R7 rule `candidate` breaks, in a stable order (empty when the name is valid).
///
/// Only the first disallowed character is reported, so a long garbage string yields a short list.
pub fn check(candidate: &str) -> Vec<NameRule> {
    let mut problems = Vec::new();
    let len = candidate.chars().count();
    if !(MIN_LEN..=MAX_LEN).contains(&len) {
        problems.push(NameRule::Length { len });
    }
    if !candidate
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
    {
        problems.push(NameRule::Start);
    }
    if !candidate
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        problems.push(NameRule::End);
    }
    if let Some((index, ch)) = candidate
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        problems.push(NameRule::Character { ch, index });
    }
    problems
}

/// A compute name that satisfies R7.
///
/// Built only through [`FromStr`], [`TryFrom`] or serde, so an invalid name cannot exist.
/// Comparison is exact: the service treats names as case-sensitive path segments.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ComputeName(String);

/// A string that is not a valid compute name, with every rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("compute name {name:?} is invalid: {}", render(.problems))]
pub struct InvalidName {
    /// The rejected text.
    pub name: String,
    /// Every rule it breaks (never empty).
    pub problems: Vec<NameRule>,
}

fn render(problems: &[NameRule]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ComputeName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the service reserves this name for its own targets (compared case-insensitively).
    pub fn is_reserved(&self) -> bool {
        is_reserved(&self.0)
    }
}

/// Whether the service reserves `candidate` for its own targets: `amlcompute`, `local` or
/// `containerinstance`, in any case.
pub fn is_reserved(candidate: &str) -> bool {
    RESERVED_NAMES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(candidate))
}

impl FromStr for ComputeName {
    type Err = InvalidName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::try_from(s.to_owned())
    }
}

impl TryFrom<String> for ComputeName {
    type Error = InvalidName;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let problems = check(&value);
        if problems.is_empty() {
            Ok(Self(value))
        } else {
            Err(InvalidName {
                name: value,
                problems,
            })
        }
    }
}

impl TryFrom<&str> for ComputeName {
    type Error = InvalidName;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl AsRef<str> for ComputeName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ComputeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ComputeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Serialize for ComputeName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ComputeName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::try_from(raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_guides_names() {
        for ok in [
            "myaks",
            "aks-prod-01",
            "abc",
            "a23456789012345678901234",
            "A1-b",
        ] {
            assert!(ok.parse::<ComputeName>().is_ok(), "{ok}");
        }
    }

    #[test]
    fn length_bounds() {
        assert_eq!(check("ab"), vec![NameRule::Length { len: 2 }]);
        assert_eq!(
            check("a234567890123456789012345"),
            vec![NameRule::Length { len: 25 }]
        );
        assert!(check("abc").is_empty());
    }

    #[test]
    fn start_end_and_characters() {
        assert_eq!(check("1abc"), vec![NameRule::Start]);
        assert_eq!(check("-abc"), vec![NameRule::Start]);
        assert_eq!(check("abc-"), vec![NameRule::End]);
        assert_eq!(
            check("ab_c"),
            vec![NameRule::Character { ch: '_', index: 2 }]
        );
        assert_eq!(
            check("abé1"),
            vec![NameRule::Character { ch: 'é', index: 2 }]
        );
    }

    #[test]
    fn every_broken_rule_is_reported() {
        // too short, starts with a digit, ends with an underscore, has an underscore
        let err = "1_".parse::<ComputeName>().unwrap_err();
        assert_eq!(err.problems.len(), 4, "{err}");
        let text = err.to_string();
        assert!(text.contains("must start with a letter"), "{text}");
        assert!(text.contains("3 to 24"), "{text}");
    }

    #[test]
    fn empty_name() {
        let problems = check("");
        assert!(problems.contains(&NameRule::Length { len: 0 }));
        assert!(problems.contains(&NameRule::Start));
        assert!(problems.contains(&NameRule::End));
    }

    #[test]
    fn reserved_names_are_detected_case_insensitively() {
        let n: ComputeName = "AmlCompute".parse().unwrap();
        assert!(n.is_reserved());
        assert!(is_reserved("local"));
        assert!(!is_reserved("myaks"));
    }

    #[test]
    fn serde_validates() {
        let ok: ComputeName = serde_json::from_str("\"myaks\"").unwrap();
        assert_eq!(ok.as_str(), "myaks");
        assert!(serde_json::from_str::<ComputeName>("\"1x\"").is_err());
    }

    fn reference(s: &str) -> bool {
        let b = s.as_bytes();
        (3..=24).contains(&s.chars().count())
            && b.first().is_some_and(u8::is_ascii_alphabetic)
            && b.last().is_some_and(u8::is_ascii_alphanumeric)
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
    }

    proptest! {
        #[test]
        fn agrees_with_the_rule_on_arbitrary_text(s in "\\PC{0,30}") {
            prop_assert_eq!(s.parse::<ComputeName>().is_ok(), reference(&s));
        }

        #[test]
        fn agrees_with_the_rule_on_likely_names(s in "[a-zA-Z0-9_.-]{0,27}") {
            prop_assert_eq!(check(&s).is_empty(), reference(&s));
        }

        #[test]
        fn valid_names_round_trip(s in "[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]") {
            let name: ComputeName = s.parse().unwrap();
            prop_assert_eq!(name.to_string(), s);
        }
    }
}
