//! One `--cloud` gives both the scope the credential is asked for and the host the request goes
//! to: for each cloud, a credential that answers with a token naming the scopes it was asked
//! for, and an emulator that accepts only the token for that cloud's scope. A request that
//! reaches the emulator and is accepted proves the pairing; the request log shows it arrived.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use aml_arm::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use aml_cli::target::{CloudChoice, Target};
use aml_emulator::Emulator;
use futures::TryStreamExt as _;

/// Answers every request with `token-for <scopes>`.
#[derive(Debug)]
struct ScopeEcho;

#[async_trait::async_trait]
impl TokenCredential for ScopeEcho {
    async fn get_token(
        &self,
        scopes: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            format!("token-for {}", scopes.join(" ")),
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

async fn list_through(emulator: &Emulator, choice: CloudChoice) -> Result<usize, String> {
    let target = Target::resolve(&CloudChoice {
        endpoint: Some(emulator.base_url().to_owned()),
        ..choice
    })
    .map_err(|f| f.to_string())?;
    let arm = target
        .arm_client_with(Arc::new(ScopeEcho))
        .map_err(|f| f.to_string())?;
    let ws = aml_compute::Workspace::new(arm, emulator.workspace_id().unwrap());
    let computes: Vec<_> = ws.list().try_collect().await.map_err(|e| e.to_string())?;
    Ok(computes.len())
}

#[tokio::test]
async fn each_clouds_scope_reaches_the_emulator_with_its_requests() {
    let custom = CloudChoice {
        name: Some("custom".into()),
        resource_manager: Some("https://management.local.azurestack.external".into()),
        authority_host: Some("https://login.local.azurestack.external".into()),
        audience: Some("https://management.adfs.azurestack.local/4711".into()),
        ..CloudChoice::default()
    };
    let cases = [
        (
            CloudChoice {
                name: Some("AzureCloud".into()),
                ..CloudChoice::default()
            },
            "https://management.azure.com/.default",
        ),
        (
            CloudChoice {
                name: Some("AzureChinaCloud".into()),
                ..CloudChoice::default()
            },
            "https://management.chinacloudapi.cn/.default",
        ),
        (
            CloudChoice {
                name: Some("AzureUSGovernment".into()),
                ..CloudChoice::default()
            },
            "https://management.usgovcloudapi.net/.default",
        ),
        (
            custom,
            "https://management.adfs.azurestack.local/4711/.default",
        ),
    ];
    for (choice, scope) in &cases {
        let emulator = Emulator::builder()
            .token(format!("token-for {scope}"))
            .start()
            .await
            .unwrap();
        assert_eq!(
            list_through(&emulator, choice.clone()).await,
            Ok(0),
            "{choice:?}"
        );
        let arrived = emulator.requests().matching("GET", "/computes");
        assert_eq!(arrived.len(), 1, "{choice:?}");
        assert_eq!(arrived[0].status, Some(200));
        // any other cloud's scope is refused by this emulator
        for (other, other_scope) in &cases {
            if other_scope != scope {
                let refused = list_through(&emulator, other.clone()).await.unwrap_err();
                assert!(
                    refused.contains("401") || refused.to_lowercase().contains("auth"),
                    "{refused}"
                );
            }
        }
        emulator.shutdown().await;
    }
}
