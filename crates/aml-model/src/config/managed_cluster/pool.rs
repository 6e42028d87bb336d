//! The agent pools of a new cluster: the system pool and the accelerator pool (R12).

use crate::Rule;
use crate::config::{DEFAULT_AGENT_COUNT, DEFAULT_VM_SIZE};
use crate::validate::Report;
use crate::vm_size;

/// A validated agent pool of a new cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePool {
    name: String,
    vm_size: String,
    count: u32,
}

impl NodePool {
    /// The pool's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The VM size of its nodes.
    pub fn vm_size(&self) -> &str {
        &self.vm_size
    }
    /// Its node count.
    pub fn count(&self) -> u32 {
        self.count
    }
    /// Its vCPUs (node count x cores of the size), when the size is in the built-in catalog.
    pub fn vcpus(&self) -> Option<u32> {
        vm_size::lookup(&self.vm_size).map(|s| s.vcpus.saturating_mul(self.count))
    }
}

/// What a user says about an agent pool; unset fields take the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodePoolSettings {
    /// The pool's name (1 to 12 lower-case letters and digits, starting with a letter).
    pub name: Option<String>,
    /// The VM size of its nodes.
    pub vm_size: Option<String>,
    /// Its node count.
    pub count: Option<u32>,
}

impl NodePoolSettings {
    /// Validates the pool at `path`; `accelerator` asks for a GPU or FPGA size (R12).
    pub(super) fn check(
        &self,
        default_name: &str,
        path: &str,
        accelerator: bool,
        report: &mut Report,
    ) -> Option<NodePool> {
        let name = self.name.clone().unwrap_or_else(|| default_name.to_owned());
        let name_ok = (1..=12).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !name_ok {
            report.error(
                format!("{path}.name"),
                Rule::ClusterPoolName,
                format!(
                    "{name:?} is not an agent pool name; use 1 to 12 lower-case letters and digits, starting with a letter"
                ),
            );
        }
        let count = self.count.unwrap_or(DEFAULT_AGENT_COUNT);
        if count == 0 {
            report.error(
                format!("{path}.count"),
                Rule::NodesCount,
                "a pool has at least one node; give a count of 1 or more",
            );
        }
        let size = self.vm_size.as_deref().map(str::trim);
        let size = match (size, accelerator) {
            (Some(""), _) | (None, true) => {
                report.error(
                    format!("{path}.vm_size"),
                    Rule::VmSizeEmpty,
                    if accelerator {
                        "is missing; name the GPU or FPGA size of the pool, like Standard_NC6s_v3"
                    } else {
                        "is empty; name a VM size, like Standard_D3_v2"
                    },
                );
                None
            }
            (None, false) => Some(DEFAULT_VM_SIZE.to_owned()),
            (Some(s), _) => Some(s.to_owned()),
        };
        if let Some(s) = &size {
            match vm_size::lookup(s) {
                Some(known) if accelerator && !known.is_accelerated() => report.error(
                    format!("{path}.vm_size"),
                    Rule::ClusterAcceleratorVmSize,
                    format!(
                        "{} has no GPU or FPGA; the accelerator pool needs a GPU or FPGA size, like Standard_NC6s_v3 (or drop the pool)",
                        known.name
                    ),
                ),
                Some(_) => {}
                None if accelerator => report.error(
                    format!("{path}.vm_size"),
                    Rule::ClusterAcceleratorVmSize,
                    format!(
                        "{s:?} is not in the built-in catalog, so it is not known to carry a GPU or FPGA; use a listed GPU or FPGA size, like Standard_NC6s_v3"
                    ),
                ),
                None => report.warn(
                    format!("{path}.vm_size"),
                    Rule::VmSizeUnknown,
                    format!(
                        "{s:?} is not in the built-in catalog, so its vCPUs cannot be checked here; the service will decide (see `az vm list-sizes`)"
                    ),
                ),
            }
        }
        match size {
            Some(vm_size) if name_ok && count > 0 => Some(NodePool {
                name,
                vm_size,
                count,
            }),
            _ => None,
        }
    }
}
