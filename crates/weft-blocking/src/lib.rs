//! weft's blocking pool, and user-built thread pools for `run_in_executor`.
//!
//! Async workers must never block: a closure that reads a file, hashes a
//! buffer or calls a C library runs here instead, on threads that may block,
//! and the async side awaits its [`JoinHandle`].
//!
//! * [`BlockingPool`] is the runtime's pool, behind `weft::spawn_blocking`:
//!   a job goes straight to an idle thread if there is one; threads start
//!   on demand up to the CPU count, and past it (up to a cap, default 512)
//!   only while the threads there are blocked; they exit after a
//!   keep-alive (default 10 s) without work. Its protocol, and
//!   the argument that no job is lost or run twice, are in the [`pool`]
//!   module docs.
//! * [`ThreadPool`] is a pool the user builds, behind
//!   `weft::run_in_executor`: a fixed number of threads, a queue with a
//!   capacity that [`ThreadPool::submit`] waits on (backpressure), and
//!   asyncio's `shutdown(wait=True)` on drop. See the [`thread_pool`]
//!   module docs.
//!
//! Each closure becomes one `weft-task` task (one allocation), run once on a
//! pool thread: its handle resolves to the output, to `JoinError::Panic`
//! with the payload if it panicked (the thread survives), or to
//! `JoinError::Cancelled` if it never ran (aborted before a thread took it,
//! or dropped at shutdown). A closure that has started runs to its end:
//! threads cannot be interrupted.
//!
//! ```
//! use weft_blocking::{BlockingPool, PoolConfig, ThreadPool};
//!
//! let pool = BlockingPool::new(PoolConfig::default());
//! let len = pool.spawn_blocking(|| std::fs::read_dir(".").map(|d| d.count()).unwrap_or(0));
//! let cpu = ThreadPool::builder().threads(2).name("cpu").build()?;
//! let sum = cpu.spawn(|| (1..=10u32).sum::<u32>());
//! weft_executor::block_on(async {
//!     assert!(len.await.is_ok());
//!     assert_eq!(sum.await.unwrap(), 55);
//! });
//! pool.shutdown(None);
//! # Ok::<(), std::io::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod job;
pub mod pool;
mod sync;
pub mod thread_pool;

pub use config::{
    PoolConfig, ThreadHook, ThreadName, ThreadWrap, UnhandledPanicHook, DEFAULT_KEEP_ALIVE,
    DEFAULT_MAX_THREADS,
};
pub use pool::{BlockingMetrics, BlockingPool};
pub use thread_pool::{Builder, Submit, ThreadPool, ThreadPoolMetrics, DEFAULT_QUEUE_CAPACITY_PER_THREAD};
pub use weft_task::{JoinError, JoinHandle};
