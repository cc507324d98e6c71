//! `block_on`: run one future on the calling thread.
//!
//! The thread polls the future under a cooperative budget, and parks while
//! it is pending; the future's waker raises a flag and unparks the thread,
//! from any thread. The flag makes the wake sticky: a wake that lands
//! between a `Pending` poll and the park is not lost.
//!
//! Why a flag beside the thread's own park token: the future's poll may
//! park the thread itself (a std channel's `recv`, a `Mutex` under
//! contention inside user code) and so consume the token our waker left;
//! the flag still says "poll again", and the thread parks only while it is
//! down. A wake costs one swap while the thread is running, and a futex
//! wake only when it is parked (a condvar would make the syscall on every
//! notify, and take a lock).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use weft_task::coop;

use crate::sync::{current_thread, park, AtomicBool, Ordering, Thread};

/// Wakes a thread blocked in [`block_on`].
pub(crate) struct ThreadNotify {
    notified: AtomicBool,
    thread: Thread,
}

impl ThreadNotify {
    fn new() -> Self {
        ThreadNotify {
            notified: AtomicBool::new(false),
            thread: current_thread(),
        }
    }

    /// Parks until a wake has raised the flag, and lowers it.
    fn wait(&self) {
        // Acquire: what the waker's thread did before the wake happens
        // before the next poll.
        while !self.notified.swap(false, Ordering::Acquire) {
            park();
        }
    }
}

impl Wake for ThreadNotify {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        // Release pairs with the Acquire in `wait`. Only the wake that
        // raises the flag unparks: later ones find it raised and the
        // thread not yet parked on their behalf.
        if !self.notified.swap(true, Ordering::Release) {
            self.thread.unpark();
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
