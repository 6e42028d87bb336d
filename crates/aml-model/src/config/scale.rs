//! Scaling the cluster behind a compute (R13): its node count, or the cluster autoscaler.
//!
//! The guide: the Azure ML SDK cannot scale an AKS compute; only the node count may change,
//! never the VM size, through AKS itself (portal, `az aks scale`) or its autoscaler. This
//! configuration says what to change on the agent pool Azure ML deploys to; `aml-compute` sends
//! it to `Microsoft.ContainerService`.

use crate::Rule;
use crate::validate::Report;

/// The cluster autoscaler of the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Autoscale {
    /// Turn it off: the pool keeps the node count given (or the one it has).
    Off,
    /// Turn it on (or change its bounds): AKS keeps the pool between `min` and `max` nodes.
    On {
        /// The fewest nodes.
        min: u32,
        /// The most nodes.
        max: u32,
    },
}

/// What to change, as given (the Python SDK has no counterpart).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScaleBuilder {
    /// The new node count.
    pub node_count: Option<u32>,
    /// The autoscaler, on with bounds or off.
    pub autoscale: Option<Autoscale>,
    /// The agent pool to scale; by default the one Azure ML deploys to (the cluster's first
    /// `System` pool, else its first pool).
    pub pool: Option<String>,
    /// A VM size: never accepted (rule `scale.vm_size`); here so that a spec or a caller that
    /// asks for one is told why, not ignored.
    pub vm_size: Option<String>,
}

impl ScaleBuilder {
    /// Sets the node count.
    #[must_use]
    pub fn node_count(mut self, count: u32) -> Self {
        self.node_count = Some(count);
        self
    }
    /// Turns the autoscaler on between `min` and `max` nodes.
    #[must_use]
    pub fn autoscale(mut self, min: u32, max: u32) -> Self {
        self.autoscale = Some(Autoscale::On { min, max });
        self
    }
    /// Turns the autoscaler off.
    #[must_use]
    pub fn autoscale_off(mut self) -> Self {
        self.autoscale = Some(Autoscale::Off);
        self
    }
    /// Names the agent pool to scale.
    #[must_use]
    pub fn pool(mut self, pool: impl Into<String>) -> Self {
        self.pool = Some(pool.into());
        self
    }

    /// Validates everything, returning every problem at once.
    pub fn build(self) -> crate::Result<ScaleConfiguration> {
        let mut report = Report::new();
        match self.check(&mut report) {
            Some(config) if report.is_ok() => Ok(config),
            _ => Err(crate::Error::Invalid(report)),
        }
    }

    /// Validates into `report` (paths `scale.*`).
    pub fn check(self, report: &mut Report) -> Option<ScaleConfiguration> {
        let mut local = Report::new();
        if let Some(size) = &self.vm_size {
            local.error(
                "scale.vm_size",
                Rule::ScaleVmSize,
                format!(
                    "a pool's VM size cannot change (asked for {size}); only its node count can. For other VM sizes, create a new cluster (or add a pool in AKS) and attach it"
                ),
            );
        }
        if self.node_count.is_none() && self.autoscale.is_none() {
            local.error(
                "scale",
                Rule::ScaleEmpty,
                "nothing to change: give a node count, or turn the autoscaler on (min, max) or off",
            );
        }
        if self.node_count == Some(0) {
            local.error(
                "scale.node_count",
                Rule::ScaleNodeCount,
                "the pool Azure ML deploys to needs at least 1 node",
            );
        }
        if let Some(Autoscale::On { min, max }) = self.autoscale {
            if min == 0 || min > max {
                local.error(
                    "scale.autoscale",
                    Rule::ScaleAutoscaleRange,
                    format!(
                        "the autoscaler's bounds are min {min} and max {max}; they need 1 <= min <= max"
                    ),
                );
            } else if let Some(count) = self.node_count.filter(|c| *c < min || *c > max) {
                local.error(
                    "scale.node_count",
                    Rule::ScaleAutoscaleRange,
                    format!(
                        "a node count of {count} is outside the autoscaler's bounds {min}..={max}; give a count within them, or none"
                    ),
                );
            }
        }
        if let Some(pool) = &self.pool
            && pool.trim().is_empty()
        {
            local.error(
                "scale.pool",
                Rule::ScaleEmpty,
                "the pool's name is empty; leave it unset for the pool Azure ML deploys to",
            );
        }
        let ok = local.is_ok();
        report.merge(local);
        ok.then_some(ScaleConfiguration {
            node_count: self.node_count,
            autoscale: self.autoscale,
            pool: self.pool,
        })
    }
}

/// A validated scale: a node count and/or the autoscaler, for one pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleConfiguration {
    node_count: Option<u32>,
    autoscale: Option<Autoscale>,
    pool: Option<String>,
}

impl ScaleConfiguration {
    /// A builder.
    pub fn builder() -> ScaleBuilder {
        ScaleBuilder::default()
    }
    /// The new node count, if one is set.
    pub fn node_count(&self) -> Option<u32> {
        self.node_count
    }
    /// The autoscaler, if it changes.
    pub fn autoscale(&self) -> Option<Autoscale> {
        self.autoscale
    }
    /// The pool named, if any (else the one Azure ML deploys to).
    pub fn pool(&self) -> Option<&str> {
        self.pool.as_deref()
    }

    /// The fewest nodes the pool can have once scaled, given its `current` count: what the
    /// vCPU check of a production purpose (R8) is made against.
    pub fn fewest_nodes(&self, current: u32) -> u32 {
        match (self.autoscale, self.node_count) {
            (Some(Autoscale::On { min, .. }), _) => min,
            (_, Some(count)) => count,
            (_, None) => current,
        }
    }
}

impl std::fmt::Display for ScaleConfiguration {
    /// `3 nodes`, `autoscaler 2..=5`, `autoscaler off, 3 nodes`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        match self.autoscale {
            Some(Autoscale::On { min, max }) => parts.push(format!("autoscaler {min}..={max}")),
            Some(Autoscale::Off) => parts.push("autoscaler off".to_owned()),
            None => {}
        }
        if let Some(count) = self.node_count {
            parts.push(format!("{count} nodes"));
        }
        f.write_str(&parts.join(", "))
    }
}
