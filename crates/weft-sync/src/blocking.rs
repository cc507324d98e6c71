//! The `blocking_*` methods: wait on a primitive from a plain thread.

use std::future::Future;

/// Runs `fut` to completion on this thread, for `what` (a method name).
///
/// # Panics
///
/// Inside an async context: on a weft worker thread or while a weft task is
/// being polled, blocking would stall every task queued behind this one (and
/// can deadlock the runtime if the other side runs on the same worker).
/// tokio panics there too. The message names the method and the async
/// alternative (`instead`).
#[track_caller]
pub(crate) fn block_on<F: Future>(what: &str, instead: &str, fut: F) -> F::Output {
    if weft_executor::is_worker_thread() || weft_task::current_id().is_some() {
        panic!(
            "weft::sync: {what} was called from inside an async context (a weft task or worker \
             thread); blocking there stalls the runtime. Use `{instead}` instead, or call it \
             from a plain thread or a blocking closure (weft::spawn_blocking)"
        );
    }
    weft_executor::block_on(fut)
}
