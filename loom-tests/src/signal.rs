//! A one-shot signal a task can wait on, set from any thread: what the
//! executor models park their tasks on.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use loom::sync::{Arc, Mutex};

/// Set once, from any thread; wakes the task waiting in [`Wait`].
#[derive(Default)]
pub struct Signal {
    state: Mutex<(bool, Option<Waker>)>,
}

impl Signal {
    /// Sets the signal and wakes the waiter, if one is parked.
    pub fn set(&self) {
        let waker = {
            let mut s = self.state.lock().unwrap();
            s.0 = true;
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Pending until its [`Signal`] is set.
pub struct Wait(pub Arc<Signal>);

impl Future for Wait {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.0.state.lock().unwrap();
        if s.0 {
            Poll::Ready(())
        } else {
            s.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}
