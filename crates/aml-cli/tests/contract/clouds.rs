//! The cloud: `--cloud`, else `AZURE_CLOUD`, else the Azure CLI's `[cloud] name`.

use super::*;

/// The cloud `aml list` reports, with `env` set and the Azure CLI's folder `az_dir`.
fn cloud_of(env: &Env, az_dir: &std::path::Path, vars: &[(&str, &str)], args: &[&str]) -> Value {
    let mut all = vec!["--output", "json"];
    all.extend_from_slice(args);
    all.push("list");
    let mut cmd = env.aml(&all);
    cmd.env("AZURE_CONFIG_DIR", az_dir);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    // wherever the cloud came from, the requests went to the emulator (--endpoint)
    assert_eq!(
        listed["cloud"]["resource_manager"],
        format!("{}/", env.emulator().base_url().trim_end_matches('/'))
    );
    listed["cloud"].clone()
}

#[test]
fn the_cloud_is_the_flag_else_azure_cloud_else_the_azure_clis_active_cloud() {
    let env = Env::start("clouds");
    let az = env.home.join("az");
    std::fs::create_dir_all(&az).unwrap();
    let pair = |v: &Value| {
        (
            v["name"].as_str().unwrap().to_owned(),
            v["scope"].as_str().unwrap().to_owned(),
        )
    };
    let public = (
        "AzureCloud".to_owned(),
        "https://management.azure.com/.default".to_owned(),
    );
    let china = (
        "AzureChinaCloud".to_owned(),
        "https://management.chinacloudapi.cn/.default".to_owned(),
    );
    let usgov = (
        "AzureUSGovernment".to_owned(),
        "https://management.usgovcloudapi.net/.default".to_owned(),
    );

    // nothing set: the public cloud
    assert_eq!(pair(&cloud_of(&env, &az, &[], &[])), public);
    // the Azure CLI's active cloud
    std::fs::write(az.join("config"), "[cloud]\nname = AzureChinaCloud\n").unwrap();
    assert_eq!(pair(&cloud_of(&env, &az, &[], &[])), china);
    // AZURE_CLOUD over the Azure CLI
    let gov = [("AZURE_CLOUD", "AzureUSGovernment")];
    assert_eq!(pair(&cloud_of(&env, &az, &gov, &[])), usgov);
    // --cloud over both
    assert_eq!(
        pair(&cloud_of(&env, &az, &gov, &["--cloud", "public"])),
        public
    );
    assert_eq!(
        pair(&cloud_of(&env, &az, &gov, &["--cloud", "china"])),
        china
    );
    // a custom cloud: the scope is its audience's
    let custom = cloud_of(
        &env,
        &az,
        &gov,
        &[
            "--cloud",
            "custom",
            "--resource-manager",
            "https://management.local.azurestack.external",
            "--authority-host",
            "https://login.local.azurestack.external",
            "--audience",
            "https://management.adfs.azurestack.local/4711",
        ],
    );
    assert_eq!(
        custom["scope"],
        "https://management.adfs.azurestack.local/4711/.default"
    );
}

#[test]
fn an_unknown_cloud_is_invalid_input_that_names_the_valid_clouds() {
    let env = Env::start("cloud-bad");
    let az = env.home.join("az");
    std::fs::create_dir_all(&az).unwrap();
    let valid = |message: &str| {
        for name in ["AzureCloud", "AzureChinaCloud", "AzureUSGovernment"] {
            assert!(message.contains(name), "{name}: {message}");
        }
    };
    let (code, error) = env.json_failure(&["--cloud", "mars", "list"]);
    assert_eq!(code, 2, "{error}");
    assert_eq!(error["error"]["kind"], "invalid");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("mars"), "{message}");
    valid(message);

    let (code, error) = json_failure(
        env.aml(&["--output", "json", "list"])
            .env("AZURE_CLOUD", "AzureMarsCloud"),
    );
    assert_eq!(code, 2, "{error}");
    valid(error["error"]["message"].as_str().unwrap());

    // the Azure CLI's active cloud unknown: 2, saying where it was read
    std::fs::write(az.join("config"), "[cloud]\nname = AzureStackHub\n").unwrap();
    let (code, error) = json_failure(
        env.aml(&["--output", "json", "list"])
            .env("AZURE_CONFIG_DIR", &az),
    );
    assert_eq!(code, 2, "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(az.join("config").to_str().unwrap()),
        "{message}"
    );
    valid(message);
    assert_eq!(env.emulator().requests().len(), 0, "nothing sent");
}
