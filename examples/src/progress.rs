//! The examples' renderer of an operation's progress stream.

use aml_compute::{Activity, Completion, ComputeOperation};
use futures::StreamExt;

/// Runs `operation` to the end, printing its warnings, each step it runs and each change of
/// state of its waits (not every poll), each line after `indent`; then returns its outcome.
///
/// This is what a command-line program does with [`ComputeOperation::progress`]: the library
/// never prints, its caller renders the events.
pub async fn watch(
    mut operation: ComputeOperation,
    indent: &str,
) -> aml_compute::Result<Completion> {
    for warning in operation.warnings() {
        println!("{indent}warning: {warning}");
    }
    // The stream borrows the operation; it is `Unpin`, so it can be polled in place.
    let mut events = operation.progress();
    let mut last_status = None;
    while let Some(event) = events.next().await {
        let event = event?;
        if let Activity::Polled { status, .. } = &event.activity
            && last_status.replace(status.clone()).as_ref() == Some(status)
        {
            continue; // still in the same state
        }
        println!("{indent}{event}");
    }
    drop(events);
    operation.await
}
