//! The command line, as clap types.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde::{Deserialize, Serialize};

use crate::exit::EXIT_CODES_HELP;
use crate::output::Format;

/// Manage Azure Machine Learning inference computes on AKS over Azure Resource Manager:
/// create, attach, update, scale, re-attach, detach and delete them (and the clusters they
/// created), or apply a directory of specs to many workspaces at once.
#[derive(Debug, Parser)]
#[command(name = "aml", version, after_help = EXIT_CODES_HELP, propagate_version = true)]
pub struct Cli {
    /// Global options.
    #[command(flatten)]
    pub(crate) global: Global,
    /// The command.
    #[command(subcommand)]
    pub(crate) command: Command,
}

impl Cli {
    /// Whether `--output json` was given: a failure is then printed as the JSON of
    /// [`Failure::to_json`](crate::Failure::to_json).
    pub fn json(&self) -> bool {
        self.global.output == Format::Json
    }

    /// Whether `--stats` (hidden, for benchmarks) was given: the binary prints its peak
    /// memory at exit.
    pub fn stats(&self) -> bool {
        self.global.stats
    }
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// Output format: human tables, or one JSON document (stable field names).
    #[arg(long, short, global = true, value_enum, default_value_t = Format::Table)]
    pub(crate) output: Format,
    /// The cloud, for both the credential and ARM: AzureCloud, AzureChinaCloud,
    /// AzureUSGovernment (or public, china, usgov), or custom. Default: the Azure CLI's active
    /// cloud, else AzureCloud.
    #[arg(long, global = true, env = "AZURE_CLOUD", value_name = "NAME")]
    pub(crate) cloud: Option<String>,
    /// A custom cloud's Resource Manager endpoint (with --cloud custom).
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) resource_manager: Option<String>,
    /// A custom cloud's Entra ID authority host (with --cloud custom).
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) authority_host: Option<String>,
    /// A custom cloud's token audience (with --cloud custom).
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) audience: Option<String>,
    /// Testing: send requests to an emulator on this machine (loopback only) with the static
    /// token of AML_EMULATOR_TOKEN (default "emulator"), asked for the cloud's scope.
    #[arg(long, global = true, env = "AML_ENDPOINT", value_name = "URL")]
    pub(crate) endpoint: Option<String>,
    /// The workspace's subscription.
    #[arg(long, global = true, env = "AML_SUBSCRIPTION_ID", value_name = "ID")]
    pub(crate) subscription: Option<String>,
    /// The workspace's resource group.
    #[arg(long, global = true, env = "AML_RESOURCE_GROUP", value_name = "NAME")]
    pub(crate) resource_group: Option<String>,
    /// The workspace's name.
    #[arg(long, global = true, env = "AML_WORKSPACE_NAME", value_name = "NAME")]
    pub(crate) workspace: Option<String>,
    /// The workspace's config.json, or the folder to search from (as the Python SDK's
    /// Workspace.from_config does: .azureml/, aml_config/, then the folder, each up to the
    /// root). Default: the current folder.
    #[arg(long, global = true, env = "AML_CONFIG", value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    /// Stop waiting for a long-running operation after this long (like 500ms, 90s, 10m, 1h;
    /// default: wait for as long as the service reports progress). Waiting that stops exits 6
    /// with a token for `aml wait`; the operation goes on.
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) timeout: Option<Duration>,
    /// Print no progress.
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
    /// For benchmarks: one `stats: peak_rss_kib=N` line on standard error at exit.
    #[arg(long, global = true, hide = true)]
    pub(crate) stats: bool,
}

/// A duration: a whole number with `ms`, `s`, `m` or `h` (seconds without a unit).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let bad =
        || format!("{text:?} is not a duration; write a whole number with ms, s, m or h, like 90s");
    let n: u64 = number.parse().map_err(|_| bad())?;
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" => n.checked_mul(60).map(Duration::from_secs).ok_or_else(bad),
        "h" => n.checked_mul(3600).map(Duration::from_secs).ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// TLS termination flags shared by create, attach, update and reattach. Serialized (in a
/// `create-cluster` resume token) as the files' paths, never their contents.
#[derive(Debug, Args, Default, Clone, Serialize, Deserialize)]
pub(crate) struct TlsArgs {
    /// TLS with a Microsoft-issued certificate for this leaf domain label.
    #[arg(long, value_name = "LABEL", conflicts_with_all = ["cert_file", "key_file"])]
    pub(crate) leaf_domain_label: Option<String>,
    /// With --leaf-domain-label: replace an existing domain of that label.
    #[arg(long)]
    pub(crate) overwrite_existing_domain: bool,
    /// TLS with a custom certificate (PEM; with --key-file and --cname).
    #[arg(long, value_name = "FILE", requires_all = ["key_file", "cname"])]
    pub(crate) cert_file: Option<PathBuf>,
    /// The custom certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert_file")]
    pub(crate) key_file: Option<PathBuf>,
    /// The name the custom certificate is for.
    #[arg(long, value_name = "NAME")]
    pub(crate) cname: Option<String>,
}

/// Load balancer flags.
#[derive(Debug, Args, Default, Clone, Serialize, Deserialize)]
pub(crate) struct LoadBalancerArgs {
    /// PublicIp or InternalLoadBalancer.
    #[arg(long, value_name = "TYPE")]
    pub(crate) load_balancer_type: Option<String>,
    /// The subnet of an internal load balancer.
    #[arg(long, value_name = "SUBNET")]
    pub(crate) load_balancer_subnet: Option<String>,
}

/// Flags of the commands that start an operation.
#[derive(Debug, Args, Default, Clone, Copy)]
pub(crate) struct RunArgs {
    /// Print the plan (every read, check and request, secrets redacted) and send nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Start the operation, print its resume token and return; `aml wait TOKEN` resumes.
    #[arg(long, conflicts_with = "dry_run")]
    pub(crate) no_wait: bool,
}

/// The flags of `create-cluster`, mirroring a spec's `create_cluster:` section. Serialized
/// (without `run`) in its resume token, so that `aml wait` makes the same plan again.
#[derive(Debug, Args, Clone, Serialize, Deserialize)]
pub(crate) struct CreateClusterArgs {
    /// The compute's name.
    pub(crate) name: String,
    /// The resource group of the cluster to create, in the workspace's subscription.
    #[arg(long, value_name = "NAME")]
    pub(crate) cluster_resource_group: String,
    /// The name of the cluster to create.
    #[arg(long, value_name = "NAME")]
    pub(crate) cluster_name: String,
    /// The cluster's region, like eastus.
    #[arg(long, value_name = "REGION")]
    pub(crate) location: String,
    /// Kubernetes version, MAJOR.MINOR[.PATCH] (default: the region's).
    #[arg(long, value_name = "VERSION")]
    pub(crate) kubernetes_version: Option<String>,
    /// DNS prefix of the API server (default: from the cluster's name).
    #[arg(long, value_name = "PREFIX")]
    pub(crate) dns_prefix: Option<String>,
    /// The system pool's VM size (default Standard_D3_v2).
    #[arg(long, value_name = "SIZE")]
    pub(crate) system_pool_vm_size: Option<String>,
    /// The system pool's node count (default 3).
    #[arg(long, value_name = "N")]
    pub(crate) system_pool_count: Option<u32>,
    /// A GPU or FPGA pool created with the cluster, where Azure ML deploys: its VM size.
    #[arg(long, value_name = "SIZE")]
    pub(crate) accelerator_vm_size: Option<String>,
    /// The accelerator pool's node count (default 3).
    #[arg(long, value_name = "N", requires = "accelerator_vm_size")]
    pub(crate) accelerator_count: Option<u32>,
    /// Load balancer SKU: standard (default; basic is refused).
    #[arg(long, value_name = "SKU")]
    pub(crate) load_balancer_sku: Option<String>,
    /// A private API server (Private Link).
    #[arg(long)]
    pub(crate) private: bool,
    /// An authorized API-server IP range (IPv4 address or CIDR); repeat for several.
    #[arg(long = "authorized-ip-range", value_name = "CIDR")]
    pub(crate) authorized_ip_ranges: Vec<String>,
    /// Add the Azure ML control plane's prefixes (of the workspace's region and its pair)
    /// that the ranges miss, instead of refusing.
    #[arg(long)]
    pub(crate) admit_control_plane: bool,
    /// loadBalancer (default) or userDefinedRouting (needs --subnet-id).
    #[arg(long, value_name = "TYPE")]
    pub(crate) outbound_type: Option<String>,
    /// The nodes' subnet (its full resource id).
    #[arg(long, value_name = "ID")]
    pub(crate) subnet_id: Option<String>,
    /// A user-assigned identity's resource id (default: a system-assigned identity).
    #[arg(long, value_name = "ID")]
    pub(crate) user_assigned_identity: Option<String>,
    /// A tag of the cluster, NAME=VALUE; repeat for several.
    #[arg(long = "tag", value_name = "NAME=VALUE")]
    pub(crate) tags: Vec<String>,
    /// FastProd (default), DenseProd or DevTest.
    #[arg(long, value_name = "PURPOSE")]
    pub(crate) cluster_purpose: Option<String>,
    /// TLS.
    #[command(flatten)]
    pub(crate) tls: TlsArgs,
    /// Load balancer of the compute.
    #[command(flatten)]
    pub(crate) load_balancer: LoadBalancerArgs,
    /// Dry run, no wait.
    #[command(flatten)]
    #[serde(skip)]
    pub(crate) run: RunArgs,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show what `apply` would do: for each spec, what differs from the live compute and the
    /// plan that converges it (with --offline, the spec's own plan, no connection).
    Plan {
        /// Spec files, or folders of *.yaml, *.yml and *.json specs.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Validate and print each spec's plan without connecting.
        #[arg(long)]
        offline: bool,
        /// Read this many computes at once.
        #[arg(long, short, default_value_t = 4, value_name = "N")]
        jobs: usize,
    },
    /// Make every spec true: plan them all, show the whole plan, then run the plans.
    Apply {
        /// Spec files, or folders of *.yaml, *.yml and *.json specs.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Run at most this many operations at once.
        #[arg(long, short, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        jobs: u16,
        /// Stop starting operations after the first failure.
        #[arg(long)]
        fail_fast: bool,
        /// Print the plan and send nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Create a new AKS cluster as a compute of the workspace.
    Create {
        /// The compute's name.
        name: String,
        /// Nodes.
        #[arg(long, value_name = "N")]
        agent_count: Option<u32>,
        /// The nodes' VM size, like Standard_D3_v2.
        #[arg(long, value_name = "SIZE")]
        vm_size: Option<String>,
        /// The region (default: the workspace's).
        #[arg(long, value_name = "REGION")]
        location: Option<String>,
        /// FastProd (default), DenseProd or DevTest.
        #[arg(long, value_name = "PURPOSE")]
        cluster_purpose: Option<String>,
        /// TLS.
        #[command(flatten)]
        tls: TlsArgs,
        /// Load balancer.
        #[command(flatten)]
        load_balancer: LoadBalancerArgs,
        /// Dry run, no wait.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Attach an existing AKS cluster as a compute of the workspace.
    Attach {
        /// The compute's name.
        name: String,
        /// The cluster's ARM id.
        #[arg(long, value_name = "ID", conflicts_with_all = ["cluster_resource_group", "cluster_name"])]
        cluster_id: Option<String>,
        /// The cluster's resource group (with --cluster-name), in the workspace's subscription.
        #[arg(long, value_name = "NAME", requires = "cluster_name")]
        cluster_resource_group: Option<String>,
        /// The cluster's name.
        #[arg(long, value_name = "NAME", requires = "cluster_resource_group")]
        cluster_name: Option<String>,
        /// FastProd (default), DenseProd or DevTest.
        #[arg(long, value_name = "PURPOSE")]
        cluster_purpose: Option<String>,
        /// When the cluster's authorized IP ranges miss the Azure ML control plane's prefixes
        /// (of the workspace's region and its pair), add them to the cluster's ranges before
        /// attaching, instead of refusing.
        #[arg(long)]
        admit_control_plane: bool,
        /// Attach even when the cluster is attached to this workspace under another name: the
        /// earlier compute then fails (each new attachment breaks the previous one).
        #[arg(long)]
        allow_second_attachment: bool,
        /// TLS.
        #[command(flatten)]
        tls: TlsArgs,
        /// Load balancer.
        #[command(flatten)]
        load_balancer: LoadBalancerArgs,
        /// Dry run, no wait.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Create a new, secured AKS cluster in the workspace's subscription, then attach it as a
    /// compute (one operation: both writes are in the plan).
    CreateCluster(Box<CreateClusterArgs>),
    /// Update a compute's TLS or load balancer settings.
    Update {
        /// The compute's name.
        name: String,
        /// Turn TLS off.
        #[arg(long, conflicts_with_all = ["leaf_domain_label", "cert_file"])]
        disable_tls: bool,
        /// TLS.
        #[command(flatten)]
        tls: TlsArgs,
        /// Load balancer.
        #[command(flatten)]
        load_balancer: LoadBalancerArgs,
        /// Dry run, no wait.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Change a compute's node count or autoscaler (never its VM size).
    Scale {
        /// The compute's name.
        name: String,
        /// The node count.
        #[arg(long, value_name = "N")]
        node_count: Option<u32>,
        /// Autoscale between MIN and MAX nodes.
        #[arg(long, num_args = 2, value_names = ["MIN", "MAX"], conflicts_with = "autoscale_off")]
        autoscale: Option<Vec<u32>>,
        /// Turn the autoscaler off.
        #[arg(long)]
        autoscale_off: bool,
        /// The agent pool (default: the cluster's system pool).
        #[arg(long, value_name = "POOL")]
        pool: Option<String>,
        /// Always refused (rule scale.vm_size, exit 2, nothing sent): scaling changes only the
        /// node count, never the VM size. For another size, create a new cluster (or add a
        /// node pool in AKS) and attach it.
        #[arg(long, value_name = "SIZE")]
        vm_size: Option<String>,
        /// Dry run, no wait.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Detach and attach a compute again (updates the AML components), with TLS material.
    Reattach {
        /// The compute's name.
        name: String,
        /// TLS material (a custom certificate, or a recovered one).
        #[command(flatten)]
        tls: TlsArgs,
        /// Dry run, no wait.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Detach a compute from the workspace; its AKS cluster is kept.
    Detach {
        /// The compute's name.
        name: String,
        /// Dry run, no wait.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Delete a compute and the AKS cluster it created. Asks first, unless --yes.
    Delete {
        /// The compute's name.
        name: String,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
        /// Dry run, no wait.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Delete an AKS cluster and its nodes (one `create-cluster` made, once its compute is
    /// detached). Refused while a compute of the workspace uses it. Asks first, unless --yes.
    DeleteCluster {
        /// The cluster's ARM id.
        #[arg(long, value_name = "ID", conflicts_with_all = ["cluster_resource_group", "cluster_name"], required_unless_present = "cluster_name")]
        cluster_id: Option<String>,
        /// The cluster's resource group (with --cluster-name), in the workspace's subscription.
        #[arg(long, value_name = "NAME", requires = "cluster_name")]
        cluster_resource_group: Option<String>,
        /// The cluster's name.
        #[arg(long, value_name = "NAME", requires = "cluster_resource_group")]
        cluster_name: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
        /// Dry run, no wait.
        #[command(flatten)]
        run: RunArgs,
    },
    /// One compute.
    Show {
        /// The compute's name.
        name: String,
    },
    /// Every compute of the workspace.
    List,
    /// Write a compute's kubeconfig to a file (mode 0600), or merge it into ~/.kube/config.
    Credentials {
        /// The compute's name.
        name: String,
        /// The file to write (default: ./NAME.kubeconfig).
        #[arg(long, value_name = "FILE", conflicts_with = "merge")]
        file: Option<PathBuf>,
        /// Merge into the kubeconfig of KUBECONFIG or ~/.kube/config instead.
        #[arg(long)]
        merge: bool,
        /// The admin kubeconfig rather than the user one.
        #[arg(long)]
        admin: bool,
        /// Also print the kubeconfig (it holds credentials).
        #[arg(long)]
        show_secrets: bool,
    },
    /// The Kubernetes versions of a region, the default marked.
    Versions {
        /// The region, like eastus.
        location: String,
    },
    /// Recover the TLS certificate and key from a saved `kubectl get secret/azuremlfessl -o
    /// yaml` and check them.
    RecoverTls {
        /// The saved secret (YAML or JSON).
        secret: PathBuf,
        /// The name the certificate must cover.
        #[arg(long, value_name = "NAME")]
        cname: String,
        /// Folder to write cert.pem and key.pem (mode 0600) to.
        #[arg(long, value_name = "DIR", default_value = ".")]
        out_dir: PathBuf,
    },
    /// Resume waiting for an operation from the token `--no-wait` printed.
    Wait {
        /// The token.
        token: String,
    },
    /// Run the standalone ARM emulator on 127.0.0.1 (the standard seed of aml-emulator).
    Emulator {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 8443)]
        port: u16,
        /// What the emulator holds at start (YAML or JSON); default: the standard seed.
        #[arg(long, value_name = "FILE")]
        seed: Option<PathBuf>,
    },
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit_or_mean_seconds() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        for bad in ["", "s", "1.5s", "-1s", "10 days", "1d"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains("like 90s"), "{bad}: {err}");
        }
    }
}
