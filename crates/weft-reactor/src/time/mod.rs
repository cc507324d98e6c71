//! Timers: [`sleep()`], [`timeout()`], [`interval()`].
//!
//! # Design
//!
//! Timers live in hierarchical timing wheels (6 levels × 64 slots, 1 ms
//! ticks, tokio's layout; see `wheel.rs`). It was chosen over a binary heap
//! because a heap makes cancellation O(log n) (or leaves tombstones), and in
//! a server most timers are timeouts that are cancelled, not fired. The
//! wheel inserts and cancels in O(1), finds the next deadline with one bit
//! scan per level, and expires entries in amortised O(1); its linked lists
//! are threaded through a `slab` by index, so it needs no `unsafe`. Each
//! timer costs one small `Arc` allocation, shared by the [`Sleep`] and the
//! wheel.
//!
//! A runtime has not one wheel but a power of two of *shards* (twice the
//! CPUs, at most 64), each a wheel behind a mutex of its own. A thread arms
//! its timers in the shard it was given the first time it armed one (round
//! robin), and a timer stays in that shard for its life, so workers arming
//! and cancelling timers at once take different locks, and no thread ever
//! holds two of them. A [`Sleep`] holds its shard, not a runtime handle, so
//! that creating one touches no reference count the workers share. The poller visits every shard when it fires timers
//! and when it computes how long it may sleep; whether an arming must wake
//! the sleeping poller is decided by one atomic word, read on every arming
//! and written only when the poller must be woken (the protocol, and why no
//! wake-up is lost, is in `entry.rs`; the loom models in
//! `loom-tests/tests/reactor_timer.rs` and `reactor_park.rs` check it).

//! # Guarantees
//!
//! * **Never early.** Deadlines are rounded *up* to the next 1 ms tick and a
//!   tick fires only once the clock has passed it, so a [`Sleep`] never
//!   completes before its deadline. It may complete up to about a
//!   millisecond late, plus scheduling delay.
//! * **Cheap cancel.** Dropping a [`Sleep`] (or a [`Timeout`] whose future
//!   finished first) removes its entry from the wheel in O(1).
//! * **Any thread.** Timers can be created on any thread where a weft handle
//!   is entered ([`Handle::enter`](crate::Handle::enter)); a timer is armed
//!   on its first poll. If the new deadline is earlier than the one the
//!   parked poller sleeps until, the poller is woken to shorten its sleep.
//! * **Batched firing.** Expired timers are taken out under their shard's
//!   lock and woken 32 at a time with no lock held.
//! * **Budget.** Polling a timer consumes one unit of the task's cooperative
//!   budget, like an I/O operation.
//!
//! # After shutdown
//!
//! When the runtime shuts down, every armed timer is woken. Polling a
//! [`Sleep`] (and so a [`Timeout`] or [`Interval`]) whose deadline has not
//! been reached, after its runtime has shut down, **panics** with a message
//! saying so: a timer that can never fire must not hang silently, and it
//! must not complete before its deadline either. A sleep whose deadline has
//! already passed still completes.
//!
//! # Clock
//!
//! [`Instant`] is [`std::time::Instant`], re-exported: weft has no paused or
//! mocked clock, so a wrapper would only add conversions.

pub(crate) mod entry;
mod error;
mod interval;
mod sleep;
mod timeout;
pub(crate) mod wheel;

pub use error::Elapsed;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::{Duration, Instant};
pub use timeout::{timeout, timeout_at, Timeout};
