//! weft's work-stealing scheduler.
//!
//! N workers share the tasks of one executor. Each worker owns a local FIFO
//! queue (a `crossbeam_deque::Worker`) and a LIFO slot for the task its
//! running task just woke; all share one `Injector` for work from outside
//! and every worker's `Stealer`. An idle worker steals about half of a
//! random victim's queue; at most half the workers search at once; idle
//! workers park through a [`Driver`], one of them inside it (where the
//! reactor waits on I/O and timers), the others on their own condvars.
//!
//! The modules, in the order a reader should take them:
//!
//! * `handle.rs`: the shared state, spawning, placement, shutdown.
//! * `worker.rs`: the run loop, the LIFO slot, fairness, stealing.
//! * `idle.rs`: the searching/sleeping protocol, and why no wake-up is lost.
//! * `park.rs`: how a worker sleeps, in the driver or on a condvar.
//! * `queue.rs`: the queues (crossbeam, or a loom-visible stand-in).
//!
//! * `core_cell.rs`: who owns a worker's core, and how it moves to another
//!   thread (the crate's only `unsafe`, argued there).
//! * `monitor.rs`: automatic handoff of a worker stuck in one poll.
//! * `slow.rs`: debug mode's slow-poll and starved-task reports.
//!
//! This crate starts no threads of its own: the caller starts a thread per
//! [`Worker`] (so it can name it and set up its context), and provides a
//! [`ThreadSource`] for the workers handed off later and a thread for the
//! [`Monitor`]. The task's unsafe code lives in `weft-task`.
//!
//! ```
//! use std::sync::Arc;
//! use weft_executor::{block_on, CondvarDriver, Config, Handle};
//!
//! let (handle, workers) = Handle::new(Config { workers: 2, ..Config::default() }, Arc::new(CondvarDriver::new()));
//! let threads: Vec<_> = workers.into_iter().map(|w| std::thread::spawn(move || w.run())).collect();
//! let tasks: Vec<_> = (0..100u64).map(|i| handle.spawn(async move { i * 2 })).collect();
//! let sum: u64 = block_on(async { let mut s = 0; for t in tasks { s += t.await.unwrap(); } s });
//! assert_eq!(sum, 9900);
//! handle.shutdown();
//! for t in threads { t.join().unwrap(); }
//! handle.finish_shutdown();
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod block_on;
pub mod context;
mod core_cell;
mod driver;
mod handle;
mod idle;
pub mod local;
mod metrics;
mod monitor;
mod park;
mod queue;
mod slow;
mod sync;
mod worker;

/// The cooperative budget; defined in `weft-task` so that `JoinHandle` can
/// honour it, re-exported here for the resources built on the executor.
pub use weft_task::coop;

/// Containing panics of foreign code (wakers, hooks) on runtime threads;
/// defined in `weft-task`, re-exported for the crates built on the executor.
pub use weft_task::foreign;

pub use block_on::block_on;
pub use driver::{CondvarDriver, Driver};
pub use handle::{Config, Handle, UnhandledPanicHook, Worker, DEFAULT_HANDOFF};
pub use metrics::{ExecutorMetrics, WorkerMetrics};
pub use monitor::{Monitor, ReservedThread, ThreadSource};
pub use slow::{SlowPoll, SlowPollHook, SlowPollKind};
pub use worker::{block_in_place, is_worker_thread};
