//! Loom model of the reactor's parked/notified state machine
//! (`weft_reactor`'s `park` module), with a loom mutex+condvar standing in
//! for the blocking `mio::Poll` and its sticky `mio::Waker`.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p loom-tests --release --test reactor_park`
#![cfg(loom)]

use std::time::Duration;

use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;
use weft_reactor::loom_api::Parker;

/// Stands in for `mio::Poll` + `mio::Waker`: a wake is remembered until the
/// next blocking call consumes it (an eventfd stays readable until read).
#[derive(Default)]
struct Backend {
    woken: Mutex<bool>,
    condvar: Condvar,
}

impl Backend {
    fn block(&self, timeout: Option<Duration>) {
        let mut woken = self.woken.lock().unwrap();
        if timeout == Some(Duration::ZERO) {
            *woken = false;
            return;
        }
        // Timeouts other than zero are modelled as "never expires", the
        // worst case for a lost unpark.
        while !*woken {
            woken = self.condvar.wait(woken).unwrap();
        }
        *woken = false;
    }

    fn wake(&self) {
        *self.woken.lock().unwrap() = true;
        self.condvar.notify_one();
    }
}

/// An unpark racing the poller's entry into park: the parked thread returns
/// (loom reports a deadlock otherwise).
#[test]
fn unpark_racing_park_entry_returns() {
    loom::model(|| {
        let parker = Arc::new(Parker::new());
        let backend = Arc::new(Backend::default());
        let t = {
            let (parker, backend) = (parker.clone(), backend.clone());
            thread::spawn(move || parker.park(None, |t| backend.block(t)))
        };
        parker.unpark(|| backend.wake());
        t.join().unwrap();
    });
}

/// Two parks and two unparks, each unpark after the matching park started
/// or not: the second park also returns when its unpark comes after the
/// first park returned.
#[test]
fn consecutive_park_unpark_rounds_return() {
    loom::model(|| {
        let parker = Arc::new(Parker::new());
        let backend = Arc::new(Backend::default());
        let round = Arc::new(Mutex::new(0));
        let t = {
            let (parker, backend, round) = (parker.clone(), backend.clone(), round.clone());
            thread::spawn(move || {
                parker.park(None, |t| backend.block(t));
                *round.lock().unwrap() = 1;
                parker.park(None, |t| backend.block(t));
            })
        };
        parker.unpark(|| backend.wake());
        // Second unpark only once the first park has returned.
        loop {
            if *round.lock().unwrap() == 1 {
                break;
            }
            thread::yield_now();
        }
        parker.unpark(|| backend.wake());
        t.join().unwrap();
    });
}

/// A zero-timeout park never blocks, token or not, and leaves a pending
/// token for the next blocking park.
#[test]
fn zero_timeout_park_does_not_block_or_eat_the_token() {
    loom::model(|| {
        let parker = Arc::new(Parker::new());
        let backend = Arc::new(Backend::default());
        let t = {
            let (parker, backend) = (parker.clone(), backend.clone());
            thread::spawn(move || {
                parker.park(Some(Duration::ZERO), |t| backend.block(t));
                parker.park(None, |t| backend.block(t));
            })
        };
        parker.unpark(|| backend.wake());
        t.join().unwrap();
    });
}
