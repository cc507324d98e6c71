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
//!
//! Most programs and tests let an attribute build the runtime
//! ([`macro@main`], [`macro@test`]), and wait on several futures at once
//! with [`select!`], [`join!`] and [`try_join!`]:
//!
//! ```
//! use std::time::Duration;
//!
//! #[weft::main]
//! async fn main() {
//!     let (a, b) = weft::join!(async { 1 }, weft::spawn(async { 2 }));
//!     let first = weft::select! {
//!         _ = weft::time::sleep(Duration::from_secs(60)) => "the timer",
//!         v = async { a + b.unwrap() } => if v == 3 { "the sum" } else { "?" },
//!     };
//!     assert_eq!(first, "the sum");
//! }
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod macros;
pub mod runtime;
pub mod task;

pub use weft_macros::{main, test};

/// What the macros' expansions name; not an API.
#[doc(hidden)]
pub mod __private {
    pub use crate::macros::support::select_start;
    pub use core::future::{poll_fn, Future, IntoFuture};
    pub use core::pin::pin;
    pub use core::task::{Context, Poll};
    pub use weft_macros::{join_impl, select_impl, try_join_impl};
    pub use weft_task::coop;
}

pub mod time {
    //! Timers: `sleep`, `timeout`, `interval`, on the runtime's timer wheel.
    //!
    //! A hierarchical timing wheel (6 levels of 64 slots at 1 ms) gives O(1)
    //! insert and cancel; expired timers are woken in batches by the worker
    //! that drives the reactor; a timer never fires before its deadline, and
    //! fires within about a millisecond after it on an idle runtime.
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

pub mod fs;
pub mod net;
pub mod process;

pub mod signal {
    //! Signals: [`ctrl_c`] and [`unix::signal`], delivered through the
    //! runtime's reactor (no thread of their own).
    //!
    //! ```no_run
    //! use weft::signal::unix::{signal, SignalKind};
    //!
    //! let rt = weft::Runtime::new()?;
    //! rt.block_on(async {
    //!     let mut hup = signal(SignalKind::hangup())?;
    //!     let shutdown = weft::spawn(weft::signal::ctrl_c());
    //!     while hup.recv().await.is_some() {
    //!         println!("reloading the configuration");
    //!     }
    //!     shutdown.await.unwrap()
    //! })?;
    //! # Ok::<(), std::io::Error>(())
    //! ```
    //!
    //! Many listeners may exist for one signal; each sees each delivery,
    //! and deliveries made while a listener was not looking are reported
    //! to it once (coalesced, as the OS does).
    //!
    //! **How.** A signal's handler (installed with `signal-hook`, which
    //! chains handlers installed before and refuses `SIGKILL`, `SIGSTOP`
    //! and the fault signals) sets the signal's flag and writes a byte to
    //! a self-pipe. Every reactor with a listener watches the pipe in its
    //! `epoll` set; the worker driving it drains the pipe and wakes the
    //! listeners of each flagged signal. A self-pipe, because a handler may
    //! do almost nothing (no locks, no allocation, no wakers) and the
    //! reactor already sleeps in `epoll_wait`: a descriptor it watches
    //! reaches it without a thread of our own; signal-hook, because it
    //! offers exactly those two handler actions as safe functions.
    //!
    //! **Dropping the last listener** leaves the handler installed for the
    //! life of the process, as in tokio: after a program has listened for
    //! `SIGINT`, Ctrl-C no longer terminates it by default. Deliveries with
    //! no listener are discarded; a listener created later does not see
    //! them. weft does not restore the default disposition, which would
    //! race with deliveries in flight and with handlers chained behind
    //! ours.
    //!
    //! **Shutdown.** Once the runtime a listener was created in shuts
    //! down, its `recv` returns `None` (and `ctrl_c` an error).
    pub use weft_reactor::signal::{ctrl_c, unix};
}

pub mod compat;

pub mod guide {
    //! Guides: weft for readers who know another runtime.
    //!
    //! * [`coming_from_tokio`]: tokio's items and weft's, the adapters, and
    //!   what needs a tokio runtime.
    //! * [`coming_from_asyncio`]: asyncio's loop methods and functions, and
    //!   weft's.

    pub mod coming_from_tokio {
        #![doc = include_str!("guide/coming_from_tokio.md")]
    }

    pub mod coming_from_asyncio {
        #![doc = include_str!("guide/coming_from_asyncio.md")]
    }
}

/// Channels, locks and other synchronisation for tasks: `mpsc`,
/// `oneshot`, `broadcast`, `watch`, `Mutex`, `RwLock`, `Semaphore`,
/// `Notify`, `Barrier`, `OnceCell`, with tokio's names. Every receive and
/// acquire spends the task's cooperative budget.
pub use weft_sync as sync;

pub mod blocking {
    //! Pools for blocking and CPU-bound work.
    //!
    //! The runtime has its own pool behind [`crate::spawn_blocking`]:
    //! a closure goes to an idle thread if there is one; threads start on
    //! demand up to the CPU count, and past it, up to
    //! `Builder::max_blocking_threads` (default 512), only while the
    //! threads there are blocked; they exit after
    //! `Builder::thread_keep_alive` (default 10 s) without work.
    //!
    //! For CPU-bound work, build a [`ThreadPool`] sized to the cores and
    //! hand it closures with [`crate::run_in_executor`] (asyncio's
    //! `loop.run_in_executor`) or, for a producer that could outrun it,
    //! with [`ThreadPool::submit`], which waits for room in the queue.
    //!
    //! **Abort and cancellation.** Aborting the `JoinHandle` of a closure
    //! that has not started means it never runs (`JoinError::Cancelled`).
    //! Once a closure runs, it runs to its end: a thread cannot be
    //! interrupted; the abort only discards the result.
    //!
    //! ```
    //! let rt = weft::Runtime::new()?;
    //! let cpu = weft::blocking::ThreadPool::builder().threads(2).name("cpu").build()?;
    //! let digest = rt.block_on(async {
    //!     let h = weft::run_in_executor(&cpu, || (0..1_000_000u64).fold(0u64, |a, x| a.wrapping_mul(31).wrapping_add(x)));
    //!     h.await
    //! })?;
    //! assert_ne!(digest, 0);
    //! # Ok::<(), Box<dyn std::error::Error>>(())
    //! ```
    pub use weft_blocking::thread_pool::Builder as ThreadPoolBuilder;
    pub use weft_blocking::{BlockingMetrics, Submit, ThreadPool, ThreadPoolMetrics};
}

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
    runtime::context::with_current(|rt| match rt {
        Some(rt) => rt.exec.spawn(future),
        None => panic!("weft::spawn: {}", runtime::handle::NO_RUNTIME),
    })
}

/// Runs a blocking or CPU-bound closure on the runtime's blocking pool, off
/// the async workers, and returns its [`JoinHandle`].
///
/// The pool hands `f` to an idle thread, or starts one while fewer are
/// alive than the machine has CPUs; past that it adds threads, up to
/// `Builder::max_blocking_threads`, only while the ones it has are blocked
/// (closures that sleep or wait get their threads within a few
/// milliseconds; a burst of CPU-bound closures shares the CPUs' worth).
/// At the cap, closures wait in its queue. A panic in `f` becomes
/// `JoinError::Panic`. Aborting the handle before `f` starts means `f`
/// never runs; once it runs, it runs to its end. Inside `f`,
/// [`runtime::Handle::current`] works, so it may spawn or `block_on`.
///
/// # Panics
///
/// Outside a runtime; use [`Runtime::spawn_blocking`] there.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// let n = rt.block_on(async {
///     weft::spawn_blocking(|| std::fs::read_dir(".").map(|d| d.count()).unwrap_or(0)).await
/// })?;
/// println!("{n} entries");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    runtime::context::with_current(|rt| match rt {
        Some(rt) => rt.blocking.spawn_blocking(f),
        None => panic!("weft::spawn_blocking: {}", runtime::handle::NO_RUNTIME),
    })
}

/// Runs `f` on a pool of the user's and returns its [`JoinHandle`] at once,
/// as asyncio's `loop.run_in_executor(pool, f)` returns a future.
///
/// Always accepted, even past the pool's queue capacity: the queue then
/// grows like asyncio's unbounded one, costing memory for every waiting
/// closure. A producer that can outrun the pool should use
/// [`blocking::ThreadPool::submit`], which waits for room instead.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// let pool = weft::blocking::ThreadPool::builder().threads(2).name("cpu").build()?;
/// let v = rt.block_on(async { weft::run_in_executor(&pool, || 6 * 7).await })?;
/// assert_eq!(v, 42);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[track_caller]
pub fn run_in_executor<F, R>(pool: &blocking::ThreadPool, f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    pool.spawn(f)
}

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
