//! The quickstart's test: its run on the emulator, and what the emulator received.

use aml_emulator::RequestLog;

use super::*;

#[tokio::test]
async fn quickstart_refuses_both_hazards_and_keeps_every_cluster() {
    let (emulator, ws) = aml_examples::testing::standard().await;
    let summary = run(&ws, Some(&emulator)).await.unwrap();
    let text = format!("{summary:#?}");
    let log = emulator.requests();

    // R10: refused with AlreadyAttached, and no PUT under the second name ever left.
    assert!(summary.second_attachment_refused, "{text}");
    assert!(
        log.matching("PUT", &format!("/computes/{SECOND_NAME}"))
            .is_empty()
    );
    // R18: refused client-side; the compute saw exactly the attach, the TLS-off + internal
    // update, the switch back, and the re-attach.
    assert!(summary.tls_with_internal_lb_refused, "{text}");
    let puts: Vec<_> = log
        .matching("PUT", "/computes/")
        .into_iter()
        .filter(|r| r.path.ends_with(&format!("/computes/{ATTACHED}")))
        .collect();
    // ... the re-attach whose attach failed, rolled back by one more attach, and ensure's
    // update and re-attach.
    assert_eq!(puts.len(), 8, "{puts:#?}");
    assert!(summary.rolled_back, "{text}");

    // Listed both, got credentials, TLS back on after the re-attach.
    assert_eq!(summary.listed.len(), 2, "{text}");
    assert!(summary.kubeconfig_bytes > 0);
    assert_eq!(summary.tls_after_reattach, "Enabled");

    // R13 and R8: the scale-down was refused before any write, the scale-out ran once
    // through the agent pool; the convergence was one scale, and then nothing.
    assert!(summary.scale_down_refused, "{text}");
    assert_eq!(summary.scaled_to, Some(4), "{text}");
    assert!(
        summary
            .convergence
            .contains("~ create.agent_count 1 -> 2 (scale)"),
        "{text}"
    );
    assert!(summary.converged, "{text}");
    day_two(&summary, log);

    // Detach never deleted: the workspace is empty, both clusters exist, and every DELETE
    // asked for a detach.
    assert_eq!(summary.detached, [CREATED, ATTACHED]);
    for name in [CREATED, ATTACHED] {
        let id = ws.id().compute(name.parse().unwrap());
        assert!(emulator.compute(&id).is_none(), "{name} still attached");
    }
    assert_eq!(summary.clusters.len(), 2);
    for cluster in &summary.clusters {
        assert!(
            emulator.cluster(&cluster.parse().unwrap()).is_some(),
            "{cluster} was deleted"
        );
    }
    let deletes: Vec<_> = log
        .entries()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    // prod-aks: the three re-attaches' detaches, the final one, and 7b's rollback's (it
    // detaches the compute the failed attach operation left `Failed` before restoring);
    // dev-aks: the final detach only (asserted above).
    let prod_deletes = log.count("DELETE", &format!("/computes/{ATTACHED}"));
    assert_eq!(prod_deletes, 5, "{deletes:#?}");
    assert_eq!(deletes.len(), prod_deletes + 1, "{deletes:#?}");
    assert!(deletes.iter().all(|r| {
        r.query
            .as_deref()
            .is_some_and(|q| q.contains("underlyingResourceAction=Detach"))
    }));

    emulator.shutdown().await;
}

/// Issue 13's day-two steps: the autoscaler, the refused VM size, and ensure's classes.
fn day_two(summary: &Summary, log: &RequestLog) {
    let text = format!("{summary:#?}");
    // The autoscaler on, then off; the new VM size refused before any request.
    assert_eq!(summary.autoscaler.len(), 2, "{text}");
    assert!(
        summary.autoscaler[0].ends_with("autoscaler on, 3 to 6 nodes (4 now)"),
        "{text}"
    );
    assert!(
        summary.autoscaler[1].ends_with("autoscaler off, 4 nodes"),
        "{text}"
    );
    assert!(summary.vm_size_refused, "{text}");
    assert_eq!(log.matching("PUT", "/agentPools/").len(), 4, "{text}");

    // ensure's other classes: TLS in place, the purpose by a re-attach; a created compute's
    // VM size refused with nothing written (its only PUT is the create).
    assert!(
        summary
            .updated
            .iter()
            .any(|d| d.starts_with("~ tls.status Disabled -> Auto")),
        "{text}"
    );
    assert!(
        summary
            .reattached
            .iter()
            .any(|d| d.starts_with("~ attach.cluster_purpose FastProd -> DevTest")),
        "{text}"
    );
    assert_eq!(summary.purpose_after_reattach, "DevTest", "{text}");
    assert_eq!(summary.recreate_refused.len(), 1, "{text}");
    assert!(
        summary.recreate_refused[0]
            .starts_with("~ create.vm_size Standard_D3_v2 -> Standard_D4_v2"),
        "{text}"
    );
    assert_eq!(
        log.count("PUT", &format!("/computes/{CREATED}")),
        1,
        "{text}"
    );
    // The production re-attach of the 2-node cluster: refused by its checks, so the only
    // DELETE of the created compute is the final detach.
    assert!(
        summary
            .reattach_refused
            .contains("[purpose.production_nodes]"),
        "{text}"
    );
    assert_eq!(
        log.count("DELETE", &format!("/computes/{CREATED}")),
        1,
        "{text}"
    );
}
