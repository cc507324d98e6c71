//! Timer entries and the timer driver: the wheel shards behind their locks,
//! and the protocol between a [`Sleep`](super::Sleep), the threads that arm
//! it, and the poller that fires it.
//!
//! # Shards
//!
//! The driver holds a power of two of *shards* (twice the CPUs, at most 64),
//! each a mutex around a timing wheel of its own. A thread takes a shard
//! index the first time it arms a timer (round robin over a process-wide
//! counter, kept in a thread-local), and an entry goes into the shard of the
//! thread that arms it first: its *home*, which it keeps for its life (the
//! `home` field, written by the owner on that first arming and only read
//! after). So two workers arming and cancelling timers at once take two
//! different locks, and a cancel or re-arm takes exactly one lock, the one
//! whose wheel holds the entry's key. No entry moves between wheels, so no
//! thread ever holds two shard locks. The poller visits every shard in turn
//! (`process_at`, `before_park`, `shutdown`), one lock at a time.
//!
//! A `Sleep` holds an `Arc` of its shard (each shard is an allocation of
//! its own), not of the reactor: creating and dropping a timer then
//! touches only its own thread's cache lines, where a reactor `Handle`
//! clone per timer would bounce one reference count between the workers.
//! A shard is enough to arm and cancel ([`Shard::register`],
//! [`Shard::cancel`]): it reaches what the shards share (the clock origin,
//! the poller's record below, the poller's waker) through one `Arc` that
//! is only read.
//!
//! # Protocol (within a shard)
//!
//! A timer is an `Arc<TimerShared>` held by its `Sleep` and, while armed, by
//! its home shard's wheel. `TimerShared` has:
//!
//! * `state`: `IDLE` (new or cancelled), `PENDING` (armed), `FIRED` or
//!   `SHUTDOWN`;
//! * `key`: the entry's key in its home wheel, or `NO_KEY`. **Only read or
//!   written with the home shard's lock held**, so "is it still in the
//!   wheel?" has one answer;
//! * `home`: its shard, or `NO_HOME` before its first arming; only the owner
//!   reads or writes it;
//! * `waker`: the task to wake, behind its own small mutex.
//!
//! Firing (the poller, [`Timers::process_at`]): with the shard lock held,
//! pop a due entry from the wheel, set its `key` to `NO_KEY`, store
//! `FIRED`, and take its waker into a batch. Wakers are called with no
//! lock held, 32 at a time.
//!
//! Cancelling (`Sleep` dropped or reset, [`Timers::cancel`]): with the home
//! shard's lock held, read `key`; if it is a key, clear it and remove that
//! entry from the wheel (O(1)).
//!
//! A `Sleep` dropped after its timer fired skips the cancel (and the lock):
//! `FIRED` is stored after the entry left the wheel
//! ([`TimerShared::may_be_armed`]). A reset still cancels, to mark the
//! entry `IDLE` for re-arming.
//!
//! Both run under the same shard lock, so exactly one of them removes the
//! entry (it is freed once), and the waker is taken at most once by the
//! firing side and never by the cancelling side (a cancelled timer's waker is
//! just dropped with the `Sleep`). The loom models `cancel_racing_fire_*` and
//! `cancel_on_one_shard_racing_process_at_*` check cancel racing fire.
//!
//! Polling (the task, [`TimerShared::poll`]): load `state`; if not fired,
//! store the waker under the waker mutex, then load `state` again. The firing
//! side stores `FIRED` *before* it locks the waker mutex, so either the
//! second load sees `FIRED` or the firing side finds the new waker: no lost
//! wake-up (the same argument as for I/O readiness).
//!
//! # Waking the poller for an earlier deadline
//!
//! One word, `sleeping_until`: `AWAKE` (0) while the poller is not blocked,
//! otherwise the tick it blocks until at the latest (`u64::MAX`: no
//! deadline). Only one thread parks at a time (the poller lock), so the word
//! has one poller writing it:
//!
//! * [`Timers::before_park`] (when it will block) first stores `u64::MAX`,
//!   *then* reads each shard's next expiration under that shard's lock, and
//!   last lowers the word to the earliest of them (`fetch_min`); the wait is
//!   bounded by that tick. [`Timers::after_park`] stores `AWAKE`.
//! * [`Shard::register`] (which [`Timers::register`] routes to), after
//!   inserting and still under the shard lock, loads the word; if the new
//!   tick is earlier it lowers the word to it (`fetch_min`) and, if that
//!   lowered it, reports that the poller must be woken. The word is read on every arming but written only when the
//!   poller must be told: arming stays on the shard's cache lines.
//!
//! No lost wake-up, for a timer armed in shard `k`: the poller's lock of `k`
//! in its scan comes either after the arming's lock of `k`, and then the
//! scan sees the new entry and the wait is bounded by it, or before, and then
//! the poller's store of `u64::MAX` (before its lock of `k`) happens before
//! the arming's load (after its own lock of `k`). The arming then reads
//! `u64::MAX`, and wakes the poller, or a value lowered since: by another
//! arming, which woke the poller; by the poller, to a tick no later than the
//! new one, at which its wait ends and the next park scans `k` again; or by
//! `after_park` or a later park, when that wait is already over. A wake is an
//! unpark, a token the next wait consumes even if it is made before the wait
//! starts. The ordering comes from the shard mutex, so the word's own
//! accesses are `Relaxed`. The loom models
//! `register_on_one_shard_racing_before_park_*` and
//! `earlier_timer_than_the_poller_sleeps_until_wakes_it` check it.

use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use std::sync::OnceLock;

use super::wheel::Wheel;
use crate::sync::{lock, Arc, AtomicU64, AtomicU8, AtomicUsize, Mutex, Ordering};
use crate::wake_list::WakeList;

const IDLE: u8 = 0;
const PENDING: u8 = 1;
const FIRED: u8 = 2;
const SHUTDOWN: u8 = 3;
const NO_KEY: usize = usize::MAX;
const NO_HOME: u8 = u8::MAX;
/// At most this many shards, so that a home fits in a `u8`.
const MAX_SHARDS: usize = 64;
/// `sleeping_until` while the poller is not blocked: no tick is earlier.
const AWAKE: u64 = 0;
/// `sleeping_until` while the poller blocks with no deadline (yet).
const NO_DEADLINE: u64 = u64::MAX;

/// One timer's state, shared by its `Sleep` and the wheel.
#[doc(hidden)]
#[derive(Debug)]
pub struct TimerShared {
    state: AtomicU8,
    home: AtomicU8,
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
            home: AtomicU8::new(NO_HOME),
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

    /// Firing side; the home shard's lock held, entry already out of its
    /// wheel.
    fn fire(&self, state: u8, wakers: &mut WakeList) {
        self.key.store(NO_KEY, Ordering::Relaxed);
        self.state.store(state, Ordering::Release);
        if let Some(w) = lock(&self.waker).take() {
            wakers.push(w);
        }
    }
}

/// Result of [`Shard::register`].
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

struct ShardInner {
    wheel: Wheel<Arc<TimerShared>>,
    is_shutdown: bool,
}

/// What the shards of one [`Timers`] share, read-only on the arming path
/// except for `sleeping_until`, which an arming writes only when it must
/// wake the poller.
struct Common {
    start: Instant,
    /// `AWAKE`, or the tick the poller blocks until (see the module docs).
    sleeping_until: AtomicU64,
    /// Wakes the poller: the reactor's `mio::Waker` (set by `Reactor::new`;
    /// unset for a bare `Timers`, whose caller wakes its poller itself).
    waker: OnceLock<std::sync::Arc<mio::Waker>>,
}

/// One shard: a wheel behind its own lock, on cache lines of its own (two
/// workers arming timers in two shards do not share a line). A `Sleep`
/// holds an `Arc` of its shard rather than of the whole reactor, so that
/// creating and dropping a timer touches no reference count shared with
/// the other workers.
#[doc(hidden)]
#[repr(align(128))]
pub struct Shard {
    inner: Mutex<ShardInner>,
    /// Its index in [`Timers::shards`]: what an entry's `home` is.
    index: u8,
    common: Arc<Common>,
}

impl std::fmt::Debug for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shard")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl Shard {
    /// The tick of a deadline ([`Timers::deadline_tick`]).
    pub fn deadline_tick(&self, deadline: Instant) -> u64 {
        deadline_tick(self.common.start, deadline)
    }

    /// Wakes the poller, when [`register`](Self::register) said to. A
    /// no-op for timers with no reactor (the loom models wake their own).
    pub(crate) fn wake_poller(&self) {
        if let Some(waker) = self.common.waker.get() {
            if let Err(e) = waker.wake() {
                panic!("weft reactor: mio::Waker::wake failed: {e}");
            }
        }
    }

    /// Arms `entry` for `tick` in this shard, replacing any earlier arming
    /// of it. This shard must be the entry's home if it has one (a `Sleep`
    /// keeps its shard for life).
    pub fn register(&self, entry: &Arc<TimerShared>, tick: u64) -> Registered {
        match entry.home.load(Ordering::Relaxed) {
            NO_HOME => entry.home.store(self.index, Ordering::Relaxed),
            home => debug_assert_eq!(home, self.index, "a timer re-armed outside its home shard"),
        }
        let mut inner = lock(&self.inner);
        if inner.is_shutdown {
            return Registered::Shutdown;
        }
        // Re-arming an armed entry moves its `Arc` (no count change).
        let old = entry.key.load(Ordering::Relaxed);
        let value = if old == NO_KEY {
            entry.clone()
        } else {
            inner.wheel.remove(old)
        };
        entry.state.store(PENDING, Ordering::Release);
        match inner.wheel.insert(tick, value) {
            Ok(key) => {
                entry.key.store(key, Ordering::Relaxed);
                // After our lock of this shard, before its release: see the
                // module docs for why `Relaxed` suffices.
                let sleeping_until = &self.common.sleeping_until;
                let until = sleeping_until.load(Ordering::Relaxed);
                // Only the first earlier timer needs to wake it.
                let wake_poller = tick < until && tick < sleeping_until.fetch_min(tick, Ordering::Relaxed);
                Registered::Armed { wake_poller }
            }
            Err(_) => {
                if old != NO_KEY {
                    entry.key.store(NO_KEY, Ordering::Relaxed);
                }
                entry.state.store(FIRED, Ordering::Release);
                Registered::Expired
            }
        }
    }

    /// Disarms `entry`, whose home this shard is, in O(1) if it is still in
    /// the wheel, and marks it `IDLE` (a fired timer too, so that it can be
    /// re-armed). Its waker is not called.
    pub fn cancel(&self, entry: &TimerShared) {
        debug_assert!(
            matches!(entry.home.load(Ordering::Relaxed), h if h == self.index || h == NO_HOME),
            "a timer cancelled in a shard that is not its home"
        );
        let mut inner = lock(&self.inner);
        let key = entry.key.load(Ordering::Relaxed);
        if key != NO_KEY {
            entry.key.store(NO_KEY, Ordering::Relaxed);
            inner.wheel.remove(key);
        }
        if entry.state.load(Ordering::Relaxed) != SHUTDOWN {
            entry.state.store(IDLE, Ordering::Release);
        }
    }
}

/// The calling thread's shard index (modulo the shard count): assigned
/// round robin the first time the thread arms a timer, then kept. Under
/// loom always 0 (loom runs its threads on one OS thread, and the models
/// choose shards with [`Timers::register_from`]).
#[cfg(not(loom))]
fn local_shard() -> usize {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};

    static NEXT: StdAtomicUsize = StdAtomicUsize::new(0);
    thread_local! {
        static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    SHARD
        .try_with(|s| {
            if s.get() == usize::MAX {
                s.set(NEXT.fetch_add(1, StdOrdering::Relaxed) % MAX_SHARDS);
            }
            s.get()
        })
        // A timer armed from a thread-local destructor: any shard works.
        .unwrap_or(0)
}

#[cfg(loom)]
fn local_shard() -> usize {
    0
}

/// The default shard count: twice the CPUs (a thread that is not a worker,
/// such as `block_on`'s, also takes an index), as a power of two. Under
/// loom 2, so that the models see the poller visit more than one shard.
fn default_shards() -> usize {
    if cfg!(loom) {
        return 2;
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cpus * 2).next_power_of_two().min(MAX_SHARDS)
}

/// The tick of `deadline` counted from `start`, rounded *up*: a timer
/// never fires before its deadline.
///
/// Whole seconds and the sub-second part are converted apart: the `u128`
/// division of `Duration::as_nanos` cost about 40 instructions per armed
/// timer (callgrind), a `u32` division by a constant a few.
fn deadline_tick(start: Instant, deadline: Instant) -> u64 {
    let since = deadline.saturating_duration_since(start);
    since
        .as_secs()
        .saturating_mul(1_000)
        .saturating_add(u64::from(since.subsec_nanos().div_ceil(1_000_000)))
}

/// The timer driver: sharded wheels of 1 ms ticks counted from `start`.
#[doc(hidden)]
pub struct Timers {
    shards: Box<[Arc<Shard>]>,
    common: Arc<Common>,
}

impl Timers {
    /// A timer driver whose tick 0 is `start`, with the default number of
    /// shards.
    pub fn new(start: Instant) -> Self {
        Self::with_shards(start, default_shards())
    }

    /// A timer driver with `shards` shards (rounded up to a power of two,
    /// at most 64).
    pub fn with_shards(start: Instant, shards: usize) -> Self {
        let n = shards.clamp(1, MAX_SHARDS).next_power_of_two();
        let common = Arc::new(Common {
            start,
            sleeping_until: AtomicU64::new(AWAKE),
            waker: OnceLock::new(),
        });
        Timers {
            shards: (0..n)
                .map(|index| {
                    Arc::new(Shard {
                        inner: Mutex::new(ShardInner {
                            wheel: Wheel::new(),
                            is_shutdown: false,
                        }),
                        // Lossless: at most MAX_SHARDS (64) shards.
                        index: index as u8,
                        common: common.clone(),
                    })
                })
                .collect(),
            common,
        }
    }

    /// The number of shards.
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// Shard `index` (modulo the shard count).
    pub fn shard(&self, index: usize) -> &Arc<Shard> {
        &self.shards[index & (self.shards.len() - 1)]
    }

    /// The calling thread's shard: where the timers it creates live.
    pub fn local_shard(&self) -> &Arc<Shard> {
        self.shard(local_shard())
    }

    /// Sets the waker of the poller (once, by `Reactor::new`), for
    /// [`Shard::wake_poller`].
    pub(crate) fn set_waker(&self, waker: std::sync::Arc<mio::Waker>) {
        let _ = self.common.waker.set(waker);
    }

    /// The tick of a deadline, rounded *up*: a timer never fires before its
    /// deadline.
    pub fn deadline_tick(&self, deadline: Instant) -> u64 {
        deadline_tick(self.common.start, deadline)
    }

    /// The last tick fully elapsed at `now`, rounded *down*.
    pub fn now_tick(&self, now: Instant) -> u64 {
        let since = now.saturating_duration_since(self.common.start);
        since
            .as_secs()
            .saturating_mul(1_000)
            .saturating_add(u64::from(since.subsec_millis()))
    }

    fn tick_instant(&self, tick: u64) -> Option<Instant> {
        self.common.start.checked_add(Duration::from_millis(tick))
    }

    /// Arms `entry` for `tick`, replacing any earlier arming of it. A new
    /// entry goes into the calling thread's shard and stays there.
    pub fn register(&self, entry: &Arc<TimerShared>, tick: u64) -> Registered {
        self.register_from(entry, tick, local_shard())
    }

    /// [`register`](Self::register) as if from a thread whose shard index
    /// is `shard` (taken modulo the shard count): where an entry that was
    /// never armed goes. An entry armed before stays in its home shard.
    pub fn register_from(&self, entry: &Arc<TimerShared>, tick: u64, shard: usize) -> Registered {
        // Only the owner arms, cancels and so reads or writes `home`.
        let home = match entry.home.load(Ordering::Relaxed) {
            NO_HOME => shard,
            home => usize::from(home),
        };
        self.shard(home).register(entry, tick)
    }

    /// Disarms `entry` in its home shard ([`Shard::cancel`]); an entry
    /// never armed is in no wheel and is left as it is.
    pub fn cancel(&self, entry: &TimerShared) {
        let home = entry.home.load(Ordering::Relaxed);
        if home != NO_HOME {
            self.shards[usize::from(home)].cancel(entry);
        }
    }

    /// Fires every timer due at `now_tick` in every shard, waking them in
    /// batches with no lock held. Returns how many fired.
    pub fn process_at(&self, now_tick: u64) -> usize {
        let mut fired = 0;
        let mut wakers = WakeList::new();
        for shard in self.shards.iter() {
            loop {
                let mut full = false;
                {
                    let mut inner = lock(&shard.inner);
                    while let Some((_, entry)) = inner.wheel.poll(now_tick) {
                        entry.fire(FIRED, &mut wakers);
                        fired += 1;
                        if !wakers.can_push() {
                            full = true;
                            break;
                        }
                    }
                }
                if !full {
                    break;
                }
                wakers.wake_all();
            }
        }
        wakers.wake_all();
        fired
    }

    /// Called by the poller before blocking: how long it may block for the
    /// timers' sake (`None`: no timer), and records that it is asleep (unless
    /// `blocking` is false: a zero-timeout poll needs no wake-up).
    pub fn before_park(&self, now: Instant, blocking: bool) -> Option<Duration> {
        if blocking {
            // Before the scan: an arming in a shard already scanned sees it.
            self.common.sleeping_until.store(NO_DEADLINE, Ordering::Relaxed);
        }
        let next = self
            .shards
            .iter()
            .filter_map(|s| lock(&s.inner).wheel.next_expiration_tick())
            .min();
        let next = next?;
        if blocking {
            // A tick of 0 reads as AWAKE: right, that wait does not block.
            self.common.sleeping_until.fetch_min(next, Ordering::Relaxed);
        }
        Some(match self.tick_instant(next) {
            Some(at) => at.saturating_duration_since(now),
            None => Duration::MAX,
        })
    }

    /// Called by the poller after it stops blocking.
    pub fn after_park(&self) {
        self.common.sleeping_until.store(AWAKE, Ordering::Relaxed);
    }

    /// The number of armed timers, over every shard.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(&s.inner).wheel.len()).sum()
    }

    /// `true` if no timer is armed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Refuses new timers and wakes every armed one with `SHUTDOWN`, shard
    /// by shard. A shard is closed and emptied in one critical section, so
    /// an arming in it either comes first (and is fired here) or is refused,
    /// and no entry is left with a key into an emptied wheel.
    pub fn shutdown(&self) {
        let mut wakers = WakeList::new();
        for shard in self.shards.iter() {
            let entries = {
                let mut inner = lock(&shard.inner);
                inner.is_shutdown = true;
                let entries = inner.wheel.drain();
                for entry in &entries {
                    entry.fire(SHUTDOWN, &mut wakers);
                }
                entries
            };
            wakers.wake_all();
            // Dropped with no lock held.
            drop(entries);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_and_now_rounds_down_to_whole_ticks() {
        let start = Instant::now();
        let timers = Timers::with_shards(start, 1);
        let at = |secs: u64, nanos: u32| start + Duration::new(secs, nanos);
        assert_eq!(timers.deadline_tick(start), 0);
        assert_eq!(timers.deadline_tick(at(0, 1)), 1);
        assert_eq!(timers.deadline_tick(at(0, 1_000_000)), 1);
        assert_eq!(timers.deadline_tick(at(0, 1_000_001)), 2);
        assert_eq!(timers.deadline_tick(at(2, 999_999_999)), 3_000);
        assert_eq!(timers.deadline_tick(at(7, 0)), 7_000);
        assert_eq!(timers.now_tick(at(0, 999_999)), 0);
        assert_eq!(timers.now_tick(at(2, 999_999_999)), 2_999);
        assert_eq!(timers.now_tick(at(7, 1_000_000)), 7_001);
        // Before the start: tick 0.
        if let Some(before) = start.checked_sub(Duration::from_millis(5)) {
            assert_eq!(timers.deadline_tick(before), 0);
            assert_eq!(timers.now_tick(before), 0);
        }
    }

    #[test]
    fn an_entry_stays_in_its_home_shard_when_re_armed_from_another() {
        let timers = Timers::with_shards(Instant::now(), 4);
        let entry = Arc::new(TimerShared::new());
        assert_eq!(
            timers.register_from(&entry, 50, 1),
            Registered::Armed { wake_poller: false }
        );
        // Re-armed from a thread of shard 2: still one entry, in shard 1.
        assert_eq!(
            timers.register_from(&entry, 60, 2),
            Registered::Armed { wake_poller: false }
        );
        let lens: Vec<_> = timers.shards.iter().map(|s| lock(&s.inner).wheel.len()).collect();
        assert_eq!(lens, [0, 1, 0, 0]);
        timers.cancel(&entry);
        assert!(timers.is_empty());
        assert!(entry.is_disarmed());
    }

    #[test]
    fn process_at_fires_every_shard_and_before_park_sees_the_earliest() {
        let start = Instant::now();
        let timers = Timers::with_shards(start, 4);
        let entries: Vec<_> = (0..4).map(|_| Arc::new(TimerShared::new())).collect();
        for (i, e) in entries.iter().enumerate() {
            timers.register_from(e, 40 - i as u64, i);
        }
        assert_eq!(timers.before_park(start, false), Some(Duration::from_millis(37)));
        assert_eq!(timers.process_at(39), 3);
        assert_eq!(timers.len(), 1);
        assert_eq!(timers.process_at(40), 1);
        assert!(entries.iter().all(|e| !e.may_be_armed() && !e.is_disarmed()));
    }

    #[test]
    fn an_earlier_timer_in_any_shard_wakes_the_sleeping_poller_once() {
        let start = Instant::now();
        let timers = Timers::with_shards(start, 2);
        let far = Arc::new(TimerShared::new());
        timers.register_from(&far, 1_000, 0);
        timers.before_park(start, true);
        let near = Arc::new(TimerShared::new());
        assert_eq!(
            timers.register_from(&near, 10, 1),
            Registered::Armed { wake_poller: true }
        );
        // Lowered to 10: a later arming needs no wake, an earlier one does.
        let later = Arc::new(TimerShared::new());
        assert_eq!(
            timers.register_from(&later, 20, 0),
            Registered::Armed { wake_poller: false }
        );
        let earlier = Arc::new(TimerShared::new());
        assert_eq!(
            timers.register_from(&earlier, 5, 1),
            Registered::Armed { wake_poller: true }
        );
        timers.after_park();
        let again = Arc::new(TimerShared::new());
        assert_eq!(
            timers.register_from(&again, 1, 0),
            Registered::Armed { wake_poller: false },
            "woke a poller that is not asleep"
        );
    }

    #[test]
    fn shutdown_reaches_every_shard_and_refuses_new_timers() {
        let timers = Timers::with_shards(Instant::now(), 4);
        let entries: Vec<_> = (0..4).map(|_| Arc::new(TimerShared::new())).collect();
        for (i, e) in entries.iter().enumerate() {
            timers.register_from(e, 100, i);
        }
        timers.shutdown();
        assert!(timers.is_empty());
        for e in &entries {
            assert!(!e.may_be_armed());
            // A cancel after the shutdown finds no stale key.
            timers.cancel(e);
        }
        for shard in 0..4 {
            let late = Arc::new(TimerShared::new());
            assert_eq!(timers.register_from(&late, 100, shard), Registered::Shutdown);
        }
    }
}
