//! The park loop: what one [`Driver::park`](weft_executor::Driver::park) of
//! the reactor does, generic over the wait on the OS ([`PollStep`]) and the
//! clock ([`Clock`]).
//!
//! The reactor runs it with `mio::Poll` and `Instant::now()` (monomorphised:
//! no dynamic dispatch on the park path). The loom model
//! `loom-tests/tests/reactor_park.rs` runs the same code with a stand-in
//! whose wait is a loom condvar and whose clock only moves when the model
//! says so (`loom-tests/src/reactor.rs`), so loom checks the order of the
//! steps below against timers, readiness events and unparks from other
//! threads.
//!
//! # One park
//!
//! With the poller lock held (one parker at a time; the executor guarantees
//! it, the lock makes it safe):
//!
//! 1. `Timers::before_park`: the time until the next expiration over all
//!    the wheel shards, and
//!    the record that the poller sleeps until then (so that an earlier timer
//!    armed from now on is told to wake it). The wait is bounded by the
//!    smaller of that and the executor's timeout.
//! 2. [`PollStep::poll`]: block until an event, an unpark, or the timeout.
//! 3. `Timers::after_park`: the poller no longer sleeps. This comes after
//!    the wait: a timer armed during it must still see the record of step 1.
//! 4. [`PollStep::take_ready`]: copy the events out, so that no waker runs
//!    under the poller lock.
//!
//! Then, with the poller lock released: the signal listeners if the signal
//! pipe was readable, the readiness dispatch (under the registration lock,
//! wakers called outside it in batches), and last the expired timers, at
//! the time read *after* the wait (a timer that fell due during it fires in
//! this park).
//!
//! Why no wake-up is lost: an unpark is a token the next wait consumes, so
//! one made between step 1 and step 2 still ends the wait; a timer armed
//! after step 1 and earlier than its deadline is told to wake the poller
//! (the record is made before step 1 scans the shards, and the arming reads
//! it under its shard's lock after inserting, so either the scan sees the
//! timer or the arming sees the record: `time::entry`), and that wake is
//! such an unpark; a timer armed before step 1 bounds the wait itself.

use std::time::{Duration, Instant};

use mio::Token;

use crate::io_driver::registration_set::RegistrationSet;
use crate::io_driver::scheduled_io::Ready;
use crate::sync::{lock, Mutex};
use crate::time::entry::Timers;
use crate::wake_list::WakeList;

/// The wait on the OS in one park: `mio::Poll::poll` in the reactor.
#[doc(hidden)]
pub trait PollStep {
    /// Blocks until an event for a registered source, an unpark, or
    /// `timeout` (`None`: no bound; `Some(Duration::ZERO)`: never blocks).
    /// Consumes the pending unpark, if any. Spurious returns are allowed.
    fn poll(&mut self, timeout: Option<Duration>);

    /// Appends the `(token, readiness)` of the last poll's events for
    /// registered sources to `ready` (not the unpark's, not the signal
    /// pipe's). Returns `true` if the signal pipe was readable.
    fn take_ready(&mut self, ready: &mut Vec<(Token, Ready)>) -> bool;
}

/// Where the park loop reads the time: `Instant::now()` in the reactor.
#[doc(hidden)]
pub trait Clock {
    /// The time now.
    fn now(&self) -> Instant;
}

/// The real clock.
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    #[inline]
    fn now(&self) -> Instant {
        Instant::now()
    }
}

struct Poller<P> {
    step: P,
    /// The events of the last poll, moved out of the lock for dispatch and
    /// put back (to keep its allocation) afterwards.
    ready: Vec<(Token, Ready)>,
}

/// The poller, the registrations it dispatches to, and the timers it fires:
/// everything one park touches.
#[doc(hidden)]
pub struct EventLoop<P, C> {
    poller: Mutex<Poller<P>>,
    clock: C,
    pub(crate) registrations: Mutex<RegistrationSet>,
    pub(crate) timers: Timers,
}

fn min_timeout(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

impl<P: PollStep, C: Clock> EventLoop<P, C> {
    /// No registrations, and a timer wheel whose tick 0 is `clock.now()`.
    pub fn new(step: P, clock: C) -> Self {
        let start = clock.now();
        EventLoop {
            poller: Mutex::new(Poller {
                step,
                ready: Vec::new(),
            }),
            clock,
            registrations: Mutex::new(RegistrationSet::new()),
            timers: Timers::new(start),
        }
    }

    /// One park (see the module docs).
    pub fn park(&self, timeout: Option<Duration>) {
        let mut poller = lock(&self.poller);
        let Poller { step, ready } = &mut *poller;
        let blocking = timeout != Some(Duration::ZERO);
        let timer_timeout = self.timers.before_park(self.clock.now(), blocking);
        let timeout = min_timeout(timeout, timer_timeout);
        step.poll(timeout);
        self.timers.after_park();
        // Copy the events out so that no wakers run under the poller lock.
        let mut ready = std::mem::take(ready);
        let signalled = step.take_ready(&mut ready);
        drop(poller);
        if signalled {
            crate::signal::registry::dispatch();
        }
        self.dispatch(&ready);
        ready.clear();
        lock(&self.poller).ready = ready;
        self.timers.process_at(self.timers.now_tick(self.clock.now()));
    }

    /// Records each event's readiness and wakes its waiters, in batches with
    /// the registration lock released around each batch.
    fn dispatch(&self, events: &[(Token, Ready)]) {
        let mut wakers = WakeList::new();
        let mut iter = events.iter();
        loop {
            let mut more = false;
            {
                let set = lock(&self.registrations);
                for &(token, ready) in iter.by_ref() {
                    // A stale token (slot closed and reused) finds nothing.
                    let Some(io) = set.get(token) else { continue };
                    io.set_readiness(ready);
                    io.take_wakers(ready, &mut wakers);
                    if !wakers.can_push() {
                        more = true;
                        break;
                    }
                }
            }
            wakers.wake_all();
            if !more {
                return;
            }
        }
    }

    /// The registered sources (the loom models allocate theirs here).
    #[cfg(loom)]
    pub fn registrations(&self) -> &Mutex<RegistrationSet> {
        &self.registrations
    }

    /// The timer wheel (the loom models arm their timers here).
    #[cfg(loom)]
    pub fn timers(&self) -> &Timers {
        &self.timers
    }
}
