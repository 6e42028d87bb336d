//! Tests of the credential chain.

use super::*;
use std::collections::HashMap;
use std::sync::atomic::AtomicU32;
use time::OffsetDateTime;

fn only_env_credentials() -> CredentialChainOptions {
    // Never build credentials that would reach the network or run `az` in tests.
    CredentialChainOptions {
        kinds: vec![
            CredentialKind::WorkloadIdentity,
            CredentialKind::ClientSecret,
        ],
        ..CredentialChainOptions::default()
    }
}

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn nothing_available_lists_every_reason() {
    let err = CredentialChain::from_lookup(&Cloud::default(), &only_env_credentials(), lookup(&[]))
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("workload identity: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE not set"), "{text}");
    assert!(
        text.contains(
            "client secret: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET not set"
        ),
        "{text}"
    );
    assert!(text.contains("managed identity: not requested"), "{text}");
    assert!(
        text.contains("developer tools (az, azd): not requested"),
        "{text}"
    );
}

#[test]
fn client_secret_is_chosen_from_its_variables_and_never_printed() {
    let chain = CredentialChain::from_lookup(
        &Cloud::default(),
        &only_env_credentials(),
        lookup(&[
            ("AZURE_TENANT_ID", "00000000-0000-0000-0000-000000000001"),
            ("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000002"),
            ("AZURE_CLIENT_SECRET", "s3cr3t-value"),
        ]),
    )
    .unwrap();
    assert_eq!(chain.sources(), ["client secret"]);
    assert_eq!(chain.skipped()[0].0, "workload identity");
    assert!(chain.skipped()[0].1.contains("AZURE_FEDERATED_TOKEN_FILE"));
    assert!(!format!("{chain:?}").contains("s3cr3t"));
}

#[test]
fn a_certificate_path_is_explained_not_silently_ignored() {
    let err = CredentialChain::from_lookup(
        &Cloud::default(),
        &only_env_credentials(),
        lookup(&[("AZURE_CLIENT_CERTIFICATE_PATH", "/cert.pem")]),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("client certificates are not supported"),
        "{err}"
    );
}

#[test]
fn workload_identity_comes_first_when_its_token_file_exists() {
    let dir = std::env::temp_dir().join(format!("aml-arm-wi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    std::fs::write(&file, "federated-token").unwrap();
    let chain = CredentialChain::from_lookup(
        &Cloud::default(),
        &only_env_credentials(),
        lookup(&[
            ("AZURE_TENANT_ID", "00000000-0000-0000-0000-000000000001"),
            ("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000002"),
            ("AZURE_CLIENT_SECRET", "s"),
            ("AZURE_FEDERATED_TOKEN_FILE", file.to_str().unwrap()),
        ]),
    )
    .unwrap();
    assert_eq!(chain.sources(), ["workload identity", "client secret"]);
    std::fs::remove_dir_all(&dir).ok();
}

const SERVICE_PRINCIPAL: [(&str, &str); 3] = [
    ("AZURE_TENANT_ID", "00000000-0000-0000-0000-000000000001"),
    ("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000002"),
    ("AZURE_CLIENT_SECRET", "s"),
];

#[test]
fn credentials_ask_the_clouds_own_authority_for_tokens() {
    let stack = Cloud::custom_cloud(
        "https://management.local.azurestack.external",
        "https://login.local.azurestack.external",
        "https://management.adfs.azurestack.local/abc",
    )
    .unwrap();
    for (cloud, authority) in [
        (Cloud::azure_public(), "login.microsoftonline.com"),
        (Cloud::azure_china(), "login.chinacloudapi.cn"),
        (Cloud::azure_us_government(), "login.microsoftonline.us"),
        (stack.clone(), "login.local.azurestack.external"),
        (
            stack.at_local_endpoint("http://127.0.0.1:9").unwrap(),
            "login.local.azurestack.external",
        ),
        (
            Cloud::azure_china()
                .with_authority_host("https://login.partner.example")
                .unwrap(),
            "login.partner.example",
        ),
    ] {
        let chain = CredentialChain::from_lookup(
            &cloud,
            &only_env_credentials(),
            lookup(&SERVICE_PRINCIPAL),
        )
        .unwrap();
        // The client secret credential's `Debug` shows the token endpoint it will call.
        let credential = format!("{:?}", chain.links[0].credential);
        for expected in [
            format!("host: Some(Domain(\"{authority}\"))"),
            "path: \"/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token\"".to_owned(),
        ] {
            assert!(credential.contains(&expected), "{cloud:?}: {credential}");
        }
    }
}

#[test]
fn a_cloud_without_an_authority_reads_no_variable_and_builds_no_credential() {
    let cloud = Cloud::custom(
        "https://arm.contoso.example",
        "https://arm.contoso.example/.default",
    )
    .unwrap();
    let reads = AtomicU32::new(0);
    let err = CredentialChain::from_lookup(&cloud, &CredentialChainOptions::default(), |_| {
        reads.fetch_add(1, Ordering::SeqCst);
        None
    })
    .unwrap_err();
    assert!(matches!(err, Error::InvalidConfig { .. }), "{err:?}");
    assert!(err.to_string().contains("Cloud::custom_cloud"), "{err}");
    assert_eq!(reads.load(Ordering::SeqCst), 0);
}

#[derive(Debug)]
struct Fake {
    ok: bool,
    calls: AtomicU32,
}

#[async_trait::async_trait]
impl TokenCredential for Fake {
    async fn get_token(
        &self,
        _: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.ok {
            Ok(AccessToken::new("t", OffsetDateTime::now_utc()))
        } else {
            Err(azure_core::Error::with_message(
                ErrorKind::Credential,
                "not signed in",
            ))
        }
    }
}

fn fake(ok: bool) -> Arc<Fake> {
    Arc::new(Fake {
        ok,
        calls: AtomicU32::new(0),
    })
}

#[tokio::test]
async fn first_success_is_remembered_and_failures_are_listed() {
    let (bad, good) = (fake(false), fake(true));
    let chain = CredentialChain::new(vec![
        ("bad".to_owned(), bad.clone() as Arc<dyn TokenCredential>),
        ("good".to_owned(), good.clone() as Arc<dyn TokenCredential>),
    ]);
    chain.get_token(&["s"], None).await.unwrap();
    chain.get_token(&["s"], None).await.unwrap();
    assert_eq!(chain.selected(), Some("good"));
    assert_eq!(bad.calls.load(Ordering::SeqCst), 1);
    assert_eq!(good.calls.load(Ordering::SeqCst), 2);

    let all_bad = CredentialChain::new(vec![
        ("one".to_owned(), fake(false) as Arc<dyn TokenCredential>),
        ("two".to_owned(), fake(false) as Arc<dyn TokenCredential>),
    ]);
    let err = all_bad.get_token(&["s"], None).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("one: failed (not signed in)"), "{text}");
    assert!(text.contains("two: failed (not signed in)"), "{text}");
}

#[derive(Debug)]
struct Hangs;

#[async_trait::async_trait]
impl TokenCredential for Hangs {
    async fn get_token(
        &self,
        _: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        futures::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn a_silent_probe_times_out_and_the_chain_moves_on() {
    let chain = Arc::new(CredentialChain {
        links: vec![
            Link {
                name: "managed identity".to_owned(),
                credential: Arc::new(Hangs),
                probe_timeout: Some(Duration::from_secs(2)),
            },
            Link {
                name: "dev".to_owned(),
                credential: fake(true),
                probe_timeout: None,
            },
        ],
        skipped: Vec::new(),
        selected: AtomicUsize::new(NONE_SELECTED),
    });
    chain.get_token(&["s"], None).await.unwrap();
    assert_eq!(chain.selected(), Some("dev"));
}
