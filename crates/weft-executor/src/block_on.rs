//! `block_on`: run one future on the calling thread.
//!
//! The thread polls the future under a cooperative budget, and sleeps on a
//! condvar while it is pending; the future's waker sets a flag and signals
//! the condvar, from any thread. The flag makes the wake sticky: a wake that
//! lands between a `Pending` poll and the sleep is not lost.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use weft_task::coop;

use crate::sync::{lock, wait, Condvar, Mutex};

/// Wakes a thread blocked in [`block_on`].
pub(crate) struct ThreadNotify {
    notified: Mutex<bool>,
    condvar: Condvar,
}

impl ThreadNotify {
    fn new() -> Self {
        ThreadNotify {
            notified: Mutex::new(false),
            condvar: Condvar::new(),
        }
    }

    fn wait(&self) {
        let mut notified = lock(&self.notified);
        while !*notified {
            notified = wait(&self.condvar, notified);
        }
        *notified = false;
    }
}

impl Wake for ThreadNotify {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        let mut notified = lock(&self.notified);
        if !*notified {
            *notified = true;
            self.condvar.notify_one();
        }
    }
}

/// Runs `future` to completion on the current thread, sleeping while it is
/// pending.
///
/// This is the bare mechanism: it does not enter any runtime context. Use
/// `weft::Runtime::block_on` in applications.
///
/// ```
/// assert_eq!(weft_executor::block_on(async { 1 + 1 }), 2);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    let notify = StdArc::new(ThreadNotify::new());
    let waker = Waker::from(notify.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = coop::budget(|| future.as_mut().poll(&mut cx)) {
            return out;
        }
        notify.wait();
    }
}
