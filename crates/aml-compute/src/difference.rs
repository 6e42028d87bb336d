//! A difference between a live compute and the desired one, and how it is made true: what
//! [`Workspace::plan_ensure`](crate::Workspace::plan_ensure) lists and
//! [`Error::Conflict`](crate::Error::Conflict) carries.

/// One field whose existing value differs from the desired one, and how it can change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The field, in the spec's names (`create.agent_count`, `tls.status`).
    pub field: &'static str,
    /// The value the compute has.
    pub existing: String,
    /// The value asked for.
    pub desired: String,
    /// How the change is made, or that it cannot be.
    pub remedy: Remedy,
}

/// How a [`Difference`] is made true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Remedy {
    /// In place, by an update (TLS, load balancer).
    Update,
    /// In place, by scaling the cluster's agent pool (node count).
    Scale,
    /// By detaching and attaching the cluster again (settings only an attach sets).
    Reattach,
    /// In place, by a GET-modify-PUT of the managed cluster that adds the Azure ML control
    /// plane's missing prefixes to its authorized IP ranges (with `admit_control_plane`).
    AdmitControlPlane,
    /// Not without deleting or detaching the compute and making it again (VM size, region,
    /// virtual network, a created compute's purpose, another cluster): refused.
    Recreate,
}

impl Remedy {
    /// The remedy, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Update => "update",
            Self::Scale => "scale",
            Self::Reattach => "re-attach",
            Self::AdmitControlPlane => "admit the control plane",
            Self::Recreate => "cannot change in place",
        }
    }
}

impl std::fmt::Display for Difference {
    /// Terraform-like: `~ create.agent_count 3 -> 5 (scale)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "~ {} {} -> {} ({})",
            self.field,
            self.existing,
            self.desired,
            self.remedy.as_str()
        )
    }
}
