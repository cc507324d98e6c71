//! A multi-producer, multi-consumer channel where every receiver sees every
//! value: [`channel`].
//!
//! # Protocol
//!
//! Values are numbered by their position in the stream. A ring of
//! `capacity` slots, each behind its own `RwLock`, holds the last
//! `capacity` values: value `n` lives in slot `n % capacity`, tagged with
//! `n`. One mutex, the *tail*, holds the number the next value gets
//! (`tail`), the sender and receiver counts, and a `WaitList`
//! (`wait_list.rs`) of receivers waiting for a value. The oldest value kept
//! is `head = tail - capacity` (0 until the ring has filled once).
//!
//! A send takes the tail lock, writes its value into slot `tail % capacity`
//! under that slot's write lock (the value it replaces is dropped after
//! both locks are released), bumps `tail`, and wakes every waiting
//! receiver after unlocking. So under the tail lock, every value below
//! `tail` has been written.
//!
//! A receiver keeps the number `next` of the value it wants. Its fast path
//! read-locks slot `next % capacity` alone: if the slot is tagged `next`, it
//! clones the value and moves on. Receivers reading the same or different
//! slots never wait for each other, and never touch the tail: that is what
//! keeps a fan-out to many receivers from serialising on one lock. If the
//! tag differs (the value is not sent yet, or was overwritten), the
//! receiver drops the slot, takes the tail lock and decides there:
//!
//! * `next < head`: the values it wanted were overwritten. It jumps to
//!   `head` and returns `Lagged(skipped)`; the next `recv` returns the
//!   oldest value kept.
//! * `next < tail`: the value is in its slot (sent since the fast path
//!   looked); it clones it.
//! * `next == tail`: it waits (or sees `Closed` once every sender is gone),
//!   registered under the same lock the send bumps `tail` under, so a send
//!   either came before (and the receiver sees it) or wakes it.
//!
//! Locks are always taken tail first, slot second (the fast path takes a
//! slot alone), so no two paths wait for each other in a cycle. As in
//! tokio, the capacity is rounded up to a power of two, so `Lagged` counts
//! match tokio's.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::sync::{lock, read, write, Arc, Mutex, RwLock};
use crate::wait_list::WaitList;

pub mod error {
    //! `broadcast` errors.
    use std::fmt;

    /// No receiver exists; the value comes back in `.0`.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct SendError<T>(pub T);

    /// Why `recv` returned no value.
    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    pub enum RecvError {
        /// Every sender is gone and this receiver has seen every value.
        Closed,
        /// The receiver fell behind: this many values were overwritten
        /// before it read them. The next `recv` returns the oldest kept.
        Lagged(u64),
    }

    /// Why `try_recv` returned no value.
    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    pub enum TryRecvError {
        /// No new value now; senders remain.
        Empty,
        /// Every sender is gone and this receiver has seen every value.
        Closed,
        /// The receiver fell behind by this many values (see
        /// [`RecvError::Lagged`]).
        Lagged(u64),
    }

    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SendError").finish_non_exhaustive()
        }
    }
    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the broadcast channel has no receivers; the value was not sent")
        }
    }
    impl<T> std::error::Error for SendError<T> {}

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                RecvError::Closed => {
                    f.write_str("every broadcast sender is gone and all values were received")
                }
                RecvError::Lagged(n) => write!(
                    f,
                    "the receiver lagged behind: {n} values were overwritten before it read them"
                ),
            }
        }
    }
    impl std::error::Error for RecvError {}

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("no new value on the broadcast channel now"),
                TryRecvError::Closed => {
                    f.write_str("every broadcast sender is gone and all values were received")
                }
                TryRecvError::Lagged(n) => write!(
                    f,
                    "the receiver lagged behind: {n} values were overwritten before it read them"
                ),
            }
        }
    }
    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, SendError, TryRecvError};

struct Shared<T> {
    /// The ring: value `n` in slot `n & mask`.
    buffer: Box<[RwLock<Slot<T>>]>,
    mask: u64,
    state: Mutex<State>,
}

/// One slot of the ring.
struct Slot<T> {
    /// The stream number of `value` (`u64::MAX` before the first write).
    pos: u64,
    value: Option<T>,
}

/// The tail: everything but the values, under one mutex.
struct State {
    /// The number the next value gets.
    tail: u64,
    senders: usize,
    receivers: usize,
    waiters: WaitList<()>,
    /// `Sender::closed` futures, woken when the last receiver goes.
    closed_waiters: WaitList<()>,
}

impl<T> Shared<T> {
    fn capacity(&self) -> u64 {
        self.mask + 1
    }

    /// The oldest value kept, for a tail of `tail`.
    fn head(&self, tail: u64) -> u64 {
        tail.saturating_sub(self.capacity())
    }

    fn slot(&self, pos: u64) -> &RwLock<Slot<T>> {
        // The mask keeps the index below the buffer's length.
        &self.buffer[(pos & self.mask) as usize]
    }
}

/// Sends values to every [`Receiver`]; clone it for more producers.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Receives every value sent after it was created (or resubscribed).
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    next: u64,
}

/// A broadcast channel keeping the last `capacity` values (rounded up to a
/// power of two) for receivers that fall behind.
///
/// # Panics
///
/// If `capacity` is 0 or larger than `usize::MAX / 2`.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let (tx, mut rx1) = weft::sync::broadcast::channel(16);
///     let mut rx2 = tx.subscribe();
///     tx.send(10).unwrap();
///     assert_eq!(rx1.recv().await, Ok(10));
///     assert_eq!(rx2.recv().await, Ok(10));
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "weft::sync::broadcast::channel: the capacity must be at least 1 (got 0)"
    );
    assert!(
        capacity <= usize::MAX >> 1,
        "weft::sync::broadcast::channel: a capacity of {capacity} exceeds usize::MAX / 2"
    );
    let capacity = capacity.next_power_of_two();
    let buffer = (0..capacity)
        .map(|_| {
            RwLock::new(Slot {
                pos: u64::MAX,
                value: None,
            })
        })
        .collect();
    let shared = Arc::new(Shared {
        buffer,
        mask: capacity as u64 - 1,
        state: Mutex::new(State {
            tail: 0,
            senders: 1,
            receivers: 1,
            waiters: WaitList::new(),
            closed_waiters: WaitList::new(),
        }),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, next: 0 },
    )
}

impl<T> Sender<T> {
    /// Sends `value` to every receiver; returns how many there are, or
    /// gives the value back if there are none.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::broadcast::channel(2);
    /// assert_eq!(tx.send(1).unwrap(), 1);
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().0, 2);
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let (receivers, wakers, dropped) = {
            let mut s = lock(&self.shared.state);
            if s.receivers == 0 {
                return Err(SendError(value));
            }
            let pos = s.tail;
            let dropped = {
                let mut slot = write(self.shared.slot(pos));
                slot.pos = pos;
                slot.value.replace(value)
            };
            s.tail = pos + 1;
            (s.receivers, s.waiters.drain(|_| ()), dropped)
        };
        drop(dropped);
        wakers.wake_all();
        Ok(receivers)
    }

    /// A new receiver that sees the values sent from now on.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::broadcast::channel(2);
    /// tx.send(1).unwrap();
    /// let mut late = tx.subscribe();
    /// assert!(late.try_recv().is_err());
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        let mut s = lock(&self.shared.state);
        s.receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            next: s.tail,
        }
    }

    /// Receivers alive now.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::broadcast::channel::<()>(2);
    /// let _rx2 = tx.subscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared.state).receivers
    }

    /// Values kept in the channel now (those some receiver may still read).
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::broadcast::channel(4);
    /// tx.send(()).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        let tail = lock(&self.shared.state).tail;
        (tail - self.shared.head(tail)) as usize
    }

    /// `true` if no value is kept.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::broadcast::channel::<()>(4);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until every receiver is gone (resolves at once if there are
    /// none now). A receiver made by a later `subscribe` does not undo a
    /// completion already returned. Spends no budget: it waits for an
    /// event.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, rx) = weft::sync::broadcast::channel::<u8>(4);
    ///     weft::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert_eq!(tx.receiver_count(), 0);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn closed(&self) {
        Closed {
            shared: &self.shared,
            key: None,
        }
        .await
    }

    /// `true` if both senders feed the same channel.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::broadcast::channel::<()>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.shared.state).senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let wakers = {
            let mut s = lock(&self.shared.state);
            s.senders -= 1;
            if s.senders > 0 {
                return;
            }
            s.waiters.drain(|_| ())
        };
        wakers.wake_all();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender").finish_non_exhaustive()
    }
}

impl<T: Clone> Receiver<T> {
    /// The fast path: the next value, if its slot holds it now (only that
    /// slot's read lock).
    fn try_slot(&mut self) -> Option<T> {
        let slot = read(self.shared.slot(self.next));
        if slot.pos != self.next {
            return None;
        }
        // A value clone is user code; it holds only this slot's read lock.
        let v = slot.value.clone()?;
        drop(slot);
        self.next += 1;
        Some(v)
    }

    /// One receive step under the tail lock, for when the fast path found
    /// no value.
    fn step(&mut self, s: &State) -> Step {
        let head = self.shared.head(s.tail);
        if self.next < head {
            let skipped = head - self.next;
            self.next = head;
            return Step::Lagged(skipped);
        }
        if self.next < s.tail {
            // Sent since the fast path looked. It is cloned on the fast path
            // again, outside this lock (a clone is user code, and may use
            // the channel); if it is overwritten first, the next step is
            // `Lagged`.
            return Step::Retry;
        }
        if s.senders == 0 {
            return Step::Closed;
        }
        Step::Wait
    }

    /// The fast path, then the tail step, until one decides.
    fn try_step(&mut self) -> Result<T, TryRecvError> {
        loop {
            if let Some(v) = self.try_slot() {
                return Ok(v);
            }
            let shared = self.shared.clone();
            let s = lock(&shared.state);
            match self.step(&s) {
                Step::Retry => continue,
                Step::Lagged(n) => return Err(TryRecvError::Lagged(n)),
                Step::Closed => return Err(TryRecvError::Closed),
                Step::Wait => return Err(TryRecvError::Empty),
            }
        }
    }

    /// Waits for the next value.
    ///
    /// Spends a unit of the task's cooperative budget. Cancel-safe: the
    /// receiver's place in the stream moves only when a value is returned.
    ///
    /// ```
    /// use weft::sync::broadcast::{channel, error::RecvError};
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, mut rx) = channel(2);
    ///     for i in 0..3 { tx.send(i).unwrap(); }
    ///     assert_eq!(rx.recv().await, Err(RecvError::Lagged(1)));
    ///     assert_eq!(rx.recv().await, Ok(1));
    ///     assert_eq!(rx.recv().await, Ok(2));
    ///     drop(tx);
    ///     assert_eq!(rx.recv().await, Err(RecvError::Closed));
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        Recv { rx: self, key: None }.await
    }

    /// The next value if there is one now.
    ///
    /// ```
    /// use weft::sync::broadcast::{channel, error::TryRecvError};
    /// let (tx, mut rx) = channel(2);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.try_step()
    }

    /// Blocks the thread until the next value: for plain threads.
    ///
    /// # Panics
    ///
    /// Inside an async context (a weft task or worker thread).
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::broadcast::channel(2);
    /// std::thread::spawn(move || tx.send(1).unwrap());
    /// assert_eq!(rx.blocking_recv(), Ok(1));
    /// ```
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        crate::blocking::block_on("broadcast::Receiver::blocking_recv", "recv().await", self.recv())
    }
}

impl<T> Receiver<T> {
    /// A new receiver that sees the values sent from now on.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::broadcast::channel::<u8>(2);
    /// let rx2 = rx.resubscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// # drop(rx2);
    /// ```
    pub fn resubscribe(&self) -> Self {
        let mut s = lock(&self.shared.state);
        s.receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            next: s.tail,
        }
    }

    /// Values this receiver has not read yet (kept ones only).
    ///
    /// ```
    /// let (tx, rx) = weft::sync::broadcast::channel(4);
    /// tx.send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        let tail = lock(&self.shared.state).tail;
        (tail - self.next.max(self.shared.head(tail))) as usize
    }

    /// `true` if this receiver has read every kept value.
    ///
    /// ```
    /// let (_tx, rx) = weft::sync::broadcast::channel::<()>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `true` once every sender is gone.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::broadcast::channel::<()>(4);
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        lock(&self.shared.state).senders == 0
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
            s.closed_waiters.drain(|_| ())
        };
        wakers.wake_all();
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .field("next", &self.next)
            .finish()
    }
}

/// The `recv` future: queued in the wait list while nothing is new.
struct Recv<'a, T> {
    rx: &'a mut Receiver<T>,
    key: Option<usize>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Poll::Ready(coop) = weft_task::coop::poll_proceed(cx) else {
            return Poll::Pending;
        };
        let this = &mut *self;
        let out = loop {
            if let Some(v) = this.rx.try_slot() {
                break Ok(v);
            }
            let shared = this.rx.shared.clone();
            let mut s = lock(&shared.state);
            match this.rx.step(&s) {
                Step::Retry => continue,
                Step::Lagged(n) => break Err(RecvError::Lagged(n)),
                Step::Closed => break Err(RecvError::Closed),
                Step::Wait => {
                    match this.key {
                        Some(k) if s.waiters.is_linked(k) => s.waiters.set_waker(k, cx),
                        Some(k) => {
                            // Woken by a send that did not concern us
                            // (already read): queue again.
                            s.waiters.remove(k);
                            this.key = Some(s.waiters.push_back((), Some(cx.waker())));
                        }
                        None => this.key = Some(s.waiters.push_back((), Some(cx.waker()))),
                    }
                    return Poll::Pending;
                }
            }
        };
        if let Some(k) = this.key.take() {
            lock(&this.rx.shared.state).waiters.remove(k);
        }
        coop.made_progress();
        Poll::Ready(out)
    }
}

/// What a receive step under the tail lock decided.
enum Step {
    /// The value is in its slot now: take the fast path again.
    Retry,
    /// Overwritten: this many values were skipped.
    Lagged(u64),
    /// Every sender is gone and every value was read.
    Closed,
    /// Nothing new yet: wait for a send.
    Wait,
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            lock(&self.rx.shared.state).waiters.remove(k);
        }
    }
}

/// The `Sender::closed` future: queued until the receiver count reaches 0.
struct Closed<'a, T> {
    shared: &'a Arc<Shared<T>>,
    key: Option<usize>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut s = lock(&this.shared.state);
        if s.receivers == 0 {
            if let Some(k) = this.key.take() {
                s.closed_waiters.remove(k);
            }
            return Poll::Ready(());
        }
        match this.key {
            Some(k) if s.closed_waiters.is_linked(k) => s.closed_waiters.set_waker(k, cx),
            Some(k) => {
                // Woken, but a receiver subscribed since: queue again.
                s.closed_waiters.remove(k);
                this.key = Some(s.closed_waiters.push_back((), Some(cx.waker())));
            }
            None => this.key = Some(s.closed_waiters.push_back((), Some(cx.waker()))),
        }
        Poll::Pending
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            lock(&self.shared.state).closed_waiters.remove(k);
        }
    }
}
