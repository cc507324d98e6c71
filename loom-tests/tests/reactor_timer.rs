//! Loom models of the timer protocol (`weft_reactor`'s `time::entry`): the
//! real `Timers` (wheel behind the shim's mutex) and `TimerShared`.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p loom-tests --release --test reactor_timer`
#![cfg(loom)]

use std::sync::Arc as StdArc;
use std::task::{Context, Wake, Waker};
use std::time::Instant;

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use weft_reactor::loom_api::{Fired, Registered, TimerShared, Timers};

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (StdArc<CountingWaker>, Waker) {
    let c = StdArc::new(CountingWaker(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

/// A timer's cancel (its `Sleep` dropped) races its firing: the waker is
/// called at most once and the wheel entry is freed exactly once.
#[test]
fn cancel_racing_fire_wakes_at_most_once_and_frees_once() {
    loom::model(|| {
        let timers = Arc::new(Timers::new(Instant::now()));
        let entry = Arc::new(TimerShared::new());
        assert_eq!(
            timers.register(&entry, 5),
            Registered::Armed { wake_poller: false }
        );
        let (woken, waker) = counting_waker();
        assert!(entry.poll(&mut Context::from_waker(&waker)).is_pending());

        let poller = {
            let timers = timers.clone();
            thread::spawn(move || timers.process_at(10))
        };
        timers.cancel(&entry);
        let fired = poller.join().unwrap();

        assert!(woken.0.load(Ordering::SeqCst) <= 1, "waker called twice");
        assert_eq!(woken.0.load(Ordering::SeqCst), fired, "fired without waking");
        assert!(timers.is_empty(), "entry leaked");
    });
}

/// A `Sleep`'s drop (`may_be_armed`, then `cancel` only if it may be)
/// races the firing: the drop skips the wheel lock only for an entry that
/// is out of the wheel, so the entry never outlives both, and the waker is
/// called at most once. Also the drop going first (cancel) and second
/// (fired, no lock) are both explored.
#[test]
fn sleep_drop_racing_fire_skips_the_lock_only_once_fired() {
    use std::sync::atomic::{AtomicUsize as StdAtomic, Ordering::Relaxed};
    static SKIPPED: StdAtomic = StdAtomic::new(0);
    static LOCKED: StdAtomic = StdAtomic::new(0);
    loom::model(|| {
        let timers = Arc::new(Timers::new(Instant::now()));
        let entry = Arc::new(TimerShared::new());
        assert_eq!(
            timers.register(&entry, 5),
            Registered::Armed { wake_poller: false }
        );
        let (woken, waker) = counting_waker();
        assert!(entry.poll(&mut Context::from_waker(&waker)).is_pending());

        let poller = {
            let timers = timers.clone();
            thread::spawn(move || timers.process_at(10))
        };
        if entry.may_be_armed() {
            timers.cancel(&entry);
            LOCKED.fetch_add(1, Relaxed);
        } else {
            SKIPPED.fetch_add(1, Relaxed);
        }
        drop(entry);
        let fired = poller.join().unwrap();

        assert!(woken.0.load(Ordering::SeqCst) <= 1, "waker called twice");
        assert_eq!(woken.0.load(Ordering::SeqCst), fired, "fired without waking");
        assert!(timers.is_empty(), "a dropped sleep's entry stayed in the wheel");
    });
    assert!(
        SKIPPED.load(Relaxed) > 0 && LOCKED.load(Relaxed) > 0,
        "explored only one side of the drop (skipped {}, locked {})",
        SKIPPED.load(Relaxed),
        LOCKED.load(Relaxed)
    );
}

/// The same drop racing a poller for which the timer is not yet due: the
/// drop must take the lock and cancel, or the entry would sit in the wheel
/// until its deadline.
#[test]
fn sleep_dropped_before_its_deadline_leaves_the_wheel() {
    loom::model(|| {
        let timers = Arc::new(Timers::new(Instant::now()));
        let entry = Arc::new(TimerShared::new());
        assert_eq!(
            timers.register(&entry, 50),
            Registered::Armed { wake_poller: false }
        );
        let poller = {
            let timers = timers.clone();
            thread::spawn(move || timers.process_at(10))
        };
        if entry.may_be_armed() {
            timers.cancel(&entry);
        }
        drop(entry);
        assert_eq!(poller.join().unwrap(), 0, "a timer fired 40 ticks early");
        assert!(timers.is_empty(), "a dropped sleep's entry stayed in the wheel");
    });
}

/// Firing races the task storing its waker: a task that saw `Pending` is
/// woken.
#[test]
fn fire_racing_poll_is_not_lost() {
    loom::model(|| {
        let timers = Arc::new(Timers::new(Instant::now()));
        let entry = Arc::new(TimerShared::new());
        assert_eq!(
            timers.register(&entry, 5),
            Registered::Armed { wake_poller: false }
        );
        let poller = {
            let timers = timers.clone();
            thread::spawn(move || timers.process_at(10))
        };
        let (woken, waker) = counting_waker();
        let first = entry.poll(&mut Context::from_waker(&waker));
        poller.join().unwrap();
        if first.is_pending() {
            assert_eq!(woken.0.load(Ordering::SeqCst), 1, "lost timer wake-up");
        }
        assert!(entry
            .poll(&mut Context::from_waker(&waker))
            .map(|f| f == Fired::Deadline)
            .is_ready());
    });
}

/// Arming a timer earlier than the parked poller's deadline asks to wake
/// the poller, whichever of the two gets the wheel lock first.
#[test]
fn earlier_timer_than_the_poller_sleeps_until_wakes_it() {
    loom::model(|| {
        let timers = Arc::new(Timers::new(Instant::now()));
        let far = Arc::new(TimerShared::new());
        timers.register(&far, 1_000);
        let poller = {
            let timers = timers.clone();
            thread::spawn(move || {
                timers.before_park(Instant::now(), true);
            })
        };
        let near = Arc::new(TimerShared::new());
        let r = timers.register(&near, 10);
        poller.join().unwrap();
        // Either the poller recorded its sleep first (then we were told to
        // wake it), or it computed its timeout after our insert (then it
        // already sleeps until tick 10 at most).
        if r == (Registered::Armed { wake_poller: false }) {
            let again = Arc::new(TimerShared::new());
            // The poller is asleep now with a deadline of at most tick 10:
            // something later needs no wake.
            assert_eq!(
                timers.register(&again, 20),
                Registered::Armed { wake_poller: false }
            );
        }
        timers.after_park();
    });
}

/// `Timers::shutdown` races a task arming its timer and polling it: the
/// timer is refused (`Registered::Shutdown`) or armed and then fired with
/// `Fired::Shutdown`; a task that saw `Pending` is woken. None is left
/// armed in a wheel nobody will process again.
#[test]
fn shutdown_racing_register_and_poll_strands_no_timer() {
    loom::model(|| {
        let timers = Arc::new(Timers::new(Instant::now()));
        let entry = Arc::new(TimerShared::new());
        let (woken, waker) = counting_waker();
        let task = {
            let (timers, entry) = (timers.clone(), entry.clone());
            thread::spawn(move || {
                let registered = timers.register(&entry, 5);
                let first = entry.poll(&mut Context::from_waker(&waker));
                (registered, first)
            })
        };
        timers.shutdown();
        let (registered, first) = task.join().unwrap();
        let (_, waker) = counting_waker();
        match registered {
            Registered::Shutdown => {}
            Registered::Armed { .. } => {
                assert_eq!(
                    entry.poll(&mut Context::from_waker(&waker)),
                    std::task::Poll::Ready(Fired::Shutdown),
                    "an armed timer outlived the shutdown"
                );
                if first.is_pending() {
                    assert_eq!(woken.0.load(Ordering::SeqCst), 1, "lost shutdown wake-up");
                }
            }
            Registered::Expired => panic!("tick 5 expired on a fresh wheel"),
        }
        assert!(timers.is_empty());
    });
}

/// A timer re-armed (a `Sleep` reset) while the poller fires it: it ends in
/// the wheel exactly once, at its new deadline, and is woken at most once
/// for the old one; processing the new deadline fires it.
#[test]
fn timer_rearmed_while_it_fires_is_in_the_wheel_once() {
    loom::model(|| {
        let timers = Arc::new(Timers::new(Instant::now()));
        let entry = Arc::new(TimerShared::new());
        timers.register(&entry, 5);
        let (woken, waker) = counting_waker();
        assert!(entry.poll(&mut Context::from_waker(&waker)).is_pending());

        let poller = {
            let timers = timers.clone();
            thread::spawn(move || timers.process_at(10))
        };
        assert_eq!(
            timers.register(&entry, 20),
            Registered::Armed { wake_poller: false }
        );
        let fired_old = poller.join().unwrap();
        assert!(fired_old <= 1);
        assert_eq!(woken.0.load(Ordering::SeqCst), fired_old);
        assert_eq!(
            timers.len(),
            1,
            "the re-armed timer is not in the wheel exactly once"
        );
        assert!(entry.poll(&mut Context::from_waker(&waker)).is_pending());
        assert_eq!(timers.process_at(30), 1);
        assert_eq!(
            entry.poll(&mut Context::from_waker(&waker)),
            std::task::Poll::Ready(Fired::Deadline)
        );
        assert!(timers.is_empty());
    });
}

/// A `Sleep` reset: its timer is cancelled while the poller fires it, then
/// armed again. Whichever of the two took it out of the wheel, the re-arm
/// finds it out (no stale key left behind by the cancel), and it fires once
/// at its new deadline.
#[test]
fn timer_cancelled_while_it_fires_can_be_rearmed() {
    loom::model(|| {
        let timers = Arc::new(Timers::new(Instant::now()));
        let entry = Arc::new(TimerShared::new());
        timers.register(&entry, 5);
        let poller = {
            let timers = timers.clone();
            thread::spawn(move || timers.process_at(10))
        };
        timers.cancel(&entry);
        poller.join().unwrap();
        assert_eq!(
            timers.register(&entry, 20),
            Registered::Armed { wake_poller: false }
        );
        assert_eq!(timers.len(), 1, "the re-armed timer is not in the wheel once");
        assert_eq!(timers.process_at(30), 1);
        assert!(timers.is_empty());
    });
}
