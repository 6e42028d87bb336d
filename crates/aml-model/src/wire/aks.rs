//! The AKS compute (swagger `AKS` + `AKSSchema`), its TLS and networking configuration, and the
//! secrets returned by `listKeys`.

use std::fmt;

use crate::secret::Kubeconfig;
use crate::wire::{
    ClusterPurpose, ComputeType, ErrorResponse, LoadBalancerType, ProvisioningState, RedactedJson,
    SslConfigStatus, redacted,
};

wire_object! {
    /// The properties of a compute of type `AKS`: the fields every compute type shares, and
    /// the AKS-specific ones in [`AksCompute::properties`].
    ///
    /// `computeType` itself is not a field: it is the tag of
    /// [`Compute::Aks`](crate::wire::Compute::Aks).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct AksCompute {
        /// The Azure region of the underlying cluster (create only).
        pub compute_location: Option<String> = "computeLocation",
        /// The provisioning state (read only).
        pub provisioning_state: Option<ProvisioningState> = "provisioningState",
        /// A free-text description.
        pub description: Option<String> = "description",
        /// When the compute was created (read only; RFC 3339 text as sent).
        pub created_on: Option<String> = "createdOn",
        /// When the compute was last modified (read only; RFC 3339 text as sent).
        pub modified_on: Option<String> = "modifiedOn",
        /// The ARM resource id of the AKS cluster (set to attach an existing cluster).
        pub resource_id: Option<String> = "resourceId",
        /// Errors from provisioning (read only).
        pub provisioning_errors: Option<Vec<ErrorResponse>> = "provisioningErrors",
        /// Whether the cluster was brought by the user (attached) rather than created by the
        /// service (read only).
        pub is_attached_compute: Option<bool> = "isAttachedCompute",
        /// Whether local (key) authentication is disabled (create only).
        pub disable_local_auth: Option<bool> = "disableLocalAuth",
        /// The AKS-specific properties.
        pub properties: Option<AksProperties> = "properties",
    }
}

wire_object! {
    /// The AKS-specific properties (`properties.properties` of an AKS compute).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct AksProperties {
        /// The cluster's fully qualified domain name.
        pub cluster_fqdn: Option<String> = "clusterFqdn",
        /// The system services running on the cluster (read only).
        pub system_services: Option<Vec<SystemService>> = "systemServices",
        /// The number of agent nodes.
        pub agent_count: Option<u32> = "agentCount",
        /// The agent VM size, such as `Standard_D3_v2`.
        pub agent_vm_size: Option<String> = "agentVmSize",
        /// The intended usage (service default `FastProd`).
        pub cluster_purpose: Option<ClusterPurpose> = "clusterPurpose",
        /// TLS for the scoring endpoint.
        pub ssl_configuration: Option<SslConfiguration> = "sslConfiguration",
        /// Virtual network settings.
        pub aks_networking_configuration: Option<AksNetworkingConfiguration> =
            "aksNetworkingConfiguration",
        /// The load balancer type (service default `PublicIp`).
        pub load_balancer_type: Option<LoadBalancerType> = "loadBalancerType",
        /// The subnet of an internal load balancer.
        pub load_balancer_subnet: Option<String> = "loadBalancerSubnet",
    }
}

wire_object! {
    /// TLS for the scoring endpoint (swagger `SslConfiguration`). `Debug` redacts `key`.
    #[derive(Clone, Default, PartialEq)]
    pub struct SslConfiguration {
        /// `Disabled`, `Enabled` or `Auto`.
        pub status: Option<SslConfigStatus> = "status",
        /// The PEM certificate (chain).
        pub cert: Option<String> = "cert",
        /// The PEM private key. Secret: `Debug` prints `[redacted]`.
        pub key: Option<String> = "key",
        /// The CNAME the certificate is for.
        pub cname: Option<String> = "cname",
        /// The leaf domain label of a Microsoft-issued certificate.
        pub leaf_domain_label: Option<String> = "leafDomainLabel",
        /// Whether to take over a leaf domain label already in use.
        pub overwrite_existing_domain: Option<bool> = "overwriteExistingDomain",
    }
}

impl fmt::Debug for SslConfiguration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SslConfiguration")
            .field("status", &self.status)
            .field("cert", &self.cert)
            .field("key", &redacted(self.key.as_ref()))
            .field("cname", &self.cname)
            .field("leaf_domain_label", &self.leaf_domain_label)
            .field("overwrite_existing_domain", &self.overwrite_existing_domain)
            .field("extra", &RedactedJson(&self.extra))
            .finish()
    }
}

wire_object! {
    /// Virtual network settings of an AKS compute (swagger `AksNetworkingConfiguration`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct AksNetworkingConfiguration {
        /// The ARM id of the subnet the nodes belong to.
        pub subnet_id: Option<String> = "subnetId",
        /// The CIDR range for Kubernetes service IPs.
        pub service_cidr: Option<String> = "serviceCidr",
        /// The IP of the Kubernetes DNS service, inside `serviceCidr`.
        pub dns_service_ip: Option<String> = "dnsServiceIP",
        /// The CIDR range of the Docker bridge network.
        pub docker_bridge_cidr: Option<String> = "dockerBridgeCidr",
    }
}

wire_object! {
    /// A system service running on a compute (read only).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct SystemService {
        /// The service type.
        pub system_service_type: Option<String> = "systemServiceType",
        /// Its public IP address.
        pub public_ip_address: Option<String> = "publicIpAddress",
        /// Its version.
        pub version: Option<String> = "version",
    }
}

wire_object! {
    /// The body of `listKeys` for an AKS compute (swagger `AksComputeSecrets`).
    ///
    /// The kubeconfigs are secrets ([`Kubeconfig`]): zeroized on drop, and `Debug` prints
    /// `[redacted]` for them; for the same reason the type is not `Clone`. `listKeys` on another
    /// compute type parses too: `compute_type` says which, and its fields land in `extra`.
    #[derive(Default, PartialEq)]
    pub struct AksComputeSecrets {
        /// The compute type (`AKS`).
        pub compute_type: Option<ComputeType> = "computeType",
        /// A kubeconfig with user rights on the cluster. Secret.
        pub user_kube_config: Option<Kubeconfig> = "userKubeConfig",
        /// A kubeconfig with admin rights on the cluster. Secret.
        pub admin_kube_config: Option<Kubeconfig> = "adminKubeConfig",
        /// The name of the image pull secret.
        pub image_pull_secret_name: Option<String> = "imagePullSecretName",
    }
}

impl fmt::Debug for AksComputeSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AksComputeSecrets")
            .field("compute_type", &self.compute_type)
            .field(
                "user_kube_config",
                &redacted(self.user_kube_config.as_ref()),
            )
            .field(
                "admin_kube_config",
                &redacted(self.admin_kube_config.as_ref()),
            )
            .field("image_pull_secret_name", &self.image_pull_secret_name)
            .field("extra", &RedactedJson(&self.extra))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::secret::REDACTED;

    /// An AKS compute as the service returns it, with every swagger field, nulls included.
    fn full_aks_properties() -> Value {
        json!({
            "computeLocation": "eastus",
            "provisioningState": "Failed",
            "description": null,
            "createdOn": "2021-04-01T22:00:00.0000000+00:00",
            "modifiedOn": "2021-04-01T22:05:00.0000000+00:00",
            "resourceId": "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1",
            "provisioningErrors": [
                {"error": {"code": "BadRequest", "message": "quota", "details": [], "additionalInfo": []}}
            ],
            "isAttachedCompute": false,
            "disableLocalAuth": true,
            "properties": {
                "clusterFqdn": "aks1-dns.hcp.eastus.azmk8s.io",
                "systemServices": [
                    {"systemServiceType": "ScoringFrontEnd", "publicIpAddress": "52.1.2.3", "version": "1.0"}
                ],
                "agentCount": 4,
                "agentVmSize": "Standard_D3_v2",
                "clusterPurpose": "DenseProd",
                "sslConfiguration": {
                    "status": "Enabled",
                    "cert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
                    "key": "-----BEGIN PRIVATE KEY-----\nSECRETKEYTEXT\n-----END PRIVATE KEY-----",
                    "cname": "www.contoso.com",
                    "leafDomainLabel": null,
                    "overwriteExistingDomain": false
                },
                "aksNetworkingConfiguration": {
                    "subnetId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/aks",
                    "serviceCidr": "10.0.0.0/16",
                    "dnsServiceIP": "10.0.0.10",
                    "dockerBridgeCidr": "172.17.0.1/16"
                },
                "loadBalancerType": "InternalLoadBalancer",
                "loadBalancerSubnet": "aks-lb"
            }
        })
    }

    #[test]
    fn every_swagger_field_is_typed() {
        let body = full_aks_properties();
        let aks: AksCompute = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(aks.compute_location.as_deref(), Some("eastus"));
        assert_eq!(aks.provisioning_state, Some(ProvisioningState::Failed));
        assert_eq!(aks.description, None);
        assert_eq!(aks.is_attached_compute, Some(false));
        assert_eq!(aks.disable_local_auth, Some(true));
        let errors = aks.provisioning_errors.as_ref().unwrap();
        assert_eq!(
            errors[0].error.as_ref().unwrap().code.as_deref(),
            Some("BadRequest")
        );

        let props = aks.properties.as_ref().unwrap();
        assert_eq!(props.agent_count, Some(4));
        assert_eq!(props.agent_vm_size.as_deref(), Some("Standard_D3_v2"));
        assert_eq!(props.cluster_purpose, Some(ClusterPurpose::DenseProd));
        assert_eq!(
            props.load_balancer_type,
            Some(LoadBalancerType::InternalLoadBalancer)
        );
        assert_eq!(props.load_balancer_subnet.as_deref(), Some("aks-lb"));
        let services = props.system_services.as_ref().unwrap();
        assert_eq!(services[0].public_ip_address.as_deref(), Some("52.1.2.3"));
        let ssl = props.ssl_configuration.as_ref().unwrap();
        assert_eq!(ssl.status, Some(SslConfigStatus::Enabled));
        assert_eq!(ssl.cname.as_deref(), Some("www.contoso.com"));
        assert_eq!(ssl.overwrite_existing_domain, Some(false));
        let net = props.aks_networking_configuration.as_ref().unwrap();
        assert_eq!(net.dns_service_ip.as_deref(), Some("10.0.0.10"));
        assert_eq!(net.docker_bridge_cidr.as_deref(), Some("172.17.0.1/16"));

        // Only the explicit nulls are left over: no field name was missed or misspelt.
        assert_eq!(
            aks.extra,
            json!({"description": null}).as_object().unwrap().clone()
        );
        assert!(props.extra.is_empty() && net.extra.is_empty() && services[0].extra.is_empty());
        assert_eq!(
            ssl.extra,
            json!({"leafDomainLabel": null})
                .as_object()
                .unwrap()
                .clone()
        );

        assert_eq!(serde_json::to_value(&aks).unwrap(), body);
    }

    #[test]
    fn dns_service_ip_uses_the_wire_casing() {
        let net = AksNetworkingConfiguration {
            dns_service_ip: Some("10.0.0.10".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&net).unwrap(),
            json!({"dnsServiceIP": "10.0.0.10"})
        );
        // A differently cased key is not the same field: it is kept, not guessed at.
        let odd: AksNetworkingConfiguration =
            serde_json::from_value(json!({"dnsServiceIp": "10.0.0.10"})).unwrap();
        assert_eq!(odd.dns_service_ip, None);
        assert_eq!(
            serde_json::to_value(&odd).unwrap(),
            json!({"dnsServiceIp": "10.0.0.10"})
        );
    }

    #[test]
    fn explicit_nulls_round_trip_and_a_set_field_replaces_them() {
        let body = json!({"agentCount": 3, "sslConfiguration": null, "loadBalancerSubnet": null});
        let mut props: AksProperties = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(props.ssl_configuration, None);
        assert_eq!(serde_json::to_value(&props).unwrap(), body);

        props.ssl_configuration = Some(SslConfiguration {
            status: Some(SslConfigStatus::Disabled),
            ..Default::default()
        });
        let text = serde_json::to_string(&props).unwrap();
        assert_eq!(text.matches("sslConfiguration").count(), 1, "{text}");
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"agentCount": 3, "sslConfiguration": {"status": "Disabled"},
                   "loadBalancerSubnet": null})
        );
    }

    #[test]
    fn unknown_fields_survive_at_every_level() {
        let body = json!({
            "provisioningState": "Succeeded",
            "futureTopLevel": {"a": [1, 2.5, -3]},
            "properties": {
                "agentCount": 3,
                "agentVMSize": "Standard_D3_v2",
                "sslConfiguration": {"status": "Auto", "renewalPolicy": "90d"},
                "futureNested": true
            }
        });
        let aks: AksCompute = serde_json::from_value(body.clone()).unwrap();
        assert!(aks.extra.contains_key("futureTopLevel"));
        let props = aks.properties.as_ref().unwrap();
        assert!(
            props.extra.contains_key("agentVMSize") && props.extra.contains_key("futureNested")
        );
        assert!(
            props
                .ssl_configuration
                .as_ref()
                .unwrap()
                .extra
                .contains_key("renewalPolicy")
        );
        assert_eq!(serde_json::to_value(&aks).unwrap(), body);
    }

    #[test]
    fn wrong_types_and_duplicate_keys_are_errors() {
        let err = serde_json::from_str::<AksProperties>(r#"{"agentCount": "three"}"#).unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
        assert!(serde_json::from_str::<AksProperties>(r#"{"agentCount": -1}"#).is_err());
        let err = serde_json::from_str::<AksProperties>(r#"{"agentCount": 1, "agentCount": 2}"#)
            .unwrap_err();
        assert!(
            err.to_string().contains("duplicate field `agentCount`"),
            "{err}"
        );
        assert!(serde_json::from_str::<AksProperties>("[]").is_err());
    }

    #[test]
    fn debug_redacts_the_tls_key() {
        let aks: AksCompute = serde_json::from_value(full_aks_properties()).unwrap();
        let shown = format!("{aks:?} {aks:#?}");
        assert!(!shown.contains("SECRETKEYTEXT"), "{shown}");
        assert!(shown.contains(&format!("key: Some({REDACTED})")), "{shown}");
        assert!(
            shown.contains("www.contoso.com"),
            "the rest is still shown: {shown}"
        );
    }

    #[test]
    fn list_keys_secrets_parse_and_debug_redacts_kubeconfigs() {
        let body = json!({
            "computeType": "AKS",
            "userKubeConfig": "apiVersion: v1\nusers:\n- user: {token: USERTOKEN}",
            "adminKubeConfig": "apiVersion: v1\nusers:\n- user: {token: ADMINTOKEN}",
            "imagePullSecretName": "pull-secret"
        });
        let secrets: AksComputeSecrets = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(secrets.compute_type, Some(ComputeType::Aks));
        assert!(
            secrets
                .user_kube_config
                .as_ref()
                .unwrap()
                .expose()
                .contains("USERTOKEN")
        );
        assert_eq!(serde_json::to_value(&secrets).unwrap(), body);

        let shown = format!("{secrets:?}");
        assert!(
            !shown.contains("USERTOKEN") && !shown.contains("ADMINTOKEN"),
            "{shown}"
        );
        assert!(shown.contains("pull-secret"), "{shown}");
        assert_eq!(shown.matches(REDACTED).count(), 2, "{shown}");
    }
}
