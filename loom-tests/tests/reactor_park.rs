//! Loom models of the reactor's park loop (`weft_reactor`'s
//! `park::EventLoop::park`: timers before and after the wait, the
//! min-timeout, readiness dispatch, the unpark token), run over the
//! stand-in kernel of `loom_tests::reactor` (a condvar wait and a virtual
//! clock that moves only when the model says so).
//!
//! A park that should have ended and did not is a loom deadlock: the
//! stand-in never returns spuriously.
//!
//! Run: `RUSTFLAGS="--cfg loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 cargo test -p loom-tests --release --test reactor_park`
#![cfg(loom)]

use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use loom_tests::reactor::ModelOs;
use weft_reactor::loom_api::{Direction, Fired, Ready, Registered, TimerShared};

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

/// A timer armed before the park falls due while the poller waits (the
/// clock moves on another thread): by the time `park` returns, the timer
/// has fired and its task was woken. The wait is bounded by the timer
/// (the min-timeout), and the timers are processed after the wait.
#[test]
fn a_timer_due_during_the_park_has_fired_when_the_park_returns() {
    loom::model(|| {
        let (os, event_loop) = ModelOs::new();
        let entry = Arc::new(TimerShared::new());
        assert_eq!(
            event_loop.timers().register(&entry, 5),
            Registered::Armed { wake_poller: false }
        );
        let (woken, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(entry.poll(&mut cx).is_pending());

        let clock = thread::spawn(move || os.advance_to(5));
        event_loop.park(None);
        assert_eq!(
            woken.0.load(Ordering::SeqCst),
            1,
            "park returned without firing the timer that fell due"
        );
        assert_eq!(entry.poll(&mut cx), Poll::Ready(Fired::Deadline));
        clock.join().unwrap();
    });
}

/// An unpark from another thread races the park (before its wait, during
/// it): the park returns. The token is kept until a wait consumes it.
#[test]
fn an_unpark_racing_the_park_ends_it() {
    loom::model(|| {
        let (os, event_loop) = ModelOs::new();
        let unparker = thread::spawn(move || os.unpark());
        event_loop.park(None);
        unparker.join().unwrap();
    });
}

/// A readiness event for a registered source arrives while the poller
/// waits: `park` records it on the source and wakes the task waiting on
/// it before returning.
#[test]
fn a_readiness_event_during_the_park_reaches_the_registered_task() {
    loom::model(|| {
        let (os, event_loop) = ModelOs::new();
        let (token, io) = event_loop.registrations().lock().unwrap().allocate().unwrap();
        let (woken, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());

        let kernel = thread::spawn(move || os.event(token, Ready::READABLE));
        event_loop.park(None);
        assert_eq!(
            woken.0.load(Ordering::SeqCst),
            1,
            "park returned without waking the task of the ready source"
        );
        assert!(
            io.ready_event(Direction::Read).is_some(),
            "park returned without recording the source's readiness"
        );
        kernel.join().unwrap();
    });
}

/// A task arms a timer while the poller is parked with nothing to wait for
/// (as `Sleep::poll` does: register, and unpark the poller if told to).
/// Whether the arming comes before the park reads the timers, or after,
/// the park ends once the timer is due, and the timer fires.
#[test]
fn a_timer_armed_during_the_park_ends_it() {
    loom::model(|| {
        let (os, event_loop) = ModelOs::new();
        let event_loop = Arc::new(event_loop);
        let parker = {
            let event_loop = event_loop.clone();
            thread::spawn(move || event_loop.park(None))
        };
        let entry = Arc::new(TimerShared::new());
        match event_loop.timers().register(&entry, 5) {
            Registered::Armed { wake_poller } => {
                if wake_poller {
                    os.unpark();
                }
            }
            other => panic!("a timer for tick 5 on a fresh wheel: {other:?}"),
        }
        os.advance_to(5);
        parker.join().unwrap();

        // Fired by that park, or by the next one at the latest.
        event_loop.park(Some(Duration::ZERO));
        let (_, waker) = counting_waker();
        assert_eq!(
            entry.poll(&mut Context::from_waker(&waker)),
            Poll::Ready(Fired::Deadline)
        );
    });
}

/// Sharded wheels, through the real park loop: shard 0 holds a far timer
/// (tick 1000), so the park has a deadline; a task arms a nearer one on
/// shard 1 (tick 5) while the poller scans the shards and waits. Whichever
/// comes first, the park ends once the new timer is due (a lost wake-up
/// would wait for tick 1000, which the clock never reaches: a deadlock).
#[test]
fn a_nearer_timer_armed_on_another_shard_during_the_park_ends_it() {
    loom::model(|| {
        let (os, event_loop) = ModelOs::new();
        let event_loop = Arc::new(event_loop);
        let far = Arc::new(TimerShared::new());
        event_loop.timers().register_from(&far, 1_000, 0);
        let parker = {
            let event_loop = event_loop.clone();
            thread::spawn(move || event_loop.park(None))
        };
        let entry = Arc::new(TimerShared::new());
        match event_loop.timers().register_from(&entry, 5, 1) {
            Registered::Armed { wake_poller } => {
                if wake_poller {
                    os.unpark();
                }
            }
            other => panic!("a timer for tick 5 on a fresh wheel: {other:?}"),
        }
        os.advance_to(5);
        parker.join().unwrap();

        event_loop.park(Some(Duration::ZERO));
        let (_, waker) = counting_waker();
        assert_eq!(
            entry.poll(&mut Context::from_waker(&waker)),
            Poll::Ready(Fired::Deadline)
        );
        assert!(far.may_be_armed(), "the far timer fired early");
    });
}
