//! `weft::sync`: the synchronisation primitives async code reaches for,
//! with tokio's names and signatures so code moves over by changing the
//! path.
//!
//! * channels: [`mpsc`] (bounded with [`Permit`](mpsc::Permit)s and
//!   [`reserve_many`](mpsc::Sender::reserve_many), and unbounded),
//!   [`oneshot`], [`broadcast`] (with `Lagged`), [`watch`];
//! * locks: [`Mutex`] (with [`OwnedMutexGuard`], [`MappedMutexGuard`]),
//!   [`RwLock`];
//! * [`Semaphore`], [`Notify`], [`Barrier`], [`OnceCell`].
//!
//! Everything works from any runtime flavour and from plain threads (the
//! `blocking_*` methods are for those, and panic inside an async context,
//! as tokio's do). Only `mpsc::Sender::send_timeout` needs a runtime, for
//! its timer.
//!
//! # The cooperative budget
//!
//! Every receive (`recv`, `recv_many`, a `oneshot::Receiver`, broadcast's
//! `recv`, watch's `changed`) and every acquire (`Semaphore::acquire*`,
//! `Mutex::lock*`, `RwLock::read`/`write`, and so a bounded `send`, which
//! waits for a slot) spends a unit of the task's budget
//! (`weft_task::coop`). Once the budget is spent the operation returns
//! `Pending` and the task goes to the back of the queue, so a task looping
//! on an always-ready channel still lets its neighbours and the timers run.
//! `try_*` methods, `Notify`, `Barrier` and the `closed()` waits do not
//! spend budget: they are waits for an event, not receives.
//!
//! # Built, not wrapped
//!
//! The issue asked us to reuse async-channel, async-lock and
//! event-listener where they do the job at the same speed. We measured
//! (`benches/benches/sync.rs`, results in `BENCHMARKS.md`) and wrote our
//! own, for these reasons:
//!
//! * **The models must check the real code.** Every waiter list here is
//!   checked by loom (`loom-tests/tests/sync_*.rs`); loom can only see
//!   code whose locks and atomics go through this crate's `sync` shim. A
//!   wrapped crate's internals are invisible to it.
//! * **The budget sits inside the waiter list**: a budget refusal must not
//!   lose a registration, and a budget unit must be given back when a poll
//!   makes no progress. Wrapping another crate's futures would spend the
//!   budget outside the operation, before we know whether it completed.
//! * **What tokio has that they do not**: `Permit`/`OwnedPermit`,
//!   `recv_many`, `Semaphore::acquire_many` with FIFO hand-over of partial
//!   permits, `Notify`'s stored permit, `broadcast`'s `Lagged`. Each would
//!   be a layer of our own on top anyway.
//!
//! One waiter list serves every primitive (`wait_list.rs`): a slab-based
//! FIFO of wakers under the primitive's mutex, where each waiting future
//! owns its slot and the notifier only unlinks it, so cancellation is a
//! slot removal, and a permit or notification handed to a dropped future
//! is passed on. The semaphore under `Mutex`, `RwLock`, `OnceCell` and the
//! bounded `mpsc` keeps its permits in an atomic word beside the list
//! (`raw_semaphore.rs`): with nobody queued, an acquire or a release is one
//! compare-and-swap, and the list's mutex is taken only to queue or to hand
//! permits over. The mpsc and watch channels keep their queue under one
//! mutex each; `broadcast` keeps each value in a slot of its own behind a
//! read-write lock, so receivers read without sharing a lock and only
//! senders (and receivers about to wait) take the channel's mutex.
//!
//! Measured (`BENCHMARKS.md`, section 5): faster than async-channel and
//! async-lock on every workload of the bench (1.2x to 3.5x), at or below
//! tokio on mpsc, Mutex and Semaphore. The oneshot (one atomic state word
//! since issue 11) is level with tokio's when both run on tokio's runtime
//! (1.02x); on weft's the round trip is 1.4x, the difference being the
//! runtime's wake-ups. The broadcast fan-out to 16 receivers is below
//! tokio's time (0.65-0.75x on a shared 2-core machine, `BENCHMARKS.md`).
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod barrier;
mod blocking;
mod mutex;
mod notify;
mod once_cell;
mod raw_semaphore;
mod rwlock;
mod semaphore;
mod sync;
mod wait_list;

pub mod broadcast;
pub mod mpsc;
pub mod oneshot;
pub mod watch;

pub use barrier::{Barrier, BarrierWaitResult};
pub use mutex::{MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, TryLockError};
pub use notify::{Notified, Notify};
pub use once_cell::{OnceCell, SetError};
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockMappedWriteGuard,
    RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError};
