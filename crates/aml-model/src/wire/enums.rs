//! Open enums of the wire models (the swagger's `modelAsString` enums).

open_enum! {
    /// The type of a Machine Learning compute (`computeType`, swagger `ComputeType`).
    pub enum ComputeType {
        /// An Azure Kubernetes Service cluster used as an inference target.
        Aks = "AKS",
        /// A Kubernetes cluster attached through the Azure ML extension (Arc or AKS).
        Kubernetes = "Kubernetes",
        /// An Azure ML compute cluster.
        AmlCompute = "AmlCompute",
        /// An Azure ML compute instance.
        ComputeInstance = "ComputeInstance",
        /// An Azure Data Factory.
        DataFactory = "DataFactory",
        /// A virtual machine.
        VirtualMachine = "VirtualMachine",
        /// An HDInsight cluster.
        HdInsight = "HDInsight",
        /// A Databricks workspace.
        Databricks = "Databricks",
        /// A Data Lake Analytics account.
        DataLakeAnalytics = "DataLakeAnalytics",
        /// A Synapse Spark pool.
        SynapseSpark = "SynapseSpark",
    }
}

open_enum! {
    /// The provisioning state of a compute (swagger `ProvisioningState`).
    ///
    /// The service's own value `"Unknown"` reads as `Unknown("Unknown")`: it is, literally, a
    /// state nobody knows.
    pub enum ProvisioningState {
        /// The compute is being updated.
        Updating = "Updating",
        /// The compute is being created.
        Creating = "Creating",
        /// The compute is being deleted.
        Deleting = "Deleting",
        /// The last operation succeeded.
        Succeeded = "Succeeded",
        /// The last operation failed; `provisioningErrors` says why.
        Failed = "Failed",
        /// The last operation was canceled.
        Canceled = "Canceled",
    }
}

impl ProvisioningState {
    /// Whether no operation is in progress (`Succeeded`, `Failed` or `Canceled`).
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }
}

open_enum! {
    /// The intended usage of an AKS cluster (swagger `ClusterPurpose`; the service default is
    /// `FastProd`).
    pub enum ClusterPurpose {
        /// Production: at least 12 vCPUs in total.
        FastProd = "FastProd",
        /// Production, densely packed.
        DenseProd = "DenseProd",
        /// Development and test: a single node is allowed.
        DevTest = "DevTest",
    }
}

impl ClusterPurpose {
    /// Whether the production minimums apply (R8): `FastProd` and `DenseProd`. Neither
    /// `DevTest` nor an `Unknown` purpose is production.
    pub fn is_production(&self) -> bool {
        matches!(self, Self::FastProd | Self::DenseProd)
    }
}

/// `FastProd`, the service's default.
impl Default for ClusterPurpose {
    fn default() -> Self {
        Self::FastProd
    }
}

open_enum! {
    /// The load balancer in front of the scoring endpoint (swagger `LoadBalancerType`; the
    /// service default is `PublicIp`).
    pub enum LoadBalancerType {
        /// A public IP address.
        PublicIp = "PublicIp",
        /// An internal load balancer in the cluster's virtual network.
        InternalLoadBalancer = "InternalLoadBalancer",
    }
}

impl LoadBalancerType {
    /// Whether this is `InternalLoadBalancer`.
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::InternalLoadBalancer)
    }
}

/// `PublicIp`, the service's default.
impl Default for LoadBalancerType {
    fn default() -> Self {
        Self::PublicIp
    }
}

open_enum! {
    /// Whether TLS is enabled for scoring (swagger `SslConfigStatus`).
    pub enum SslConfigStatus {
        /// TLS off.
        Disabled = "Disabled",
        /// TLS on, with a certificate the caller supplies or a Microsoft leaf domain label.
        Enabled = "Enabled",
        /// TLS on, managed by the service.
        Auto = "Auto",
    }
}

open_enum! {
    /// The SKU of an AKS cluster's load balancer (ContainerService `LoadBalancerSku`, spelled in
    /// lower case on the wire).
    pub enum LoadBalancerSku {
        /// Standard load balancer.
        Standard = "standard",
        /// Basic load balancer.
        Basic = "basic",
    }
}

open_enum! {
    /// How an AKS cluster's traffic leaves it (ContainerService `outboundType`, R16).
    pub enum OutboundType {
        /// Through the cluster's Standard load balancer (the default).
        LoadBalancer = "loadBalancer",
        /// Through the routes of the subnet's route table (a firewall, for example); the
        /// cluster needs a subnet of its own whose route table sends egress somewhere.
        UserDefinedRouting = "userDefinedRouting",
        /// Through a NAT gateway AKS manages.
        ManagedNatGateway = "managedNATGateway",
        /// Through a NAT gateway the user brings, associated with the subnet.
        UserAssignedNatGateway = "userAssignedNATGateway",
    }
}

open_enum! {
    /// The mode of an AKS agent pool (ContainerService `AgentPoolMode`).
    pub enum AgentPoolMode {
        /// Runs critical system pods; every cluster has at least one.
        System = "System",
        /// Runs application pods.
        User = "User",
    }
}

open_enum! {
    /// The operating system of an AKS agent pool (ContainerService `OSType`).
    pub enum OsType {
        /// Linux nodes.
        Linux = "Linux",
        /// Windows nodes.
        Windows = "Windows",
    }
}

open_enum! {
    /// The support tier of a Kubernetes version (ContainerService `KubernetesSupportPlan`).
    pub enum KubernetesSupportPlan {
        /// Community support, about one year after release.
        KubernetesOfficial = "KubernetesOfficial",
        /// AKS long-term support, one more year.
        AksLongTermSupport = "AKSLongTermSupport",
    }
}

open_enum! {
    /// The `status` of an ARM asynchronous operation (`Azure-AsyncOperation` body).
    ///
    /// ARM defines `Succeeded`, `Failed` and `Canceled` as terminal; anything else means the
    /// operation is still running. The British spelling `Cancelled` reads as `Canceled`.
    pub enum OperationStatus {
        /// Still running (some services say `Running`, `Accepted`, ...: those read as `Unknown`,
        /// which is equally non-terminal).
        InProgress = "InProgress",
        /// Finished successfully.
        Succeeded = "Succeeded",
        /// Finished with an error; the body's `error` says why.
        Failed = "Failed",
        /// Canceled before it finished.
        Canceled = "Canceled" | "Cancelled",
    }
}

impl OperationStatus {
    /// Whether the operation has finished (`Succeeded`, `Failed` or `Canceled`).
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_match_ignoring_case_and_serialize_canonically() {
        for text in ["AKS", "aks", "Aks"] {
            assert_eq!(ComputeType::parse(text), ComputeType::Aks);
            assert_eq!(
                serde_json::to_string(&ComputeType::parse(text)).unwrap(),
                r#""AKS""#
            );
        }
        let parsed: ClusterPurpose = serde_json::from_str(r#""devtest""#).unwrap();
        assert_eq!(parsed, ClusterPurpose::DevTest);
        assert_eq!(parsed.to_string(), "DevTest");
        let sku: LoadBalancerSku = serde_json::from_str(r#""Standard""#).unwrap();
        assert_eq!(sku, LoadBalancerSku::Standard);
        assert_eq!(serde_json::to_value(&sku).unwrap(), "standard");
        assert_eq!(
            "internalloadbalancer".parse(),
            Ok(LoadBalancerType::InternalLoadBalancer)
        );
    }

    #[test]
    fn unknown_values_are_kept_verbatim() {
        let parsed: SslConfigStatus = serde_json::from_str(r#""SomethingNew""#).unwrap();
        assert_eq!(parsed, SslConfigStatus::Unknown("SomethingNew".into()));
        assert_eq!(serde_json::to_string(&parsed).unwrap(), r#""SomethingNew""#);
        // The service's own "Unknown" provisioning state keeps its spelling too.
        let state: ProvisioningState = serde_json::from_str(r#""Unknown""#).unwrap();
        assert_eq!(state, ProvisioningState::Unknown("Unknown".into()));
        assert!(!state.is_terminal());
        assert!(serde_json::from_str::<ComputeType>("3").is_err());
    }

    #[test]
    fn operation_status_terminal_states() {
        assert!(OperationStatus::parse("succeeded").is_terminal());
        assert!(OperationStatus::parse("Failed").is_terminal());
        assert_eq!(
            OperationStatus::parse("Cancelled"),
            OperationStatus::Canceled
        );
        assert!(OperationStatus::parse("Cancelled").is_terminal());
        assert!(!OperationStatus::parse("InProgress").is_terminal());
        assert!(!OperationStatus::parse("Running").is_terminal());
        assert!(ProvisioningState::Failed.is_terminal());
        assert!(!ProvisioningState::Creating.is_terminal());
    }
}
