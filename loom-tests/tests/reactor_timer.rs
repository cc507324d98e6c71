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

/// Sharded wheels: a task arms a timer on shard 1 while the poller, in
/// `before_park`, scans the shards (shard 0 holds a far timer) and records
/// that it sleeps. Whichever order the locks are taken in, either the
/// arming is told to wake the poller or the poller's wait is bounded by the
/// new timer: the register-vs-going-to-sleep race across shards.
#[test]
fn register_on_one_shard_racing_before_park_on_another_wakes_the_poller() {
    use std::time::Duration;
    loom::model(|| {
        let start = Instant::now();
        let timers = Arc::new(Timers::new(start));
        assert_eq!(timers.shards(), 2, "the models expect two shards under loom");
        let far = Arc::new(TimerShared::new());
        timers.register_from(&far, 1_000, 0);
        let poller = {
            let timers = timers.clone();
            thread::spawn(move || timers.before_park(start, true))
        };
        let near = Arc::new(TimerShared::new());
        let r = timers.register_from(&near, 10, 1);
        let wait = poller.join().unwrap().expect("two timers are armed");
        match r {
            Registered::Armed { wake_poller: false } => assert!(
                wait <= Duration::from_millis(10),
                "lost wake-up: the poller sleeps {wait:?} past a timer armed on another \
                 shard, and the arming was not told to wake it"
            ),
            Registered::Armed { wake_poller: true } => {}
            other => panic!("tick 10 on a fresh wheel: {other:?}"),
        }
        timers.after_park();
    });
}

/// Sharded wheels: the cancel of a timer in shard 1 races `process_at`,
/// which fires both it and a due timer of shard 0. The cancel takes the
/// lock of the shard that holds its key: the shard-1 timer is woken at
/// most once and freed once, and the shard-0 timer, which nobody cancels,
/// fires.
#[test]
fn cancel_on_one_shard_racing_process_at_wakes_at_most_once_and_spares_the_other_shard() {
    loom::model(|| {
        let timers = Arc::new(Timers::new(Instant::now()));
        let other = Arc::new(TimerShared::new());
        timers.register_from(&other, 5, 0);
        let entry = Arc::new(TimerShared::new());
        assert_eq!(
            timers.register_from(&entry, 5, 1),
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

        let woken = woken.0.load(Ordering::SeqCst);
        assert!(woken <= 1, "waker called twice");
        assert_eq!(
            woken + 1,
            fired,
            "fired without waking, or the other shard's timer did not fire"
        );
        let (_, waker) = counting_waker();
        assert_eq!(
            other.poll(&mut Context::from_waker(&waker)),
            std::task::Poll::Ready(Fired::Deadline),
            "the cancel of a shard-1 timer took the shard-0 timer out"
        );
        assert!(timers.is_empty(), "entry leaked");
    });
}

/// Sharded wheels: a timer armed on shard 1 is re-armed (a `Sleep` reset)
/// from a thread whose shard is 0 while the poller fires it. The entry
/// stays in its home shard, so the re-arm finds its key where it is: it is
/// in the wheels exactly once afterwards, and fires once at its new
/// deadline.
#[test]
fn rearm_from_another_shard_racing_fire_keeps_the_entry_in_its_home_shard() {
    loom::model(|| {
        let timers = Arc::new(Timers::new(Instant::now()));
        let entry = Arc::new(TimerShared::new());
        timers.register_from(&entry, 5, 1);
        let poller = {
            let timers = timers.clone();
            thread::spawn(move || timers.process_at(10))
        };
        assert_eq!(
            timers.register_from(&entry, 20, 0),
            Registered::Armed { wake_poller: false }
        );
        let fired_old = poller.join().unwrap();
        assert!(fired_old <= 1);
        assert_eq!(
            timers.len(),
            1,
            "the re-armed timer is not in the wheels exactly once"
        );
        assert_eq!(timers.process_at(30), 1);
        assert!(timers.is_empty());
    });
}

/// `Timers::shutdown` races a `Sleep`'s drop (`may_be_armed`, then
/// `cancel`) of a timer on shard 1: the cancel never finds a key into a
/// wheel the shutdown already emptied (each shard is closed, emptied and
/// its entries' keys cleared in one critical section), and the entry ends
/// out of every wheel.
#[test]
fn shutdown_racing_a_sleep_drop_leaves_no_stale_key() {
    loom::model(|| {
        let timers = Arc::new(Timers::new(Instant::now()));
        let entry = Arc::new(TimerShared::new());
        timers.register_from(&entry, 50, 1);
        let closer = {
            let timers = timers.clone();
            thread::spawn(move || timers.shutdown())
        };
        if entry.may_be_armed() {
            timers.cancel(&entry);
        }
        drop(entry);
        closer.join().unwrap();
        assert!(timers.is_empty());
        let late = Arc::new(TimerShared::new());
        assert_eq!(timers.register_from(&late, 60, 0), Registered::Shutdown);
    });
}
