//! A single-value channel that keeps only the latest value: [`channel`].
//!
//! # Protocol
//!
//! The value sits in an `RwLock` with a version number beside it (an
//! atomic, bumped under the value's write lock, so a reader holding the
//! read lock sees the version of the value it reads). A separate mutex
//! holds the closed flag, the receiver count and a `WaitList` (`wait_list.rs`) of
//! `changed()` futures.
//!
//! * A send writes the value and bumps the version (under the write lock),
//!   then locks the waiters and wakes them all.
//! * `changed()` locks the waiters, then compares the version with the one
//!   its receiver last saw; if equal it queues, under the same lock. A send
//!   either bumped the version before that comparison (seen) or locks the
//!   waiters after the future queued (woken). No change is missed.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::sync::{lock, read, write, Arc, AtomicUsize, Mutex, Ordering, RwLock, RwLockReadGuard};
use crate::wait_list::WaitList;

pub mod error {
    //! `watch` errors.
    use std::fmt;

    /// No receiver exists; the value comes back in `.0`.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct SendError<T>(pub T);

    /// The sender is gone (and, for `changed`, no unseen value is left).
    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    pub struct RecvError(pub(super) ());

    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SendError").finish_non_exhaustive()
        }
    }
    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the watch channel has no receivers; the value was not stored")
        }
    }
    impl<T> std::error::Error for SendError<T> {}

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the watch sender is gone; no new value can come")
        }
    }
    impl std::error::Error for RecvError {}
}

use error::{RecvError, SendError};

struct Shared<T> {
    value: RwLock<T>,
    /// Bumped under `value`'s write lock on every change.
    version: AtomicUsize,
    state: Mutex<State>,
}

struct State {
    sender_alive: bool,
    receivers: usize,
    waiters: WaitList<()>,
}

/// Stores a new value and tells the receivers.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Reads the latest value and waits for changes. Clone it for more readers.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    seen: usize,
}

/// A read lock on the current value; do not hold it across an `.await`
/// (a send waits for it).
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// `true` if the value was new to the receiver that borrowed it.
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert!(rx.borrow_and_update().has_changed());
    /// assert!(!rx.borrow_and_update().has_changed());
    /// ```
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A watch channel starting at `init`.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let (tx, mut rx) = weft::sync::watch::channel("idle");
///     weft::spawn(async move { tx.send("busy").unwrap() });
///     rx.changed().await.unwrap();
///     assert_eq!(*rx.borrow_and_update(), "busy");
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(init),
        version: AtomicUsize::new(0),
        state: Mutex::new(State {
            sender_alive: true,
            receivers: 1,
            waiters: WaitList::new(),
        }),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, seen: 0 },
    )
}

impl<T> Sender<T> {
    /// Stores `value` and wakes the receivers; gives the value back if
    /// there are none.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert_eq!(*rx.borrow(), 1);
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().0, 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.receiver_count() == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Changes the value in place and wakes the receivers, even if there
    /// are none.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::watch::channel(vec![1]);
    /// tx.send_modify(|v| v.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|v| {
            modify(v);
            true
        });
    }

    /// Changes the value in place; wakes the receivers only if `modify`
    /// returns `true`. Returns what `modify` returned.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::watch::channel(1);
    /// assert!(!tx.send_if_modified(|_| false));
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        {
            let mut v = write(&self.shared.value);
            if !modify(&mut v) {
                return false;
            }
            self.shared.version.fetch_add(1, Ordering::SeqCst);
        }
        self.wake_receivers();
        true
    }

    /// Stores `value` (even with no receivers) and returns the old one.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::watch::channel(1);
    /// assert_eq!(tx.send_replace(2), 1);
    /// ```
    pub fn send_replace(&self, value: T) -> T {
        let old = {
            let mut v = write(&self.shared.value);
            let old = std::mem::replace(&mut *v, value);
            self.shared.version.fetch_add(1, Ordering::SeqCst);
            old
        };
        self.wake_receivers();
        old
    }

    fn wake_receivers(&self) {
        let wakers = lock(&self.shared.state).waiters.drain(|_| ());
        wakers.wake_all();
    }

    /// The current value.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::watch::channel(3);
    /// assert_eq!(*tx.borrow(), 3);
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: read(&self.shared.value),
            has_changed: false,
        }
    }

    /// A new receiver, which counts the current value as seen.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::watch::channel(0);
    /// drop(rx);
    /// let rx = tx.subscribe();
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        lock(&self.shared.state).receivers += 1;
        let guard = read(&self.shared.value);
        let seen = self.shared.version.load(Ordering::SeqCst);
        drop(guard);
        Receiver {
            shared: self.shared.clone(),
            seen,
        }
    }

    /// Receivers alive now.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::watch::channel(());
    /// let _rx2 = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared.state).receivers
    }

    /// `true` once every receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::watch::channel(());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until every receiver is gone.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, rx) = weft::sync::watch::channel(());
    ///     weft::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn closed(&self) {
        SenderClosed {
            shared: &self.shared,
            key: None,
        }
        .await
    }
}

/// The `Sender::closed` future. It waits in the same list as `changed`
/// futures: the last receiver leaving wakes the list, and so does every
/// send, after which it simply looks again.
struct SenderClosed<'a, T> {
    shared: &'a Shared<T>,
    key: Option<usize>,
}

impl<T> Future for SenderClosed<'_, T> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut s = lock(&this.shared.state);
        if s.receivers == 0 {
            if let Some(k) = this.key.take() {
                s.waiters.remove(k);
            }
            return Poll::Ready(());
        }
        requeue(&mut s.waiters, &mut this.key, cx);
        Poll::Pending
    }
}

impl<T> Drop for SenderClosed<'_, T> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            lock(&self.shared.state).waiters.remove(k);
        }
    }
}

/// Keeps `key` queued with `cx`'s waker: in place if still linked, else
/// (woken by a wake-all that did not concern it) queued again.
fn requeue(waiters: &mut WaitList<()>, key: &mut Option<usize>, cx: &Context<'_>) {
    match *key {
        Some(k) if waiters.is_linked(k) => waiters.set_waker(k, cx),
        Some(k) => {
            waiters.remove(k);
            *key = Some(waiters.push_back((), Some(cx.waker())));
        }
        None => *key = Some(waiters.push_back((), Some(cx.waker()))),
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let wakers = {
            let mut s = lock(&self.shared.state);
            s.sender_alive = false;
            s.waiters.drain(|_| ())
        };
        wakers.wake_all();
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Sender").finish_non_exhaustive()
    }
}

impl<T> Receiver<T> {
    /// The current value, without marking it seen.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow(), 2);
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = read(&self.shared.value);
        let version = self.shared.version.load(Ordering::SeqCst);
        Ref {
            guard,
            has_changed: version != self.seen,
        }
    }

    /// The current value, marking it seen (so `changed` waits for the next).
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow_and_update(), 2);
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = read(&self.shared.value);
        let version = self.shared.version.load(Ordering::SeqCst);
        let has_changed = version != self.seen;
        self.seen = version;
        Ref { guard, has_changed }
    }

    /// `true` if a value this receiver has not seen was sent; an error once
    /// the sender is gone.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::watch::channel(1);
    /// assert!(!rx.has_changed().unwrap());
    /// drop(tx);
    /// assert!(rx.has_changed().is_err());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        if !lock(&self.shared.state).sender_alive {
            return Err(RecvError(()));
        }
        Ok(self.shared.version.load(Ordering::SeqCst) != self.seen)
    }

    /// Marks the current value as seen.
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::watch::channel(1);
    /// tx.send(2).unwrap();
    /// rx.mark_unchanged();
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version.load(Ordering::SeqCst);
    }

    /// Marks the current value as not seen, so `changed` returns at once.
    ///
    /// ```
    /// let (_tx, mut rx) = weft::sync::watch::channel(1);
    /// rx.mark_changed();
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn mark_changed(&mut self) {
        self.seen = self.shared.version.load(Ordering::SeqCst).wrapping_sub(1);
    }

    /// Waits for a value this receiver has not seen, and marks it seen.
    /// Fails once the sender is gone and no unseen value is left.
    ///
    /// Spends a unit of the task's cooperative budget. Cancel-safe.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, mut rx) = weft::sync::watch::channel(0);
    ///     tx.send(1).unwrap();
    ///     rx.changed().await.unwrap();
    ///     drop(tx);
    ///     assert!(rx.changed().await.is_err());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        Changed { rx: self, key: None }.await
    }

    /// Waits until `f` holds for the value (checking the current one
    /// first), marks it seen and returns it.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, mut rx) = weft::sync::watch::channel(0);
    ///     weft::spawn(async move { for i in 1..=5 { tx.send(i).unwrap(); } });
    ///     assert_eq!(*rx.wait_for(|v| *v == 5).await.unwrap(), 5);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn wait_for(&mut self, mut f: impl FnMut(&T) -> bool) -> Result<Ref<'_, T>, RecvError> {
        let mut closed = false;
        loop {
            {
                let r = self.borrow_and_update();
                if f(&r) {
                    break;
                }
            }
            if closed {
                return Err(RecvError(()));
            }
            if self.changed().await.is_err() {
                // One more look at the last value, then give up.
                closed = true;
            }
        }
        Ok(self.borrow())
    }

    /// `true` if both receivers watch the same channel.
    ///
    /// ```
    /// let (_tx, rx) = weft::sync::watch::channel(());
    /// assert!(rx.same_channel(&rx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        lock(&self.shared.state).receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let wakers = {
            let mut s = lock(&self.shared.state);
            s.receivers -= 1;
            if s.receivers > 0 {
                return;
            }
            // The last one: a sender in `closed()` may be waiting.
            s.waiters.drain(|_| ())
        };
        wakers.wake_all();
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Receiver").finish_non_exhaustive()
    }
}

/// The `changed` future.
struct Changed<'a, T> {
    rx: &'a mut Receiver<T>,
    key: Option<usize>,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Poll::Ready(coop) = weft_task::coop::poll_proceed(cx) else {
            return Poll::Pending;
        };
        let this = &mut *self;
        let shared = this.rx.shared.clone();
        let mut s = lock(&shared.state);
        let version = shared.version.load(Ordering::SeqCst);
        let out = if version != this.rx.seen {
            this.rx.seen = version;
            Ok(())
        } else if !s.sender_alive {
            Err(RecvError(()))
        } else {
            requeue(&mut s.waiters, &mut this.key, cx);
            return Poll::Pending;
        };
        if let Some(k) = this.key.take() {
            s.waiters.remove(k);
        }
        drop(s);
        coop.made_progress();
        Poll::Ready(out)
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            lock(&self.rx.shared.state).waiters.remove(k);
        }
    }
}
