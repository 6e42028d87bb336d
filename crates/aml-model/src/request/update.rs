//! The body of the GET-modify-PUT update.

use serde_json::{Map, Value};

use super::body::{insert_load_balancer, ssl_body};
use crate::Rule;
use crate::config::{AksUpdateConfiguration, LoadBalancer, TlsConfig};
use crate::resource_id::ComputeId;
use crate::wire::{ComputeType, LoadBalancerType, SslConfigStatus};

const READ_ONLY_COMPUTE_FIELDS: [&str; 5] = [
    "provisioningState",
    "createdOn",
    "modifiedOn",
    "provisioningErrors",
    "isAttachedCompute",
];

/// Applies `update` to the compute body `current` (as GET returned it).
///
/// The body keeps the compute's `resourceId` (an update of an existing name always carries it;
/// a body without it is a create, which the service refuses with "already exists") and every
/// field this crate does not know; read-only fields are dropped. `sslConfiguration` is sent only
/// when the update sets TLS; otherwise it is left out and the service keeps the current one.
pub fn update_body(
    id: &ComputeId,
    current: &Value,
    update: &AksUpdateConfiguration,
) -> crate::Result<Value> {
    let broken = |rule: Option<Rule>, reason: String| crate::Error::Update {
        compute: id.name().to_string(),
        reason,
        rule,
    };
    let fail = |reason: String| broken(None, reason);
    let mut body = current.clone();
    let Some(root) = body.as_object_mut() else {
        return Err(fail(
            "the service returned a compute that is not a JSON object".into(),
        ));
    };
    root.remove("systemData");
    let Some(compute) = root.get_mut("properties").and_then(Value::as_object_mut) else {
        return Err(fail(
            "the compute has no properties; GET it again and retry".into(),
        ));
    };
    let kind = compute
        .get("computeType")
        .and_then(Value::as_str)
        .unwrap_or("");
    if ComputeType::parse(kind) != ComputeType::Aks {
        return Err(fail(format!(
            "it is of type {kind:?}; only AKS computes take this update"
        )));
    }
    for f in READ_ONLY_COMPUTE_FIELDS {
        compute.remove(f);
    }
    let props = compute
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if props.is_null() {
        *props = Value::Object(Map::new());
    }
    let Some(props) = props.as_object_mut() else {
        return Err(fail("its AKS properties are not a JSON object".into()));
    };
    props.remove("systemServices");
    let current_ssl = props.get("sslConfiguration").cloned();
    let current_ssl_on = current_ssl
        .as_ref()
        .and_then(|s| s.get("status"))
        .and_then(Value::as_str)
        .is_some_and(|s| SslConfigStatus::parse(s) != SslConfigStatus::Disabled);
    let current_internal = props
        .get("loadBalancerType")
        .and_then(Value::as_str)
        .is_some_and(|t| LoadBalancerType::parse(t).is_internal());
    let ssl_on = update.tls().map_or(current_ssl_on, TlsConfig::is_enabled);
    let internal = update
        .load_balancer()
        .map_or(current_internal, LoadBalancer::is_internal);
    if ssl_on && internal {
        return Err(broken(
            Some(Rule::TlsInternalLoadBalancer),
            "TLS termination is not supported with an internal load balancer; disable TLS in the same update, or keep the public IP".into(),
        ));
    }
    if let Some(tls) = update.tls() {
        if let TlsConfig::Renew { leaf_domain_label } = tls {
            check_renew(leaf_domain_label.as_deref(), current_ssl.as_ref())
                .map_err(|reason| broken(Some(Rule::TlsRenewNeedsAuto), reason))?;
        }
        props.insert(
            "sslConfiguration".into(),
            ssl_body(tls, current_ssl.as_ref()),
        );
    } else {
        // TLS does not change: leave the block out and the service keeps the current one. The
        // GET's block has no key, so sending it back would ask for a certificate without its
        // key. The Python SDK v1 leaves it out too.
        props.remove("sslConfiguration");
    }
    if let Some(lb) = update.load_balancer() {
        props.remove("loadBalancerSubnet");
        insert_load_balancer(props, lb);
    }
    Ok(body)
}

/// Why a renewal with `label` cannot apply to the `current` TLS configuration, if it cannot:
/// renewing needs a Microsoft-issued (`Auto`) certificate and a leaf domain label.
fn check_renew(label: Option<&str>, current: Option<&Value>) -> Result<(), String> {
    let status = current
        .and_then(|s| s.get("status"))
        .and_then(Value::as_str)
        .unwrap_or("Disabled");
    if SslConfigStatus::parse(status) != SslConfigStatus::Auto {
        return Err(format!(
            "renewing applies to a Microsoft-issued (Auto) certificate, and this compute's TLS status is {status}; give a leaf domain label or a custom certificate instead"
        ));
    }
    let has_label = label.is_some()
        || current
            .and_then(|s| s.get("leafDomainLabel"))
            .and_then(Value::as_str)
            .is_some_and(|l| !l.is_empty());
    if has_label {
        Ok(())
    } else {
        Err("the current TLS configuration has no leaf domain label to renew; give one".into())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::{LoadBalancerSettings, TlsSettings};
    use crate::resource_id::WorkspaceId;
    use crate::secret::PrivateKeyPem;

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
    const CLUSTER: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/Microsoft.ContainerService/managedClusters/web-12345-0123456789abc";

    fn id() -> ComputeId {
        let workspace: WorkspaceId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
            .parse()
            .unwrap();
        ComputeId::new(workspace, "web".parse().unwrap())
    }

    /// A GET of a compute with TLS on: the service never shows the key.
    fn current(ssl: &Value) -> Value {
        json!({
            "id": id().to_string(),
            "name": "web",
            "location": "eastus",
            "properties": {
                "computeType": "AKS",
                "computeLocation": "eastus",
                "resourceId": CLUSTER,
                "provisioningState": "Succeeded",
                "isAttachedCompute": false,
                "properties": {
                    "agentCount": 3,
                    "agentVmSize": "Standard_D3_v2",
                    "clusterPurpose": "FastProd",
                    "loadBalancerType": "PublicIp",
                    "sslConfiguration": ssl,
                }
            }
        })
    }

    fn update(builder: crate::config::AksUpdateBuilder, current: &Value) -> Value {
        update_body(&id(), current, &builder.build().unwrap()).unwrap()
    }

    fn custom_tls() -> Value {
        json!({"status": "Enabled", "cert": CERT, "cname": "www.contoso.com"})
    }

    #[test]
    fn an_update_that_leaves_tls_alone_sends_no_ssl_configuration() {
        let body = update(
            AksUpdateConfiguration::builder().load_balancer(LoadBalancerSettings::public()),
            &current(&custom_tls()),
        );
        let settings = &body["properties"]["properties"];
        assert!(settings.get("sslConfiguration").is_none(), "{body}");
        assert_eq!(settings["loadBalancerType"], "PublicIp");
        // Still an update, not a create: the cluster is named.
        assert_eq!(body["properties"]["resourceId"], CLUSTER);
        assert!(body["properties"].get("provisioningState").is_none());
    }

    #[test]
    fn an_update_that_sets_tls_sends_the_whole_block_with_its_key() {
        let tls = TlsSettings::custom(CERT, PrivateKeyPem::new(KEY), "api.contoso.com");
        let body = update(
            AksUpdateConfiguration::builder().ssl(tls),
            &current(&custom_tls()),
        );
        let ssl = &body["properties"]["properties"]["sslConfiguration"];
        assert_eq!(
            ssl,
            &json!({"status": "Enabled", "cert": CERT, "key": KEY, "cname": "api.contoso.com"})
        );

        let body = update(
            AksUpdateConfiguration::builder().ssl(TlsSettings::microsoft("contoso", false)),
            &current(&custom_tls()),
        );
        assert_eq!(
            body["properties"]["properties"]["sslConfiguration"],
            json!({"status": "Auto", "leafDomainLabel": "contoso", "overwriteExistingDomain": false})
        );
    }

    #[test]
    fn renewing_sends_the_current_label_and_domain_with_the_renew_flag() {
        let auto = json!({
            "status": "Auto",
            "leafDomainLabel": "contoso",
            "overwriteExistingDomain": false,
            "cname": "contosoab12cd.eastus.cloudapp.azure.com",
        });
        let body = update(
            AksUpdateConfiguration::builder().ssl(TlsSettings::renew()),
            &current(&auto),
        );
        assert_eq!(
            body["properties"]["properties"]["sslConfiguration"],
            json!({
                "status": "Auto",
                "leafDomainLabel": "contoso",
                "overwriteExistingDomain": true,
                "renew": true,
                "cname": "contosoab12cd.eastus.cloudapp.azure.com",
            })
        );

        // Another label is a new domain: the current cname is not sent.
        let mut other = TlsSettings::renew();
        other.leaf_domain_label = Some("fabrikam".into());
        let body = update(
            AksUpdateConfiguration::builder().ssl(other),
            &current(&auto),
        );
        let ssl = &body["properties"]["properties"]["sslConfiguration"];
        assert_eq!(ssl["leafDomainLabel"], "fabrikam");
        assert_eq!(ssl["renew"], true);
        assert!(ssl.get("cname").is_none(), "{ssl}");
    }
}
