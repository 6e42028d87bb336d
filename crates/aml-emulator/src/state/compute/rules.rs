//! The service's synchronous rules for AKS computes (R7, R8, R11, R18, R21): pure checks that
//! collect every problem as an ARM error detail.

use std::str::FromStr;

use aml_model::ComputeName;
use aml_model::wire::{
    AksProperties, ClusterPurpose, ErrorDetail, LoadBalancerType, SslConfigStatus,
};

use super::Names;
use crate::arm_error::{ArmError, detail};

/// vCPUs a production cluster needs (R8).
const PRODUCTION_VCPUS: u32 = 12;
/// Nodes a production cluster needs (R8).
const PRODUCTION_NODES: u32 = 3;

/// 400 listing every problem found; `Ok` when there is none.
pub(super) fn rejected(problems: Vec<ErrorDetail>) -> Result<(), ArmError> {
    if problems.is_empty() {
        return Ok(());
    }
    let message = problems
        .iter()
        .filter_map(|problem| problem.message.as_deref())
        .collect::<Vec<_>>()
        .join(" ");
    let target = match problems.as_slice() {
        [only] => only.target.clone(),
        _ => None,
    };
    let mut error = ArmError::bad_request(message).with_details(problems);
    error.detail.target = target;
    Err(error)
}

fn problem(code: &str, target: &str, message: String) -> ErrorDetail {
    ErrorDetail {
        target: Some(target.to_owned()),
        ..detail(code, message)
    }
}

/// R8: production clusters need 12 vCPUs and 3 nodes; dev-test clusters one node. `vcpus` is
/// `None` when a VM size is not in the catalog (then only nodes are checked); `what` names the
/// nodes in messages.
pub(super) fn check_purpose(
    purpose: &ClusterPurpose,
    nodes: u32,
    vcpus: Option<u32>,
    what: &str,
) -> Vec<ErrorDetail> {
    const TARGET: &str = "properties.properties.clusterPurpose";
    let mut problems = Vec::new();
    match purpose {
        ClusterPurpose::FastProd | ClusterPurpose::DenseProd => {
            if let Some(vcpus) = vcpus.filter(|&vcpus| vcpus < PRODUCTION_VCPUS) {
                problems.push(problem(
                    "InsufficientCores",
                    TARGET,
                    format!(
                        "Cluster purpose '{purpose}' needs at least {PRODUCTION_VCPUS} vCPUs \
                         (node count x cores of the VM size); {what} has {vcpus}. Use more or \
                         larger nodes, or cluster purpose 'DevTest'."
                    ),
                ));
            }
            if nodes < PRODUCTION_NODES {
                problems.push(problem(
                    "InsufficientNodes",
                    TARGET,
                    format!(
                        "At least {PRODUCTION_NODES} machine(s) are required for cluster with \
                         purpose '{purpose}'. Available machine(s): {nodes}."
                    ),
                ));
            }
        }
        ClusterPurpose::DevTest => {
            if nodes == 0 {
                problems.push(problem(
                    "InsufficientNodes",
                    TARGET,
                    "At least 1 machine is required for cluster with purpose 'DevTest'. \
                     Available machine(s): 0."
                        .to_owned(),
                ));
            }
        }
        ClusterPurpose::Unknown(text) => problems.push(problem(
            "InvalidClusterPurpose",
            TARGET,
            format!("Cluster purpose '{text}' is not one of FastProd, DenseProd, DevTest."),
        )),
    }
    problems
}

/// Whether TLS termination is on.
fn tls_on(settings: &AksProperties) -> bool {
    settings
        .ssl_configuration
        .as_ref()
        .and_then(|ssl| ssl.status.as_ref())
        .is_some_and(|status| matches!(status, SslConfigStatus::Enabled | SslConfigStatus::Auto))
}

/// R18 (no TLS with an internal load balancer), complete TLS settings, complete custom network
/// settings (R21).
pub(super) fn check_settings(settings: &AksProperties) -> Vec<ErrorDetail> {
    let mut problems = Vec::new();
    let internal = settings.load_balancer_type == Some(LoadBalancerType::InternalLoadBalancer);
    if tls_on(settings) && internal {
        problems.push(problem(
            "TlsNotSupportedWithInternalLoadBalancer",
            "properties.properties.sslConfiguration",
            "TLS termination is not supported with an internal load balancer \
             (loadBalancerType 'InternalLoadBalancer'); turn sslConfiguration off or use \
             loadBalancerType 'PublicIp'."
                .to_owned(),
        ));
    }
    if let Some(ssl) = &settings.ssl_configuration
        && ssl.status == Some(SslConfigStatus::Enabled)
        && ssl.leaf_domain_label.is_none()
        && (ssl.cert.is_none() || ssl.key.is_none() || ssl.cname.is_none())
    {
        problems.push(problem(
            "InvalidSslConfiguration",
            "properties.properties.sslConfiguration",
            "sslConfiguration with status 'Enabled' needs a leafDomainLabel, or cert, key and \
             cname together."
                .to_owned(),
        ));
    }
    if let Some(network) = &settings.aks_networking_configuration
        && (network.subnet_id.is_none()
            || network.service_cidr.is_none()
            || network.dns_service_ip.is_none()
            || network.docker_bridge_cidr.is_none())
    {
        problems.push(problem(
            "InvalidNetworkConfiguration",
            "properties.properties.aksNetworkingConfiguration",
            "aksNetworkingConfiguration needs subnetId, serviceCidr, dnsServiceIP and \
             dockerBridgeCidr together."
                .to_owned(),
        ));
    }
    problems
}

/// R7 as the service checks it.
pub(super) fn check_name(name: &str) -> Result<(), ArmError> {
    match ComputeName::from_str(name) {
        Err(invalid) => Err(ArmError::bad_request(format!(
            "The {invalid}. A compute name can include letters, digits and dashes; it must \
             start with a letter, end with a letter or digit, and be between 3 and 24 \
             characters in length."
        ))
        .with_target("computeName")),
        Ok(valid) if valid.is_reserved() => Err(ArmError::bad_request(format!(
            "Compute name '{name}' is reserved by the service; choose another name."
        ))
        .with_target("computeName")),
        Ok(_) => Ok(()),
    }
}

/// R11, a create on a taken name: 409 whatever the rest of the body says.
///
/// The guide: creating is not idempotent, through the SDK, the CLI, the studio and ARM
/// templates alike; creating again fails with "already exists", and so does re-deploying a
/// template that creates. A create is a body without `properties.resourceId`. An update always
/// carries it: it is the body of a GET (the service reports the cluster of a created compute
/// too), modified, which is how the Python SDK v1 (`AksCompute._build_update_payload`) and this
/// library's `update_body` build it, and how the swagger's "Update an AKS Compute" example
/// (`examples/Compute/createOrUpdate/AKSCompute.json`) sends it.
///
/// Status: the swagger documents only 200, 201 and a `default` `ErrorResponse` for
/// `Compute_CreateOrUpdate`, and the guide gives the message, not the status. 409 `Conflict` is
/// the status HTTP and ARM give a request that conflicts with the resource's current state; the
/// real status is not documented anywhere we could read.
pub(super) fn created_again(names: &Names, name: &str) -> ArmError {
    ArmError::conflict(format!(
        "Compute '{name}' already exists in workspace '{}'. Creating a compute is not \
         idempotent: delete or detach the existing compute first, or choose another name. To \
         update it, PUT the compute as GET returns it, with its properties.resourceId, changing \
         only agentCount, sslConfiguration, loadBalancerType, loadBalancerSubnet, description or \
         tags.",
        names.workspace
    ))
    .with_target("properties.resourceId")
}

/// R11: 409 naming what differs.
pub(super) fn already_exists(names: &Names, name: &str, differences: &[String]) -> ArmError {
    ArmError::conflict(format!(
        "Compute '{name}' already exists in workspace '{}' with different settings: {}. Creating a \
         compute is not idempotent: delete or detach the existing compute first, or choose \
         another name. Only agentCount, sslConfiguration, loadBalancerType, loadBalancerSubnet, \
         description and tags can be updated.",
        names.workspace,
        differences.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(problems: &[ErrorDetail]) -> Vec<&str> {
        problems
            .iter()
            .map(|problem| problem.code.as_deref().unwrap_or_default())
            .collect()
    }

    #[test]
    fn production_needs_cores_and_nodes() {
        let prod = ClusterPurpose::FastProd;
        assert!(check_purpose(&prod, 3, Some(12), "x").is_empty());
        assert_eq!(
            codes(&check_purpose(&prod, 2, Some(8), "x")),
            ["InsufficientCores", "InsufficientNodes"]
        );
        // An unknown VM size is not counted: only the nodes are checked.
        assert!(check_purpose(&ClusterPurpose::DenseProd, 3, None, "x").is_empty());
        assert!(check_purpose(&ClusterPurpose::DevTest, 1, Some(2), "x").is_empty());
        assert_eq!(
            codes(&check_purpose(&ClusterPurpose::DevTest, 0, Some(0), "x")),
            ["InsufficientNodes"]
        );
        assert_eq!(
            codes(&check_purpose(
                &ClusterPurpose::parse("Big"),
                9,
                Some(99),
                "x"
            )),
            ["InvalidClusterPurpose"]
        );
    }

    #[test]
    fn tls_needs_a_public_load_balancer_and_complete_material() {
        let mut settings: AksProperties = serde_json::from_value(serde_json::json!({
            "sslConfiguration": {"status": "Enabled", "leafDomainLabel": "app"},
            "loadBalancerType": "InternalLoadBalancer"
        }))
        .unwrap();
        assert_eq!(
            codes(&check_settings(&settings)),
            ["TlsNotSupportedWithInternalLoadBalancer"]
        );
        settings.load_balancer_type = Some(LoadBalancerType::PublicIp);
        assert!(check_settings(&settings).is_empty());
        if let Some(ssl) = &mut settings.ssl_configuration {
            ssl.leaf_domain_label = None;
            ssl.cert = Some("c".into());
        }
        assert_eq!(
            codes(&check_settings(&settings)),
            ["InvalidSslConfiguration"]
        );
    }

    #[test]
    fn one_problem_names_its_target_and_several_are_all_listed() {
        let one = rejected(vec![problem("A", "t", "first.".into())]).unwrap_err();
        assert_eq!(one.detail.target.as_deref(), Some("t"));
        let two = rejected(vec![
            problem("A", "t", "first.".into()),
            problem("B", "u", "second.".into()),
        ])
        .unwrap_err();
        assert_eq!(two.detail.target, None);
        assert_eq!(two.detail.message.as_deref(), Some("first. second."));
        assert_eq!(two.detail.details.as_ref().map(Vec::len), Some(2));
        assert!(rejected(Vec::new()).is_ok());
    }

    #[test]
    fn names_follow_r7_and_reserved_ones_are_refused() {
        assert!(check_name("web-1").is_ok());
        assert!(check_name("1web").is_err());
        let reserved = check_name("LOCAL").unwrap_err();
        assert!(reserved.detail.message.unwrap().contains("reserved"));
    }
}
