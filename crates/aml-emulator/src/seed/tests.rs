//! Tests of `seed`.

use super::*;

#[test]
fn the_standard_seed_is_valid_and_uses_known_vm_sizes() {
    let seed = Seed::standard();
    seed.validate().unwrap();
    for subscription in &seed.subscriptions {
        for group in &subscription.resource_groups {
            for cluster in &group.clusters {
                for pool in &cluster.agent_pools {
                    assert!(
                        aml_model::vm_size::lookup(&pool.vm_size).is_some(),
                        "{}",
                        pool.vm_size
                    );
                }
            }
        }
    }
    let text = seed.describe();
    assert!(text.contains("workspace aml-ws (eastus)"), "{text}");
    assert!(text.contains("aks-private (eastus, Kubernetes 1.29.9, 3 x Standard_D4s_v5, private, standard load balancer)"), "{text}");
    assert!(
        text.contains("authorized IP ranges 203.0.113.0/24, basic load balancer"),
        "{text}"
    );
    assert!(
            text.contains("aks-office-ranges (eastus, Kubernetes 1.30.4, 3 x Standard_D3_v2, authorized IP ranges 203.0.113.0/24, standard load balancer)"),
            "{text}"
        );
    assert!(
            text.contains("aks-entra-udr (eastus, Kubernetes 1.30.5, 3 x Standard_D4s_v5, Entra ID with Azure RBAC, outbound userDefinedRouting, own subnet, standard load balancer)"),
            "{text}"
        );
}

#[test]
fn bad_ranges_and_azure_rbac_without_entra_id_are_reported() {
    let yaml = "
subscriptions:
  - id: s
    resourceGroups:
      - name: rg
        clusters:
          - name: c
            location: eastus
            kubernetesVersion: 1.30.4
            authorizedIpRanges: [203.0.113.0/24, office]
            azureRbac: true
            outboundType: userDefinedRouting
            agentPools: [{ name: p, count: 1, vmSize: Standard_D3_v2, vnetSubnetId: /x }]
";
    let Err(Error::InvalidSeed { problems }) = Seed::from_yaml(yaml) else {
        panic!("expected an invalid seed")
    };
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("\"office\" is not a CIDR"),
        "{problems:?}"
    );
    assert!(problems[1].contains("azureRbac needs aad"), "{problems:?}");
}

#[test]
fn yaml_and_json_seeds_read_the_same() {
    let yaml = "
subscriptions:
  - id: sub1
    resourceGroups:
      - name: rg
        workspaces: [{ name: ws, location: westeurope }]
        clusters:
          - name: c1
            location: westeurope
            kubernetesVersion: 1.29.7
            loadBalancerSku: Basic
            agentPools: [{ name: p, count: 2, vmSize: Standard_D3_v2 }]
";
    let from_yaml = Seed::from_yaml(yaml).unwrap();
    let json = serde_json::to_string(&from_yaml).unwrap();
    assert_eq!(Seed::from_json(&json).unwrap(), from_yaml);
    let cluster = &from_yaml.subscriptions[0].resource_groups[0].clusters[0];
    assert_eq!(cluster.load_balancer_sku, LoadBalancerSku::Basic);
    assert!(!cluster.private);
}

#[test]
fn every_problem_is_reported() {
    let yaml = "
subscriptions:
  - id: s
    resourceGroups:
      - name: 'bad rg.'
        workspaces: [{ name: ws, location: '' }, { name: WS, location: eastus }]
        clusters:
          - { name: c, location: eastus, kubernetesVersion: latest, agentPools: [] }
  - id: S
";
    let Err(Error::InvalidSeed { problems }) = Seed::from_yaml(yaml) else {
        panic!("expected an invalid seed")
    };
    let text = problems.join("\n");
    for expected in [
        "resource group name",
        "location is empty",
        "workspace \"WS\" appears twice",
        "kubernetesVersion \"latest\"",
        "agentPools is empty",
        "subscription \"S\" appears twice",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}

#[test]
fn unknown_fields_are_rejected() {
    let err = Seed::from_yaml("subscriptions: []\nsubscription: x\n").unwrap_err();
    assert!(matches!(err, Error::SeedYaml(_)), "{err:?}");
}
