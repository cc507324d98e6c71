//! The unbounded channel: [`unbounded_channel`], [`UnboundedSender`],
//! [`UnboundedReceiver`].

use std::fmt;
use std::task::{Context, Poll};

use super::chan::{Batch, Chan, Recv};
use super::error::{SendError, TryRecvError};
use crate::sync::Arc;

/// Sends values into an unbounded channel; `send` never waits.
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

/// Receives the values of an unbounded channel.
pub struct UnboundedReceiver<T> {
    chan: Arc<Chan<T>>,
    /// Values taken from the channel in one batch, not yet received.
    buf: Batch<T>,
}

/// A channel with no bound: sends never wait, so a producer faster than
/// its consumer grows the queue without limit. Prefer [`channel`](super::channel)
/// unless the producer cannot wait.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
///     tx.send(1).unwrap();
///     tx.send(2).unwrap();
///     drop(tx);
///     assert_eq!(rx.recv().await, Some(1));
///     assert_eq!(rx.recv().await, Some(2));
///     assert_eq!(rx.recv().await, None);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Arc::new(Chan::new(None));
    (
        UnboundedSender { chan: chan.clone() },
        UnboundedReceiver {
            chan,
            buf: Batch::new(),
        },
    )
}

impl<T> UnboundedSender<T> {
    /// Sends `value` at once, or gives it back if the receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::mpsc::unbounded_channel();
    /// drop(rx);
    /// assert_eq!(tx.send(7).unwrap_err().0, 7);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.push(value, false).map_err(SendError)
    }

    /// Waits until the receiver is gone (closed or dropped).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, mut rx) = weft::sync::mpsc::unbounded_channel::<()>();
    ///     rx.close();
    ///     tx.closed().await;
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
    /// let (tx, rx) = weft::sync::mpsc::unbounded_channel::<()>();
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_rx_closed()
    }

    /// `true` if both senders feed the same channel.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::unbounded_channel::<()>();
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// How many senders (clones) are alive.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::unbounded_channel::<()>();
    /// assert_eq!(tx.strong_count(), 1);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }
}

/// A sender that does not keep the channel open: the receiver sees the
/// end once every [`UnboundedSender`] is gone, weak ones or not.
/// [`upgrade`](WeakUnboundedSender::upgrade) it to send.
pub struct WeakUnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> UnboundedSender<T> {
    /// A weak handle to this channel; see [`WeakUnboundedSender`].
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::unbounded_channel::<u8>();
    /// let weak = tx.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// drop(tx);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn downgrade(&self) -> WeakUnboundedSender<T> {
        WeakUnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> WeakUnboundedSender<T> {
    /// A sender again, unless every sender is gone.
    ///
    /// ```
    /// let (tx, _rx) = weft::sync::mpsc::unbounded_channel::<u8>();
    /// let weak = tx.downgrade();
    /// let tx2 = weak.upgrade().unwrap();
    /// assert!(tx2.same_channel(&tx));
    /// ```
    pub fn upgrade(&self) -> Option<UnboundedSender<T>> {
        self.chan.try_add_sender().then(|| UnboundedSender {
            chan: self.chan.clone(),
        })
    }
}

impl<T> Clone for WeakUnboundedSender<T> {
    fn clone(&self) -> Self {
        WeakUnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> fmt::Debug for WeakUnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::WeakUnboundedSender")
            .finish_non_exhaustive()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedSender").finish_non_exhaustive()
    }
}

impl<T> UnboundedReceiver<T> {
    /// Waits for the next value; `None` once every sender is gone (or the
    /// receiver closed) and the queue is empty.
    ///
    /// Spends a unit of the task's cooperative budget. Cancel-safe.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
    ///     weft::spawn(async move { tx.send(1).unwrap() });
    ///     assert_eq!(rx.recv().await, Some(1));
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Waits for at least one value, then moves up to `limit` into
    /// `buffer`; returns how many (0 only when closed and empty, or for a
    /// `limit` of 0).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
    ///     for i in 0..5 { tx.send(i).unwrap(); }
    ///     let mut buf = Vec::new();
    ///     assert_eq!(rx.recv_many(&mut buf, 10).await, 5);
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
    /// let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert!(rx.try_recv().is_err());
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
    /// Inside an async context (a weft task or worker thread).
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
    /// std::thread::spawn(move || tx.send(1).unwrap());
    /// assert_eq!(rx.blocking_recv(), Some(1));
    /// ```
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        crate::blocking::block_on(
            "mpsc::UnboundedReceiver::blocking_recv",
            "recv().await",
            self.recv(),
        )
    }

    /// Polls for the next value (for hand-written futures and streams).
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        super::poll_budgeted(cx, |cx| match self.chan.poll_recv(&mut self.buf, Some(cx)) {
            Poll::Ready(Recv::Value(v)) => Poll::Ready(Some(v)),
            Poll::Ready(Recv::Closed) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        })
    }

    /// Closes the channel: sends fail from now on; queued values can still
    /// be received.
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// rx.close();
    /// assert!(tx.send(2).is_err());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn close(&mut self) {
        self.chan.close_rx();
    }

    /// `true` once the channel is closed or every sender is gone.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::mpsc::unbounded_channel::<()>();
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_rx_closed() || self.chan.sender_count() == 0
    }

    /// Values queued right now.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::mpsc::unbounded_channel();
    /// tx.send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.len(&self.buf)
    }

    /// `true` if no value is queued.
    ///
    /// ```
    /// let (_tx, rx) = weft::sync::mpsc::unbounded_channel::<()>();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for UnboundedReceiver<T> {
    fn drop(&mut self) {
        self.chan.drop_rx(&mut self.buf);
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedReceiver")
            .field("len", &self.len())
            .finish()
    }
}
