//! `Notify`: wake one waiting task, or all of them.
//!
//! # Protocol
//!
//! Under one mutex: a stored `permit` flag and a [`WaitList`] of
//! [`Notified`] futures, each slot `Waiting` or `Notified`. Beside it, an
//! atomic count of `notify_waiters` calls, changed only under the mutex.
//!
//! * `notify_one`: if a future waits, unlink the front one and mark it
//!   `Notified`; else set `permit` (one permit at most: two calls with
//!   nobody waiting store one).
//! * `notify_waiters`: bump the count and mark every linked future
//!   `Notified`. No permit is stored.
//! * A `Notified` future records the count when it is *created*; its first
//!   poll completes if the count moved since (it was created before a
//!   `notify_waiters`), else takes a stored permit, else queues.
//! * A future dropped after `notify_one` marked it, before it saw the
//!   mark, passes the notification on: to the next waiter, or back into
//!   `permit`. So a `notify_one` is never lost and never delivered twice;
//!   the loom model `sync_notify` checks this against a racing
//!   registration and cancellation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::sync::{lock, AtomicUsize, Mutex, Ordering};
use crate::wait_list::WaitList;

/// Wakes tasks waiting for an event, without carrying data.
///
/// [`notify_one`](Notify::notify_one) wakes one waiter, or stores a permit
/// for the next [`notified`](Notify::notified) if none waits;
/// [`notify_waiters`](Notify::notify_waiters) wakes every current waiter.
///
/// ```
/// use std::sync::Arc;
/// use weft::sync::Notify;
///
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let notify = Arc::new(Notify::new());
///     let n2 = notify.clone();
///     let h = weft::spawn(async move { n2.notified().await; "woken" });
///     notify.notify_one();
///     assert_eq!(h.await.unwrap(), "woken");
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Notify {
    state: Mutex<State>,
    /// `notify_waiters` calls so far; written under `state`.
    waiters_calls: AtomicUsize,
}

#[derive(Debug)]
struct State {
    permit: bool,
    waiters: WaitList<Slot>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Waiting,
    /// Marked by `notify_one`: a notification that must not be lost.
    NotifiedOne,
    /// Marked by `notify_waiters`.
    NotifiedAll,
}

/// The future [`Notify::notified`] returns.
///
/// Cancel-safe: dropping it after a `notify_one` reached it passes that
/// notification on to the next waiter (or stores it as the permit).
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    /// `notify_waiters` calls when this future was created.
    calls_at_creation: usize,
    key: Option<usize>,
    done: bool,
}

impl Notify {
    /// A `Notify` with no stored permit.
    ///
    /// ```
    /// let n = weft::sync::Notify::new();
    /// n.notify_one();
    /// ```
    pub fn new() -> Self {
        Notify {
            state: Mutex::new(State {
                permit: false,
                waiters: WaitList::new(),
            }),
            waiters_calls: AtomicUsize::new(0),
        }
    }

    /// A `Notify` usable in a `static`.
    ///
    /// ```
    /// static N: weft::sync::Notify = weft::sync::Notify::const_new();
    /// N.notify_one();
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new() -> Self {
        Notify {
            state: Mutex::new(State {
                permit: false,
                waiters: WaitList::new(),
            }),
            waiters_calls: AtomicUsize::new(0),
        }
    }

    /// A future that completes at the next notification.
    ///
    /// It counts as waiting for [`notify_waiters`](Notify::notify_waiters)
    /// from the moment it is created, and for
    /// [`notify_one`](Notify::notify_one) from its first poll (or
    /// [`Notified::enable`]).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let n = weft::sync::Notify::new();
    ///     n.notify_one(); // stored: nobody waits yet
    ///     n.notified().await; // takes the permit at once
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            calls_at_creation: self.waiters_calls.load(Ordering::SeqCst),
            key: None,
            done: false,
        }
    }

    /// Wakes the longest-waiting [`Notified`], or stores a permit for the
    /// next one if none waits.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let n = weft::sync::Notify::new();
    ///     n.notify_one();
    ///     n.notify_one(); // still one permit
    ///     n.notified().await;
    ///     let second = weft::time::timeout(std::time::Duration::from_millis(10), n.notified());
    ///     assert!(second.await.is_err());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn notify_one(&self) {
        let waker = {
            let mut s = lock(&self.state);
            s.notify_one()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Wakes the most recently queued [`Notified`] (LIFO), or stores a
    /// permit for the next one if none waits. A waiter dropped after being
    /// chosen passes the notification on to the longest-waiting one.
    ///
    /// ```
    /// use std::pin::pin;
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let n = weft::sync::Notify::new();
    ///     let mut first = pin!(n.notified());
    ///     let mut last = pin!(n.notified());
    ///     first.as_mut().enable();
    ///     last.as_mut().enable();
    ///     n.notify_last();
    ///     last.await; // the newest waiter got it
    ///     let early = weft::time::timeout(std::time::Duration::from_millis(10), first);
    ///     assert!(early.await.is_err());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn notify_last(&self) {
        let waker = {
            let mut s = lock(&self.state);
            match s.waiters.pop_back() {
                Some(k) => {
                    s.waiters.get_mut(k).data = Slot::NotifiedOne;
                    s.waiters.take_waker(k)
                }
                None => {
                    s.permit = true;
                    None
                }
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Wakes every [`Notified`] that exists now (polled or not); stores no
    /// permit.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let n = weft::sync::Notify::new();
    ///     let (a, b) = (n.notified(), n.notified());
    ///     n.notify_waiters();
    ///     a.await;
    ///     b.await;
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn notify_waiters(&self) {
        let wakers = {
            let mut s = lock(&self.state);
            self.waiters_calls.fetch_add(1, Ordering::SeqCst);
            s.waiters.drain(|slot| *slot = Slot::NotifiedAll)
        };
        wakers.wake_all();
    }
}

impl State {
    /// `notify_one` under the lock: returns the waker to call after it.
    fn notify_one(&mut self) -> Option<Waker> {
        match self.waiters.pop_front() {
            Some(k) => {
                self.waiters.get_mut(k).data = Slot::NotifiedOne;
                self.waiters.take_waker(k)
            }
            None => {
                self.permit = true;
                None
            }
        }
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify").finish_non_exhaustive()
    }
}

impl Notified<'_> {
    /// Registers this future as a waiter without polling it, so a
    /// `notify_one` from now on reaches it. Returns `true` if it is already
    /// notified.
    ///
    /// ```
    /// let n = weft::sync::Notify::new();
    /// let mut waiting = std::pin::pin!(n.notified());
    /// assert!(!waiting.as_mut().enable());
    /// n.notify_one();
    /// assert!(waiting.as_mut().enable());
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.get_mut().poll_notified(None)
    }

    /// One step of the protocol; `cx` is `None` for `enable`. Returns
    /// `true` once notified (and from then on).
    fn poll_notified(&mut self, cx: Option<&Context<'_>>) -> bool {
        if self.done {
            return true;
        }
        let mut s = lock(&self.notify.state);
        let notified = match self.key {
            None => {
                if self.notify.waiters_calls.load(Ordering::SeqCst) != self.calls_at_creation {
                    true
                } else if s.permit {
                    s.permit = false;
                    true
                } else {
                    let waker = cx.map(|c| c.waker());
                    self.key = Some(s.waiters.push_back(Slot::Waiting, waker));
                    false
                }
            }
            Some(k) => match s.waiters.get(k).data {
                Slot::Waiting => {
                    if let Some(cx) = cx {
                        s.waiters.set_waker(k, cx);
                    }
                    false
                }
                Slot::NotifiedOne | Slot::NotifiedAll => {
                    // Seen: the slot goes, so `drop` has nothing to pass on.
                    s.waiters.remove(k);
                    self.key = None;
                    true
                }
            },
        };
        self.done = notified;
        notified
    }
}

impl Future for Notified<'_> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.poll_notified(Some(cx)) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Some(k) = self.key.take() else { return };
        let waker = {
            let mut s = lock(&self.notify.state);
            match s.waiters.remove(k) {
                // A notify_one reached us and nobody saw it: pass it on.
                Slot::NotifiedOne => s.notify_one(),
                Slot::Waiting | Slot::NotifiedAll => None,
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").finish_non_exhaustive()
    }
}
