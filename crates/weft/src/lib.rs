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

pub mod time {
    //! Timers: `sleep`, `timeout`, `interval`, on the runtime's timer wheel.
    //!
    //! A hierarchical timing wheel (6 levels of 64 slots at 1 ms) gives O(1)
    //! insert and cancel; expired timers are woken in batches by the worker
    //! that drives the reactor. See `weft_reactor::time` for the details.
    //!
    //! ```
    //! use std::time::Duration;
    //! let rt = weft::Runtime::new()?;
    //! rt.block_on(async {
    //!     weft::time::sleep(Duration::from_millis(5)).await;
    //!     let slow = weft::time::sleep(Duration::from_secs(60));
    //!     assert!(weft::time::timeout(Duration::from_millis(5), slow).await.is_err());
    //! });
    //! # Ok::<(), std::io::Error>(())
    //! ```
    pub use weft_reactor::time::*;
}

pub mod io {
    //! I/O traits: the runtime-neutral `futures-io` traits and the
    //! `futures-util` extension traits (`read_exact`, `write_all`, ...).
    //!
    //! weft's sockets implement [`AsyncRead`] and [`AsyncWrite`], so
    //! everything written against `futures-io` works with them unchanged.
    pub use weft_reactor::io::*;
}

pub mod net;

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

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
