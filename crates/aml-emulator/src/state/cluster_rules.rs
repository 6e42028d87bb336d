//! AKS's own rules for a managed cluster PUT (`.../managedClusters/{name}`, ContainerService
//! 2024-09-01), checked before anything changes: the cluster a PUT asks for, or a 400 with an
//! ARM error envelope naming every property at fault, as AKS answers.
//!
//! A create takes the body as given (defaults: the location's default Kubernetes version,
//! `{name}-dns` as DNS prefix, a system-assigned identity, kubenet, a Standard load balancer,
//! `loadBalancer` outbound, Kubernetes RBAC on). An update starts from the cluster as it is: a
//! field or profile left out keeps its value, a pool left out of `agentPoolProfiles` stays as
//! it is, and a pool named changes like an agent pool PUT.

use aml_model::wire::{
    AgentPoolMode, AgentPoolProfile, ErrorDetail, ManagedCluster, ManagedClusterProperties,
    ManagedServiceIdentity,
};
use serde_json::{Map, Value};

use crate::arm_error::ArmError;
use crate::ids::IdSource;
use crate::state::agent_pool::{plan_pool, problem, refused};
use crate::state::cluster::{Echo, Pool, TENANT, system_identity};
use crate::state::{Cluster, key};
use crate::versions::{VersionTable, is_version, minor_of, normalize_location};

mod network;

use network::{access, consistency, network};

/// The longest DNS prefix.
const MAX_DNS_PREFIX: usize = 54;

/// Fields the service computes: never echoed from a PUT (a GET-modify-PUT sends them back).
const READ_ONLY: [&str; 8] = [
    "maxAgentPools",
    "azurePortalFQDN",
    "powerState",
    "currentKubernetesVersion",
    "provisioningState",
    "privateLinkResources",
    "resourceUID",
    "identityProfile",
];
/// Pool fields the service computes.
const POOL_READ_ONLY: [&str; 5] = [
    "eTag",
    "currentOrchestratorVersion",
    "nodeImageVersion",
    "powerState",
    "provisioningState",
];

/// 400 `PropertyChangeNotAllowed` for a property of an existing cluster.
fn fixed(target: &str, property: &str, from: &str, to: &str) -> ErrorDetail {
    problem(
        "PropertyChangeNotAllowed",
        target,
        format!("Changing property '{property}' is not allowed: it is '{from}', not '{to}'."),
    )
}

fn invalid(target: &str, message: String) -> ErrorDetail {
    problem("InvalidParameter", target, message)
}

/// The cluster a PUT asks for: `current` changed by `body`, or (`current` is `None`) a new
/// cluster `draft` (its id and fresh secrets) shaped by `body`.
pub(super) fn plan_cluster(
    current: Option<&Cluster>,
    draft: Cluster,
    body: &ManagedCluster,
    versions: &VersionTable,
    ids: &IdSource,
) -> Result<Cluster, ArmError> {
    let properties = body.properties.clone().unwrap_or_default();
    let location = body.location.as_deref().map(normalize_location);
    let mut cluster = match (current, &location) {
        (Some(current), Some(wanted)) if normalize_location(&current.location) != *wanted => {
            return Err(ArmError::new(
                400,
                "InvalidResourceLocation",
                format!(
                    "The resource '{}' already exists in location '{}' in resource group '{}'. \
                     A resource with the same name cannot be created in location '{wanted}'. \
                     Please select a new resource name.",
                    current.id.name(),
                    current.location,
                    current.id.resource_group()
                ),
            )
            .with_target("location"));
        }
        (Some(current), _) => current.clone(),
        (None, None) => {
            return Err(ArmError::new(
                400,
                "LocationRequired",
                "The location property is required for this definition.",
            ));
        }
        (None, Some(location)) => {
            let mut cluster = draft;
            cluster.location.clone_from(location);
            cluster
        }
    };
    let creating = current.is_none();
    let mut problems = Vec::new();

    version(
        &mut cluster,
        creating,
        properties.kubernetes_version.as_deref(),
        versions,
        &mut problems,
    );
    dns_prefix(
        &mut cluster,
        creating,
        properties.dns_prefix.as_deref(),
        &mut problems,
    );
    identity(
        &mut cluster,
        creating,
        body,
        &properties.extra,
        ids,
        &mut problems,
    );
    rbac(&mut cluster, creating, &properties, &mut problems);
    network(&mut cluster, creating, body, &mut problems);
    access(&mut cluster, creating, body, ids, &mut problems);
    pools(
        &mut cluster,
        creating,
        properties.agent_pool_profiles.as_deref(),
        &mut problems,
    );
    consistency(&cluster, &mut problems);
    if let Some(tags) = &body.tags {
        cluster.tags.clone_from(tags);
    }
    echo(&mut cluster.echo, body);
    refused(problems)?;
    cluster.e_tag = ids.alphanumeric(8);
    if creating {
        cluster.fqdn = crate::state::cluster::fqdn(
            &cluster.dns_prefix,
            &cluster.location,
            cluster.private,
            ids,
        );
    }
    Ok(cluster)
}

/// `enableRBAC` (it cannot change) and `aadProfile` (AKS-managed Entra ID only, which needs
/// Kubernetes RBAC).
fn rbac(
    cluster: &mut Cluster,
    creating: bool,
    properties: &ManagedClusterProperties,
    problems: &mut Vec<ErrorDetail>,
) {
    if let Some(rbac) = properties.enable_rbac {
        if !creating && rbac != cluster.enable_rbac {
            problems.push(fixed(
                "properties.enableRBAC",
                "enableRBAC",
                &cluster.enable_rbac.to_string(),
                &rbac.to_string(),
            ));
        }
        cluster.enable_rbac = rbac;
    }
    if let Some(aad) = &properties.aad_profile {
        if aad.managed == Some(true) {
            cluster.aad = Some(aad.enable_azure_rbac.unwrap_or(false));
        } else {
            problems.push(invalid(
                "properties.aadProfile.managed",
                "aadProfile needs managed: true: only AKS-managed Microsoft Entra ID \
             integration is supported (the legacy integration with client and server \
             applications is retired)."
                    .into(),
            ));
        }
    }
    if cluster.aad.is_some() && !cluster.enable_rbac {
        problems.push(invalid(
            "properties.aadProfile",
            "aadProfile needs enableRBAC: true: Microsoft Entra ID integration authorizes \
         through Kubernetes RBAC (or Azure RBAC on top of it)."
                .into(),
        ));
    }
}

/// `kubernetesVersion`: empty or absent is the location's default (a create) or the current
/// version (an update); `1.30` is its newest patch; `1.30.4` must be listed. An update may
/// upgrade by one minor version at most, never downgrade.
fn version(
    cluster: &mut Cluster,
    creating: bool,
    wanted: Option<&str>,
    versions: &VersionTable,
    problems: &mut Vec<ErrorDetail>,
) {
    const TARGET: &str = "properties.kubernetesVersion";
    let wanted = wanted.map(str::trim).filter(|text| !text.is_empty());
    let Some(wanted) = wanted else {
        if creating {
            match versions.default_patch(&cluster.location) {
                Some(patch) => cluster.kubernetes_version = patch.to_owned(),
                None => problems.push(invalid(
                    TARGET,
                    format!("Location '{}' has no Kubernetes version.", cluster.location),
                )),
            }
        }
        return;
    };
    if !creating
        && (wanted == cluster.kubernetes_version || wanted == minor_of(&cluster.kubernetes_version))
    {
        return;
    }
    let minor = minor_of(wanted);
    let patch = is_version(wanted, 2..=3)
        .then(|| {
            versions
                .for_location(&cluster.location)
                .iter()
                .find(|entry| entry.version == minor)
        })
        .flatten()
        .and_then(|entry| {
            if wanted == minor {
                entry.patches.last()
            } else {
                entry.patches.iter().find(|patch| *patch == wanted)
            }
        });
    let Some(patch) = patch else {
        problems.push(problem(
            "K8sVersionNotSupported",
            TARGET,
            format!(
                "Version {wanted} is not supported in this region. Please use [az aks \
                 get-versions] command to get the supported version list in this region. \
                 Supported minor versions in {}: {}.",
                cluster.location,
                versions.supported_list(&cluster.location)
            ),
        ));
        return;
    };
    if !creating {
        let from = numbers(&cluster.kubernetes_version);
        let to = numbers(patch);
        let step = to.get(1).copied().unwrap_or(0) - from.get(1).copied().unwrap_or(0);
        if to < from || to.first() != from.first() || step > 1 {
            problems.push(invalid(
                TARGET,
                format!(
                    "Upgrading Kubernetes from {} to {patch} is not allowed: a cluster upgrades \
                     one minor version at a time and never downgrades.",
                    cluster.kubernetes_version
                ),
            ));
            return;
        }
    }
    patch.clone_into(&mut cluster.kubernetes_version);
}

/// A version's numbers: `1.30.4` is `[1, 30, 4]`.
fn numbers(version: &str) -> Vec<i64> {
    version
        .split('.')
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

/// `dnsPrefix`: 1 to 54 letters, digits and hyphens, starting with a letter and ending with a
/// letter or digit; it cannot change.
fn dns_prefix(
    cluster: &mut Cluster,
    creating: bool,
    wanted: Option<&str>,
    problems: &mut Vec<ErrorDetail>,
) {
    const TARGET: &str = "properties.dnsPrefix";
    let Some(wanted) = wanted else {
        return;
    };
    if !creating {
        if wanted != cluster.dns_prefix {
            problems.push(fixed(TARGET, "dnsPrefix", &cluster.dns_prefix, wanted));
        }
        return;
    }
    let valid = (1..=MAX_DNS_PREFIX).contains(&wanted.len())
        && wanted.starts_with(|c: char| c.is_ascii_alphabetic())
        && wanted.ends_with(|c: char| c.is_ascii_alphanumeric())
        && wanted
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if valid {
        wanted.clone_into(&mut cluster.dns_prefix);
    } else {
        problems.push(invalid(
            TARGET,
            format!(
                "DNS prefix '{wanted}' is invalid. The DNS prefix must contain between 1 and \
                 {MAX_DNS_PREFIX} characters: letters, numbers and hyphens, starting with a \
                 letter and ending with a letter or number."
            ),
        ));
    }
}

/// `identity`: `SystemAssigned`, or `UserAssigned` with exactly one identity; absent, a create
/// with a service principal (a `servicePrincipalProfile.clientId` other than `msi`) has none.
fn identity(
    cluster: &mut Cluster,
    creating: bool,
    body: &ManagedCluster,
    properties_extra: &Map<String, Value>,
    ids: &IdSource,
    problems: &mut Vec<ErrorDetail>,
) {
    let Some(wanted) = &body.identity else {
        let service_principal = properties_extra
            .get("servicePrincipalProfile")
            .and_then(|profile| profile.get("clientId"))
            .and_then(Value::as_str)
            .is_some_and(|client| !client.eq_ignore_ascii_case("msi"));
        if creating && service_principal {
            cluster.identity = None;
        }
        return;
    };
    let kind = wanted.type_.as_deref().unwrap_or_default();
    if kind.eq_ignore_ascii_case("SystemAssigned") {
        let keep = cluster
            .identity
            .as_ref()
            .is_some_and(|now| now.type_.as_deref() == Some("SystemAssigned"));
        if !keep {
            cluster.identity = Some(system_identity());
        }
    } else if kind.eq_ignore_ascii_case("UserAssigned") {
        let given = wanted.user_assigned_identities.clone().unwrap_or_default();
        if given.len() == 1 {
            let identities = given
                .into_iter()
                .map(|(id, _)| {
                    let client = ids.hex(8);
                    (
                        id,
                        serde_json::json!({
                            "principalId": crate::ids::uuid(),
                            "clientId": format!("{client}-{}", &crate::ids::uuid()[9..]),
                        }),
                    )
                })
                .collect();
            cluster.identity = Some(ManagedServiceIdentity {
                type_: Some("UserAssigned".into()),
                user_assigned_identities: Some(identities),
                ..Default::default()
            });
        } else {
            problems.push(invalid(
                "identity.userAssignedIdentities",
                format!(
                    "A managed cluster takes exactly one user-assigned identity; {} were given.",
                    given.len()
                ),
            ));
        }
    } else {
        problems.push(invalid(
            "identity.type",
            format!(
                "Identity type '{kind}' is not supported: use 'SystemAssigned' or 'UserAssigned'."
            ),
        ));
    }
    if let Some(identity) = &mut cluster.identity
        && identity.type_.as_deref() == Some("SystemAssigned")
    {
        identity.tenant_id = Some(TENANT.into());
    }
}

/// `agentPoolProfiles`: a create needs pools; each pool follows the agent pool rules; a
/// create's first pool is the System pool unless a mode says otherwise.
fn pools(
    cluster: &mut Cluster,
    creating: bool,
    wanted: Option<&[AgentPoolProfile]>,
    problems: &mut Vec<ErrorDetail>,
) {
    let wanted = wanted.unwrap_or_default();
    if creating && wanted.is_empty() {
        problems.push(invalid(
            "properties.agentPoolProfiles",
            "A managed cluster needs at least one agent pool (a System pool).".into(),
        ));
        return;
    }
    let first_is_system = creating
        && !wanted
            .iter()
            .any(|pool| pool.mode == Some(AgentPoolMode::System))
        && wanted.first().is_some_and(|pool| pool.mode.is_none());
    let mut seen = Vec::new();
    let mut planned: Vec<Pool> = if creating {
        Vec::new()
    } else {
        cluster.pools.clone()
    };
    for (index, profile) in wanted.iter().enumerate() {
        let at = format!("properties.agentPoolProfiles[{index}]");
        let Some(name) = profile.name.as_deref() else {
            problems.push(invalid(
                &format!("{at}.name"),
                format!("Agent pool {index} has no name."),
            ));
            continue;
        };
        if seen.contains(&key(name)) {
            problems.push(invalid(
                &format!("{at}.name"),
                format!("Agent pool name '{name}' appears more than once."),
            ));
            continue;
        }
        seen.push(key(name));
        let mut profile = profile.clone();
        if index == 0 && first_is_system {
            profile.mode = Some(AgentPoolMode::System);
        }
        let current = planned.iter().position(|pool| key(&pool.name) == key(name));
        let mut found = Vec::new();
        let mut pool = plan_pool(
            cluster,
            current.and_then(|index| planned.get(index)),
            name,
            &profile,
            &mut found,
        );
        // The pool's targets are relative to the pool; here they are under the cluster's.
        for mut detail in found {
            detail.target = detail.target.map(|target| match target.as_str() {
                "name" => format!("{at}.name"),
                _ => format!("{at}.{}", target.trim_start_matches("properties.")),
            });
            problems.push(detail);
        }
        pool.echo = profile
            .extra
            .into_iter()
            .filter(|(field, _)| !POOL_READ_ONLY.contains(&field.as_str()))
            .collect();
        pool.state = None;
        match current {
            Some(index) => planned[index] = pool,
            None => planned.push(pool),
        }
    }
    if !planned.is_empty()
        && !planned
            .iter()
            .any(|pool| pool.mode == AgentPoolMode::System)
    {
        problems.push(invalid(
            "properties.agentPoolProfiles",
            "A managed cluster needs at least one agent pool with mode 'System'; every pool \
             given is a 'User' pool."
                .into(),
        ));
    }
    cluster.pools = planned;
}

/// What the PUT sent that the emulator does not model, kept to echo (secrets removed).
fn echo(echo: &mut Echo, body: &ManagedCluster) {
    for (field, value) in &body.extra {
        if field != "systemData" {
            echo.resource.insert(field.clone(), value.clone());
        }
    }
    let Some(properties) = &body.properties else {
        return;
    };
    for (field, value) in &properties.extra {
        if READ_ONLY.contains(&field.as_str()) {
            continue;
        }
        let mut value = value.clone();
        if let Some(profile) = value.as_object_mut() {
            match field.as_str() {
                "windowsProfile" => drop(profile.remove("adminPassword")),
                "servicePrincipalProfile" => drop(profile.remove("secret")),
                _ => {}
            }
        }
        echo.properties.insert(field.clone(), value);
    }
    if let Some(network) = &properties.network_profile {
        for (field, value) in &network.extra {
            let mut value = value.clone();
            if field == "loadBalancerProfile"
                && let Some(profile) = value.as_object_mut()
            {
                profile.remove("effectiveOutboundIPs");
            }
            echo.network.insert(field.clone(), value);
        }
        for (field, value) in [
            ("networkPolicy", &network.network_policy),
            ("podCidr", &network.pod_cidr),
            ("serviceCidr", &network.service_cidr),
            ("dnsServiceIP", &network.dns_service_ip),
        ] {
            if let Some(value) = value {
                echo.cidrs
                    .insert(field.to_owned(), Value::from(value.clone()));
            }
        }
    }
    if let Some(access) = &properties.api_server_access_profile {
        for (field, value) in &access.extra {
            if field != "enablePrivateClusterPublicFQDN" {
                echo.access.insert(field.clone(), value.clone());
            }
        }
    }
    if let Some(disable) = properties.disable_local_accounts {
        echo.disable_local_accounts = Some(disable);
    }
}
