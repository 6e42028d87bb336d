//! Headers, request ids and tokens: what the emulator checks and echoes.

use aml_arm::{ArmClient, ArmClientOptions, RequestOptions};

use crate::support::{
    API_VERSION, TOKEN, TestCredential, WRONG_TOKEN, WithOptions, client_with, emulator, get,
    options, statuses, workspace,
};

#[tokio::test]
async fn requests_carry_the_ids_and_the_token_the_emulator_checks() {
    let emu = emulator().await;
    let client = client_with(ArmClientOptions {
        correlation_id: Some("corr-emulator".to_owned()),
        user_agent_suffix: Some("emulator-test/1".to_owned()),
        ..options(emu.base_url())
    });
    let response = client
        .send(get(workspace()).options(RequestOptions {
            client_request_id: Some("id-1".to_owned()),
            ..RequestOptions::default()
        }))
        .await
        .unwrap();
    // The emulator accepted the token (it accepts only TOKEN) and echoed the ids.
    let ids = response.request_ids();
    assert_eq!(ids.client_request_id.as_deref(), Some("id-1"));
    assert_eq!(ids.correlation_request_id.as_deref(), Some("corr-emulator"));
    let entry = &emu.requests().entries()[0];
    assert_eq!(ids.request_id.as_deref(), Some(entry.request_id.as_str()));
    assert_eq!(entry.client_request_id.as_deref(), Some("id-1"));
    assert_eq!(entry.path, workspace());
    assert_eq!(
        entry.query.as_deref(),
        Some(format!("api-version={API_VERSION}").as_str())
    );

    // Without a caller id, each call gets a fresh UUID.
    client.send(get(workspace())).await.unwrap();
    client.send(get(workspace())).await.unwrap();
    let generated: Vec<_> = emu.requests().entries()[1..]
        .iter()
        .map(|e| e.client_request_id.clone().unwrap())
        .collect();
    assert_ne!(generated[0], generated[1]);
    assert!(generated.iter().all(|id| id.len() == 36));
}

#[tokio::test]
async fn a_refused_token_is_replaced_once() {
    let emu = emulator().await;
    // The first token is refused (401 InvalidAuthenticationToken); the retry gets a new one.
    let credential = TestCredential::wrong_first(1);
    let client = ArmClient::new(credential.clone(), options(emu.base_url())).unwrap();
    let response = client.send(get(workspace())).await.unwrap();
    assert_eq!(response.attempts(), 2);
    assert_eq!(credential.calls(), 2);
    // The new token is cached.
    client.send(get(workspace())).await.unwrap();
    assert_eq!(credential.calls(), 2);
    assert_eq!(
        statuses(&emu.requests().entries()),
        [Some(401), Some(200), Some(200)]
    );

    // A credential that keeps producing a refused token: one refresh, then the 401.
    let stuck = TestCredential::wrong_first(u32::MAX);
    let err = ArmClient::new(stuck.clone(), options(emu.base_url()))
        .unwrap()
        .send(get(workspace()))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.arm_code(), Some("InvalidAuthenticationToken"));
    assert_eq!(stuck.calls(), 2);
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains(WRONG_TOKEN) && !text.contains(TOKEN),
        "{text}"
    );
}
