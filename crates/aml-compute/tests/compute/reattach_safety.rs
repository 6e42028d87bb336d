//! Re-attach safety: the control plane is checked before the detach, a custom certificate given
//! again is what the rollback restores, and a restore whose operation fails leaves what is
//! needed to attach by hand.

use aml_compute::config::{AksAttachConfiguration, TlsSettings};
use aml_compute::{AttachOptions, Error};
use aml_model::PrivateKeyPem;

use crate::support::{
    attach_prod, cert_pair, cluster_id, fail_puts, narrow_ranges, received_writes, setup, wait,
};

#[tokio::test]
async fn a_cluster_whose_ranges_lost_the_control_plane_is_refused_before_the_detach() {
    let (emu, ws) = setup().await;
    let office = || {
        AksAttachConfiguration::builder().cluster(
            aml_emulator::STANDARD_CLUSTER_RESOURCE_GROUP,
            "aks-office-ranges",
        )
    };
    let options = AttachOptions::default().admit_control_plane(true);
    wait(ws.begin_attach("office", office(), options).await.unwrap()).await;

    // Someone narrows the cluster's ranges back to the office alone (AKS's own PUT).
    narrow_ranges(&ws, "aks-office-ranges").await;

    // The re-attach's plan checks the control plane before its detach, and refuses.
    emu.requests().clear();
    let err = ws.begin_reattach("office", None).await.unwrap_err();
    assert!(
        matches!(&err, Error::ControlPlaneNotAdmitted { missing, .. } if !missing.is_empty()),
        "{err}"
    );
    assert!(received_writes(&emu).is_empty(), "nothing was sent");
    assert!(ws.get_aks("office").await.unwrap().is_attached());
}

fn pair() -> (String, String) {
    cert_pair("score.contoso.com")
}

fn custom((cert, key): &(String, String)) -> TlsSettings {
    TlsSettings::custom(
        cert.clone(),
        PrivateKeyPem::new(key.clone()),
        "score.contoso.com",
    )
}

#[tokio::test]
async fn the_rollback_restores_a_custom_certificate_given_again() {
    let (emu, ws) = setup().await;
    let pair = pair();
    let op = ws
        .begin_attach(
            "tlsrb",
            attach_prod().enable_ssl(custom(&pair)),
            AttachOptions::default(),
        )
        .await
        .unwrap();
    wait(op).await;

    // The same certificate and key again (to update the Azure ML components): the rollback
    // can restore them; another certificate: it cannot restore the old one, and says so.
    let plan = ws
        .plan_reattach("tlsrb", Some(custom(&pair)))
        .await
        .unwrap();
    let rollback = plan.rollback().unwrap();
    assert_eq!(rollback.lost, None, "{plan}");
    assert!(
        rollback
            .previous
            .contains("custom certificate for score.contoso.com"),
        "{plan}"
    );
    assert!(!plan.to_string().contains("PRIVATE KEY"), "{plan}");
    let other = ws
        .plan_reattach("tlsrb", Some(custom(&self::pair())))
        .await
        .unwrap();
    assert!(
        other
            .rollback()
            .unwrap()
            .lost
            .as_deref()
            .is_some_and(|l| l.contains("custom certificate")),
        "{other}"
    );

    let op = ws
        .begin_reattach("tlsrb", Some(custom(&pair)))
        .await
        .unwrap();
    fail_puts(&emu, "tlsrb", 1);
    let err = op.await.unwrap_err();
    assert!(
        matches!(&err, Error::ReattachRolledBack { lost: None, .. }),
        "{err}"
    );
    let back = ws.get_aks("tlsrb").await.unwrap();
    assert!(back.is_attached());
    assert_eq!(back.ssl_status().unwrap().as_str(), "Enabled");
    assert_eq!(back.ssl_cname(), Some("score.contoso.com"));
    assert_eq!(back.ssl_cert().map(str::trim), Some(pair.0.trim()));
}

#[tokio::test]
async fn a_restore_whose_operation_fails_leaves_what_is_needed_to_attach_by_hand() {
    let (emu, ws) = setup().await;
    crate::support::attach_prod_as(&ws, "twice").await;
    let op = ws
        .begin_reattach("twice", Some(TlsSettings::microsoft("twice", false)))
        .await
        .unwrap();
    // The detach is under way: the attach after it is refused, and the restore's attach is
    // accepted but its operation ends Failed.
    fail_puts(&emu, "twice", 1);
    crate::support::fail_next_operation(&emu);
    let err = op.await.unwrap_err();
    let Error::ReattachStranded {
        previous,
        lost,
        restore,
        ..
    } = &err
    else {
        panic!("expected a stranded re-attach, got {err}");
    };
    assert!(
        previous.contains(&cluster_id("aks-prod").to_string()),
        "{previous}"
    );
    assert!(previous.contains("FastProd"), "{previous}");
    assert_eq!(lost, &None);
    assert!(
        matches!(**restore, Error::OperationFailed { .. }),
        "{restore}"
    );
    assert_eq!(aml_model::error::repeated_sentence(&err), None, "{err:?}");
    // The failed restore left the compute listed as Failed: the message says to detach it.
    assert!(ws.get_aks("twice").await.unwrap().is_failed());
    assert!(err.to_string().contains("detach the compute"), "{err}");
    assert!(
        emu.cluster(&cluster_id("aks-prod")).is_some(),
        "the cluster is kept"
    );
}
