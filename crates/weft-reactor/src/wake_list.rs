//! A bounded batch of wakers, called outside any lock.
//!
//! The reactor never calls a waker while holding one of its locks: a waker
//! may run arbitrary code (the executor's schedule path, or a user waker that
//! itself touches the reactor), and calling it under the registration or
//! timer lock would invite deadlock and lengthen the critical section. So the
//! dispatch loops take wakers out under the lock into a [`WakeList`], and when
//! the list is full (or the loop is done) they drop the lock, call every
//! waker, and take the lock again.

use std::task::Waker;

/// How many wakers one batch holds: tokio's figure, enough to amortise the
/// lock round trip, small enough to live on the stack of a loop.
pub(crate) const BATCH: usize = 32;

/// Wakers collected under a lock, to be called after it is released.
#[derive(Default)]
#[doc(hidden)]
pub struct WakeList {
    wakers: Vec<Waker>,
}

impl WakeList {
    /// An empty batch.
    pub fn new() -> Self {
        WakeList {
            wakers: Vec::with_capacity(BATCH),
        }
    }

    /// `false` once the batch is full: drop the lock and call
    /// [`wake_all`](Self::wake_all) before pushing more.
    pub fn can_push(&self) -> bool {
        self.wakers.len() < BATCH
    }

    /// Adds a waker to the batch.
    pub fn push(&mut self, waker: Waker) {
        self.wakers.push(waker);
    }

    /// Number of wakers in the batch.
    pub fn len(&self) -> usize {
        self.wakers.len()
    }

    /// `true` if the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.wakers.is_empty()
    }

    /// Calls every waker in the batch. Must be called with no reactor lock
    /// held.
    ///
    /// A waker is foreign code: one that panics is contained and reported
    /// ([`weft_executor::foreign`]), and the rest of the batch is still
    /// woken; the thread (usually the worker driving the reactor) lives on.
    pub fn wake_all(&mut self) {
        for waker in self.wakers.drain(..) {
            weft_executor::foreign::contain("a waker", move || waker.wake());
        }
    }
}
