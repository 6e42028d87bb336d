//! For the examples' tests and benches: an embedded emulator and a workspace on it.
//! (An example's `main` builds its own, in the open.)

use std::time::Duration;

use aml_arm::{ArmClient, ArmClientOptions, Cloud, PollOptions, StaticTokenCredential};
use aml_compute::Workspace;
use aml_emulator::{Emulator, EmulatorBuilder};

use crate::{ARM_SCOPE, Result};

/// Starts the emulator `builder` describes and returns it with a workspace on its seed's
/// first workspace, region read. Polls every 5 ms when the emulator gives no hint (an
/// emulator at [`crate::Pace::Instant`] gives none).
pub async fn start(builder: EmulatorBuilder) -> Result<(Emulator, Workspace)> {
    let emulator = builder.start().await?;
    let options = ArmClientOptions {
        cloud: Cloud::custom(emulator.base_url(), ARM_SCOPE)?,
        poll: PollOptions {
            interval: Duration::from_millis(5),
            timeout: Some(Duration::from_secs(60)),
            max_interval: Duration::from_secs(1),
        },
        ..ArmClientOptions::default()
    };
    let arm = ArmClient::new(StaticTokenCredential::new("emulator"), options)?;
    let id = emulator
        .workspace_id()
        .ok_or("the emulator's seed holds no workspace")?;
    let workspace = Workspace::fetch(arm, id).await?;
    Ok((emulator, workspace))
}

/// [`start`] with the standard seed at [`crate::Pace::Test`].
///
/// # Panics
///
/// When the emulator cannot start: this is for tests.
pub async fn standard() -> (Emulator, Workspace) {
    start(Emulator::builder().timings(crate::Pace::Test.timings()))
        .await
        .unwrap_or_else(|e| panic!("embedded emulator: {}", aml_compute::describe_error(&*e)))
}
