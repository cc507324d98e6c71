//! The state both mpsc flavours share: a queue under a mutex, the one
//! receiver's waker, the sender count and the closed flag.
//!
//! # Protocol
//!
//! * A send pushes under the lock and takes the receiver's waker; it wakes
//!   it after the lock. A receive pops under the lock, or stores its waker
//!   under the same lock: a send is either seen by the pop or sees the
//!   waker. No wake-up is lost.
//! * The channel ends when the receiver is closed (`close`, drop) or the
//!   last sender goes. `recv` returns `None` only once the queue is empty
//!   *and* no more values can come: every sender is gone, or the receiver
//!   closed and every outstanding `Permit` has been used or dropped (a
//!   bounded channel's semaphore is back to full). So whatever puts
//!   permits back unused wakes a closed receiver: a dropped `Permit` or
//!   `PermitIterator`, a `Permit::send` refused by a dropped receiver, and
//!   a `send`/`reserve`/`reserve_many` future dropped while it waited for
//!   room (the semaphore hands what that wait was given to the next waiter,
//!   or back to the free permits; after `close` there is no next waiter,
//!   and those permits may be the last ones out).
//! * Bounded: a value holds one permit of the semaphore from `reserve`
//!   until the receiver pops it. Closing the receiver closes the
//!   semaphore, so a sender waiting for room fails and gets its value back
//!   (the loom model `sync_mpsc` races this against the send).

use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use crate::notify::Notify;
use crate::raw_semaphore::RawSemaphore;
use crate::sync::{lock, Mutex};

pub(crate) struct Chan<T> {
    state: Mutex<State<T>>,
    /// Bounded channels only: one permit per free slot.
    pub(super) sem: Option<RawSemaphore>,
    /// The bound (`usize::MAX` for unbounded).
    pub(super) bound: usize,
    /// Woken when the receiver closes, for `Sender::closed`.
    pub(super) rx_closed_notify: Notify,
}

struct State<T> {
    queue: VecDeque<T>,
    rx_waker: Option<Waker>,
    senders: usize,
    rx_closed: bool,
    /// The receiver is gone, not just closed: nothing is accepted.
    rx_dropped: bool,
}

/// What one poll of the receive side found.
pub(super) enum Recv<T> {
    Value(T),
    Closed,
}

impl<T> Chan<T> {
    pub(super) fn new(bound: Option<usize>) -> Self {
        Chan {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                rx_waker: None,
                senders: 1,
                rx_closed: false,
                rx_dropped: false,
            }),
            sem: bound.map(RawSemaphore::new),
            bound: bound.unwrap_or(usize::MAX),
            rx_closed_notify: Notify::new(),
        }
    }

    /// Pushes `value`, or gives it back if the receiver is closed; a
    /// bounded channel's caller holding a permit (`reserved`) is refused
    /// only once the receiver is dropped (a closed receiver still takes
    /// the values of permits reserved before the close).
    pub(super) fn push(&self, value: T, reserved: bool) -> Result<(), T> {
        let waker = {
            let mut s = lock(&self.state);
            if s.rx_dropped || (s.rx_closed && !reserved) {
                return Err(value);
            }
            s.queue.push_back(value);
            s.rx_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    pub(super) fn add_sender(&self) {
        lock(&self.state).senders += 1;
    }

    /// A new sender from a weak one, unless every sender is gone (the
    /// channel has ended for the receiver, and must stay ended).
    pub(super) fn try_add_sender(&self) -> bool {
        let mut s = lock(&self.state);
        if s.senders == 0 {
            return false;
        }
        s.senders += 1;
        true
    }

    pub(super) fn drop_sender(&self) {
        let waker = {
            let mut s = lock(&self.state);
            s.senders -= 1;
            if s.senders > 0 {
                return;
            }
            s.rx_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    pub(super) fn sender_count(&self) -> usize {
        lock(&self.state).senders
    }

    pub(super) fn is_rx_closed(&self) -> bool {
        lock(&self.state).rx_closed
    }

    pub(super) fn len(&self) -> usize {
        lock(&self.state).queue.len()
    }

    /// No more values can come (see the module docs). Under the lock.
    fn finished(&self, s: &State<T>) -> bool {
        s.queue.is_empty()
            && (s.senders == 0
                || (s.rx_closed
                    && self
                        .sem
                        .as_ref()
                        .is_none_or(|sem| sem.available_permits() == self.bound)))
    }

    /// Pops up to `limit` values into `out` (at least one unless Pending
    /// or Closed), giving their permits back.
    pub(super) fn poll_recv_many(
        &self,
        cx: Option<&Context<'_>>,
        out: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        let n = {
            let mut s = lock(&self.state);
            let n = s.queue.len().min(limit);
            if n == 0 {
                if self.finished(&s) {
                    return Poll::Ready(0);
                }
                if let Some(cx) = cx {
                    match &s.rx_waker {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        _ => s.rx_waker = Some(cx.waker().clone()),
                    }
                }
                return Poll::Pending;
            }
            out.extend(s.queue.drain(..n));
            n
        };
        if let Some(sem) = &self.sem {
            sem.release(n);
        }
        Poll::Ready(n)
    }

    /// Pops one value; `cx: None` registers no waker (`try_recv`).
    pub(super) fn poll_recv(&self, cx: Option<&Context<'_>>) -> Poll<Recv<T>> {
        let v = {
            let mut s = lock(&self.state);
            match s.queue.pop_front() {
                Some(v) => v,
                None => {
                    if self.finished(&s) {
                        return Poll::Ready(Recv::Closed);
                    }
                    if let Some(cx) = cx {
                        match &s.rx_waker {
                            Some(w) if w.will_wake(cx.waker()) => {}
                            _ => s.rx_waker = Some(cx.waker().clone()),
                        }
                    }
                    return Poll::Pending;
                }
            }
        };
        if let Some(sem) = &self.sem {
            sem.release(1);
        }
        Poll::Ready(Recv::Value(v))
    }

    /// `n` of a bounded channel's permits go back unused: if the receiver
    /// is closed, this may be what lets `recv` return `None`, so wake it.
    pub(super) fn release_unused_permits(&self, n: usize) {
        if let Some(sem) = &self.sem {
            sem.release(n);
        }
        self.wake_rx_if_closed();
    }

    /// Permits have just come back to the semaphore (released, or given
    /// back by a cancelled wait): if the receiver is closed, they may be
    /// the last ones out, and `recv` may be waiting to return `None`.
    ///
    /// The permits are back in the semaphore's word before this takes the
    /// state lock, and `recv` reads the word under that lock: either its
    /// check comes after this lock (and sees them) or it stored its waker
    /// before (and this takes and wakes it).
    pub(super) fn wake_rx_if_closed(&self) {
        let waker = {
            let mut s = lock(&self.state);
            if !s.rx_closed {
                return;
            }
            s.rx_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// The receiver closes: no more sends; queued values stay receivable.
    pub(super) fn close_rx(&self) {
        lock(&self.state).rx_closed = true;
        if let Some(sem) = &self.sem {
            sem.close();
        }
        self.rx_closed_notify.notify_waiters();
    }

    /// The receiver is dropped: close, and drop every queued value (outside
    /// the lock: values are user code).
    pub(super) fn drop_rx(&self) {
        self.close_rx();
        let queued = {
            let mut s = lock(&self.state);
            s.rx_dropped = true;
            std::mem::take(&mut s.queue)
        };
        if let Some(sem) = &self.sem {
            sem.release(queued.len());
        }
        drop(queued);
    }
}
