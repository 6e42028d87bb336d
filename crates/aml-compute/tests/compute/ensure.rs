//! Ensure: create what is absent, adopt what matches without writing, report differences.

use aml_compute::{Desired, Ensured, Error};

use crate::support::{devtest, setup, wait};

#[tokio::test]
async fn ensure_adopts_without_writing_and_reports_differences() {
    let (emu, ws) = setup().await;
    let first = ws
        .ensure("ens-aks", Desired::Create(devtest()))
        .await
        .unwrap();
    let Ensured::Started(op) = first else {
        panic!("an absent compute is created")
    };
    wait(op).await;
    let puts = emu.requests().count("PUT", "/computes/ens-aks");
    assert_eq!(puts, 1);
    let again = ws
        .ensure("ens-aks", Desired::Create(devtest()))
        .await
        .unwrap();
    assert!(matches!(again, Ensured::Adopted(_)), "{again:?}");
    assert_eq!(
        emu.requests().count("PUT", "/computes/ens-aks"),
        puts,
        "adopting must not write"
    );
    let err = ws
        .ensure(
            "ens-aks",
            Desired::Create(devtest().agent_count(3).vm_size("Standard_D4_v3")),
        )
        .await
        .unwrap_err();
    let Error::Conflict { differences, .. } = &err else {
        panic!("expected a conflict, got {err}")
    };
    let fields: Vec<_> = differences.iter().map(|d| d.field).collect();
    assert_eq!(fields, ["create.agent_count", "create.vm_size"], "{err}");
    assert_eq!(emu.requests().count("PUT", "/computes/ens-aks"), puts);
}
