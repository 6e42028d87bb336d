//! Unit tests of clouds: the built-in ones, custom endpoints, and where each takes its authority.

use azure_core::cloud::CloudConfiguration;

use super::*;

#[test]
fn well_known_clouds_have_https_endpoints_and_default_scopes() {
    for (cloud, endpoint, scope) in [
        (
            Cloud::azure_public(),
            "https://management.azure.com/",
            "https://management.azure.com/.default",
        ),
        (
            Cloud::azure_china(),
            "https://management.chinacloudapi.cn/",
            "https://management.chinacloudapi.cn/.default",
        ),
        (
            Cloud::azure_us_government(),
            "https://management.usgovcloudapi.net/",
            "https://management.usgovcloudapi.net/.default",
        ),
    ] {
        assert_eq!(cloud.endpoint().as_str(), endpoint);
        assert_eq!(cloud.scope(), scope);
        assert!(cloud.authority_host().is_some());
    }
}

#[test]
fn custom_cloud_allows_http_only_on_loopback() {
    for ok in [
        "http://127.0.0.1:1",
        "http://127.1.2.3",
        "http://[::1]:8080",
        "http://localhost:80",
        "http://LOCALHOST.",
        "https://arm.example.com",
    ] {
        assert!(Cloud::custom(ok, "s").is_ok(), "{ok}");
    }
    for bad in [
        "http://example.com",
        "http://10.0.0.1",
        "http://localhost.example.com",
        "http://0.0.0.0",
    ] {
        let err = Cloud::custom(bad, "s").expect_err(bad);
        assert!(
            matches!(err, Error::InsecureEndpoint { .. }),
            "{bad}: {err}"
        );
    }
}

#[test]
fn custom_cloud_refuses_credentials_query_and_other_schemes() {
    for bad in [
        "https://user:pw@arm.example.com",
        "https://arm.example.com/?sig=abc",
        "ftp://arm.example.com",
        "not a url",
    ] {
        let err = Cloud::custom(bad, "s").expect_err(bad);
        assert!(!err.to_string().contains("pw"), "{err}");
        assert!(!err.to_string().contains("sig=abc"), "{err}");
    }
}

#[test]
fn clouds_parse_from_the_azure_cli_names_and_aliases() {
    for (names, az) in [
        (
            &["AzureCloud", "azurecloud", "public", "Azure", "AzurePublic"][..],
            "AzureCloud",
        ),
        (
            &["AzureChinaCloud", "china", "AzureChina"][..],
            "AzureChinaCloud",
        ),
        (
            &[
                "AzureUSGovernment",
                "usgov",
                "us-government",
                "US_Government",
            ][..],
            "AzureUSGovernment",
        ),
    ] {
        for name in names {
            let cloud: Cloud = name.parse().unwrap();
            assert_eq!(cloud.az_name(), az, "{name}");
        }
    }
    let err = "AzureGermanCloud".parse::<Cloud>().unwrap_err().to_string();
    assert!(
        err.contains("AzureGermanCloud") && err.contains("AzureCloud"),
        "{err}"
    );
}

#[test]
fn a_custom_cloud_takes_its_three_endpoints_and_a_local_endpoint_keeps_the_identity() {
    let c = Cloud::custom_cloud(
        "https://management.local.azurestack.external",
        "https://login.local.azurestack.external",
        "https://management.adfs.azurestack.local/abc",
    )
    .unwrap();
    assert_eq!(
        c.scope(),
        "https://management.adfs.azurestack.local/abc/.default"
    );
    assert_eq!(
        c.authority_host().unwrap().as_str(),
        "https://login.local.azurestack.external/"
    );
    assert!(
        Cloud::custom_cloud("https://arm.example.com", "http://login.example.com", "a").is_err()
    );
    assert!(
        Cloud::custom_cloud("https://arm.example.com", "https://login.example.com", " ").is_err()
    );

    let china = Cloud::azure_china();
    let local = china.at_local_endpoint("http://127.0.0.1:9").unwrap();
    assert_eq!(local.endpoint().as_str(), "http://127.0.0.1:9/");
    assert_eq!(local.scope(), china.scope());
    assert_eq!(local.authority_host(), china.authority_host());
    assert_eq!(local.az_name(), "AzureChinaCloud");
    for remote in ["https://arm.example.com", "http://10.0.0.1:80"] {
        assert!(china.at_local_endpoint(remote).is_err(), "{remote}");
    }
}

#[test]
fn custom_cloud_keeps_path_prefix_with_trailing_slash() {
    let c = Cloud::custom("http://127.0.0.1:9/arm", "s").unwrap();
    assert_eq!(c.endpoint().as_str(), "http://127.0.0.1:9/arm/");
}

fn authority_of(configuration: &CloudConfiguration) -> &str {
    match configuration {
        CloudConfiguration::Custom(custom) => &custom.authority_host,
        other => panic!("expected a custom configuration, got {other:?}"),
    }
}

#[test]
fn built_in_clouds_keep_their_azure_core_configuration() {
    for (cloud, expected) in [
        (Cloud::azure_public(), CloudConfiguration::AzurePublic),
        (Cloud::default(), CloudConfiguration::AzurePublic),
        (Cloud::azure_china(), CloudConfiguration::AzureChina),
        (
            Cloud::azure_us_government(),
            CloudConfiguration::AzureGovernment,
        ),
        (
            "usgov".parse().unwrap(),
            CloudConfiguration::AzureGovernment,
        ),
        (
            Cloud::azure_china()
                .at_local_endpoint("http://127.0.0.1:9")
                .unwrap(),
            CloudConfiguration::AzureChina,
        ),
        // Setting a built-in cloud's own authority again changes nothing.
        (
            Cloud::azure_china()
                .with_authority_host("https://login.chinacloudapi.cn")
                .unwrap(),
            CloudConfiguration::AzureChina,
        ),
    ] {
        assert_eq!(cloud.azure_core_cloud().unwrap(), expected, "{cloud:?}");
    }
}

#[test]
fn a_custom_endpoint_without_an_authority_has_no_credential_configuration() {
    for cloud in [
        Cloud::custom(
            "https://arm.contoso.example",
            "https://arm.contoso.example/.default",
        )
        .unwrap(),
        Cloud::custom(
            "http://127.0.0.1:9",
            "https://management.azure.com/.default",
        )
        .unwrap(),
        Cloud::custom("http://127.0.0.1:9", "s")
            .unwrap()
            .at_local_endpoint("http://127.0.0.1:10")
            .unwrap(),
    ] {
        assert_eq!(cloud.authority_host(), None);
        let err = cloud.azure_core_cloud().unwrap_err();
        assert!(matches!(err, Error::InvalidConfig { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("Cloud::custom_cloud(resource_manager, authority, audience)"),
            "{text}"
        );
        assert!(
            text.contains(cloud.endpoint().host_str().unwrap()),
            "{text}"
        );
        assert!(!err.may_have_been_sent());
    }
}

#[test]
fn the_authority_a_cloud_reports_is_the_one_its_credentials_use() {
    let stack = Cloud::custom_cloud(
        "https://management.local.azurestack.external",
        "https://login.local.azurestack.external",
        "https://management.adfs.azurestack.local/abc",
    )
    .unwrap();
    let completed = Cloud::custom("https://arm.contoso.example", "s")
        .unwrap()
        .with_authority_host("https://login.contoso.example")
        .unwrap();
    // A built-in cloud given another authority uses that one, never its default.
    let rehomed = Cloud::azure_china()
        .with_authority_host("https://login.partner.example")
        .unwrap();
    for (cloud, authority) in [
        (&stack, "https://login.local.azurestack.external"),
        (
            &stack.at_local_endpoint("http://127.0.0.1:9").unwrap(),
            "https://login.local.azurestack.external",
        ),
        (&completed, "https://login.contoso.example"),
        (&rehomed, "https://login.partner.example"),
    ] {
        let configuration = cloud.azure_core_cloud().unwrap();
        assert_eq!(authority_of(&configuration), authority, "{cloud:?}");
        assert_eq!(
            cloud
                .authority_host()
                .unwrap()
                .as_str()
                .trim_end_matches('/'),
            authority
        );
    }
}
