//! Per-source readiness state: the protocol between the poller and a task.
//!
//! Every registered I/O source has one [`ScheduledIo`]: an atomic word of
//! readiness bits plus a *tick*, and a mutex holding the wakers waiting in
//! each direction (readers, writers). Usually that is one waker per
//! direction: the task reading and the task writing. When several tasks
//! wait in the same direction (an `Arc<TcpListener>` accepted from by
//! several tasks, a shared `UdpSocket`), each distinct waker is kept
//! (deduplicated with `Waker::will_wake`) and all are woken by the next
//! event, so none of them loses its wake-up; a waker whose future was
//! dropped stays until that event and costs one spurious wake.
//!
//! # State word
//!
//! ```text
//!  bits 0..=3   READABLE, WRITABLE, READ_CLOSED, WRITE_CLOSED
//!  bit  4       SHUTDOWN (the reactor is gone; operations fail)
//!  bits 16..32  tick: bumped by the poller on every event for this source
//! ```
//!
//! # Protocol
//!
//! mio is edge-triggered: it reports a source once when it *becomes* ready,
//! not while it *is* ready. So readiness is remembered here and cleared only
//! by an operation that observed `WouldBlock`:
//!
//! 1. The poller ORs the event's bits into the word and bumps the tick
//!    ([`ScheduledIo::set_readiness`]), *then* locks the waiters and takes
//!    the wakers of the directions that became ready
//!    ([`ScheduledIo::take_wakers`]). The wakers are called later, outside
//!    every lock.
//! 2. A task that wants to read loads the word. If it is readable, it gets a
//!    [`ReadyEvent`] (the bits and the tick it saw) and tries the operation.
//!    If not, it locks the waiters, stores its waker, and *loads the word
//!    again under the lock* before returning `Pending`.
//! 3. If the operation returns `WouldBlock`, the task clears readiness with
//!    [`ScheduledIo::clear_readiness`], which removes the bits *only if the
//!    tick is still the one it saw*. If an event arrived in between, the tick
//!    moved on and the bits stay: the newer edge is not lost.
//!
//! # Why no wake-up is lost
//!
//! Take a task storing its waker (step 2) racing the poller (step 1). Both
//! sides touch the waiters mutex, so one critical section comes first.
//! If the poller's comes first, then its update of the word (made before it
//! locked) happens-before the task's lock, so the task's second load sees the
//! readiness and returns `Ready`. If the task's comes first, its waker is in
//! the slot when the poller looks, and the poller takes and calls it. Either
//! way the task runs again. The loom model `reactor_readiness` checks this.
//!
//! A clear removes every bit the task observed, closed bits included.
//! After a real close the operation returns EOF or an error, never
//! `WouldBlock`, so the bits are never cleared while they are true; and a
//! closed bit that *did* meet `WouldBlock` (a socket type whose "hang-up"
//! does not end reads) would otherwise make the operation loop forever
//! between "ready" and `WouldBlock`. (tokio keeps closed bits; this is the
//! one deliberate difference.)

use std::task::{Context, Poll, Waker};

use crate::sync::{lock, AtomicUsize, Mutex, Ordering};
use crate::wake_list::WakeList;

/// A set of readiness bits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[doc(hidden)]
pub struct Ready(usize);

impl Ready {
    /// Nothing.
    pub const EMPTY: Ready = Ready(0);
    /// The source can be read.
    pub const READABLE: Ready = Ready(0b0001);
    /// The source can be written.
    pub const WRITABLE: Ready = Ready(0b0010);
    /// The read half was closed by the peer.
    pub const READ_CLOSED: Ready = Ready(0b0100);
    /// The write half was closed.
    pub const WRITE_CLOSED: Ready = Ready(0b1000);

    const ALL: usize = 0b1111;

    /// Both read and write readiness, as an error event requests.
    pub const READ_WRITE: Ready = Ready(0b0011);

    /// Union of two sets.
    pub fn union(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }

    /// `true` if nothing is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `true` if any bit of `other` is set in `self`.
    pub fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }

    /// Translates a mio event. An error wakes both directions: the next
    /// operation in either will return the error (not `WouldBlock`).
    pub(crate) fn from_mio(event: &mio::event::Event) -> Ready {
        let mut ready = Ready::EMPTY;
        if event.is_readable() {
            ready = ready.union(Ready::READABLE);
        }
        if event.is_writable() {
            ready = ready.union(Ready::WRITABLE);
        }
        if event.is_read_closed() {
            ready = ready.union(Ready::READ_CLOSED);
        }
        if event.is_write_closed() {
            ready = ready.union(Ready::WRITE_CLOSED);
        }
        if event.is_error() {
            ready = ready.union(Ready::READ_WRITE);
        }
        ready
    }
}

/// Which of a source's two waiter lists an operation uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[doc(hidden)]
pub enum Direction {
    /// Reads, accepts, receives.
    Read,
    /// Writes, sends, connects.
    Write,
}

impl Direction {
    /// The readiness bits that let an operation in this direction proceed.
    pub fn mask(self) -> Ready {
        match self {
            Direction::Read => Ready(Ready::READABLE.0 | Ready::READ_CLOSED.0),
            Direction::Write => Ready(Ready::WRITABLE.0 | Ready::WRITE_CLOSED.0),
        }
    }
}

const SHUTDOWN: usize = 0b1_0000;
const TICK_SHIFT: u32 = 16;
const TICK_MASK: usize = 0xffff << TICK_SHIFT;

/// What a task saw when it found its source ready: which bits, at which tick.
#[derive(Clone, Copy, Debug)]
#[doc(hidden)]
pub struct ReadyEvent {
    tick: usize,
    /// The ready bits in the direction asked for.
    pub ready: Ready,
    /// The reactor has shut down; the operation must fail.
    pub is_shutdown: bool,
}

#[derive(Default)]
struct Waiters {
    readers: Vec<Waker>,
    writers: Vec<Waker>,
}

fn add_waker(list: &mut Vec<Waker>, waker: &Waker) {
    if !list.iter().any(|w| w.will_wake(waker)) {
        list.push(waker.clone());
    }
}

/// Readiness and wakers of one registered source. See the module docs.
#[doc(hidden)]
pub struct ScheduledIo {
    state: AtomicUsize,
    waiters: Mutex<Waiters>,
}

impl Default for ScheduledIo {
    fn default() -> Self {
        Self::new()
    }
}

impl ScheduledIo {
    /// No readiness, no waiters, tick 0.
    pub fn new() -> Self {
        ScheduledIo {
            state: AtomicUsize::new(0),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    /// Poller side, step 1a: records an event. Bumps the tick so that a
    /// task's pending [`clear_readiness`](Self::clear_readiness) for an older
    /// tick does not erase it.
    pub fn set_readiness(&self, ready: Ready) {
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            let tick = ((cur & TICK_MASK) >> TICK_SHIFT).wrapping_add(1) & 0xffff;
            let new = (cur & !TICK_MASK) | ready.0 | (tick << TICK_SHIFT);
            match self
                .state
                .compare_exchange_weak(cur, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Poller side, step 1b: takes the wakers of the directions `ready`
    /// satisfies. Call after [`set_readiness`](Self::set_readiness); call the
    /// wakers after every lock is released.
    pub fn take_wakers(&self, ready: Ready, wakers: &mut WakeList) {
        let mut waiters = lock(&self.waiters);
        if ready.intersects(Direction::Read.mask()) {
            waiters.readers.drain(..).for_each(|w| wakers.push(w));
        }
        if ready.intersects(Direction::Write.mask()) {
            waiters.writers.drain(..).for_each(|w| wakers.push(w));
        }
    }

    /// Marks the source as shut down and takes both wakers. Every later
    /// [`poll_ready`](Self::poll_ready) returns a shutdown event at once.
    pub fn shutdown(&self, wakers: &mut WakeList) {
        self.state.fetch_or(SHUTDOWN, Ordering::AcqRel);
        let mut waiters = lock(&self.waiters);
        let Waiters { readers, writers } = &mut *waiters;
        readers
            .drain(..)
            .chain(writers.drain(..))
            .for_each(|w| wakers.push(w));
    }

    fn event_for(state: usize, direction: Direction) -> Option<ReadyEvent> {
        let ready = Ready(state & Ready::ALL & direction.mask().0);
        let is_shutdown = state & SHUTDOWN != 0;
        if ready.is_empty() && !is_shutdown {
            return None;
        }
        Some(ReadyEvent {
            tick: (state & TICK_MASK) >> TICK_SHIFT,
            ready,
            is_shutdown,
        })
    }

    /// Task side, step 2: `Ready` with what was seen if the source is ready
    /// in `direction` (or shut down); otherwise stores the waker and returns
    /// `Pending`. Does not touch the cooperative budget (the caller does).
    pub fn poll_ready(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<ReadyEvent> {
        if let Some(event) = Self::event_for(self.state.load(Ordering::Acquire), direction) {
            return Poll::Ready(event);
        }
        let mut waiters = lock(&self.waiters);
        match direction {
            Direction::Read => add_waker(&mut waiters.readers, cx.waker()),
            Direction::Write => add_waker(&mut waiters.writers, cx.waker()),
        }
        // Load again under the lock: an event that came between the first
        // load and the store above is seen here (see "Why no wake-up is lost").
        match Self::event_for(self.state.load(Ordering::Acquire), direction) {
            Some(event) => Poll::Ready(event),
            None => Poll::Pending,
        }
    }

    /// Task side, step 3: the operation returned `WouldBlock`. Clears the
    /// bits of `event`, but only if no newer event arrived since it was
    /// observed.
    pub fn clear_readiness(&self, event: ReadyEvent) {
        // Everything observed, closed bits too (see the module docs).
        let clear = event.ready.0;
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            if (cur & TICK_MASK) >> TICK_SHIFT != event.tick {
                return;
            }
            let new = cur & !clear;
            match self
                .state
                .compare_exchange_weak(cur, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }

    /// The readiness currently recorded for `direction`, without registering
    /// a waker: `None` if not ready.
    pub fn ready_event(&self, direction: Direction) -> Option<ReadyEvent> {
        Self::event_for(self.state.load(Ordering::Acquire), direction)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn readiness_is_kept_until_cleared_with_the_tick_that_saw_it() {
        let io = ScheduledIo::new();
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());
        io.set_readiness(Ready::READABLE);
        let Poll::Ready(seen) = io.poll_ready(&mut cx, Direction::Read) else {
            panic!("readable event not observed")
        };
        // A newer event arrives before the task clears: it must survive.
        io.set_readiness(Ready::READABLE);
        io.clear_readiness(seen);
        let Poll::Ready(newer) = io.poll_ready(&mut cx, Direction::Read) else {
            panic!("newer event was lost by a stale clear")
        };
        io.clear_readiness(newer);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());
    }

    #[test]
    fn directions_are_independent() {
        let io = ScheduledIo::new();
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        io.set_readiness(Ready::WRITABLE);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());
        assert!(io.poll_ready(&mut cx, Direction::Write).is_ready());
    }

    #[test]
    fn closed_bits_stay_until_an_operation_would_block() {
        let io = ScheduledIo::new();
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        io.set_readiness(Ready::READ_CLOSED);
        for _ in 0..3 {
            // Reads returning EOF do not clear: still ready.
            assert!(io.poll_ready(&mut cx, Direction::Read).is_ready());
        }
        let Poll::Ready(ev) = io.poll_ready(&mut cx, Direction::Read) else {
            panic!()
        };
        // A WouldBlock despite the closed bit: cleared, so no spin.
        io.clear_readiness(ev);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());
    }

    #[test]
    fn shutdown_makes_every_poll_ready() {
        let io = ScheduledIo::new();
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        let mut wakers = WakeList::new();
        io.shutdown(&mut wakers);
        let Poll::Ready(ev) = io.poll_ready(&mut cx, Direction::Write) else {
            panic!()
        };
        assert!(ev.is_shutdown);
    }
}
