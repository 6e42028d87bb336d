//! What goes wrong with resource ids, and the resource group naming rules.

use std::fmt;

/// What a resource id looks like; every parse error ends with it.
const SHAPE: &str =
    "/subscriptions/{subscription}/resourceGroups/{group}/providers/{Namespace}/{type}/{name}";

/// Longest resource group name ARM accepts.
pub(crate) const RESOURCE_GROUP_MAX_LEN: usize = 90;

/// A string that is not a resource id of the expected shape, or parts that cannot form one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResourceIdError {
    /// The input is the empty string.
    #[error("resource id is empty; an id looks like {SHAPE}")]
    Empty,

    /// The input does not start with `/`.
    #[error("resource id {input:?} must start with '/'; an id looks like {SHAPE}")]
    MissingLeadingSlash {
        /// The rejected text.
        input: String,
    },

    /// The input ends with `/`.
    #[error("resource id {input:?} must not end with '/'; an id looks like {SHAPE}")]
    TrailingSlash {
        /// The rejected text.
        input: String,
    },

    /// Two slashes in a row: a segment is empty.
    #[error(
        "resource id {input:?} has an empty segment ('//') at byte {position}; an id looks like {SHAPE}"
    )]
    EmptySegment {
        /// The rejected text.
        input: String,
        /// Byte offset of the `//`.
        position: usize,
    },

    /// A control character (newline, tab, NUL...) inside the id.
    #[error("resource id {input:?} contains the control character {ch:?} at byte {position}")]
    ControlCharacter {
        /// The rejected text.
        input: String,
        /// The offending character.
        ch: char,
        /// Its byte offset.
        position: usize,
    },

    /// The id does not start with `/subscriptions/{id}` (tenant and management-group ids are not
    /// supported).
    #[error(
        "resource id {input:?} must start with /subscriptions/{{subscription}}; an id looks like {SHAPE}"
    )]
    NotSubscriptionScoped {
        /// The rejected text.
        input: String,
    },

    /// A keyword or resource type is the last segment, with no name after it (an odd number of
    /// segments).
    #[error(
        "resource id {input:?} ends with {segment:?} and no name after it; types and names alternate, as in {SHAPE}"
    )]
    MissingName {
        /// The rejected text.
        input: String,
        /// The keyword or type left without a name.
        segment: String,
    },

    /// A segment where a keyword was expected.
    #[error(
        "resource id {input:?} has {found:?} where {expected} was expected; an id looks like {SHAPE}"
    )]
    UnexpectedSegment {
        /// The rejected text.
        input: String,
        /// The segment found.
        found: String,
        /// The keyword(s) allowed there.
        expected: &'static str,
    },

    /// `providers` is the last segment.
    #[error(
        "resource id {input:?} ends with 'providers' and no namespace after it; an id looks like {SHAPE}"
    )]
    MissingNamespace {
        /// The rejected text.
        input: String,
    },

    /// `providers/{Namespace}` with no type and name after it where one is required (inside a
    /// resource group, or as an extension of another resource).
    #[error(
        "resource id {input:?} names the provider {namespace:?} but no resource type and name after it; an id looks like {SHAPE}"
    )]
    MissingResourceType {
        /// The rejected text.
        input: String,
        /// The namespace left without a type.
        namespace: String,
    },

    /// A well-formed id of another resource type than the one required.
    #[error("resource id {id:?} is a {found} id, not a {expected} id")]
    WrongType {
        /// The id, in canonical form.
        id: String,
        /// The type required, e.g. `Microsoft.ContainerService/managedClusters`.
        expected: &'static str,
        /// The type the id has.
        found: String,
    },

    /// A resource of the right type but outside a resource group.
    #[error(
        "resource id {id:?} has no resource group; a {expected} id looks like /subscriptions/{{subscription}}/resourceGroups/{{group}}/providers/{expected}/..."
    )]
    MissingResourceGroup {
        /// The id, in canonical form.
        id: String,
        /// The type required.
        expected: &'static str,
    },

    /// The id lives in another subscription than the one required.
    #[error("resource id {id:?} is in subscription {found:?}, expected subscription {expected:?}")]
    WrongSubscription {
        /// The id, in canonical form.
        id: String,
        /// The subscription required.
        expected: String,
        /// The id's subscription.
        found: String,
    },

    /// A resource group name that ARM would refuse.
    #[error("resource group name {name:?} is invalid: {}", render(.problems))]
    InvalidResourceGroup {
        /// The rejected name.
        name: String,
        /// Every rule it breaks (never empty).
        problems: Vec<ResourceGroupRule>,
    },

    /// A part given to a typed constructor cannot be an id segment.
    #[error("{what} {value:?} must be non-empty and contain no '/' or control characters")]
    InvalidSegment {
        /// Which part, e.g. `subscription id` or `vnet name`.
        what: &'static str,
        /// The rejected value.
        value: String,
    },

    /// A compute id whose last segment is not a valid compute name (R7).
    #[error("compute id {id:?} ends with {name:?}, which is not a valid compute name")]
    InvalidComputeName {
        /// The id, in canonical form.
        id: String,
        /// The rejected name.
        name: String,
        /// The rules it breaks.
        #[source]
        source: crate::name::InvalidName,
    },
}

/// One rule of ARM's resource group naming that a candidate breaks: 1 to 90 characters of
/// letters, digits, `_`, `-`, `.`, `(` and `)`, not ending with `.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResourceGroupRule {
    /// Empty, or longer than 90 characters.
    Length {
        /// The number of characters the name has.
        len: usize,
    },
    /// The name ends with `.`.
    EndsWithPeriod,
    /// A character ARM does not allow.
    Character {
        /// The offending character.
        ch: char,
        /// Its position (0-based, in characters).
        index: usize,
    },
}

impl ResourceGroupRule {
    /// A stable, machine-readable code for the rule.
    pub fn code(&self) -> crate::Rule {
        match self {
            Self::Length { .. } => crate::Rule::ResourceGroupLength,
            Self::EndsWithPeriod => crate::Rule::ResourceGroupEnd,
            Self::Character { .. } => crate::Rule::ResourceGroupCharacter,
        }
    }
}

impl fmt::Display for ResourceGroupRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length { len } => write!(
                f,
                "must be 1 to {RESOURCE_GROUP_MAX_LEN} characters long, it has {len}"
            ),
            Self::EndsWithPeriod => f.write_str("must not end with '.'"),
            Self::Character { ch, index } => write!(
                f,
                "may contain only letters, digits, '_', '-', '.', '(' and ')'; {ch:?} at position {index} is not allowed"
            ),
        }
    }
}

fn render(problems: &[ResourceGroupRule]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Every resource group naming rule `name` breaks (empty when ARM would accept it).
///
/// Letters and digits are Unicode letters and digits, as ARM allows. Only the first disallowed
/// character is reported.
pub fn check_resource_group(name: &str) -> Vec<ResourceGroupRule> {
    let mut problems = Vec::new();
    let len = name.chars().count();
    if !(1..=RESOURCE_GROUP_MAX_LEN).contains(&len) {
        problems.push(ResourceGroupRule::Length { len });
    }
    if name.ends_with('.') {
        problems.push(ResourceGroupRule::EndsWithPeriod);
    }
    if let Some((index, ch)) = name
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')')))
    {
        problems.push(ResourceGroupRule::Character { ch, index });
    }
    problems
}

/// `Ok` when `name` is a resource group name ARM accepts, otherwise an error listing every rule
/// it breaks.
pub fn validate_resource_group(name: &str) -> Result<(), ResourceIdError> {
    let problems = check_resource_group(name);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ResourceIdError::InvalidResourceGroup {
            name: name.to_owned(),
            problems,
        })
    }
}
