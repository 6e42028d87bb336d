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

mod error;
mod typed;

pub use error::{
    ResourceGroupRule, ResourceIdError, check_resource_group, validate_resource_group,
};
pub use typed::{AksClusterId, ComputeId, SubnetId, WorkspaceId};

/// The namespace ARM reports for subscriptions, resource groups and provider registrations.
pub(crate) const RESOURCES_NAMESPACE: &str = "Microsoft.Resources";

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
    /// registrations report `Microsoft.Resources`, as ARM does.
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
mod tests;
