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

/// The receiver's batch: values taken from the shared queue in one lock
/// section and not yet received (see [`Chan::poll_recv`]).
pub(super) struct Batch<T>(VecDeque<T>);

impl<T> Batch<T> {
    pub(super) fn new() -> Self {
        Batch(VecDeque::new())
    }
}

// SAFETY: a shared `&Batch` gives access to nothing but `len` (every other
// use goes through the receiver's `&mut self`), so sharing one between
// threads never shares a `&T`: the receivers stay `Sync` for any `T: Send`,
// as they were before the batch (and as tokio's are).
unsafe impl<T: Send> Sync for Batch<T> {}

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

    /// Values queued, the receiver's batch `buf` included.
    pub(super) fn len(&self, buf: &Batch<T>) -> usize {
        buf.0.len() + lock(&self.state).queue.len()
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

    /// Moves up to `limit` values into `out` (at least one unless Pending
    /// or Closed), from the receiver's batch `buf` first, giving their
    /// permits back.
    pub(super) fn poll_recv_many(
        &self,
        buf: &mut Batch<T>,
        cx: Option<&Context<'_>>,
        out: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        let mut n = buf.0.len().min(limit);
        out.extend(buf.0.drain(..n));
        if n < limit {
            let mut s = lock(&self.state);
            let more = s.queue.len().min(limit - n);
            if more == 0 && n == 0 {
                return self.empty(&mut s, cx).map(|()| 0);
            }
            out.extend(s.queue.drain(..more));
            n += more;
        }
        if let Some(sem) = &self.sem {
            sem.release(n);
        }
        Poll::Ready(n)
    }

    /// Pops one value; `cx: None` registers no waker (`try_recv`).
    ///
    /// The receiver keeps a batch `buf` of its own: when it is empty, one
    /// lock section swaps it with the whole shared queue, so a receiver
    /// draining a busy channel takes the lock once per batch rather than
    /// once per value, and the senders' pushes rarely meet it on the lock.
    /// The values in `buf` still hold their permits until popped.
    pub(super) fn poll_recv(&self, buf: &mut Batch<T>, cx: Option<&Context<'_>>) -> Poll<Recv<T>> {
        let v = match buf.0.pop_front() {
            Some(v) => v,
            None => {
                let mut s = lock(&self.state);
                if s.queue.is_empty() {
                    return self.empty(&mut s, cx).map(|()| Recv::Closed);
                }
                std::mem::swap(&mut s.queue, &mut buf.0);
                drop(s);
                match buf.0.pop_front() {
                    Some(v) => v,
                    None => unreachable!("the swapped-in batch was checked non-empty"),
                }
            }
        };
        if let Some(sem) = &self.sem {
            sem.release(1);
        }
        Poll::Ready(Recv::Value(v))
    }

    /// Nothing is queued (the state lock is held): ready if nothing more
    /// can come (the channel has ended), else the receiver's waker is stored (unless `cx` is
    /// `None`) and it waits.
    fn empty(&self, s: &mut State<T>, cx: Option<&Context<'_>>) -> Poll<()> {
        if self.finished(s) {
            return Poll::Ready(());
        }
        if let Some(cx) = cx {
            match &s.rx_waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => s.rx_waker = Some(cx.waker().clone()),
            }
        }
        Poll::Pending
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

    /// The receiver is dropped: close, and drop every queued value, its
    /// batch `buf` too (outside the lock: values are user code).
    pub(super) fn drop_rx(&self, buf: &mut Batch<T>) {
        self.close_rx();
        let queued = {
            let mut s = lock(&self.state);
            s.rx_dropped = true;
            std::mem::take(&mut s.queue)
        };
        let batch = std::mem::take(&mut buf.0);
        if let Some(sem) = &self.sem {
            sem.release(queued.len() + batch.len());
        }
        drop(batch);
        drop(queued);
    }
}
