//! The `blocking_*` methods: wait on a primitive from a plain thread.

use std::future::Future;

/// Runs `fut` to completion on this thread, for `what` (a method name).
///
/// # Panics
///
/// On a weft worker thread (inside a task's poll): blocking would stall
/// every task queued behind this one, and can deadlock the runtime if the
/// other side runs on the same worker. tokio panics there too. The message
/// names the method and the async alternative (`instead`).
///
/// The test is the one `Handle::block_on` makes (`is_worker_thread`), so
/// both allow the same places: plain threads, blocking-pool closures, and
/// `block_in_place`, which hands the worker to another thread before its
/// closure runs. Not caught: a `blocking_*` call inside a future that
/// `Runtime::block_on` drives on a plain thread; it blocks that one thread
/// only, and works if the other side runs on the workers.
#[track_caller]
pub(crate) fn block_on<F: Future>(what: &str, instead: &str, fut: F) -> F::Output {
    if weft_executor::is_worker_thread() {
        panic!(
            "weft::sync: {what} was called from inside an async context (a weft task or worker \
             thread); blocking there stalls the runtime. Use `{instead}` instead, or call it \
             from a plain thread or a blocking closure (weft::spawn_blocking)"
        );
    }
    weft_executor::block_on(fut)
}
