//! Progress of long-running operations, from their progress stream: a bar on a terminal
//! (indicatif; one line per compute when several run at once), plain lines otherwise. All of it
//! goes to standard error, so standard output holds only the result (a table, or JSON).

use std::io::IsTerminal as _;

use aml_compute::{Activity, Completion, ComputeOperation, ProgressEvent};
use futures::StreamExt as _;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
#[derive(Debug, Clone)]
pub enum Progress {
    /// Nothing (benchmarks, `--quiet`).
    Silent,
    /// One plain line per step and per change of state, on standard error.
    Lines,
    /// Bars on a terminal, one per compute.
    Bars(MultiProgress),
}

impl Progress {
    /// Bars when standard error is a terminal, plain lines otherwise.
    pub(crate) fn for_terminal() -> Self {
        if std::io::stderr().is_terminal() {
            Self::Bars(MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
        } else {
            Self::Lines
        }
    }

    /// Prints one line (above the bars, on a terminal).
    pub(crate) fn line(&self, text: &str) {
        match self {
            Self::Silent => {}
            Self::Lines => eprintln!("{text}"),
            Self::Bars(multi) => {
                if multi.println(text).is_err() {
                    eprintln!("{text}");
                }
            }
        }
    }

    /// Runs `operation` to the end, showing its progress under `label` (the compute's name
    /// when several run at once), and returns its outcome.
    pub(crate) async fn watch(
        &self,
        operation: ComputeOperation,
        label: &str,
    ) -> aml_compute::Result<Completion> {
        self.watch_resumable(operation, label).await.0
    }

    /// As [`watch`](Self::watch), with the plan's step whose operation was running when it
    /// stopped ([`ComputeOperation::resume_step`]): what resumes it with its plan, with the
    /// error's resume token.
    pub(crate) async fn watch_resumable(
        &self,
        mut operation: ComputeOperation,
        label: &str,
    ) -> (aml_compute::Result<Completion>, Option<usize>) {
        for warning in operation.warnings() {
            self.line(&format!("{label}: warning: {warning}"));
        }
        let steps = u64::try_from(operation.plan().steps().len()).unwrap_or(u64::MAX);
        let bar = match self {
            Self::Bars(multi) => {
                let bar = multi.add(ProgressBar::new(steps));
                bar.set_style(
                    ProgressStyle::with_template("{prefix:>20} {bar:24} {pos}/{len} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_prefix(label.to_owned());
                Some(bar)
            }
            _ => None,
        };
        let mut events = operation.progress();
        let mut last_status = None;
        let mut failed = None;
        while let Some(event) = events.next().await {
            let event = match event {
                Ok(event) => event,
                Err(e) => {
                    if let Some(bar) = &bar {
                        bar.abandon_with_message(format!("failed: {e}"));
                    }
                    failed = Some(e);
                    break;
                }
            };
            if let Activity::Polled { status, .. } = &event.activity
                && last_status.replace(status.clone()).as_ref() == Some(status)
            {
                if let Some(bar) = &bar {
                    bar.tick();
                }
                continue;
            }
            match &bar {
                Some(bar) => {
                    bar.set_position(u64::try_from(event.step).unwrap_or(steps));
                    bar.set_message(short(&event));
                }
                None => self.line(&format!("{label}: {event}")),
            }
        }
        drop(events);
        if let Some(e) = failed {
            return (Err(e), operation.resume_step());
        }
        let step = operation.resume_step();
        let outcome = operation.await;
        if let Some(bar) = bar {
            match &outcome {
                Ok(_) => bar.finish_with_message("done"),
                Err(_) => bar.abandon_with_message("failed"),
            }
        }
        (outcome, step)
    }
}

fn short(event: &ProgressEvent) -> String {
    match &event.activity {
        Activity::Ran(what) => what.clone(),
        _ => event.to_string(),
    }
}
