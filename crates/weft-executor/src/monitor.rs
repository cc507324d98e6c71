//! The monitor: hands the queues of a worker stuck in one poll to another
//! thread, so a task that blocks its thread cannot stall the others.
//!
//! # What it does
//!
//! A task that calls a blocking function, or computes for a long time
//! without an `.await`, keeps its worker inside one poll. Every task queued
//! on that worker waits, and if every worker is stuck, nobody polls the
//! reactor: timers fire late and sockets go unread. The monitor notices and
//! moves the stuck worker (its local queue, LIFO slot, deferred tasks and
//! its place in the idle protocol) to a fresh or spare thread, which carries
//! on as that worker. The stuck thread finishes its one poll and retires.
//!
//! It is Go's `sysmon` retaking a P, for code that cannot be preempted:
//!
//! 1. Every half threshold the monitor reads each worker's core word
//!    (`core_cell.rs`): owner generation, poll sequence number, phase.
//! 2. A worker seen in the *same* poll (same generation and sequence
//!    number) for at least the threshold is stuck. It has been polling that
//!    long at least, and at most half a threshold longer: detection comes
//!    between 1 and 1.5 thresholds into the poll.
//! 3. The monitor first reserves a thread ([`ThreadSource::reserve`]: a
//!    spare, or a new one), *then* takes the core (a compare-exchange that
//!    fails if the poll has ended meanwhile, in which case the reserved
//!    thread goes back unused), then starts the reserved thread as the new
//!    owner. Reserving first means a take never strands a core for want of
//!    a thread.
//! 4. The reactor needs nothing special: only a *parked* worker ever waits
//!    in the driver, never one inside a poll, so the new owner (or any other
//!    idle worker) drives it as usual.
//!
//! # Why no task is lost or run twice across the move
//!
//! The core, with every task queued on it, moves whole: the take is one
//! compare-exchange on the word that every access of the old owner checks
//! (`core_cell.rs`). A task the stuck poll wakes or spawns after the take
//! finds its push window closed and goes to the injector; the task being
//! polled is in no queue (it is `RUNNING`), and when its poll ends its own
//! state machine requeues it, through the same path, if it was woken. A
//! task is only ever in one queue because only its `Notified` can be queued,
//! and there is one.
//!
//! # When it sleeps
//!
//! With every worker parked there is no poll to watch: the monitor sleeps
//! until a worker unparks ([`MonitorPark`]). Otherwise it wakes every half
//! threshold (200 times a second at the default 10 ms): a few microseconds
//! each, on a busy runtime.
//!
//! The idle protocol's argument (`idle.rs`) is unchanged by the move: the
//! new owner inherits the old one's counts (unparked, not searching), and
//! the old thread, no longer a worker, never touches them again.

use std::time::{Duration, Instant};

use crate::core_cell::Observed;
use crate::handle::{Handle, Worker};
use crate::sync::{lock, wait, wait_timeout, AtomicBool, Condvar, Mutex, Ordering::SeqCst};

/// Where the executor gets threads for handed-off workers: the runtime
/// implements it (it names threads, runs hooks, enters its context, and
/// joins them at shutdown).
pub trait ThreadSource: Send + Sync + 'static {
    /// A thread ready to run one [`Worker`]: a spare one, or a new one.
    /// `None` if no thread can be had (the OS refused).
    fn reserve(&self) -> Option<Box<dyn ReservedThread>>;
}

/// A thread reserved by [`ThreadSource::reserve`]. Dropping it unused
/// gives it back.
pub trait ReservedThread: Send {
    /// Runs `worker` on the thread ([`Worker::run`]).
    fn start(self: Box<Self>, worker: Worker);
}

/// Watches the workers of one executor for stuck polls; see the module
/// docs. Made by [`Handle::monitor`], run by the runtime on a thread of its
/// own with [`Monitor::run`].
pub struct Monitor {
    handle: Handle,
    threshold: Duration,
    /// Per worker: the poll last seen, and since when.
    seen: Vec<Option<(Observed, Instant)>>,
}

impl Monitor {
    pub(crate) fn new(handle: Handle, threshold: Duration) -> Monitor {
        let n = handle.shared.remotes.len();
        Monitor {
            handle,
            threshold,
            seen: vec![None; n],
        }
    }

    /// The handoff threshold.
    pub fn threshold(&self) -> Duration {
        self.threshold
    }

    /// Looks at every worker once; hands off those stuck in one poll for at
    /// least the threshold as of `now`. Returns how many it handed off.
    pub fn scan(&mut self, now: Instant) -> usize {
        let shared = &self.handle.shared;
        let mut handed_off = 0;
        for (index, seen) in self.seen.iter_mut().enumerate() {
            let cell = &shared.remotes[index].core;
            let word = cell.observe();
            if !word.is_polling() {
                *seen = None;
                continue;
            }
            let since = match *seen {
                Some((before, since)) if before.same_poll(word) => since,
                _ => {
                    *seen = Some((word, now));
                    continue;
                }
            };
            if now.saturating_duration_since(since) < self.threshold {
                continue;
            }
            let Some(thread) = shared.threads.get().and_then(|t| t.reserve()) else {
                // No thread to be had now: try again on the next scan.
                continue;
            };
            if let Some(gen) = cell.take(word) {
                *seen = None;
                shared.handoffs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                thread.start(Worker {
                    handle: self.handle.clone(),
                    index,
                    gen,
                });
                handed_off += 1;
            }
            // Else the poll ended (or is in a push window) as we looked:
            // the reserved thread goes back unused.
        }
        handed_off
    }

    /// Scans every half threshold until the executor shuts down, sleeping
    /// while every worker is parked.
    pub fn run(mut self) {
        let interval = (self.threshold / 2).max(Duration::from_micros(50));
        let shared = self.handle.shared.clone();
        while !self.handle.is_shutdown() {
            self.scan(Instant::now());
            if shared.idle.num_unparked_now() == 0 {
                shared
                    .monitor_park
                    .sleep_while(|| shared.idle.num_unparked_now() == 0 && !self.handle.is_shutdown());
            } else {
                shared.monitor_park.sleep_for(interval);
            }
        }
    }
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

/// Where the monitor sleeps while no worker runs.
///
/// No lost wake-up: the monitor raises `sleeping` (`SeqCst`) *before* its
/// last look at the unparked count; a worker leaving its park raises the
/// count (a `SeqCst` read-modify-write in the idle protocol) *before* it
/// reads `sleeping`. In the total order of those four accesses, either the
/// monitor's look sees the worker, or the worker sees `sleeping` and
/// signals under the lock the monitor waits with.
pub(crate) struct MonitorPark {
    sleeping: AtomicBool,
    woken: Mutex<bool>,
    condvar: Condvar,
}

impl MonitorPark {
    pub(crate) fn new() -> MonitorPark {
        MonitorPark {
            sleeping: AtomicBool::new(false),
            woken: Mutex::new(false),
            condvar: Condvar::new(),
        }
    }

    /// Sleeps until woken, as long as `idle()` holds after announcing it.
    fn sleep_while(&self, idle: impl Fn() -> bool) {
        self.sleeping.store(true, SeqCst);
        let mut woken = lock(&self.woken);
        while !*woken && idle() {
            woken = wait(&self.condvar, woken);
        }
        *woken = false;
        self.sleeping.store(false, SeqCst);
    }

    fn sleep_for(&self, d: Duration) {
        let woken = lock(&self.woken);
        let mut woken = if *woken {
            woken
        } else {
            wait_timeout(&self.condvar, woken, d)
        };
        *woken = false;
    }

    /// A worker unparked: wake the monitor if it sleeps for want of one.
    pub(crate) fn wake_if_sleeping(&self) {
        if self.sleeping.load(SeqCst) {
            self.wake();
        }
    }

    /// Wakes the monitor (a worker unparked, or shutdown).
    pub(crate) fn wake(&self) {
        *lock(&self.woken) = true;
        self.condvar.notify_one();
    }
}
