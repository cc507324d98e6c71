//! The fair, batch-acquiring semaphore under `Semaphore`, `Mutex`,
//! `RwLock`, `OnceCell` and the bounded `mpsc` channel.
//!
//! # Rules
//!
//! All state (free permits, the closed flag, the [`WaitList`] of acquirers)
//! sits under one mutex.
//!
//! 1. **FIFO.** An acquire takes permits at once only if nobody is queued
//!    ahead of it. Otherwise it queues; released permits go to the front of
//!    the queue first. The front waiter may be given permits a few at a time
//!    (`assigned`) until it has all it asked for, so a large acquire (an
//!    `RwLock` writer) is not starved by a stream of small ones.
//! 2. **Hand-over is decided by the releaser.** A waiter whose request is
//!    complete is unlinked and marked `granted` under the lock; its permits
//!    are then its own, whether or not its future ever runs again.
//! 3. **Cancellation gives back.** A future dropped while queued returns the
//!    permits it was assigned; one dropped after it was granted (rule 2) but
//!    before it saw it returns all of them. Both go through [`release`],
//!    so they reach the next waiter: a permit is never lost.
//! 4. **Close** wakes every queued waiter (they fail) and makes every later
//!    acquire fail; permits already held stay valid.
//!
//! Rule 3's second case is the race the loom model
//! `sync_semaphore::cancel_while_permit_handed_over` checks.
//!
//! [`release`]: RawSemaphore::release

use std::task::{Context, Poll};

use crate::sync::{lock, Mutex};
use crate::wait_list::{WaitList, Wakers};

/// The largest number of permits a semaphore can hold (tokio's limit, so
/// `usize::MAX >> 3`: sums of permits never overflow).
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

#[derive(Debug)]
pub(crate) struct RawSemaphore {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    permits: usize,
    closed: bool,
    waiters: WaitList<Want>,
}

#[derive(Debug)]
struct Want {
    needed: usize,
    assigned: usize,
    granted: bool,
}

/// The semaphore was closed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Closed;

/// Why a `try_acquire` failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TryAcquire {
    Closed,
    NoPermits,
}

impl RawSemaphore {
    #[cfg(not(loom))]
    pub(crate) const fn new(permits: usize) -> Self {
        assert!(
            permits <= MAX_PERMITS,
            "a weft::sync semaphore holds at most usize::MAX >> 3 permits"
        );
        RawSemaphore {
            state: Mutex::new(State {
                permits,
                closed: false,
                waiters: WaitList::new(),
            }),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new(permits: usize) -> Self {
        RawSemaphore {
            state: Mutex::new(State {
                permits,
                closed: false,
                waiters: WaitList::new(),
            }),
        }
    }

    pub(crate) fn available_permits(&self) -> usize {
        lock(&self.state).permits
    }

    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    /// Takes `n` permits now, if nobody is queued and they are free (rule 1).
    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquire> {
        let mut s = lock(&self.state);
        if s.closed {
            return Err(TryAcquire::Closed);
        }
        if s.waiters.is_empty() && s.permits >= n {
            s.permits -= n;
            Ok(())
        } else {
            Err(TryAcquire::NoPermits)
        }
    }

    /// Adds `n` permits, handing them to the queue front first.
    ///
    /// # Panics
    ///
    /// If the total would exceed [`MAX_PERMITS`].
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let wakers = {
            let mut s = lock(&self.state);
            assert!(
                s.permits + n <= MAX_PERMITS,
                "weft::sync::Semaphore: adding {n} permits to {} exceeds the maximum of \
                 usize::MAX >> 3",
                s.permits
            );
            s.permits += n;
            s.assign()
        };
        wakers.wake_all();
    }

    /// Removes up to `n` free permits; returns how many were removed.
    pub(crate) fn forget_permits(&self, n: usize) -> usize {
        let mut s = lock(&self.state);
        let k = n.min(s.permits);
        s.permits -= k;
        k
    }

    /// Closes the semaphore (rule 4).
    pub(crate) fn close(&self) {
        let wakers = {
            let mut s = lock(&self.state);
            s.closed = true;
            let mut returned = 0;
            let w = s.waiters.drain(|want| {
                returned += want.assigned;
                want.assigned = 0;
            });
            s.permits += returned;
            w
        };
        wakers.wake_all();
    }

    /// One poll of an acquire of `n` permits whose slot (if queued) is
    /// `*key`. On `Ready`, `*key` is `None` again.
    pub(crate) fn poll_acquire(
        &self,
        cx: &mut Context<'_>,
        n: usize,
        key: &mut Option<usize>,
    ) -> Poll<Result<(), Closed>> {
        let mut s = lock(&self.state);
        match *key {
            None => {
                if s.closed {
                    return Poll::Ready(Err(Closed));
                }
                if s.waiters.is_empty() && s.permits >= n {
                    // Rule 1: nobody ahead of us.
                    s.permits -= n;
                    return Poll::Ready(Ok(()));
                }
                // Queue, taking what is free if we are the front.
                let assigned = if s.waiters.is_empty() {
                    std::mem::take(&mut s.permits)
                } else {
                    0
                };
                let want = Want {
                    needed: n,
                    assigned,
                    granted: false,
                };
                *key = Some(s.waiters.push_back(want, Some(cx.waker())));
                Poll::Pending
            }
            Some(k) => {
                if s.waiters.get(k).data.granted {
                    // Rule 2: the releaser made them ours.
                    s.waiters.remove(k);
                    *key = None;
                    return Poll::Ready(Ok(()));
                }
                if s.closed {
                    // Rule 4 (`close` already took back what was assigned).
                    s.waiters.remove(k);
                    *key = None;
                    return Poll::Ready(Err(Closed));
                }
                s.waiters.set_waker(k, cx);
                Poll::Pending
            }
        }
    }

    /// Drops the acquire queued at `key` (rule 3).
    pub(crate) fn cancel(&self, key: usize) {
        let wakers = {
            let mut s = lock(&self.state);
            let want = s.waiters.remove(key);
            // Granted (rule 2): it was assigned all it needed; queued: part
            // of it. Either way, what it was assigned goes back.
            let back = want.assigned;
            if back == 0 {
                return;
            }
            s.permits += back;
            s.assign()
        };
        wakers.wake_all();
    }
}

impl State {
    /// Hands free permits to the queue front until one runs out (rule 1,
    /// rule 2); returns the wakers of the waiters it completed.
    fn assign(&mut self) -> Wakers {
        let mut wakers = Wakers::new();
        while self.permits > 0 {
            let Some(front) = self.waiters.front() else {
                break;
            };
            let node = self.waiters.get_mut(front);
            let want = &mut node.data;
            let give = (want.needed - want.assigned).min(self.permits);
            want.assigned += give;
            self.permits -= give;
            if want.assigned < want.needed {
                break;
            }
            want.granted = true;
            self.waiters.pop_front();
            if let Some(w) = self.waiters.take_waker(front) {
                wakers.push(w);
            }
        }
        wakers
    }
}

/// An acquire of `n` permits of a [`RawSemaphore`] as a future; dropping it
/// before it completes gives its permits back (rule 3).
#[derive(Debug)]
pub(crate) struct Acquire<'a> {
    sem: &'a RawSemaphore,
    n: usize,
    key: Option<usize>,
}

impl<'a> Acquire<'a> {
    pub(crate) fn new(sem: &'a RawSemaphore, n: usize) -> Self {
        Acquire { sem, n, key: None }
    }
}

impl std::future::Future for Acquire<'_> {
    type Output = Result<(), Closed>;
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        // Every acquire spends a unit of the task's budget.
        let Poll::Ready(guard) = weft_task::coop::poll_proceed(cx) else {
            return Poll::Pending;
        };
        let out = this.sem.poll_acquire(cx, this.n, &mut this.key);
        if out.is_ready() {
            guard.made_progress();
        }
        out
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            self.sem.cancel(k);
        }
    }
}
