//! Updating an attached or created cluster: TLS and the load balancer (R5, R20).

use super::load_balancer::{LoadBalancer, LoadBalancerSettings};
use super::tls::{TlsConfig, TlsSettings, check_tls_with_load_balancer};
use crate::Rule;
use crate::validate::{Issue, Report};

/// A validated update: TLS and/or load balancer changes (the Python SDK's
/// `AksUpdateConfiguration(ssl_configuration, load_balancer_type, load_balancer_subnet)`).
#[derive(Debug, Default)]
pub struct AksUpdateConfiguration {
    tls: Option<TlsConfig>,
    load_balancer: Option<LoadBalancer>,
    warnings: Vec<Issue>,
}

impl AksUpdateConfiguration {
    /// A builder that changes nothing yet.
    pub fn builder() -> AksUpdateBuilder {
        AksUpdateBuilder::default()
    }
    /// The TLS change, if any.
    pub fn tls(&self) -> Option<&TlsConfig> {
        self.tls.as_ref()
    }
    /// The load balancer change, if any.
    pub fn load_balancer(&self) -> Option<&LoadBalancer> {
        self.load_balancer.as_ref()
    }
    /// Advice found while validating.
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }
    /// Whether this changes nothing.
    pub fn is_empty(&self) -> bool {
        self.tls.is_none() && self.load_balancer.is_none()
    }
    /// The update that switches to `load_balancer` (validated already) and changes nothing
    /// else: how an attach on an internal load balancer finishes (R20).
    pub fn switch_to(load_balancer: LoadBalancer) -> Self {
        Self {
            tls: None,
            load_balancer: Some(load_balancer),
            warnings: Vec::new(),
        }
    }
}

/// What a user wants changed; `build()` validates it.
#[derive(Debug, Default)]
pub struct AksUpdateBuilder {
    /// New TLS settings.
    pub tls: Option<TlsSettings>,
    /// New load balancer.
    pub load_balancer: Option<LoadBalancerSettings>,
}

impl AksUpdateBuilder {
    /// Changes TLS.
    #[must_use]
    pub fn ssl(mut self, tls: TlsSettings) -> Self {
        self.tls = Some(tls);
        self
    }
    /// Changes the load balancer.
    #[must_use]
    pub fn load_balancer(mut self, lb: LoadBalancerSettings) -> Self {
        self.load_balancer = Some(lb);
        self
    }

    /// Validates everything, returning every problem at once.
    pub fn build(self) -> crate::Result<AksUpdateConfiguration> {
        let mut report = Report::new();
        match self.check(&mut report) {
            Some(config) if report.is_ok() => Ok(config),
            _ => Err(crate::Error::Invalid(report)),
        }
    }

    /// Validates into `report` (paths `load_balancer.*`, `tls.*`).
    pub fn check(self, report: &mut Report) -> Option<AksUpdateConfiguration> {
        let mut local = Report::new();
        if self.tls.as_ref().is_none_or(TlsSettings::is_empty)
            && self
                .load_balancer
                .as_ref()
                .is_none_or(LoadBalancerSettings::is_empty)
        {
            local.error(
                "update",
                Rule::UpdateEmpty,
                "changes nothing; set TLS settings or a load balancer",
            );
        }
        let tls_on = self.tls.as_ref().is_some_and(TlsSettings::asks_for_tls);
        let internal = self
            .load_balancer
            .as_ref()
            .is_some_and(LoadBalancerSettings::asks_for_internal);
        let lb = self
            .load_balancer
            .filter(|lb| !lb.is_empty())
            .map(|lb| lb.check(&mut local, "load_balancer"));
        let tls = self
            .tls
            .filter(|t| !t.is_empty())
            .map(|t| t.check(&mut local, "tls"));
        check_tls_with_load_balancer(tls_on, internal, &mut local);
        let ok = local.is_ok();
        let warnings = local.warnings.clone();
        report.merge(local);
        if !ok {
            return None;
        }
        Some(AksUpdateConfiguration {
            tls: tls.flatten(),
            load_balancer: lb.flatten(),
            warnings,
        })
    }
}
