//! Timer entries and the timer driver: the wheel behind a lock, and the
//! protocol between a [`Sleep`](super::Sleep) and the thread that fires it.
//!
//! # Protocol
//!
//! A timer is an `Arc<TimerShared>` held by its `Sleep` and, while armed, by
//! the wheel. `TimerShared` has:
//!
//! * `state`: `IDLE` (new or cancelled), `PENDING` (armed), `FIRED` or
//!   `SHUTDOWN`;
//! * `key`: the entry's wheel key, or `NO_KEY`. **Only read or written with
//!   the wheel lock held**, so "is it still in the wheel?" has one answer;
//! * `waker`: the task to wake, behind its own small mutex.
//!
//! Firing (the poller, [`Timers::process_at`]): with the wheel lock held,
//! pop a due entry from the wheel, set its `key` to `NO_KEY`, store
//! `FIRED`, and take its waker into a batch. Wakers are called after the
//! wheel lock is released, 32 at a time.
//!
//! Cancelling (`Sleep` dropped or reset, [`Timers::cancel`]): with the wheel
//! lock held, swap `key` to `NO_KEY`; if it was a key, remove that entry from
//! the wheel (O(1)).
//!
//! A `Sleep` dropped after its timer fired skips the cancel (and the wheel
//! lock): `FIRED` is stored after the entry left the wheel
//! ([`TimerShared::may_be_armed`]). A reset still cancels, to mark the
//! entry `IDLE` for re-arming.
//!
//! Both run under the wheel lock, so exactly one of them removes the entry
//! (it is freed once), and the waker is taken at most once by the firing side
//! and never by the cancelling side (a cancelled timer's waker is just
//! dropped with the `Sleep`). The loom model `reactor_timer` checks cancel
//! racing fire.
//!
//! Polling (the task, [`TimerShared::poll`]): load `state`; if not fired,
//! store the waker under the waker mutex, then load `state` again. The firing
//! side stores `FIRED` *before* it locks the waker mutex, so either the
//! second load sees `FIRED` or the firing side finds the new waker: no lost
//! wake-up (the same argument as for I/O readiness).
//!
//! # Waking the poller for an earlier deadline
//!
//! Before blocking, the poller records (under the wheel lock) the tick it
//! will sleep until. [`Timers::register`] compares a new deadline with it and
//! reports when the poller must be woken so it can shorten its sleep.

use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::wheel::Wheel;
use crate::sync::{lock, Arc, AtomicU8, AtomicUsize, Mutex, Ordering};
use crate::wake_list::WakeList;

const IDLE: u8 = 0;
const PENDING: u8 = 1;
const FIRED: u8 = 2;
const SHUTDOWN: u8 = 3;
const NO_KEY: usize = usize::MAX;

/// One timer's state, shared by its `Sleep` and the wheel.
#[doc(hidden)]
#[derive(Debug)]
pub struct TimerShared {
    state: AtomicU8,
    key: AtomicUsize,
    waker: Mutex<Option<Waker>>,
}

impl Default for TimerShared {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a timer stopped waiting.
#[doc(hidden)]
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Fired {
    /// The deadline was reached.
    Deadline,
    /// The runtime shut down first.
    Shutdown,
}

impl TimerShared {
    /// A timer not in any wheel.
    pub fn new() -> Self {
        TimerShared {
            state: AtomicU8::new(IDLE),
            key: AtomicUsize::new(NO_KEY),
            waker: Mutex::new(None),
        }
    }

    /// Task side: `Ready` once fired; otherwise stores the waker.
    pub fn poll(&self, cx: &mut Context<'_>) -> Poll<Fired> {
        if let Some(f) = self.fired() {
            return Poll::Ready(f);
        }
        {
            let mut slot = lock(&self.waker);
            match &*slot {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *slot = Some(cx.waker().clone()),
            }
        }
        // Load again after storing the waker (see module docs).
        match self.fired() {
            Some(f) => Poll::Ready(f),
            None => Poll::Pending,
        }
    }

    /// `true` if not armed and not fired: new, or cancelled by a reset.
    /// Only the owning `Sleep` moves a timer out of `IDLE`, so this is stable
    /// while its owner looks.
    pub fn is_disarmed(&self) -> bool {
        self.state.load(Ordering::Acquire) == IDLE
    }

    /// `true` if the entry may be in a wheel: `PENDING`. An entry in any
    /// other state is out of every wheel for good unless its owner re-arms
    /// it: `IDLE` was never armed or was cancelled, and the firing side
    /// stores `FIRED` or `SHUTDOWN` (`Release`) only after taking it out of
    /// the wheel and clearing its key, so this `Acquire` load that sees
    /// either also sees the key cleared. Only the owner arms, so the answer
    /// cannot go from `false` to `true` while the owner asks.
    pub fn may_be_armed(&self) -> bool {
        self.state.load(Ordering::Acquire) == PENDING
    }

    fn fired(&self) -> Option<Fired> {
        match self.state.load(Ordering::Acquire) {
            FIRED => Some(Fired::Deadline),
            SHUTDOWN => Some(Fired::Shutdown),
            _ => None,
        }
    }

    /// Firing side; wheel lock held, entry already out of the wheel.
    fn fire(&self, state: u8, wakers: &mut WakeList) {
        self.key.store(NO_KEY, Ordering::Relaxed);
        self.state.store(state, Ordering::Release);
        if let Some(w) = lock(&self.waker).take() {
            wakers.push(w);
        }
    }
}

/// Result of [`Timers::register`].
#[doc(hidden)]
#[derive(Debug, PartialEq, Eq)]
pub enum Registered {
    /// In the wheel. `wake_poller`: the poller sleeps past this deadline and
    /// must be woken to shorten its sleep.
    Armed {
        /// Wake the poller.
        wake_poller: bool,
    },
    /// The deadline had already passed: the timer counts as fired.
    Expired,
    /// The runtime has shut down: no timer can be armed.
    Shutdown,
}

struct TimersInner {
    wheel: Wheel<Arc<TimerShared>>,
    /// The tick the poller is blocked until (`Some(u64::MAX)`: no deadline),
    /// or `None` when it is not blocked.
    sleeping_until: Option<u64>,
    is_shutdown: bool,
}

/// The timer driver: a wheel of 1 ms ticks counted from `start`.
#[doc(hidden)]
pub struct Timers {
    start: Instant,
    inner: Mutex<TimersInner>,
}

impl Timers {
    /// A timer driver whose tick 0 is `start`.
    pub fn new(start: Instant) -> Self {
        Timers {
            start,
            inner: Mutex::new(TimersInner {
                wheel: Wheel::new(),
                sleeping_until: None,
                is_shutdown: false,
            }),
        }
    }

    /// The tick of a deadline, rounded *up*: a timer never fires before its
    /// deadline.
    pub fn deadline_tick(&self, deadline: Instant) -> u64 {
        let nanos = deadline.saturating_duration_since(self.start).as_nanos();
        let ticks = nanos.div_ceil(1_000_000);
        u64::try_from(ticks).unwrap_or(u64::MAX)
    }

    /// The last tick fully elapsed at `now`, rounded *down*.
    pub fn now_tick(&self, now: Instant) -> u64 {
        let ms = now.saturating_duration_since(self.start).as_millis();
        u64::try_from(ms).unwrap_or(u64::MAX)
    }

    fn tick_instant(&self, tick: u64) -> Option<Instant> {
        self.start.checked_add(Duration::from_millis(tick))
    }

    /// Arms `entry` for `tick`, replacing any earlier arming of it.
    pub fn register(&self, entry: &Arc<TimerShared>, tick: u64) -> Registered {
        let mut inner = lock(&self.inner);
        if inner.is_shutdown {
            return Registered::Shutdown;
        }
        let old = entry.key.swap(NO_KEY, Ordering::Relaxed);
        if old != NO_KEY {
            inner.wheel.remove(old);
        }
        entry.state.store(PENDING, Ordering::Release);
        match inner.wheel.insert(tick, entry.clone()) {
            Ok(key) => {
                entry.key.store(key, Ordering::Relaxed);
                let wake_poller = inner.sleeping_until.is_some_and(|until| tick < until);
                if wake_poller {
                    // Only the first earlier timer needs to wake it.
                    inner.sleeping_until = Some(tick);
                }
                Registered::Armed { wake_poller }
            }
            Err(_) => {
                entry.state.store(FIRED, Ordering::Release);
                Registered::Expired
            }
        }
    }

    /// Disarms `entry` in O(1) if it is still in the wheel, and marks it
    /// `IDLE` (a fired timer too, so that it can be re-armed). Its waker is
    /// not called.
    pub fn cancel(&self, entry: &TimerShared) {
        let mut inner = lock(&self.inner);
        let key = entry.key.swap(NO_KEY, Ordering::Relaxed);
        if key != NO_KEY {
            inner.wheel.remove(key);
        }
        if entry.state.load(Ordering::Relaxed) != SHUTDOWN {
            entry.state.store(IDLE, Ordering::Release);
        }
    }

    /// Fires every timer due at `now_tick`, waking them in batches outside
    /// the lock. Returns how many fired.
    pub fn process_at(&self, now_tick: u64) -> usize {
        let mut fired = 0;
        let mut wakers = WakeList::new();
        loop {
            let mut more = false;
            {
                let mut inner = lock(&self.inner);
                while let Some((_, entry)) = inner.wheel.poll(now_tick) {
                    entry.fire(FIRED, &mut wakers);
                    fired += 1;
                    if !wakers.can_push() {
                        more = true;
                        break;
                    }
                }
            }
            wakers.wake_all();
            if !more {
                return fired;
            }
        }
    }

    /// Called by the poller before blocking: how long it may block for the
    /// timers' sake (`None`: no timer), and records that it is asleep (unless
    /// `blocking` is false: a zero-timeout poll needs no wake-up).
    pub fn before_park(&self, now: Instant, blocking: bool) -> Option<Duration> {
        let mut inner = lock(&self.inner);
        let next = inner.wheel.next_expiration_tick();
        if blocking {
            inner.sleeping_until = Some(next.unwrap_or(u64::MAX));
        }
        let next = next?;
        Some(match self.tick_instant(next) {
            Some(at) => at.saturating_duration_since(now),
            None => Duration::MAX,
        })
    }

    /// Called by the poller after it stops blocking.
    pub fn after_park(&self) {
        lock(&self.inner).sleeping_until = None;
    }

    /// The number of armed timers.
    pub fn len(&self) -> usize {
        lock(&self.inner).wheel.len()
    }

    /// `true` if no timer is armed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Refuses new timers and wakes every armed one with `SHUTDOWN`.
    pub fn shutdown(&self) {
        let entries = {
            let mut inner = lock(&self.inner);
            inner.is_shutdown = true;
            inner.wheel.drain()
        };
        let mut wakers = WakeList::new();
        for entry in entries {
            {
                let _inner = lock(&self.inner);
                entry.fire(SHUTDOWN, &mut wakers);
            }
            if !wakers.can_push() {
                wakers.wake_all();
            }
        }
        wakers.wake_all();
    }
}
