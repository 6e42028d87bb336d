//! Detach and delete: delete removes only a cluster the workspace created.

use aml_compute::{Completion, Error};

use crate::support::{aks, attach_prod_as, cluster_id, create_devtest, setup, wait};

#[tokio::test]
async fn delete_is_refused_for_an_attached_cluster_and_removes_a_created_one() {
    let (emu, ws) = setup().await;
    attach_prod_as(&ws, "att").await;
    let err = ws.begin_delete("att").await.unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err}");
    assert_eq!(emu.requests().count("DELETE", "/computes/att"), 0);
    assert!(emu.cluster(&cluster_id("aks-prod")).is_some());

    let created = aks(create_devtest(&ws, "made").await);
    let made_cluster = created.cluster_id().unwrap();
    assert!(emu.cluster(&made_cluster).is_some());
    assert_eq!(
        wait(ws.begin_delete("made").await.unwrap()).await,
        Completion::Removed
    );
    assert!(
        emu.cluster(&made_cluster).is_none(),
        "delete removes the cluster the workspace made"
    );
    // Detach of the attached one keeps aks-prod.
    wait(ws.begin_detach("att").await.unwrap()).await;
    assert!(emu.cluster(&cluster_id("aks-prod")).is_some());
}
