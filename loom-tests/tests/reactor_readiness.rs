//! Loom models of the I/O readiness protocol (`weft_reactor`'s
//! `io_driver::scheduled_io`): the real `ScheduledIo`, with loom's atomics
//! and mutex swapped in by the crate's `sync` shim.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p loom-tests --release --test reactor_readiness`
#![cfg(loom)]

use std::sync::Arc as StdArc;
use std::task::{Context, Wake, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use weft_reactor::loom_api::{Direction, Ready, ScheduledIo, WakeList};

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

/// The poller's side of one event: record, take wakers, wake outside the lock.
fn deliver(io: &ScheduledIo, ready: Ready) {
    io.set_readiness(ready);
    let mut wakers = WakeList::new();
    io.take_wakers(ready, &mut wakers);
    wakers.wake_all();
}

/// A readiness event racing a task's registration of its waker: if the task
/// saw `Pending`, it must have been woken.
#[test]
fn event_racing_waker_registration_is_not_lost() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new());
        let (woken, waker) = counting_waker();
        let poller = {
            let io = io.clone();
            thread::spawn(move || deliver(&io, Ready::READABLE))
        };
        let mut cx = Context::from_waker(&waker);
        let first = io.poll_ready(&mut cx, Direction::Read);
        poller.join().unwrap();
        if first.is_pending() {
            assert_eq!(woken.0.load(Ordering::SeqCst), 1, "lost wake-up");
        }
        assert!(io.poll_ready(&mut cx, Direction::Read).is_ready());
    });
}

/// A task clearing readiness after `WouldBlock` races a new event: the new
/// event must survive the clear (the tick check).
#[test]
fn clear_racing_a_new_event_keeps_the_new_event() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new());
        io.set_readiness(Ready::READABLE);
        let (_woken, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let seen = match io.poll_ready(&mut cx, Direction::Read) {
            std::task::Poll::Ready(ev) => ev,
            std::task::Poll::Pending => panic!("initial readiness not seen"),
        };
        let poller = {
            let io = io.clone();
            thread::spawn(move || deliver(&io, Ready::READABLE))
        };
        // The operation returned WouldBlock.
        io.clear_readiness(seen);
        poller.join().unwrap();
        assert!(
            io.poll_ready(&mut cx, Direction::Read).is_ready(),
            "a stale clear erased a newer event"
        );
    });
}

/// A reader and a writer wait on one source; a write event wakes only the
/// writer, and neither is lost.
#[test]
fn directions_wake_independently() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new());
        let (read_woken, read_waker) = counting_waker();
        let (write_woken, write_waker) = counting_waker();
        let poller = {
            let io = io.clone();
            thread::spawn(move || deliver(&io, Ready::WRITABLE))
        };
        let r = io.poll_ready(&mut Context::from_waker(&read_waker), Direction::Read);
        let w = io.poll_ready(&mut Context::from_waker(&write_waker), Direction::Write);
        poller.join().unwrap();
        assert!(r.is_pending());
        assert_eq!(read_woken.0.load(Ordering::SeqCst), 0);
        if w.is_pending() {
            assert_eq!(write_woken.0.load(Ordering::SeqCst), 1, "lost write wake-up");
        }
    });
}

/// `ScheduledIo::shutdown` races a task's poll: the task sees the shutdown
/// at once, or stored its waker and is woken by the shutdown; either way
/// the next poll reports it.
#[test]
fn shutdown_racing_poll_wakes_or_reports_shutdown() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new());
        let (woken, waker) = counting_waker();
        let reactor = {
            let io = io.clone();
            thread::spawn(move || {
                let mut wakers = WakeList::new();
                io.shutdown(&mut wakers);
                wakers.wake_all();
            })
        };
        let mut cx = Context::from_waker(&waker);
        let first = io.poll_ready(&mut cx, Direction::Read);
        reactor.join().unwrap();
        match first {
            std::task::Poll::Ready(ev) => assert!(ev.is_shutdown),
            std::task::Poll::Pending => {
                assert_eq!(woken.0.load(Ordering::SeqCst), 1, "lost shutdown wake-up")
            }
        }
        match io.poll_ready(&mut cx, Direction::Write) {
            std::task::Poll::Ready(ev) => assert!(ev.is_shutdown),
            std::task::Poll::Pending => panic!("a shut-down source still waits"),
        }
    });
}

/// Registration slot reuse: the poller holds an event for a source whose
/// owner deregisters it while a new source takes the same slot. Under the
/// registration lock (a loom mutex here, as the reactor's is a std one),
/// the event reaches the old source or nobody, never the new one.
#[test]
fn event_for_a_reused_slot_never_reaches_the_new_source() {
    use loom::sync::Mutex;
    use weft_reactor::loom_api::RegistrationSet;
    loom::model(|| {
        let set = Arc::new(Mutex::new(RegistrationSet::new()));
        let (old_token, old_io) = set.lock().unwrap().allocate().unwrap();
        let poller = {
            let set = set.clone();
            thread::spawn(move || {
                // The event mio returned for `old_token`, dispatched later.
                let io = set.lock().unwrap().get(old_token).cloned();
                if let Some(io) = io {
                    deliver(&io, Ready::READABLE);
                }
            })
        };
        let new_io = {
            let mut set = set.lock().unwrap();
            assert!(set.remove(old_token));
            let (new_token, new_io) = set.allocate().unwrap();
            assert_ne!(new_token, old_token, "a reused slot kept its token");
            new_io
        };
        poller.join().unwrap();
        assert!(
            new_io.ready_event(Direction::Read).is_none(),
            "an event for the old source reached the new one"
        );
        drop(old_io);
    });
}
