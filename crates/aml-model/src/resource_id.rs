//! ARM resource ids: a general parser ([`ResourceId`]) and typed ids on top of it
//! ([`WorkspaceId`], [`ComputeId`], [`AksClusterId`], [`SubnetId`]).
//!
//! An ARM id names a resource by its place in the hierarchy:
//!
//! ```text
//! /subscriptions/{subscription}
//! /subscriptions/{subscription}/resourceGroups/{group}
//! /subscriptions/{subscription}/providers/{Namespace}                       (a provider registration)
//! /subscriptions/{subscription}/providers/{Namespace}/{type}/{name}         (a subscription-level resource)
//! /subscriptions/{subscription}/resourceGroups/{group}/providers/{Namespace}/{type}/{name}[/{childType}/{childName}...]
//! .../{type}/{name}/providers/{Namespace}/{type}/{name}                     (an extension resource, e.g. a lock)
//! ```
//!
//! ARM treats ids as case-insensitive, so equality and hashing here ignore ASCII case throughout,
//! and keywords (`subscriptions`, `resourceGroups`, `providers`), namespaces and types are
//! recognised in any case. [`Display`](std::fmt::Display) gives the canonical form
//! (`resourceGroups`, `providers`) and keeps every name as it was given.
//!
//! ```
//! use aml_model::{AksClusterId, ResourceId};
//!
//! let text = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/myrg\
//!             /providers/Microsoft.ContainerService/managedClusters/myaks";
//! let aks: AksClusterId = text.parse()?;
//! assert_eq!(aks.name(), "myaks");
//! assert!(aks.to_string().contains("/resourceGroups/myrg/"));
//!
//! let id: ResourceId = text.parse()?;
//! assert_eq!(id.resource_type(), "Microsoft.ContainerService/managedClusters");
//! assert_eq!(id.parent().unwrap().to_string(),
//!            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myrg");
//! # Ok::<(), aml_model::resource_id::ResourceIdError>(())
//! ```

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod typed;

pub use typed::{AksClusterId, ComputeId, SubnetId, WorkspaceId};

/// What a resource id looks like; every parse error ends with it.
const SHAPE: &str =
    "/subscriptions/{subscription}/resourceGroups/{group}/providers/{Namespace}/{type}/{name}";

/// The namespace ARM reports for subscriptions, resource groups and provider registrations.
pub const RESOURCES_NAMESPACE: &str = "Microsoft.Resources";

/// Longest resource group name ARM accepts.
pub const RESOURCE_GROUP_MAX_LEN: usize = 90;

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

/// One `providers/{Namespace}/{type}/{name}...` block of an id.
#[derive(Clone)]
struct Provider {
    namespace: String,
    /// `(type, name)` pairs; empty only for a provider registration id.
    resources: Vec<(String, String)>,
}

/// Any subscription-scoped ARM resource id.
///
/// Built only by parsing ([`FromStr`], serde) or from a typed id, so it is always well formed.
/// Equality and hashing ignore ASCII case and agree with each other.
#[derive(Clone)]
pub struct ResourceId {
    subscription_id: String,
    resource_group: Option<String>,
    /// Empty for subscription and resource group ids; more than one for extension resources.
    providers: Vec<Provider>,
}

impl ResourceId {
    /// The subscription segment, as given (any non-empty text; see
    /// [`subscription_is_guid`](Self::subscription_is_guid)).
    pub fn subscription_id(&self) -> &str {
        &self.subscription_id
    }

    /// Whether the subscription segment has the GUID shape real subscriptions have
    /// (`8-4-4-4-12` hex digits). The parser accepts any segment, since emulators and tests use
    /// readable names.
    pub fn subscription_is_guid(&self) -> bool {
        is_guid(&self.subscription_id)
    }

    /// The resource group, when the id is inside one.
    pub fn resource_group(&self) -> Option<&str> {
        self.resource_group.as_deref()
    }

    /// The resource's own provider block: the last one, unless that is a bare registration.
    fn own_block(&self) -> Option<&Provider> {
        self.providers.last().filter(|p| !p.resources.is_empty())
    }

    /// The provider namespace of the resource, e.g. `Microsoft.ContainerService`; for an
    /// extension resource, the extension's. Subscriptions, resource groups and provider
    /// registrations report [`RESOURCES_NAMESPACE`], as ARM does.
    pub fn provider_namespace(&self) -> &str {
        self.own_block()
            .map_or(RESOURCES_NAMESPACE, |p| p.namespace.as_str())
    }

    /// The `(type, name)` pairs after the resource's namespace, outermost first; e.g.
    /// `(workspaces, ws), (computes, aks)`. Subscriptions, resource groups and provider
    /// registrations yield one pair: `(subscriptions, id)`, `(resourceGroups, group)` or
    /// `(providers, Namespace)`.
    pub fn types_and_names(&self) -> impl DoubleEndedIterator<Item = (&str, &str)> + '_ {
        let pairs = self.own_block().map_or(&[][..], |p| p.resources.as_slice());
        let own = pairs.is_empty().then(|| self.pseudo_pair());
        own.into_iter()
            .chain(pairs.iter().map(|(t, n)| (t.as_str(), n.as_str())))
    }

    /// The single `(type, name)` pair of ids without a resource block of their own.
    fn pseudo_pair(&self) -> (&str, &str) {
        match (self.providers.last(), &self.resource_group) {
            (Some(registration), _) => ("providers", &registration.namespace),
            (None, Some(group)) => ("resourceGroups", group),
            (None, None) => ("subscriptions", &self.subscription_id),
        }
    }

    /// The full resource type: the namespace and every type, e.g.
    /// `Microsoft.MachineLearningServices/workspaces/computes`.
    pub fn resource_type(&self) -> String {
        let mut out = self.provider_namespace().to_owned();
        for (ty, _) in self.types_and_names() {
            out.push('/');
            out.push_str(ty);
        }
        out
    }

    /// Whether [`resource_type`](Self::resource_type) equals `resource_type`, ignoring ASCII
    /// case, without allocating.
    pub fn is_type(&self, resource_type: &str) -> bool {
        let Some(mut rest) = strip_prefix_ci(resource_type, self.provider_namespace()) else {
            return false;
        };
        for (ty, _) in self.types_and_names() {
            let Some(after) = rest.strip_prefix('/').and_then(|r| strip_prefix_ci(r, ty)) else {
                return false;
            };
            rest = after;
        }
        rest.is_empty()
    }

    /// The last name in the id: the resource's own name (for a subscription, its id; for a
    /// resource group, its name; for a provider registration, the namespace).
    pub fn name(&self) -> &str {
        self.types_and_names()
            .next_back()
            .map_or(self.subscription_id.as_str(), |(_, name)| name)
    }

    /// The id of the enclosing resource: a child's parent resource, an extension's scope, a
    /// top-level resource's resource group (or subscription), a resource group's subscription.
    /// `None` for a subscription.
    pub fn parent(&self) -> Option<ResourceId> {
        let mut parent = self.clone();
        match parent.providers.last_mut() {
            Some(block) if block.resources.len() > 1 => {
                block.resources.pop();
            }
            Some(_) => {
                parent.providers.pop();
            }
            None if parent.resource_group.is_some() => parent.resource_group = None,
            None => return None,
        }
        Some(parent)
    }

    /// `Ok` when the id is in `subscription_id` (compared ignoring case), otherwise
    /// [`ResourceIdError::WrongSubscription`].
    pub fn ensure_subscription(&self, subscription_id: &str) -> Result<(), ResourceIdError> {
        ensure_subscription(self, &self.subscription_id, subscription_id)
    }

    /// The canonical path used in request URLs (the same text as `Display`).
    pub fn path(&self) -> String {
        self.to_string()
    }
}

/// Shared by every id type: compare subscriptions ignoring case.
fn ensure_subscription(
    id: &dyn fmt::Display,
    found: &str,
    expected: &str,
) -> Result<(), ResourceIdError> {
    if found.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(ResourceIdError::WrongSubscription {
            id: id.to_string(),
            expected: expected.to_owned(),
            found: found.to_owned(),
        })
    }
}

fn is_guid(s: &str) -> bool {
    let groups = [8, 4, 4, 4, 12];
    let mut parts = s.split('-');
    groups.iter().all(|&len| {
        parts
            .next()
            .is_some_and(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_hexdigit()))
    }) && parts.next().is_none()
}

/// `s` without a leading `prefix` compared ignoring ASCII case.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

fn parse(input: &str) -> Result<ResourceId, ResourceIdError> {
    use ResourceIdError as E;
    let owned = || input.to_owned();
    if input.is_empty() {
        return Err(E::Empty);
    }
    let Some(rest) = input.strip_prefix('/') else {
        return Err(E::MissingLeadingSlash { input: owned() });
    };
    if let Some((position, ch)) = input.char_indices().find(|(_, c)| c.is_control()) {
        return Err(E::ControlCharacter {
            input: owned(),
            ch,
            position,
        });
    }
    if let Some(position) = input.find("//") {
        return Err(E::EmptySegment {
            input: owned(),
            position,
        });
    }
    if rest.is_empty() {
        return Err(E::NotSubscriptionScoped { input: owned() });
    }
    if rest.ends_with('/') {
        return Err(E::TrailingSlash { input: owned() });
    }
    // From here on every segment is non-empty.
    let mut segments = rest.split('/');
    let missing_name = |segment: &str| E::MissingName {
        input: owned(),
        segment: segment.to_owned(),
    };
    let keyword = segments.next().unwrap_or_default();
    if !keyword.eq_ignore_ascii_case("subscriptions") {
        return Err(E::NotSubscriptionScoped { input: owned() });
    }
    let subscription_id = segments.next().ok_or_else(|| missing_name(keyword))?;
    let mut id = ResourceId {
        subscription_id: subscription_id.to_owned(),
        resource_group: None,
        providers: Vec::new(),
    };

    let mut next = segments.next();
    if let Some(keyword) = next.filter(|s| s.eq_ignore_ascii_case("resourceGroups")) {
        let group = segments.next().ok_or_else(|| missing_name(keyword))?;
        id.resource_group = Some(group.to_owned());
        next = segments.next();
    }
    match next {
        None => return Ok(id),
        Some(s) if s.eq_ignore_ascii_case("providers") => {}
        Some(found) => {
            return Err(E::UnexpectedSegment {
                input: owned(),
                found: found.to_owned(),
                expected: if id.resource_group.is_some() {
                    "'providers'"
                } else {
                    "'resourceGroups' or 'providers'"
                },
            });
        }
    }

    // One `providers/{Namespace}` block per loop; a type segment `providers` starts an
    // extension block.
    loop {
        let namespace = segments
            .next()
            .ok_or_else(|| E::MissingNamespace { input: owned() })?;
        let mut block = Provider {
            namespace: namespace.to_owned(),
            resources: Vec::new(),
        };
        let mut extension_follows = false;
        while let Some(ty) = segments.next() {
            if ty.eq_ignore_ascii_case("providers") {
                extension_follows = true;
                break;
            }
            let name = segments.next().ok_or_else(|| missing_name(ty))?;
            block.resources.push((ty.to_owned(), name.to_owned()));
        }
        let registration =
            !extension_follows && id.resource_group.is_none() && id.providers.is_empty();
        if block.resources.is_empty() && !registration {
            return Err(E::MissingResourceType {
                input: owned(),
                namespace: block.namespace,
            });
        }
        id.providers.push(block);
        if !extension_follows {
            return Ok(id);
        }
    }
}

impl FromStr for ResourceId {
    type Err = ResourceIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl TryFrom<&str> for ResourceId {
    type Error = ResourceIdError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        parse(value)
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/subscriptions/{}", self.subscription_id)?;
        if let Some(group) = &self.resource_group {
            write!(f, "/resourceGroups/{group}")?;
        }
        for block in &self.providers {
            write!(f, "/providers/{}", block.namespace)?;
            for (ty, name) in &block.resources {
                write!(f, "/{ty}/{name}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResourceId")
            .field(&self.to_string())
            .finish()
    }
}

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        let groups = match (&self.resource_group, &other.resource_group) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            _ => false,
        };
        groups
            && self
                .subscription_id
                .eq_ignore_ascii_case(&other.subscription_id)
            && self.providers.len() == other.providers.len()
            && self.providers.iter().zip(&other.providers).all(|(a, b)| {
                a.namespace.eq_ignore_ascii_case(&b.namespace)
                    && a.resources.len() == b.resources.len()
                    && a.resources
                        .iter()
                        .zip(&b.resources)
                        .all(|((ta, na), (tb, nb))| {
                            ta.eq_ignore_ascii_case(tb) && na.eq_ignore_ascii_case(nb)
                        })
            })
    }
}

impl Eq for ResourceId {}

impl Hash for ResourceId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_ignoring_case(self, state);
    }
}

/// Feeds the canonical text of `value`, ASCII-lower-cased, to `state` one byte at a time.
///
/// Ids that compare equal have canonical texts equal but for ASCII case, so they feed the same
/// bytes in the same calls: the hash agrees with the case-insensitive equality.
fn hash_ignoring_case<H: Hasher>(value: &dyn fmt::Display, state: &mut H) {
    struct Lower<'a, H>(&'a mut H);
    impl<H: Hasher> fmt::Write for Lower<'_, H> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            for b in s.bytes() {
                self.0.write_u8(b.to_ascii_lowercase());
            }
            Ok(())
        }
    }
    // Writing into `Lower` cannot fail, and `Display` of our ids does not either.
    let _ = fmt::write(&mut Lower(state), format_args!("{value}"));
    // Terminator: no id's text is a prefix of another's bytes in a tuple hash.
    state.write_u8(0xff);
}

impl Serialize for ResourceId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ResourceId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;
    use std::fmt::Write as _;
    use std::hash::DefaultHasher;

    const SUB: &str = "00000000-0000-0000-0000-000000000000";

    fn id(s: &str) -> ResourceId {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> ResourceIdError {
        s.parse::<ResourceId>()
            .expect_err(&format!("{s:?} should not parse"))
    }

    fn hash_of(value: &impl Hash) -> u64 {
        let mut h = DefaultHasher::new();
        value.hash(&mut h);
        h.finish()
    }

    #[test]
    fn the_guides_aks_id_parses_and_displays_canonically() {
        let text = format!(
            "/subscriptions/{SUB}/resourcegroups/myrg/providers/Microsoft.ContainerService/managedClusters/myaks"
        );
        let id = id(&text);
        assert_eq!(id.subscription_id(), SUB);
        assert!(id.subscription_is_guid());
        assert_eq!(id.resource_group(), Some("myrg"));
        assert_eq!(id.provider_namespace(), "Microsoft.ContainerService");
        assert_eq!(
            id.resource_type(),
            "Microsoft.ContainerService/managedClusters"
        );
        assert_eq!(id.name(), "myaks");
        assert_eq!(
            id.to_string(),
            format!(
                "/subscriptions/{SUB}/resourceGroups/myrg/providers/Microsoft.ContainerService/managedClusters/myaks"
            )
        );
        assert_eq!(id.path(), id.to_string());
    }

    #[test]
    fn nested_child_types_are_joined() {
        let id = id(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/aks1",
        );
        assert_eq!(
            id.resource_type(),
            "Microsoft.MachineLearningServices/workspaces/computes"
        );
        assert_eq!(id.name(), "aks1");
        assert_eq!(
            id.types_and_names().collect::<Vec<_>>(),
            [("workspaces", "ws"), ("computes", "aks1")]
        );
        assert!(id.is_type("microsoft.machinelearningservices/WORKSPACES/computes"));
        assert!(!id.is_type("Microsoft.MachineLearningServices/workspaces"));
        assert!(!id.is_type("Microsoft.MachineLearningServices/workspaces/computes/x"));
        assert!(!id.is_type(""));
    }

    #[test]
    fn keywords_namespaces_and_types_match_in_any_case() {
        let a = id(
            "/SUBSCRIPTIONS/s/RESOURCEGROUPS/rg/PROVIDERS/microsoft.network/VIRTUALNETWORKS/v/SUBNETS/x",
        );
        let b = id(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/x",
        );
        assert_eq!(a, b);
        assert_eq!(hash_of(&a), hash_of(&b));
        // canonical keywords, everything else as given
        assert_eq!(
            a.to_string(),
            "/subscriptions/s/resourceGroups/rg/providers/microsoft.network/VIRTUALNETWORKS/v/SUBNETS/x"
        );
    }

    #[test]
    fn equality_and_hash_ignore_case_everywhere_and_agree() {
        let variants = [
            "/subscriptions/ABC/resourceGroups/MyRG/providers/Microsoft.ContainerService/managedClusters/MyAks",
            "/subscriptions/abc/resourcegroups/myrg/providers/microsoft.containerservice/managedclusters/myaks",
            "/Subscriptions/Abc/ResourceGroups/MYRG/Providers/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/MYAKS",
        ];
        let set: HashSet<ResourceId> = variants.iter().map(|s| id(s)).collect();
        assert_eq!(set.len(), 1, "{set:?}");
        let other = id(
            "/subscriptions/abc/resourceGroups/myrg/providers/Microsoft.ContainerService/managedClusters/other",
        );
        assert!(!set.contains(&other));
        let in_other_group = id(
            "/subscriptions/abc/resourceGroups/rg2/providers/Microsoft.ContainerService/managedClusters/myaks",
        );
        assert!(!set.contains(&in_other_group));
    }

    #[test]
    fn subscription_and_resource_group_ids() {
        let sub = id("/subscriptions/s1");
        assert_eq!(sub.subscription_id(), "s1");
        assert_eq!(sub.resource_group(), None);
        assert_eq!(sub.resource_type(), "Microsoft.Resources/subscriptions");
        assert_eq!(sub.name(), "s1");
        assert_eq!(sub.parent(), None);
        assert!(!sub.subscription_is_guid());

        let rg = id("/subscriptions/s1/resourcegroups/g1");
        assert_eq!(rg.to_string(), "/subscriptions/s1/resourceGroups/g1");
        assert_eq!(rg.resource_type(), "Microsoft.Resources/resourceGroups");
        assert_eq!(rg.name(), "g1");
        assert_eq!(rg.parent(), Some(sub));
    }

    #[test]
    fn provider_ids_without_a_resource_group() {
        let registration = id("/subscriptions/s1/providers/Microsoft.MachineLearningServices");
        assert_eq!(
            registration.resource_type(),
            "Microsoft.Resources/providers"
        );
        assert_eq!(registration.name(), "Microsoft.MachineLearningServices");
        assert_eq!(registration.parent(), Some(id("/subscriptions/s1")));

        let operation = id(
            "/subscriptions/s1/providers/Microsoft.MachineLearningServices/locations/eastus/computeOperationsStatus/op-1",
        );
        assert_eq!(operation.resource_group(), None);
        assert_eq!(
            operation.resource_type(),
            "Microsoft.MachineLearningServices/locations/computeOperationsStatus"
        );
        assert_eq!(operation.name(), "op-1");
        let location = operation.parent().unwrap();
        assert_eq!(location.name(), "eastus");
        assert_eq!(location.parent(), Some(id("/subscriptions/s1")));
    }

    #[test]
    fn extension_resources() {
        let lock = id(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks/providers/Microsoft.Authorization/locks/nodelete",
        );
        assert_eq!(lock.resource_type(), "Microsoft.Authorization/locks");
        assert_eq!(lock.provider_namespace(), "Microsoft.Authorization");
        assert_eq!(lock.name(), "nodelete");
        let aks = lock.parent().unwrap();
        assert!(aks.is_type("Microsoft.ContainerService/managedClusters"));
        assert_eq!(aks.name(), "aks");
        assert_eq!(id(&lock.to_string()), lock);
    }

    #[test]
    fn parent_walks_up_to_the_subscription() {
        let mut current = Some(id(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/c",
        ));
        let mut seen = Vec::new();
        while let Some(id) = current {
            seen.push(id.to_string());
            current = id.parent();
        }
        assert_eq!(
            seen,
            [
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/c",
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws",
                "/subscriptions/s/resourceGroups/rg",
                "/subscriptions/s",
            ]
        );
    }

    #[test]
    fn empty_input() {
        assert_eq!(err(""), ResourceIdError::Empty);
    }

    #[test]
    fn missing_leading_slash() {
        assert!(matches!(
            err("subscriptions/s/resourceGroups/rg"),
            ResourceIdError::MissingLeadingSlash { .. }
        ));
        assert!(matches!(
            err(" /subscriptions/s"),
            ResourceIdError::MissingLeadingSlash { .. }
        ));
    }

    #[test]
    fn trailing_slash() {
        assert!(matches!(
            err("/subscriptions/s/resourceGroups/rg/"),
            ResourceIdError::TrailingSlash { .. }
        ));
    }

    #[test]
    fn empty_segment_reports_its_position() {
        let e = err("/subscriptions/s//resourceGroups/rg");
        assert_eq!(
            e,
            ResourceIdError::EmptySegment {
                input: "/subscriptions/s//resourceGroups/rg".into(),
                position: 16
            }
        );
        assert!(e.to_string().contains("at byte 16"), "{e}");
        assert!(matches!(
            err("//subscriptions/s"),
            ResourceIdError::EmptySegment { position: 0, .. }
        ));
    }

    #[test]
    fn control_characters() {
        assert!(matches!(
            err("/subscriptions/s\n/resourceGroups/rg"),
            ResourceIdError::ControlCharacter {
                ch: '\n',
                position: 16,
                ..
            }
        ));
    }

    #[test]
    fn must_start_with_subscriptions() {
        for s in [
            "/",
            "/resourceGroups/rg",
            "/providers/Microsoft.Management/managementGroups/mg",
        ] {
            assert!(
                matches!(err(s), ResourceIdError::NotSubscriptionScoped { .. }),
                "{s}"
            );
        }
    }

    #[test]
    fn a_keyword_or_type_without_a_name() {
        for (s, segment) in [
            ("/subscriptions", "subscriptions"),
            ("/subscriptions/s/resourceGroups", "resourceGroups"),
            (
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters",
                "managedClusters",
            ),
            (
                "/subscriptions/s/resourceGroups/rg/providers/Ns/workspaces/ws/computes",
                "computes",
            ),
        ] {
            assert_eq!(
                err(s),
                ResourceIdError::MissingName {
                    input: s.into(),
                    segment: segment.into()
                }
            );
        }
    }

    #[test]
    fn unexpected_segments_say_which_keyword_was_expected() {
        let e = err("/subscriptions/s/locations/eastus");
        assert!(matches!(
            &e,
            ResourceIdError::UnexpectedSegment { found, expected: "'resourceGroups' or 'providers'", .. } if found == "locations"
        ));
        let e = err("/subscriptions/s/resourceGroups/rg/Microsoft.Network/virtualNetworks");
        assert!(matches!(
            e,
            ResourceIdError::UnexpectedSegment {
                expected: "'providers'",
                ..
            }
        ));
    }

    #[test]
    fn providers_without_a_namespace() {
        for s in [
            "/subscriptions/s/providers",
            "/subscriptions/s/resourceGroups/rg/providers",
            "/subscriptions/s/resourceGroups/rg/providers/Ns/t/n/providers",
        ] {
            assert!(
                matches!(err(s), ResourceIdError::MissingNamespace { .. }),
                "{s}"
            );
        }
    }

    #[test]
    fn a_namespace_without_a_type_where_one_is_needed() {
        for (s, ns) in [
            (
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService",
                "Microsoft.ContainerService",
            ),
            (
                "/subscriptions/s/resourceGroups/rg/providers/Ns/t/n/providers/Microsoft.Authorization",
                "Microsoft.Authorization",
            ),
            ("/subscriptions/s/providers/Ns/providers/Other/t/n", "Ns"),
        ] {
            assert_eq!(
                err(s),
                ResourceIdError::MissingResourceType {
                    input: s.into(),
                    namespace: ns.into()
                }
            );
        }
    }

    #[test]
    fn error_messages_are_lower_case_sentences_showing_the_shape() {
        let cases = [
            "",
            "x",
            "/subscriptions/s/",
            "/subscriptions//s",
            "/subscriptions/\t",
            "/tenants/t",
            "/subscriptions",
            "/subscriptions/s/x/y",
            "/subscriptions/s/providers",
            "/subscriptions/s/resourceGroups/rg/providers/Ns",
        ];
        for s in cases {
            let msg = err(s).to_string();
            assert!(msg.starts_with(|c: char| c.is_lowercase()), "{s:?}: {msg}");
            assert!(!msg.ends_with('.'), "{s:?}: {msg}");
            if !matches!(err(s), ResourceIdError::ControlCharacter { .. }) {
                assert!(
                    msg.contains("/subscriptions/{subscription}"),
                    "{s:?}: {msg}"
                );
            }
        }
    }

    #[test]
    fn ensure_subscription_compares_ignoring_case() {
        let id = id("/subscriptions/ABC/resourceGroups/rg");
        assert!(id.ensure_subscription("abc").is_ok());
        let e = id.ensure_subscription("def").unwrap_err();
        assert!(matches!(e, ResourceIdError::WrongSubscription { .. }));
        let msg = e.to_string();
        assert!(msg.contains("\"ABC\"") && msg.contains("\"def\""), "{msg}");
    }

    #[test]
    fn guid_detection() {
        assert!(is_guid("0a1B2c3D-0000-4000-8000-00000000abcd"));
        assert!(!is_guid("0a1b2c3d-0000-4000-8000-00000000abc"));
        assert!(!is_guid("0a1b2c3d-0000-4000-8000-00000000abcd-1"));
        assert!(!is_guid("0a1b2c3d00004000800000000000abcd"));
        assert!(!is_guid("g0000000-0000-0000-0000-000000000000"));
        assert!(!is_guid(""));
    }

    #[test]
    fn resource_group_rules() {
        assert!(check_resource_group("my-rg_1.(prod)").is_empty());
        assert!(
            check_resource_group("données").is_empty(),
            "Unicode letters are allowed"
        );
        assert!(check_resource_group(&"a".repeat(90)).is_empty());
        assert_eq!(
            check_resource_group(&"a".repeat(91)),
            [ResourceGroupRule::Length { len: 91 }]
        );
        assert_eq!(
            check_resource_group(""),
            [ResourceGroupRule::Length { len: 0 }]
        );
        assert_eq!(
            check_resource_group("rg."),
            [ResourceGroupRule::EndsWithPeriod]
        );
        assert_eq!(
            check_resource_group("my rg"),
            [ResourceGroupRule::Character { ch: ' ', index: 2 }]
        );
        let e = validate_resource_group("bad/rg.").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("must not end with '.'") && msg.contains("'/'"),
            "{msg}"
        );
    }

    #[test]
    fn serde_is_a_string() {
        let id = id("/subscriptions/s/resourcegroups/rg");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"/subscriptions/s/resourceGroups/rg\"");
        let back: ResourceId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        let bad = serde_json::from_str::<ResourceId>("\"subscriptions/s\"").unwrap_err();
        assert!(bad.to_string().contains("must start with '/'"), "{bad}");
    }

    // ------------------------------------------------------------------------------------------
    // Property tests

    /// A keyword rendered in random ASCII case.
    fn any_case(word: &'static str) -> impl Strategy<Value = String> {
        proptest::collection::vec(any::<bool>(), word.len()).prop_map(move |upper| {
            word.chars()
                .zip(upper)
                .map(|(c, up)| {
                    if up {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect()
        })
    }

    /// A name segment: anything but `/` and control characters.
    fn name() -> impl Strategy<Value = String> {
        "[^/\\p{Cc}]{1,12}"
    }

    /// A resource type segment (never `providers`, which would start an extension).
    fn resource_type() -> impl Strategy<Value = String> {
        "[A-Za-z]{1,14}".prop_filter("not the providers keyword", |t| {
            !t.eq_ignore_ascii_case("providers")
        })
    }

    /// A valid id as text with keywords in random case, and its canonical form.
    fn valid_id() -> impl Strategy<Value = (String, String)> {
        let block = (
            any_case("providers"),
            "[A-Za-z]{1,10}\\.[A-Za-z]{1,12}",
            proptest::collection::vec((resource_type(), name()), 1..4),
        );
        (
            any_case("subscriptions"),
            name(),
            proptest::option::of((any_case("resourceGroups"), name())),
            proptest::collection::vec(block, 0..3),
            any::<bool>(),
        )
            .prop_map(|(subs, sub, group, blocks, registration)| {
                let mut text = format!("/{subs}/{sub}");
                let mut canonical = format!("/subscriptions/{sub}");
                if let Some((kw, g)) = &group {
                    write!(text, "/{kw}/{g}").unwrap();
                    write!(canonical, "/resourceGroups/{g}").unwrap();
                }
                if blocks.is_empty() && group.is_none() && registration {
                    text.push_str("/Providers/Microsoft.Compute");
                    canonical.push_str("/providers/Microsoft.Compute");
                }
                for (kw, ns, pairs) in &blocks {
                    write!(text, "/{kw}/{ns}").unwrap();
                    write!(canonical, "/providers/{ns}").unwrap();
                    for (t, n) in pairs {
                        write!(text, "/{t}/{n}").unwrap();
                        write!(canonical, "/{t}/{n}").unwrap();
                    }
                }
                (text, canonical)
            })
    }

    /// Text built from id-ish segments (keywords in various cases, names, empty segments),
    /// with or without leading and trailing slashes: most of it is almost an id.
    fn id_like() -> impl Strategy<Value = String> {
        let segment = prop_oneof![
            4 => Just("subscriptions".to_owned()),
            3 => Just("resourceGroups".to_owned()),
            3 => Just("providers".to_owned()),
            1 => Just("PROVIDERS".to_owned()),
            1 => Just("resourcegroups".to_owned()),
            1 => Just(String::new()),
            6 => "[A-Za-z0-9.\u{e9} -]{1,6}",
        ];
        (
            prop::bool::weighted(0.9),
            prop::bool::weighted(0.8),
            proptest::collection::vec((segment.clone(), segment.clone()), 0..6),
            proptest::option::weighted(0.2, segment),
            prop::bool::weighted(0.1),
        )
            .prop_map(|(lead, scoped, pairs, odd, trail)| {
                let mut segments: Vec<String> = Vec::new();
                if scoped {
                    segments.extend(["subscriptions".to_owned(), "sub-1".to_owned()]);
                }
                for (a, b) in pairs {
                    segments.extend([a, b]);
                }
                segments.extend(odd);
                let mut s = if lead { "/".to_owned() } else { String::new() };
                s.push_str(&segments.join("/"));
                if trail {
                    s.push('/');
                }
                s
            })
    }

    proptest! {
        #[test]
        fn valid_ids_parse_to_their_canonical_form_and_round_trip((text, canonical) in valid_id()) {
            let parsed: ResourceId = text.parse().map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(parsed.to_string(), canonical);
            let again: ResourceId = parsed.to_string().parse().unwrap();
            prop_assert_eq!(&again, &parsed);
            prop_assert_eq!(hash_of(&again), hash_of(&parsed));
        }

        #[test]
        fn case_changes_keep_ids_equal_and_hashes_equal((text, _) in valid_id()) {
            let parsed: ResourceId = text.parse().unwrap();
            let lower: ResourceId = text.to_ascii_lowercase().parse().unwrap();
            let upper: ResourceId = text.to_ascii_uppercase().parse().unwrap();
            prop_assert_eq!(&lower, &parsed);
            prop_assert_eq!(&upper, &parsed);
            prop_assert_eq!(hash_of(&lower), hash_of(&parsed));
            prop_assert_eq!(hash_of(&upper), hash_of(&parsed));
        }

        #[test]
        fn parent_of_a_valid_id_is_valid_and_shorter((text, _) in valid_id()) {
            let parsed: ResourceId = text.parse().unwrap();
            if let Some(parent) = parsed.parent() {
                let shown = parent.to_string();
                prop_assert!(shown.len() < parsed.to_string().len());
                prop_assert_eq!(shown.parse::<ResourceId>().unwrap(), parent);
            } else {
                prop_assert_eq!(parsed.resource_type(), "Microsoft.Resources/subscriptions");
            }
        }

        #[test]
        fn arbitrary_strings_never_panic(s in any::<String>()) {
            if let Ok(id) = s.parse::<ResourceId>() {
                let _ = (id.resource_type(), id.name(), id.parent(), id.is_type(&s));
            }
        }

        #[test]
        fn id_like_strings_never_panic_and_display_is_idempotent(s in id_like()) {
            if let Ok(id) = s.parse::<ResourceId>() {
                let once = id.to_string();
                let reparsed: ResourceId = once.parse().map_err(|e| TestCaseError::fail(format!("{once}: {e}")))?;
                prop_assert_eq!(reparsed.to_string(), once);
                prop_assert_eq!(reparsed, id);
            }
        }
    }
}
