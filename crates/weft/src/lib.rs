//! weft: an async runtime for Rust.
//!
//! Python's asyncio gave programmers an event loop: one place that runs
//! tasks, waits for I/O and decides which task runs next. weft is that loop
//! on every core: a work-stealing scheduler over N worker threads, one
//! shared I/O reactor, and a separate pool for blocking work.
//!
//! ```
//! let rt = weft::Runtime::new()?;
//! rt.block_on(async {
//!     let task = weft::spawn(async { "hello from a task" });
//!     assert_eq!(task.await.unwrap(), "hello from a task");
//! });
//! # Ok::<(), std::io::Error>(())
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod runtime;
pub mod task;

use std::future::Future;

pub use runtime::{Builder, Runtime};

use task::JoinHandle;

/// Spawns a future onto the current runtime.
///
/// On a worker thread the task goes to that worker's queue; elsewhere (in
/// `block_on`, a blocking closure) to the runtime's injector.
///
/// # Panics
///
/// Outside a runtime, with a message naming the fix; use
/// [`Runtime::spawn`] or [`runtime::Handle::spawn`] there.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let h = weft::spawn(async { 40 + 2 });
///     assert_eq!(h.await.unwrap(), 42);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match runtime::context::current() {
        Some(h) => h.spawn(future),
        None => panic!("weft::spawn: {}", runtime::handle::NO_RUNTIME_SPAWN),
    }
}
