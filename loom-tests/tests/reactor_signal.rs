//! Loom models of the signal protocol (`weft_reactor`'s `signal::slot`):
//! the real `SignalSlot` and `Listener`, with loom's atomics and mutex.
//!
//! The signal handler is played by `SignalSlot::record` followed by a
//! write to the "pipe", here a counter; the reactor's dispatch by a drain
//! of the counter followed by `SignalSlot::dispatch`, in that order, as in
//! `signal::registry::dispatch`.
//!
//! Run: `RUSTFLAGS="--cfg loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 cargo test -p loom-tests --release --test reactor_signal`
#![cfg(loom)]

use std::sync::Arc as StdArc;
use std::task::{Context, Wake, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use weft_reactor::loom_api::{Listener, SignalSlot, WakeList};

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

/// The signal handler: flag, then pipe byte.
fn deliver(slot: &SignalSlot, pipe: &AtomicUsize) {
    slot.record();
    pipe.fetch_add(1, Ordering::SeqCst);
}

/// One reactor wake-up: if the pipe had bytes, drain it, then dispatch.
fn reactor_round(slot: &SignalSlot, pipe: &AtomicUsize) {
    if pipe.swap(0, Ordering::SeqCst) > 0 {
        let mut wakers = WakeList::new();
        slot.dispatch(&mut wakers);
        wakers.wake_all();
    }
}

/// A listener registers and waits while a delivery is dispatched: it either
/// sees that delivery or is left waiting with its waker in place (never
/// waiting with a delivery it was not woken for), and it sees the next one.
#[test]
fn listener_registered_during_a_dispatch_sees_it_or_the_next() {
    loom::model(|| {
        let slot = Arc::new(SignalSlot::new());
        let pipe = Arc::new(AtomicUsize::new(0));
        let (woken, waker) = counting_waker();
        let dispatcher = {
            let (slot, pipe) = (slot.clone(), pipe.clone());
            thread::spawn(move || {
                deliver(&slot, &pipe);
                reactor_round(&slot, &pipe);
            })
        };
        let mut listener = Listener::new(slot.clone());
        let mut cx = Context::from_waker(&waker);
        let first = listener.poll_recv(&mut cx);
        dispatcher.join().unwrap();
        reactor_round(&slot, &pipe); // a byte the dispatcher did not drain
        if first.is_pending() && woken.0.load(Ordering::SeqCst) == 0 {
            assert!(
                listener.poll_recv(&mut cx).is_pending(),
                "a delivery reached the listener without waking it"
            );
        }
        // The next delivery is never lost, whatever happened to the first.
        deliver(&slot, &pipe);
        reactor_round(&slot, &pipe);
        assert!(
            listener.poll_recv(&mut cx).is_ready(),
            "a later delivery was lost"
        );
    });
}

/// A delivery lands while a dispatch runs, after the listener reported
/// everything before it: some dispatch reports it (the one running, or the
/// next, woken by its pipe byte).
#[test]
fn delivery_racing_a_dispatch_is_reported_after_it() {
    loom::model(|| {
        let slot = Arc::new(SignalSlot::new());
        let pipe = Arc::new(AtomicUsize::new(0));
        let mut listener = Listener::new(slot.clone());
        deliver(&slot, &pipe); // an earlier delivery, being dispatched
        let dispatcher = {
            let (slot, pipe) = (slot.clone(), pipe.clone());
            thread::spawn(move || reactor_round(&slot, &pipe))
        };
        let handler = {
            let (slot, pipe) = (slot.clone(), pipe.clone());
            thread::spawn(move || {
                let (_woken, waker) = counting_waker();
                // Take whatever was reported so far, then the new delivery
                // comes: it must be reported after this point.
                let _ = listener.poll_recv(&mut Context::from_waker(&waker));
                deliver(&slot, &pipe);
                listener
            })
        };
        dispatcher.join().unwrap();
        let mut listener = handler.join().unwrap();
        reactor_round(&slot, &pipe);
        let (_woken, waker) = counting_waker();
        assert!(
            listener.poll_recv(&mut Context::from_waker(&waker)).is_ready(),
            "a delivery made during a dispatch was never reported"
        );
    });
}
