#![doc = include_str!("../README.md")]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aml_model::wire::{ComputeResource, ManagedCluster};
use aml_model::{AksClusterId, ComputeId, WorkspaceId};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

mod arm_error;
mod cidr;
mod error;
mod faults;
mod ids;
mod listener;
pub mod regions;
mod request_log;
mod routes;
mod seed;
pub mod service_tags;
mod state;
mod tls;
mod versions;

pub use error::{Error, Result};
pub use faults::{
    ActiveFault, Bucket, Fault, FaultId, FaultRule, Faults, OperationOutcome, Throttling,
};
pub use request_log::{LoggedRequest, RequestLog};
pub use seed::{
    AgentPoolSeed, ClusterSeed, OTHER_SUBSCRIPTION, ResourceGroupSeed,
    STANDARD_CLUSTER_RESOURCE_GROUP, STANDARD_RESOURCE_GROUP, STANDARD_SUBSCRIPTION,
    STANDARD_WORKSPACE, Seed, SubscriptionSeed, WorkspaceSeed,
};
pub use state::Timings;
pub use versions::{MinorVersion, VersionTable};

use crate::listener::{ConnectionHandle, EmulatorListener};
use crate::routes::App;
use crate::state::{State, WorkspacePath};

/// The path under which the admin endpoint lives (`/_emulator/faults`, `/_emulator/requests`,
/// ...); no ARM path starts with it.
pub const ADMIN_PREFIX: &str = "/_emulator";

/// How long [`Emulator::shutdown`] waits for requests in flight before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Settings of an emulator to start; see [`Emulator::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct EmulatorBuilder {
    seed: Option<Seed>,
    port: u16,
    https: bool,
    token: Option<String>,
    timings: Timings,
    page_size: usize,
    request_log_capacity: usize,
    versions: Option<VersionTable>,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            seed: None,
            port: 0,
            https: false,
            token: None,
            timings: Timings::default(),
            page_size: 20,
            request_log_capacity: 100_000,
            versions: None,
        }
    }
}

impl EmulatorBuilder {
    /// Starts from `seed` instead of [`Seed::standard`].
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Listens on this port of 127.0.0.1 (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Serves HTTPS with a certificate generated at start (default: plain HTTP); clients trust
    /// [`Emulator::ca_certificate_pem`].
    pub fn https(mut self, https: bool) -> Self {
        self.https = https;
        self
    }

    /// Accepts only this bearer token (default: any non-empty token).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// How long operations take and the polling interval advertised.
    pub fn timings(mut self, timings: Timings) -> Self {
        self.timings = timings;
        self
    }

    /// Every operation takes `duration`; see [`Timings::uniform`].
    pub fn operation_duration(mut self, duration: Duration) -> Self {
        self.timings = Timings::uniform(duration);
        self
    }

    /// The wait advertised in `Retry-After` / `retry-after-ms` on operations.
    pub fn retry_after(mut self, wait: Duration) -> Self {
        self.timings.retry_after = wait;
        self
    }

    /// Computes per list page (default 20; at least 1).
    pub fn page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// How many requests the log keeps, newest last (default 100,000; 0 keeps none).
    pub fn request_log_capacity(mut self, capacity: usize) -> Self {
        self.request_log_capacity = capacity;
        self
    }

    /// The Kubernetes versions per location, instead of the seed's (or the built-in table).
    pub fn kubernetes_versions(mut self, versions: VersionTable) -> Self {
        self.versions = Some(versions);
        self
    }

    /// Binds 127.0.0.1 and starts serving in the background of the current tokio runtime.
    pub async fn start(self) -> Result<Emulator> {
        let mut seed = self.seed.unwrap_or_else(Seed::standard);
        if let Some(versions) = self.versions {
            seed.kubernetes_versions = Some(versions);
        }
        seed.validate()?;
        let ids = ids::IdSource::new();
        let state = State::from_seed(&seed, self.timings, &ids);

        let tcp = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port))
            .await
            .map_err(|source| Error::Bind {
                port: self.port,
                source,
            })?;
        let addr = tcp.local_addr().map_err(|source| Error::Bind {
            port: self.port,
            source,
        })?;
        let (listener, ca_pem, scheme) = if self.https {
            let certificates = tls::generate()?;
            let acceptor = tokio_rustls::TlsAcceptor::from(certificates.server);
            (
                EmulatorListener::tls(tcp, addr, acceptor),
                Some(certificates.ca_pem),
                "https",
            )
        } else {
            (EmulatorListener::plain(tcp, addr), None, "http")
        };

        let faults = Faults::default();
        let log = RequestLog::new(self.request_log_capacity);
        let app = Arc::new(App {
            state: Mutex::new(state),
            faults: faults.clone(),
            log: log.clone(),
            ids,
            token: self.token,
            page_size: self.page_size,
            timings: self.timings,
            scheme,
            authority: addr.to_string(),
        });
        let router = axum::Router::new()
            .fallback(routes::handle)
            .with_state(Arc::clone(&app));
        let (stop, stopped) = oneshot::channel::<()>();
        let server = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<ConnectionHandle>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        let task = tokio::spawn(async move {
            if let Err(error) = server.await {
                tracing::warn!(target: "aml_emulator", %error, "server stopped");
            }
        });
        Ok(Emulator {
            base_url: format!("{scheme}://{addr}"),
            addr,
            ca_pem,
            seed,
            app,
            faults,
            log,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// A running emulator. Dropping it stops the server (requests in flight finish first).
///
/// See the [crate docs](crate) for what it serves.
#[derive(Debug)]
pub struct Emulator {
    base_url: String,
    addr: SocketAddr,
    ca_pem: Option<String>,
    seed: Seed,
    app: Arc<App>,
    faults: Faults,
    log: RequestLog,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("scheme", &self.scheme)
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Settings for a new emulator, all defaults: the standard seed, any free port, plain
    /// HTTP, any token, [`Timings::default`], 20 computes a page.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// Starts an emulator with every default.
    pub async fn start() -> Result<Self> {
        Self::builder().start().await
    }

    /// The base URL to use as the ARM endpoint: `http://127.0.0.1:{port}` (or `https://`), no
    /// trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `base_url` followed by `path_and_query` (which starts with `/`).
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base_url)
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The PEM of the certificate authority to trust in `https` mode.
    pub fn ca_certificate_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The seed it started from.
    pub fn seed(&self) -> &Seed {
        &self.seed
    }

    /// The first workspace of the seed (in the standard seed,
    /// `00000000-0000-0000-0000-000000000000` / `aml-rg` / `aml-ws`).
    pub fn workspace_id(&self) -> Option<WorkspaceId> {
        self.seed.subscriptions.iter().find_map(|subscription| {
            subscription.resource_groups.iter().find_map(|group| {
                let workspace = group.workspaces.first()?;
                WorkspaceId::new(
                    subscription.id.as_str(),
                    group.name.as_str(),
                    workspace.name.as_str(),
                )
                .ok()
            })
        })
    }

    /// The request log.
    pub fn requests(&self) -> &RequestLog {
        &self.log
    }

    /// The fault controls.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Finishes every operation in progress now, as if its time had come; returns how many
    /// there were. Lets a test use long durations and still control when operations end.
    pub fn complete_operations(&self) -> usize {
        let time = time::OffsetDateTime::now_utc();
        self.app.state(Instant::now(), time).complete_all(time)
    }

    /// A compute as a GET would show it now, if it exists.
    pub fn compute(&self, id: &ComputeId) -> Option<ComputeResource> {
        let workspace = id.workspace();
        let path = WorkspacePath {
            subscription: workspace.subscription_id(),
            resource_group: workspace.resource_group(),
            workspace: workspace.name(),
        };
        self.app
            .state(Instant::now(), time::OffsetDateTime::now_utc())
            .compute_get(&path, id.name().as_str())
            .ok()
    }

    /// A managed cluster as a GET would show it now, if it exists.
    pub fn cluster(&self, id: &AksClusterId) -> Option<ManagedCluster> {
        self.app
            .state(Instant::now(), time::OffsetDateTime::now_utc())
            .cluster_get(id.subscription_id(), id.resource_group(), id.name())
            .ok()
    }

    /// Stops the server and waits (up to 5 seconds) for requests in flight to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
