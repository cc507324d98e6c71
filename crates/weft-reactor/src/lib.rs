//! One shared mio reactor: readiness, timers and net types for weft.
//!
//! A runtime has one [`Reactor`]: a `mio::Poll`, the table of registered
//! sockets, and a timer wheel. It implements the executor's
//! [`Driver`](weft_executor::Driver) trait, so the idle worker that parks
//! blocks in `mio::Poll::poll` (with the next timer as its timeout) and
//! dispatches I/O readiness and expired timers to the tasks waiting on them.
//!
//! # Wiring (for the runtime)
//!
//! ```
//! use std::sync::Arc;
//! use weft_executor::Driver;
//! use weft_reactor::Reactor;
//!
//! let reactor = Arc::new(Reactor::new()?);
//! let handle = reactor.handle();               // Clone + Send + Sync
//! let driver: Arc<dyn Driver> = reactor;       // give this to the executor
//! // On every runtime thread and inside block_on:
//! let _guard = handle.enter();
//! // ... run tasks: weft_reactor::net and ::time now work here ...
//! driver.shutdown();                           // after the workers stopped
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Modules
//!
//! * [`net`]: TCP, UDP and Unix sockets ([`futures_io`] traits).
//! * [`time`]: `sleep`, `timeout`, `interval` on a hierarchical wheel.
//! * [`io`]: re-exports of the I/O traits and their extension traits.
//! * [`signal`]: `ctrl_c` and Unix signals, delivered through the reactor.
//!
//! The protocols (readiness with ticks, timer cancel versus fire) are
//! described in the docs of the private modules `io_driver::scheduled_io`
//! and `time::entry`, and checked by the loom models in
//! `loom-tests/tests/reactor_*.rs`. Parking is the executor's one sleep
//! protocol (`weft-executor`'s `park.rs`); the reactor's part of it is a
//! blocking `mio::Poll::poll` and a `mio::Waker`.
#![deny(unsafe_op_in_unsafe_fn)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod context;
mod io_driver;
#[doc(hidden)]
pub mod orphan;
mod park;
mod reactor;
mod source;
mod sync;
mod wake_list;

pub mod io;
pub mod net;
pub mod signal;
pub mod time;

#[doc(hidden)]
pub mod loom_api;

pub use context::{EnterGuard, TryCurrentError};
pub use reactor::{Handle, Reactor};
#[doc(hidden)]
pub use source::Source;

pub(crate) use reactor::shutdown_error;
