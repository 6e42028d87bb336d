//! Validation results: every problem at once, with the path of the field, a stable code and a
//! message that says what is wrong and how to fix it. Warnings never block.
//!
//! The rules themselves live next to the types they guard (`config`, `spec`); this module holds
//! the report they write into and the rules shared by several of them (CIDRs, host names,
//! locations).

use std::fmt;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::Rule;

/// One finding: where, which rule, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The field, in the spec's names: `create.vnet.dns_service_ip`, `tls.cname`, `name`.
    pub path: String,
    /// The rule, with a stable code such as `vnet.dns_ip_outside_service_cidr`; the rule
    /// catalogue (`docs/rules.md`) explains each.
    pub code: Rule,
    /// A sentence for a person: what is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for Issue {
    /// `path: message [code]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}{}",
            self.path,
            self.message,
            crate::rule::Tag(Some(self.code))
        )
    }
}

/// Every error and every warning found in one pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Problems that stop the operation: nothing is sent while there is one.
    pub errors: Vec<Issue>,
    /// Advice that does not block.
    pub warnings: Vec<Issue>,
}

impl Report {
    /// An empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error.
    pub fn error(&mut self, path: impl Into<String>, code: Rule, message: impl Into<String>) {
        self.errors.push(Issue {
            path: path.into(),
            code,
            message: message.into(),
        });
    }

    /// Records a warning.
    pub fn warn(&mut self, path: impl Into<String>, code: Rule, message: impl Into<String>) {
        self.warnings.push(Issue {
            path: path.into(),
            code,
            message: message.into(),
        });
    }

    /// Whether there is no error (warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// Whether some error carries `code` (a [`Rule`] or its code).
    pub fn has_error<C>(&self, code: C) -> bool
    where
        Rule: PartialEq<C>,
        C: Copy,
    {
        self.errors.iter().any(|i| i.code == code)
    }

    /// Whether some warning carries `code` (a [`Rule`] or its code).
    pub fn has_warning<C>(&self, code: C) -> bool
    where
        Rule: PartialEq<C>,
        C: Copy,
    {
        self.warnings.iter().any(|i| i.code == code)
    }

    /// Appends another report's findings.
    pub fn merge(&mut self, other: Report) {
        self.errors.extend(other.errors);
        self.warnings.extend(other.warnings);
    }

    /// `Ok(warnings)` when there is no error, else the whole report as
    /// [`Error::Invalid`](crate::Error::Invalid).
    pub fn into_result(self) -> crate::Result<Vec<Issue>> {
        if self.is_ok() {
            Ok(self.warnings)
        } else {
            Err(crate::Error::Invalid(self))
        }
    }

    /// One line naming how many problems there are and each of them.
    pub fn summary(&self) -> String {
        let n = self.errors.len();
        let mut out = format!(
            "configuration has {n} problem{}",
            if n == 1 { "" } else { "s" }
        );
        for (i, issue) in self.errors.iter().enumerate() {
            out.push_str(if i == 0 { ": " } else { "; " });
            out.push_str(&issue.to_string());
        }
        out
    }
}

impl fmt::Display for Report {
    /// One `error: path: message` line per error, then one `warning: ...` line per warning.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.errors {
            writeln!(f, "error: {e}")?;
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}

/// Joins a prefix and a field name with a dot (an empty prefix yields the field alone).
pub(crate) fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

/// Parses an IPv4 CIDR such as `10.0.0.0/16`. Each octet must be 0-255 and the prefix 0-32: the
/// swagger's pattern lets `999.1.1.1/8` through, this does not. Host bits may be set
/// (`172.17.0.1/16` is the usual way to write a Docker bridge).
pub(crate) fn parse_cidr(text: &str) -> Result<Ipv4Net, String> {
    let Some((addr, prefix)) = text.split_once('/') else {
        return Err(format!(
            "{text:?} is not in CIDR notation; write an IPv4 range with its prefix length, like 10.0.0.0/16"
        ));
    };
    let addr = parse_ipv4(addr)?;
    let prefix: u8 = match prefix.parse() {
        Ok(p) if p <= 32 && !prefix.starts_with('+') => p,
        _ => {
            return Err(format!(
                "{text:?} has prefix length {prefix:?}; it must be a number from 0 to 32"
            ));
        }
    };
    Ipv4Net::new(addr, prefix).map_err(|e| format!("{text:?} is not a valid CIDR: {e}"))
}

/// Parses a dotted-quad IPv4 address, each octet 0-255 without leading zeros.
pub(crate) fn parse_ipv4(text: &str) -> Result<Ipv4Addr, String> {
    text.parse::<Ipv4Addr>().map_err(|_| {
        let bad = text
            .split('.')
            .find(|o| o.parse::<u8>().is_err() || (o.len() > 1 && o.starts_with('0')));
        match bad {
            Some(octet) if text.split('.').count() == 4 => format!(
                "{text:?} is not an IPv4 address: octet {octet:?} must be a number from 0 to 255"
            ),
            _ => format!("{text:?} is not an IPv4 address; write four octets like 10.0.0.10"),
        }
    })
}

/// Whether two IPv4 ranges share an address.
pub(crate) fn overlaps(a: Ipv4Net, b: Ipv4Net) -> bool {
    let (a, b) = (a.trunc(), b.trunc());
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Checks a DNS host name (RFC 1123): labels of 1-63 letters, digits and dashes, not starting or
/// ending with a dash, at least two labels, 253 characters at most. Returns why it is not one.
pub(crate) fn check_host_name(name: &str) -> Result<(), String> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.is_empty() {
        return Err("must be a DNS host name like www.contoso.com, it is empty".into());
    }
    if trimmed.len() > 253 {
        return Err(format!(
            "{name:?} is {} characters long; a DNS name has at most 253",
            trimmed.len()
        ));
    }
    if trimmed.starts_with("*.") {
        return Err(format!(
            "{name:?} is a wildcard; give the exact host name clients will use, like www.contoso.com"
        ));
    }
    let labels: Vec<&str> = trimmed.split('.').collect();
    if labels.len() < 2 {
        return Err(format!(
            "{name:?} is a single label; give a fully qualified name like www.contoso.com"
        ));
    }
    for label in labels {
        if let Err(why) = check_dns_label(label, 63) {
            return Err(format!(
                "{name:?} is not a valid host name: label {label:?} {why}"
            ));
        }
    }
    Ok(())
}

/// Checks one DNS label of at most `max` characters. Returns why it is not one.
pub(crate) fn check_dns_label(label: &str, max: usize) -> Result<(), String> {
    if label.is_empty() {
        return Err("is empty".into());
    }
    if label.len() > max {
        return Err(format!("has {} characters, at most {max} fit", label.len()));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!(
            "contains {c:?}; use only letters, digits and dashes"
        ));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err("must not start or end with a dash".into());
    }
    Ok(())
}

/// Checks that `location` looks like an Azure region's programmatic name (`eastus`,
/// `westeurope`, `eastus2euap`): lower-case letters and digits, starting with a letter.
pub(crate) fn check_location(location: &str) -> Result<(), String> {
    let ok = location
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase())
        && location
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && location.len() <= 40;
    if ok {
        return Ok(());
    }
    let suggestion: String = location
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if suggestion.is_empty() || !suggestion.starts_with(|c: char| c.is_ascii_lowercase()) {
        Err(format!(
            "{location:?} is not an Azure region name; use the programmatic name, like eastus"
        ))
    } else {
        Err(format!(
            "{location:?} is not an Azure region name; use the programmatic name, like {suggestion:?} (see `az account list-locations -o table`)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_octets_are_range_checked() {
        assert!(parse_cidr("10.0.0.0/16").is_ok());
        assert!(parse_cidr("172.17.0.1/16").is_ok());
        let err = parse_cidr("999.1.1.1/8").unwrap_err();
        assert!(err.contains("octet \"999\""), "{err}");
        assert!(parse_cidr("10.0.0.0/33").unwrap_err().contains("0 to 32"));
        assert!(
            parse_cidr("10.0.0.0")
                .unwrap_err()
                .contains("CIDR notation")
        );
        assert!(parse_cidr("10.0.0/8").is_err());
        assert!(parse_cidr("10.0.0.0/+8").is_err());
        assert!(parse_cidr("").is_err());
    }

    #[test]
    fn ipv4_parsing() {
        assert!(parse_ipv4("10.0.0.10").is_ok());
        assert!(parse_ipv4("10.0.0.256").unwrap_err().contains("\"256\""));
        assert!(parse_ipv4("10.0.0").is_err());
        assert!(parse_ipv4("010.0.0.1").is_err());
    }

    #[test]
    fn overlap() {
        let a = parse_cidr("10.0.0.0/16").unwrap();
        assert!(overlaps(a, parse_cidr("10.0.5.0/24").unwrap()));
        assert!(overlaps(parse_cidr("10.0.0.0/8").unwrap(), a));
        assert!(!overlaps(a, parse_cidr("172.17.0.1/16").unwrap()));
    }

    #[test]
    fn host_names() {
        assert!(check_host_name("www.contoso.com").is_ok());
        assert!(check_host_name("www.contoso.com.").is_ok());
        assert!(check_host_name("contoso").is_err());
        assert!(check_host_name("*.contoso.com").is_err());
        assert!(check_host_name("bad_name.contoso.com").is_err());
        assert!(check_host_name("-a.contoso.com").is_err());
        assert!(check_host_name(&format!("{}.com", "a".repeat(64))).is_err());
        assert!(check_host_name("").is_err());
    }

    #[test]
    fn locations() {
        assert!(check_location("eastus").is_ok());
        assert!(check_location("eastus2euap").is_ok());
        let err = check_location("East US").unwrap_err();
        assert!(err.contains("\"eastus\""), "{err}");
        assert!(check_location("").is_err());
        assert!(check_location("2east").is_err());
    }

    #[test]
    fn report_summary_lists_every_error() {
        let mut r = Report::new();
        r.error("name", Rule::NameStart, "must start with a letter");
        r.error("tls.cname", Rule::TlsCname, "is not a host name");
        r.warn("create.vm_size", Rule::VmSizeUnknown, "not in the catalog");
        assert_eq!(
            r.summary(),
            "configuration has 2 problems: name: must start with a letter [name.start]; tls.cname: is not a host name [tls.cname]"
        );
        let shown = r.to_string();
        assert!(shown.starts_with("error: name: must start with a letter [name.start]\n"));
        assert!(shown.contains("warning: create.vm_size: not in the catalog [vm_size.unknown]"));
        assert!(r.clone().into_result().is_err());
        assert_eq!(Report::new().into_result().unwrap(), vec![]);
    }
}
