//! The invariants checked at the end, from the emulator's state and request log and from what
//! the library returned.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use aml_emulator::{
    LoggedRequest, STANDARD_CLUSTER_RESOURCE_GROUP, STANDARD_RESOURCE_GROUP, STANDARD_SUBSCRIPTION,
    STANDARD_WORKSPACE,
};

use crate::record::Reported;
use crate::setup::Decoy;
use crate::{CONTENDED, PER_TRY, Soak, TOKEN, lock};

/// The compute name a created cluster belongs to: the emulator names it
/// `{compute}-{5 digits}-{13 hex}`.
fn creator(cluster: &str) -> Option<&str> {
    let mut parts = cluster.rsplitn(3, '-');
    let hex = parts.next()?;
    let digits = parts.next()?;
    let name = parts.next()?;
    (hex.len() == 13
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && digits.len() == 5
        && digits.bytes().all(|b| b.is_ascii_digit()))
    .then_some(name)
}

/// The query parameter `underlyingResourceAction` of a logged request.
fn delete_action(entry: &LoggedRequest) -> Option<String> {
    entry.query.as_deref().and_then(|q| {
        q.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            k.eq_ignore_ascii_case("underlyingResourceAction")
                .then(|| v.to_ascii_lowercase())
        })
    })
}

impl Soak {
    /// Whether a logged request is one the lifecycles make, to a path of the workspace, a
    /// contended cluster, the version list or an operation status.
    fn expected_request(entry: &LoggedRequest, names: &BTreeSet<String>) -> bool {
        let path = entry.path.to_ascii_lowercase();
        let method = entry.method.as_str();
        let sub = format!("/subscriptions/{STANDARD_SUBSCRIPTION}");
        let ws = format!(
            "{sub}/resourcegroups/{STANDARD_RESOURCE_GROUP}/providers/microsoft.machinelearningservices/workspaces/{STANDARD_WORKSPACE}"
        )
        .to_ascii_lowercase();
        let clusters = format!(
            "{sub}/resourcegroups/{STANDARD_CLUSTER_RESOURCE_GROUP}/providers/microsoft.containerservice/managedclusters/"
        )
        .to_ascii_lowercase();
        if path == ws {
            return method == "GET";
        }
        if let Some(rest) = path.strip_prefix(&format!("{ws}/computes")) {
            return match rest.strip_prefix('/') {
                None => rest.is_empty() && method == "GET",
                Some(name) => names.contains(name) && matches!(method, "GET" | "PUT" | "DELETE"),
            };
        }
        if let Some(cluster) = path.strip_prefix(&clusters) {
            return method == "GET" && CONTENDED.iter().any(|(c, _)| *c == cluster);
        }
        if let Some(rest) = path.strip_prefix(&format!(
            "{sub}/providers/microsoft.containerservice/locations/"
        )) {
            return method == "GET" && rest.ends_with("/kubernetesversions");
        }
        if let Some(rest) = path.strip_prefix(&format!(
            "{sub}/providers/microsoft.machinelearningservices/locations/"
        )) {
            return method == "GET" && rest.contains("/computeoperationsstatus/");
        }
        false
    }

    /// Every invariant, from the emulator's state and request log and from what the library
    /// returned:
    ///
    /// 1. no task panicked;
    /// 2. every call succeeded or returned a typed error the injected faults explain, and no
    ///    write the library made was lost: a retried PUT refused with 409 because an earlier,
    ///    handled try's operation was running gets a poller for that operation, and
    ///    `Error::Rejected` (nothing was written) only when no try was handled;
    /// 3. no compute was created twice: no create name has two clusters, a deleted one has
    ///    none, and one created and only detached has exactly one;
    /// 4. no cluster was attached under two names at once;
    /// 5. nothing only asked to be detached was deleted: every seeded cluster exists, every
    ///    DELETE of an attached compute says Detach, every Delete was asked for;
    /// 6. every operation the emulator ended `Failed` or `Canceled` was never reported as a
    ///    success, and one the caller saw end was reported with the emulator's status;
    /// 7. the token went nowhere but the emulator: the decoy listener was never contacted,
    ///    every logged request is one the lifecycles make, none was refused with 401, and no
    ///    error or value printed the token.
    ///
    /// Every broken invariant is a `FAILURE` line and fails the test, in the CI-size run and in
    /// the long one alike.
    #[allow(clippy::too_many_lines)] // one report, in the order of the list above
    pub(crate) async fn final_checks(&self, decoy: &Decoy, panics: &[String]) {
        let seed = self.seed;
        let log = self.emu.requests().entries();
        self.emu.faults().clear();
        let mut failures: Vec<String> = Vec::new();

        // 1. Panics.
        for p in panics {
            failures.push(format!("a task panicked: {p}"));
        }

        // 2. Typed, explained errors; the summary by step and variant.
        let calls = std::mem::take(&mut *lock(&self.calls));
        let mut summary: BTreeMap<(&str, String), u32> = BTreeMap::new();
        for call in &calls {
            let outcome = call.error.clone().unwrap_or_else(|| "ok".into());
            *summary.entry((call.step, outcome)).or_default() += 1;
            if !call.expected {
                failures.push(format!(
                    "{} {}: unexpected error {}: {}",
                    call.step,
                    call.name,
                    call.error.as_deref().unwrap_or("?"),
                    call.text
                ));
            }
        }
        let mut report = String::new();
        let _ = writeln!(report, "{} library calls:", calls.len());
        for ((step, outcome), n) in &summary {
            let _ = writeln!(report, "  {step:<13} {outcome:<40} {n}");
        }
        let mut kinds: BTreeMap<String, u32> = BTreeMap::new();
        for kind in calls.iter().filter_map(|c| c.kind) {
            *kinds.entry(format!("{kind:?}")).or_default() += 1;
        }
        let _ = writeln!(report, "errors by kind: {kinds:?}");
        let mut samples: BTreeMap<&str, (&str, &str, &str)> = BTreeMap::new();
        for call in &calls {
            if let Some(error) = &call.error {
                samples
                    .entry(error)
                    .or_insert((call.step, &call.name, &call.text));
            }
        }
        let _ = writeln!(report, "one error of each kind:");
        for (error, (step, name, text)) in &samples {
            let _ = writeln!(report, "  {error}: {step} {name}: {text}");
        }
        let _ = writeln!(report, "faults injected: {:?}", lock(&self.injected));
        let faulted = log.iter().filter(|e| e.fault.is_some()).count();
        let _ = writeln!(
            report,
            "{} ARM requests reached the emulator, {faulted} of them met a fault",
            log.len()
        );

        let slow: Vec<&LoggedRequest> = log
            .iter()
            .filter(|e| e.fault.as_deref() == Some("delay") && e.duration >= PER_TRY)
            .collect();
        let _ = writeln!(
            report,
            "{} requests were delayed past the per-try timeout and handled anyway ({} writes)",
            slow.len(),
            slow.iter().filter(|e| e.method != "GET").count()
        );

        // What happened to writes that reached the emulator twice (same client request id):
        // the library retried a PUT or DELETE whose first try had been handled.
        let mut writes: BTreeMap<&str, Vec<&LoggedRequest>> = BTreeMap::new();
        for entry in log.iter().filter(|e| e.method != "GET") {
            if let Some(id) = entry.client_request_id.as_deref() {
                writes.entry(id).or_default().push(entry);
            }
        }
        let mut twice: BTreeMap<String, u32> = BTreeMap::new();
        for tries in writes.values() {
            let handled: Vec<&&LoggedRequest> = tries
                .iter()
                .filter(|e| {
                    matches!(e.status, Some(200..=299))
                        || e.fault.as_deref() == Some("resetAfterHandling")
                })
                .collect();
            if handled.len() > 1 {
                let answers: Vec<String> = tries
                    .iter()
                    .map(|e| {
                        e.status.map_or_else(
                            || e.fault.clone().unwrap_or_else(|| "reset".into()),
                            |s| s.to_string(),
                        )
                    })
                    .collect();
                *twice
                    .entry(format!("{} {}", tries[0].method, answers.join(" -> ")))
                    .or_default() += 1;
            }
        }
        let _ = writeln!(
            report,
            "writes handled twice by the emulator (tries' answers, in order): {twice:?}"
        );

        // A write whose first try was handled (an operation started) but whose answer was lost,
        // and whose retry was refused with 409: the caller must get a poller for that write, or
        // `Rejected` (nothing was written) only when no try was handled.
        for call in calls.iter().filter(|c| {
            c.error.as_deref() == Some("Arm(Api(409))")
                || c.error
                    .as_deref()
                    .is_some_and(|e| e.starts_with("Rejected"))
        }) {
            let Some(tries) = call
                .client_request_id
                .as_deref()
                .and_then(|id| writes.get(id))
            else {
                continue;
            };
            let handled = tries.iter().any(|e| {
                e.fault.as_deref() == Some("resetAfterHandling")
                    || matches!(e.status, Some(200..=299))
            });
            if handled {
                failures.push(format!(
                    "lost operation: {} {}: a try of the {} was handled and its answer lost; the retry was refused with 409, and the library returned {} without a way to follow the operation that try started: {}",
                    call.step, call.name, tries[0].method, call.error.as_deref().unwrap_or("?"), call.text
                ));
            }
        }

        // 3. No compute created twice.
        let clusters: serde_json::Value = self
            .ws
            .arm()
            .get_json(&format!(
                "/subscriptions/{STANDARD_SUBSCRIPTION}/resourceGroups/{STANDARD_RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters?api-version={}",
                aml_model::request::CONTAINER_SERVICE_API_VERSION
            ))
            .await
            .unwrap();
        let mut per_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for cluster in clusters["value"].as_array().unwrap() {
            let cluster = cluster["name"].as_str().unwrap();
            match creator(cluster) {
                Some(name) => per_name
                    .entry(name.to_ascii_lowercase())
                    .or_default()
                    .push(cluster.to_owned()),
                None => failures.push(format!(
                    "cluster {cluster} in the workspace's group was not made by a create"
                )),
            }
        }
        let creates = lock(&self.create_names).clone();
        let done = lock(&self.created).clone();
        let asked = lock(&self.delete_asked).clone();
        let deleted = lock(&self.deleted).clone();
        for name in done.difference(&asked) {
            let made = per_name.get(name).map_or(0, Vec::len);
            if made != 1 {
                failures.push(format!(
                    "compute {name} was created and only detached, yet {made} clusters of it exist"
                ));
            }
        }
        for (name, made) in &per_name {
            if !creates.contains(name) {
                failures.push(format!("cluster(s) {made:?} belong to no create lifecycle"));
            } else if made.len() > 1 {
                failures.push(format!(
                    "compute {name} was created {} times: clusters {made:?}",
                    made.len()
                ));
            } else if deleted.contains(name) {
                failures.push(format!(
                    "compute {name} was reported deleted, yet its cluster {made:?} exists (created again after the delete?)"
                ));
            }
        }
        let _ = writeln!(
            report,
            "{} create lifecycles left {} clusters ({} were deleted through the library)",
            creates.len(),
            per_name.values().map(Vec::len).sum::<usize>(),
            deleted.len()
        );

        // 4. No cluster attached under two names at once.
        let attach = lock(&self.attach_names).clone();
        self.note_double_attachments("final state check", attach.iter());
        let refused = calls
            .iter()
            .filter(|c| c.error.as_deref() == Some("AlreadyAttached"))
            .count();
        let _ = writeln!(
            report,
            "{} attach lifecycles on {} clusters; refused {refused} second attachments [attach.cluster_attached]",
            attach.len(),
            CONTENDED.len()
        );
        for double in lock(&self.double_attachments).iter() {
            // `Workspace::attach` serializes attaches from its listing to the PUT, so two
            // attaches of one cluster through one Workspace never both pass the check.
            failures.push(format!(
                "a cluster attached under two names [attach.cluster_attached]: {double}"
            ));
        }

        // 5. Nothing deleted that was only asked to be detached.
        for id in self.seeded_clusters() {
            if self.emu.cluster(&id).is_none() {
                failures.push(format!("seeded cluster {id} was deleted"));
            }
        }
        for entry in log.iter().filter(|e| e.method == "DELETE") {
            let name = entry
                .path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            match delete_action(entry).as_deref() {
                Some("detach") => {}
                Some("delete") if asked.contains(&name) => {}
                other => failures.push(format!(
                    "DELETE of {name} with underlyingResourceAction={other:?}, though it was only to be detached"
                )),
            }
        }

        // 6. Failed operations were reported as failed.
        let lros = std::mem::take(&mut *lock(&self.lros));
        let mut endings: BTreeMap<(String, String), u32> = BTreeMap::new();
        for lro in &lros {
            let state: serde_json::Value = serde_json::from_str(lro.token.as_str()).unwrap();
            let truth = match state["asyncOperationUrl"].as_str() {
                Some(url) => {
                    let status: serde_json::Value = self.ws.arm().get_json(url).await.unwrap();
                    status["status"].as_str().unwrap_or("?").to_owned()
                }
                // Followed by the compute's provisioning state (its first answer was lost): the
                // state has moved on since, so its ending cannot be read back now.
                None if state["mode"] == "resourceState" => "Followed".to_owned(),
                // A DELETE answered 204 at once: nothing to poll, it succeeded.
                None => "Succeeded".to_owned(),
            };
            *endings
                .entry((truth.clone(), format!("{:?}", lro.reported)))
                .or_default() += 1;
            let consistent = match &lro.reported {
                _ if truth == "Followed" => true,
                Reported::Succeeded => truth == "Succeeded",
                Reported::Ended(status) => *status == truth,
                Reported::GaveUp(_) => true,
            };
            if !consistent {
                failures.push(format!(
                    "the {} of {} ended {truth} in the emulator but the library reported {:?}",
                    lro.kind, lro.name, lro.reported
                ));
            }
        }
        let _ = writeln!(
            report,
            "{} operations waited for; (emulator's ending, reported to the caller): {endings:?}",
            lros.len()
        );

        // 7. The token went nowhere else.
        let names: BTreeSet<String> = creates.union(&attach).cloned().collect();
        for entry in &log {
            if !Self::expected_request(entry, &names) {
                failures.push(format!(
                    "unexpected request {} {}?{}",
                    entry.method,
                    entry.path,
                    entry.query.as_deref().unwrap_or("")
                ));
            }
            if entry.status == Some(401) {
                failures.push(format!(
                    "{} {} was refused with 401: the token was not sent",
                    entry.method, entry.path
                ));
            }
        }
        let connections = decoy.connections.load(Ordering::SeqCst);
        if connections > 0 {
            failures.push(format!(
                "{connections} connection(s) reached the decoy listener on {}: {:?}",
                decoy.addr,
                String::from_utf8_lossy(&lock(&decoy.received))
            ));
        }
        for leak in lock(&self.leaks).iter() {
            failures.push(format!("the token was printed: {leak}"));
        }
        let debug = format!("{:?} {:?}", self.ws, self.ws.arm());
        if debug.contains(TOKEN) {
            failures.push(format!("the workspace's Debug shows the token: {debug}"));
        }

        println!("{report}");
        for failure in &failures {
            println!("FAILURE (seed {seed}): {failure}");
        }
        assert!(
            failures.is_empty(),
            "seed {seed}: {} invariant(s) broken (reproduce with SOAK_SEED={seed}); see FAILURE lines above",
            failures.len()
        );
    }
}
