//! A one-shot channel: one value, from one [`Sender`] to one [`Receiver`].
//!
//! One mutex holds the value slot, both wakers and two flags: `tx_done`
//! (the sender sent or was dropped) and `rx_closed` (the receiver closed or
//! was dropped). Each side sets its flag and takes the other side's waker
//! under the lock, then wakes it after, so neither side can miss the other:
//! whichever locks second sees the first one's flag.
//!
//! ```
//! let rt = weft::Runtime::new()?;
//! rt.block_on(async {
//!     let (tx, rx) = weft::sync::oneshot::channel();
//!     weft::spawn(async move { tx.send(42).unwrap() });
//!     assert_eq!(rx.await, Ok(42));
//! });
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::sync::{lock, Arc, Mutex};

pub mod error {
    //! `oneshot` errors.
    use std::fmt;

    /// The sender was dropped without sending.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct RecvError(pub(super) ());

    /// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned no
    /// value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TryRecvError {
        /// No value yet; the sender is still alive.
        Empty,
        /// The sender was dropped without sending, or the value was taken.
        Closed,
    }

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the oneshot sender was dropped without sending a value")
        }
    }
    impl std::error::Error for RecvError {}

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("no value sent on the oneshot channel yet"),
                TryRecvError::Closed => f.write_str("the oneshot sender was dropped without sending a value"),
            }
        }
    }
    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, TryRecvError};

struct Inner<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    value: Option<T>,
    rx_waker: Option<Waker>,
    tx_waker: Option<Waker>,
    tx_done: bool,
    rx_closed: bool,
}

/// Sends the one value; see [`channel`].
pub struct Sender<T> {
    inner: Option<Arc<Inner<T>>>,
}

/// Receives the one value; `.await` it, or [`try_recv`](Receiver::try_recv).
pub struct Receiver<T> {
    inner: Option<Arc<Inner<T>>>,
}

/// A new one-shot channel.
///
/// ```
/// let (tx, mut rx) = weft::sync::oneshot::channel::<u8>();
/// assert!(rx.try_recv().is_err());
/// tx.send(1).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: Mutex::new(State {
            value: None,
            rx_waker: None,
            tx_waker: None,
            tx_done: false,
            rx_closed: false,
        }),
    });
    (
        Sender {
            inner: Some(inner.clone()),
        },
        Receiver { inner: Some(inner) },
    )
}

impl<T> Sender<T> {
    /// Sends `value`, or gives it back if the receiver is gone (dropped or
    /// closed).
    ///
    /// ```
    /// let (tx, rx) = weft::sync::oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send("lost"), Err("lost"));
    /// ```
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self.inner.take().expect("a Sender is consumed by send");
        let waker = {
            let mut s = lock(&inner.state);
            if s.rx_closed {
                return Err(value);
            }
            s.value = Some(value);
            s.tx_done = true;
            s.rx_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// `true` if the receiver is gone, so a `send` would fail.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::oneshot::channel::<()>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner
            .as_ref()
            .is_none_or(|inner| lock(&inner.state).rx_closed)
    }

    /// Waits until the receiver is gone (dropped or closed).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (mut tx, rx) = weft::sync::oneshot::channel::<()>();
    ///     weft::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// Polls for the receiver being gone; `Ready` once it is.
    ///
    /// ```
    /// use std::task::{Context, Waker};
    /// let (mut tx, rx) = weft::sync::oneshot::channel::<()>();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(tx.poll_closed(&mut cx).is_pending());
    /// drop(rx);
    /// assert!(tx.poll_closed(&mut cx).is_ready());
    /// ```
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(inner) = self.inner.as_ref() else {
            return Poll::Ready(());
        };
        let mut s = lock(&inner.state);
        if s.rx_closed {
            return Poll::Ready(());
        }
        match &s.tx_waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => s.tx_waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        let waker = {
            let mut s = lock(&inner.state);
            s.tx_done = true;
            s.rx_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender").finish_non_exhaustive()
    }
}

impl<T> Receiver<T> {
    /// Closes the channel without dropping the receiver: a later `send`
    /// fails, and a value sent before stays receivable.
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::oneshot::channel::<u8>();
    /// rx.close();
    /// assert_eq!(tx.send(1), Err(1));
    /// ```
    pub fn close(&mut self) {
        let Some(inner) = self.inner.as_ref() else {
            return;
        };
        let waker = {
            let mut s = lock(&inner.state);
            s.rx_closed = true;
            s.tx_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// The value, if it was sent; without waiting.
    ///
    /// ```
    /// use weft::sync::oneshot::{channel, error::TryRecvError};
    /// let (tx, mut rx) = channel::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = self.inner.as_ref() else {
            return Err(TryRecvError::Closed);
        };
        let mut s = lock(&inner.state);
        if let Some(v) = s.value.take() {
            drop(s);
            self.inner = None;
            return Ok(v);
        }
        if s.tx_done || s.rx_closed {
            drop(s);
            self.inner = None;
            return Err(TryRecvError::Closed);
        }
        Err(TryRecvError::Empty)
    }

    /// Blocks the thread until the value comes: for plain threads.
    ///
    /// # Panics
    ///
    /// Inside an async context (a weft task or worker thread): `.await`
    /// the receiver there.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::oneshot::channel();
    /// std::thread::spawn(move || tx.send(5).unwrap());
    /// assert_eq!(rx.blocking_recv(), Ok(5));
    /// ```
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        crate::blocking::block_on("oneshot::Receiver::blocking_recv", "rx.await", self)
    }

    /// `true` once the value was received or the channel can never yield
    /// one.
    ///
    /// ```
    /// let (tx, mut rx) = weft::sync::oneshot::channel();
    /// tx.send(()).unwrap();
    /// assert!(!rx.is_terminated());
    /// rx.try_recv().unwrap();
    /// assert!(rx.is_terminated());
    /// ```
    pub fn is_terminated(&self) -> bool {
        self.inner.is_none()
    }

    /// `true` if no value is waiting to be received.
    ///
    /// ```
    /// let (tx, rx) = weft::sync::oneshot::channel();
    /// assert!(rx.is_empty());
    /// tx.send(()).unwrap();
    /// assert!(!rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner
            .as_ref()
            .is_none_or(|inner| lock(&inner.state).value.is_none())
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let inner = this
            .inner
            .as_ref()
            .expect("a oneshot::Receiver was polled after it completed; it yields its value once");
        let Poll::Ready(coop) = weft_task::coop::poll_proceed(cx) else {
            return Poll::Pending;
        };
        let mut s = lock(&inner.state);
        let out = if let Some(v) = s.value.take() {
            Ok(v)
        } else if s.tx_done || s.rx_closed {
            Err(RecvError(()))
        } else {
            match &s.rx_waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => s.rx_waker = Some(cx.waker().clone()),
            }
            return Poll::Pending;
        };
        drop(s);
        coop.made_progress();
        this.inner = None;
        Poll::Ready(out)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        let (waker, value) = {
            let mut s = lock(&inner.state);
            s.rx_closed = true;
            (s.tx_waker.take(), s.value.take())
        };
        // The value is user code: dropped outside the lock.
        drop(value);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver").finish_non_exhaustive()
    }
}
