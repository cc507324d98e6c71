//! The bounded channel: [`channel`], [`Sender`], [`Receiver`], [`Permit`],
//! [`PermitIterator`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::chan::{Batch, Chan, Recv};
use super::error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
use crate::raw_semaphore::{Acquire, TryAcquire};
use crate::sync::Arc;

/// Sends values into a bounded channel; clone it for more producers.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// Receives the values of a bounded channel.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
    /// Values taken from the channel in one batch, not yet received.
    buf: Batch<T>,
}

/// A reserved slot in a bounded channel: [`send`](Permit::send) cannot
/// wait or fail for room. Dropping it unused gives the slot back.
#[must_use = "dropping the permit gives the slot back at once"]
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

/// `n` reserved slots, handed out one [`Permit`] at a time; see
/// [`Sender::reserve_many`]. Dropping it gives the slots it has not handed
/// out back to the channel.
///
/// ```
/// let (tx, mut rx) = weft::sync::mpsc::channel(3);
/// let mut permits = tx.try_reserve_many(3).unwrap();
/// assert_eq!(permits.len(), 3);
/// permits.next().unwrap().send('a');
/// drop(permits); // two slots come back
/// assert_eq!(tx.capacity(), 2);
/// assert_eq!(rx.try_recv(), Ok('a'));
/// ```
#[must_use = "dropping the iterator gives its slots back at once"]
pub struct PermitIterator<'a, T> {
    chan: &'a Chan<T>,
    /// Slots reserved and not yet handed out as `Permit`s.
    n: usize,
}

/// A wait for `n` free slots: the semaphore's acquire, plus what the
/// channel needs when it is dropped before it completes. The semaphore
/// hands whatever the wait was given to the next waiter, or back to the
/// free slots (its rule 4); after `Receiver::close` nobody else waits, so
/// those slots may be the last reserved ones, and the receiver, waiting
/// for them to end the channel, must hear of it.
struct AcquireSlots<'a, T> {
    chan: &'a Chan<T>,
    acquire: Acquire<'a>,
}

impl<'a, T> AcquireSlots<'a, T> {
    fn new(chan: &'a Chan<T>, n: usize) -> Self {
        let sem = chan.sem.as_ref().expect("a bounded channel has a semaphore");
        AcquireSlots {
            chan,
            acquire: Acquire::new(sem, n),
        }
    }
}

impl<T> Future for AcquireSlots<'_, T> {
    type Output = Result<(), SendError<()>>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.acquire)
            .poll(cx)
            .map(|r| r.map_err(|_| SendError(())))
    }
}

impl<T> Drop for AcquireSlots<'_, T> {
    fn drop(&mut self) {
        if self.acquire.cancel() {
            self.chan.wake_rx_if_closed();
        }
    }
}

/// A reserved slot that owns its [`Sender`]; see [`Sender::reserve_owned`].
#[must_use = "dropping the permit gives the slot back at once"]
pub struct OwnedPermit<T> {
    sender: Option<Sender<T>>,
}

/// A bounded channel holding up to `buffer` values: a send waits for room.
///
/// # Panics
///
/// If `buffer` is 0 (a rendezvous channel is not supported; use a
/// `oneshot` per message) or exceeds `Semaphore::MAX_PERMITS`.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let (tx, mut rx) = weft::sync::mpsc::channel(8);
///     for i in 0..3 {
///         let tx = tx.clone();
///         weft::spawn(async move { tx.send(i).await.unwrap() });
///     }
///     drop(tx);
///     let mut got = Vec::new();
///     while let Some(v) = rx.recv().await { got.push(v); }
///     got.sort();
///     assert_eq!(got, [0, 1, 2]);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        buffer > 0,
        "weft::sync::mpsc::channel: the buffer must hold at least one value (got 0)"
    );
    assert!(
        buffer <= crate::raw_semaphore::MAX_PERMITS,
        "weft::sync::mpsc::channel: a buffer of {buffer} exceeds the maximum (usize::MAX >> 3)"
    );
    let chan = Arc::new(Chan::new(Some(buffer)));
    (
        Sender { chan: chan.clone() },
        Receiver {
            chan,
            buf: Batch::new(),
        },
    )
}

impl<T> Sender<T> {
    fn sem(&self) -> &crate::raw_semaphore::RawSemaphore {
        self.chan.sem.as_ref().expect("a bounded channel has a semaphore")
    }

    /// Sends `value`, waiting for room; gives it back in the error if the
    /// receiver is gone (also when it goes while this waits).
    ///
    /// Cancel-safe in that dropping the future never leaves a slot taken,
    /// but the value inside it is lost and the place in the queue of
    /// waiting senders too. Use [`reserve`](Sender::reserve) to keep both.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, rx) = weft::sync::mpsc::channel(1);
    ///     tx.send(1).await.unwrap();
    ///     drop(rx);
    ///     assert_eq!(tx.send(2).await.unwrap_err().0, 2);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.reserve().await {
            Ok(permit) => {
                permit.send(value);
                Ok(())
            }
            Err(_) => Err(SendError(value)),
        }
    }

    /// Sends `value` if there is room now.
    ///
    /// ```
    /// use weft::sync::mpsc::{channel, error::TrySendError};
    /// let (tx, _rx) = channel(1);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.sem().try_acquire(1) {
            Ok(()) => {
                Permit { chan: &self.chan }.send(value);
                Ok(())
            }
            Err(TryAcquire::NoPermits) => Err(TrySendError::Full(value)),
            Err(TryAcquire::Closed) => Err(TrySendError::Closed(value)),
        }
    }

    /// Sends `value`, waiting at most `timeout` for room (on the runtime's
    /// timer, so it needs a weft runtime).
    ///
    /// ```
    /// use std::time::Duration;
    /// use weft::sync::mpsc::{channel, error::SendTimeoutError};
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, _rx) = channel(1);
    ///     tx.send(1).await.unwrap();
    ///     let r = tx.send_timeout(2, Duration::from_millis(10)).await;
    ///     assert_eq!(r, Err(SendTimeoutError::Timeout(2)));
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        match weft_reactor::time::timeout(timeout, self.reserve()).await {
            Ok(Ok(permit)) => {
                permit.send(value);
                Ok(())
            }
            Ok(Err(_)) => Err(SendTimeoutError::Closed(value)),
            Err(_) => Err(SendTimeoutError::Timeout(value)),
        }
    }

    /// Blocks the thread until there is room, then sends: for plain threads.
    ///
    /// # Panics
    ///
    /// Inside an async context (a weft task or worker thread): use
    /// `send(..).await` there.
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::mpsc::channel(1);
    /// std::thread::spawn(move || tx.blocking_send(3).unwrap());
    /// assert_eq!(rx.blocking_recv(), Some(3));
    /// ```
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        crate::blocking::block_on(
            "mpsc::Sender::blocking_send",
            "send(value).await",
            self.send(value),
        )
    }

    /// Waits for room and reserves it: the [`Permit`] then sends without
    /// waiting. Fails if the receiver is gone.
    ///
    /// Cancel-safe: dropping the future loses nothing but its place in the
    /// queue of waiting senders.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, mut rx) = weft::sync::mpsc::channel(1);
    ///     let permit = tx.reserve().await.unwrap();
    ///     assert!(tx.try_send(0).is_err()); // the slot is taken
    ///     permit.send(1);
    ///     assert_eq!(rx.recv().await, Some(1));
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        AcquireSlots::new(&self.chan, 1).await?;
        Ok(Permit { chan: &self.chan })
    }

    /// Waits for `n` free slots and reserves them all at once: the
    /// [`PermitIterator`] then hands out `n` [`Permit`]s that send without
    /// waiting.
    ///
    /// Waiting senders are served in order, so a `reserve_many` at the
    /// front of the queue takes slots as they free up until it has `n`,
    /// and the senders behind it wait for it (no small send overtakes it).
    ///
    /// # Errors
    ///
    /// [`SendError`] at once if `n` exceeds the channel's
    /// [`max_capacity`](Sender::max_capacity) (it could never be
    /// satisfied; tokio's `reserve_many` returns the same error), and when
    /// the receiver is gone (closed or dropped, also while this waits).
    /// `n == 0` gives an empty iterator at once, without waiting behind
    /// other senders, unless the receiver is gone.
    ///
    /// Cancel-safe: dropping the future loses nothing but its place in the
    /// queue; slots already handed to it go to the next waiting sender (or
    /// back to the channel).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, mut rx) = weft::sync::mpsc::channel(4);
    ///     let permits = tx.reserve_many(3).await.unwrap();
    ///     assert_eq!(tx.capacity(), 1);
    ///     for (i, permit) in permits.enumerate() {
    ///         permit.send(i);
    ///     }
    ///     assert_eq!(rx.recv().await, Some(0));
    ///     assert!(tx.reserve_many(5).await.is_err()); // more than the bound
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, SendError<()>> {
        if n > self.max_capacity() {
            return Err(SendError(()));
        }
        AcquireSlots::new(&self.chan, n).await?;
        Ok(PermitIterator { chan: &self.chan, n })
    }

    /// Reserves `n` slots now if they are all free (and nobody waits
    /// ahead), or none.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if fewer than `n` slots are free, or if `n`
    /// exceeds the channel's [`max_capacity`](Sender::max_capacity) (as
    /// tokio's `try_reserve_many`); [`TrySendError::Closed`] if the
    /// receiver is gone. `n == 0` gives an empty iterator unless the
    /// receiver is gone.
    ///
    /// ```
    /// use weft::sync::mpsc::{channel, error::TrySendError};
    /// let (tx, _rx) = channel::<u8>(2);
    /// let one = tx.try_reserve().unwrap();
    /// assert_eq!(tx.try_reserve_many(2).unwrap_err(), TrySendError::Full(()));
    /// assert_eq!(tx.capacity(), 1); // the failed call took nothing
    /// drop(one);
    /// assert_eq!(tx.try_reserve_many(2).unwrap().len(), 2);
    /// ```
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        if n > self.max_capacity() {
            return Err(TrySendError::Full(()));
        }
        if n == 0 {
            // Nothing to take, so nobody waiting ahead is overtaken (the
            // semaphore's `try_acquire` refuses whenever someone waits).
            return if self.sem().is_closed() {
                Err(TrySendError::Closed(()))
            } else {
                Ok(PermitIterator { chan: &self.chan, n })
            };
        }
        match self.sem().try_acquire(n) {
            Ok(()) => Ok(PermitIterator { chan: &self.chan, n }),
            Err(TryAcquire::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquire::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// Reserves room now if there is some.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::channel::<u8>(1);
    /// let p = tx.try_reserve().unwrap();
    /// assert!(tx.try_reserve().is_err());
    /// drop(p);
    /// assert!(tx.try_reserve().is_ok());
    /// ```
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.sem().try_acquire(1) {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(TryAcquire::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquire::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// [`reserve`](Sender::reserve), with the permit owning the sender (to
    /// move it into another task).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, mut rx) = weft::sync::mpsc::channel(1);
    ///     let permit = tx.reserve_owned().await.unwrap();
    ///     let tx = permit.send(5);
    ///     drop(tx);
    ///     assert_eq!(rx.recv().await, Some(5));
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        AcquireSlots::new(&self.chan, 1).await?;
        Ok(OwnedPermit { sender: Some(self) })
    }

    /// [`try_reserve`](Sender::try_reserve), with the permit owning the
    /// sender; the sender comes back in the error.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::channel::<u8>(1);
    /// let p = tx.try_reserve_owned().unwrap();
    /// drop(p.release());
    /// ```
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.sem().try_acquire(1) {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(TryAcquire::NoPermits) => Err(TrySendError::Full(self)),
            Err(TryAcquire::Closed) => Err(TrySendError::Closed(self)),
        }
    }

    /// Waits until the receiver is gone (closed or dropped).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, rx) = weft::sync::mpsc::channel::<()>(1);
    ///     weft::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn closed(&self) {
        loop {
            let notified = self.chan.rx_closed_notify.notified();
            if self.chan.is_rx_closed() {
                return;
            }
            notified.await;
        }
    }

    /// `true` once the receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::mpsc::channel::<()>(1);
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_rx_closed()
    }

    /// Free slots right now.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::channel(2);
    /// tx.try_send(()).unwrap();
    /// assert_eq!(tx.capacity(), 1);
    /// ```
    pub fn capacity(&self) -> usize {
        self.sem().available_permits()
    }

    /// The bound the channel was made with.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::channel::<()>(2);
    /// assert_eq!(tx.max_capacity(), 2);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.chan.bound
    }

    /// `true` if both senders feed the same channel.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::channel::<()>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// How many senders (clones) are alive.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::channel::<()>(1);
    /// let _tx2 = tx.clone();
    /// assert_eq!(tx.strong_count(), 2);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }
}

/// A sender that does not keep the channel open: the receiver sees the
/// end once every [`Sender`] is gone, weak ones or not.
/// [`upgrade`](WeakSender::upgrade) it to send.
pub struct WeakSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// A weak handle to this channel; see [`WeakSender`].
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// drop(tx);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> WeakSender<T> {
    /// A sender again, unless every sender is gone.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// let tx2 = weak.upgrade().unwrap();
    /// assert!(tx2.same_channel(&tx));
    /// ```
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.chan.try_add_sender().then(|| Sender {
            chan: self.chan.clone(),
        })
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::WeakSender").finish_non_exhaustive()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Sender")
            .field("capacity", &self.capacity())
            .finish()
    }
}

impl<T> Permit<'_, T> {
    /// Sends `value` into the reserved slot. If the receiver has gone since
    /// the reservation, the value is dropped.
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::mpsc::channel(1);
    /// tx.try_reserve().unwrap().send(9);
    /// assert_eq!(rx.try_recv(), Ok(9));
    /// ```
    pub fn send(self, value: T) {
        let chan = self.chan;
        std::mem::forget(self);
        if let Err(value) = chan.push(value, true) {
            chan.release_unused_permits(1);
            drop(value);
        }
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.release_unused_permits(1);
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Permit").finish_non_exhaustive()
    }
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        if self.n == 0 {
            return None;
        }
        // The slot moves from the iterator to the permit.
        self.n -= 1;
        Some(Permit { chan: self.chan })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.n, Some(self.n))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> std::iter::FusedIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        if self.n > 0 {
            self.chan.release_unused_permits(self.n);
        }
    }
}

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::PermitIterator")
            .field("remaining", &self.n)
            .finish()
    }
}

impl<T> OwnedPermit<T> {
    /// Sends `value` into the reserved slot and gives the sender back.
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::mpsc::channel(1);
    /// let tx = tx.try_reserve_owned().unwrap().send(1);
    /// assert!(tx.try_send(2).is_err());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self.sender.take().expect("an OwnedPermit holds its sender");
        Permit { chan: &sender.chan }.send(value);
        sender
    }

    /// Gives the slot back unused, and the sender with it.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::channel::<u8>(1);
    /// let tx = tx.try_reserve_owned().unwrap().release();
    /// assert_eq!(tx.capacity(), 1);
    /// ```
    pub fn release(mut self) -> Sender<T> {
        let sender = self.sender.take().expect("an OwnedPermit holds its sender");
        sender.chan.release_unused_permits(1);
        sender
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            sender.chan.release_unused_permits(1);
        }
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::OwnedPermit").finish_non_exhaustive()
    }
}

impl<T> Receiver<T> {
    /// Waits for the next value; `None` once the channel is closed and
    /// empty (every sender gone, or [`close`](Receiver::close) called and
    /// every reserved slot used).
    ///
    /// Spends a unit of the task's cooperative budget. Cancel-safe: a value
    /// is taken only when the future completes.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, mut rx) = weft::sync::mpsc::channel(1);
    ///     weft::spawn(async move { tx.send("hi").await.unwrap() });
    ///     assert_eq!(rx.recv().await, Some("hi"));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Waits for at least one value, then moves up to `limit` into
    /// `buffer`; returns how many (0 only when the channel is closed and
    /// empty, or `limit` is 0).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, mut rx) = weft::sync::mpsc::channel(4);
    ///     for i in 0..3 { tx.send(i).await.unwrap(); }
    ///     let mut buf = Vec::new();
    ///     assert_eq!(rx.recv_many(&mut buf, 2).await, 2);
    ///     assert_eq!(buf, [0, 1]);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        if limit == 0 {
            return 0;
        }
        std::future::poll_fn(|cx| {
            super::poll_budgeted(cx, |cx| {
                self.chan.poll_recv_many(&mut self.buf, Some(cx), buffer, limit)
            })
        })
        .await
    }

    /// The next value if one is queued, without waiting.
    ///
    /// ```
    /// use weft::sync::mpsc::{channel, error::TryRecvError};
    /// let (tx, mut rx) = channel::<u8>(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.chan.poll_recv(&mut self.buf, None) {
            Poll::Ready(Recv::Value(v)) => Ok(v),
            Poll::Ready(Recv::Closed) => Err(TryRecvError::Disconnected),
            Poll::Pending => Err(TryRecvError::Empty),
        }
    }

    /// Blocks the thread until a value comes: for plain threads.
    ///
    /// # Panics
    ///
    /// Inside an async context (a weft task or worker thread): use
    /// `recv().await` there.
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::mpsc::channel(1);
    /// std::thread::spawn(move || tx.blocking_send(1).unwrap());
    /// assert_eq!(rx.blocking_recv(), Some(1));
    /// ```
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        crate::blocking::block_on("mpsc::Receiver::blocking_recv", "recv().await", self.recv())
    }

    /// Polls for the next value (for hand-written futures and streams).
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (tx, mut rx) = weft::sync::mpsc::channel(1);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_recv(&mut cx).is_pending());
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        super::poll_budgeted(cx, |cx| match self.chan.poll_recv(&mut self.buf, Some(cx)) {
            Poll::Ready(Recv::Value(v)) => Poll::Ready(Some(v)),
            Poll::Ready(Recv::Closed) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        })
    }

    /// Closes the channel: sends fail from now on (waiting ones too), and
    /// the values already queued or reserved can still be received.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, mut rx) = weft::sync::mpsc::channel(2);
    ///     tx.send(1).await.unwrap();
    ///     rx.close();
    ///     assert!(tx.send(2).await.is_err());
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn close(&mut self) {
        self.chan.close_rx();
    }

    /// `true` once the channel is closed (by [`close`](Receiver::close) or
    /// because every sender is gone).
    ///
    /// ```
    /// let (tx, rx) = weft::sync::mpsc::channel::<()>(1);
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_rx_closed() || self.chan.sender_count() == 0
    }

    /// Values queued right now.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::mpsc::channel(2);
    /// tx.try_send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.len(&self.buf)
    }

    /// `true` if no value is queued.
    ///
    /// ```
    /// let (_tx, rx) = weft::sync::mpsc::channel::<()>(2);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Free slots right now.
    ///
    /// ```
    /// let (_tx, rx) = weft::sync::mpsc::channel::<()>(2);
    /// assert_eq!(rx.capacity(), 2);
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan.sem.as_ref().map_or(0, |s| s.available_permits())
    }

    /// The bound the channel was made with.
    ///
    /// ```
    /// let (_tx, rx) = weft::sync::mpsc::channel::<()>(2);
    /// assert_eq!(rx.max_capacity(), 2);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.chan.bound
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.drop_rx(&mut self.buf);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Receiver")
            .field("len", &self.len())
            .finish()
    }
}
