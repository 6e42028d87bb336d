//! CIDR text as AKS reads it in `apiServerAccessProfile.authorizedIPRanges`: `a.b.c.d/n`, or a
//! bare address (one host); IPv6 likewise. Host bits are allowed and ignored, as AKS ignores them.

use std::net::IpAddr;

use ipnet::IpNet;

/// The network `text` names, or `None` when it is not a CIDR.
pub(crate) fn parse(text: &str) -> Option<IpNet> {
    let text = text.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        return Some(net.trunc());
    }
    text.parse::<IpAddr>().ok().map(IpNet::from)
}

/// The `required` prefixes that no range of `ranges` contains entirely (both as CIDR text;
/// text that does not parse admits nothing and is never admitted).
pub(crate) fn not_admitted<'a>(ranges: &[String], required: &'a [String]) -> Vec<&'a str> {
    let ranges: Vec<IpNet> = ranges.iter().filter_map(|range| parse(range)).collect();
    required
        .iter()
        .filter(|prefix| {
            parse(prefix).is_none_or(|prefix| !ranges.iter().any(|range| range.contains(&prefix)))
        })
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_admit_the_prefixes_they_contain() {
        assert!(parse("203.0.113.7/24").is_some());
        assert!(parse("203.0.113.7").is_some());
        assert!(parse("2001:db8::/32").is_some());
        for bad in ["", "203.0.113.0/33", "300.1.1.1/8", "office", "10.0.0.0/"] {
            assert!(parse(bad).is_none(), "{bad}");
        }
        let required = vec!["198.18.0.0/28".to_owned(), "198.18.0.64/29".to_owned()];
        assert_eq!(
            not_admitted(&["198.18.0.0/24".into()], &required),
            Vec::<&str>::new()
        );
        assert_eq!(
            not_admitted(
                &["198.18.0.0/28".into(), "203.0.113.0/24".into()],
                &required
            ),
            ["198.18.0.64/29"]
        );
        // A narrower range does not admit a wider prefix.
        assert_eq!(
            not_admitted(&["198.18.0.0/30".into()], &required[..1]),
            ["198.18.0.0/28"]
        );
    }
}
