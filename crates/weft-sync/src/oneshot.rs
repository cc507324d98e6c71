//! A one-shot channel: one value, from one [`Sender`] to one [`Receiver`].
//!
//! # Protocol
//!
//! One atomic state word beside three cells: the value, the receiver's
//! waker and the sender's waker. Four bits decide who may touch which
//! cell:
//!
//! * `COMPLETE`: the sender sent (the value cell holds `Some`) or was
//!   dropped (`None`). Set once, by the sender. Before it the value cell is
//!   the sender's; after it, the receiver's.
//! * `CLOSED`: the receiver closed or was dropped. Set once, by the
//!   receiver. A send that finds it takes its value back.
//! * `RX_WAKER`: the receiver's waker cell holds a waker the sender may
//!   wake. Set and cleared only by the receiver, which writes the cell only
//!   while the bit is clear.
//! * `TX_WAKER`: the same for the sender's waker (`closed()`).
//!
//! Why no wake-up is lost: the sender sets `COMPLETE` with one
//! read-modify-write and wakes the receiver if that RMW saw `RX_WAKER`.
//! The receiver publishes its waker with one RMW setting `RX_WAKER`, and
//! takes the value itself if that RMW saw `COMPLETE`. The two RMWs are
//! ordered in the state word's modification order: if the sender's comes
//! first, the receiver's sees `COMPLETE`; if the receiver's comes first,
//! the sender's sees `RX_WAKER` (Release/Acquire on both, so the waker
//! written before is visible). The same argument covers `CLOSED` against
//! `TX_WAKER`.
//!
//! Why no cell is raced: a waker is only ever *read* by the other side
//! (`wake_by_ref`; the waker itself is dropped with the channel or when
//! its owner replaces it), and its owner replaces it only after clearing
//! its bit with an RMW that did not see the other side's final bit: after
//! that, the other side's final RMW sees the bit clear and never reads the
//! cell. If the clearing RMW does see the final bit, the owner leaves the
//! cell alone (the other side may be reading it) and completes.
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

use crate::sync::{Arc, AtomicUsize, Ordering, TrackedCell};

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

const COMPLETE: usize = 0b0001;
const CLOSED: usize = 0b0010;
const RX_WAKER: usize = 0b0100;
const TX_WAKER: usize = 0b1000;

struct Inner<T> {
    state: AtomicUsize,
    value: TrackedCell<Option<T>>,
    rx_waker: TrackedCell<Option<Waker>>,
    tx_waker: TrackedCell<Option<Waker>>,
}

// SAFETY: the cells are shared between the two sides only as the state
// word's protocol allows (module docs): the value moves from one thread to
// another (`T: Send`), the wakers are `Send + Sync`.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above; no `&T` is ever handed out through a shared `Inner`.
unsafe impl<T: Send> Sync for Inner<T> {}

impl<T> Inner<T> {
    /// Wakes the waker in `cell`.
    ///
    /// # Safety
    ///
    /// The caller's RMW on the state word saw the cell's bit set and its
    /// own final bit (`COMPLETE` or `CLOSED`) is now set, so the owner no
    /// longer writes the cell.
    unsafe fn wake(cell: &TrackedCell<Option<Waker>>) {
        cell.with(|w| {
            // SAFETY: the owner writes the cell only while its bit is
            // clear (caller's contract); reads may overlap.
            if let Some(w) = unsafe { &*w } {
                w.wake_by_ref();
            }
        });
    }

    /// Registers `cx`'s waker in `cell` under `bit`, unless `done` (the
    /// other side's final bit) is set. Returns the state after, which has
    /// `done` set if the other side finished.
    ///
    /// # Safety
    ///
    /// Called only by the cell's owner (the receiver for `RX_WAKER`, the
    /// sender for `TX_WAKER`), never concurrently with itself.
    unsafe fn register(
        &self,
        cell: &TrackedCell<Option<Waker>>,
        bit: usize,
        done: usize,
        cx: &Context<'_>,
    ) -> usize {
        let mut s = self.state.load(Ordering::Acquire);
        if s & done != 0 {
            return s;
        }
        if s & bit != 0 {
            // SAFETY: the other side only reads the cell.
            let same = cell.with(|w| unsafe { &*w }.as_ref().is_some_and(|w| w.will_wake(cx.waker())));
            if same {
                return s;
            }
            // Take the cell back before replacing the waker.
            s = self.state.fetch_and(!bit, Ordering::AcqRel);
            if s & done != 0 {
                // The other side finished and may be reading the cell:
                // leave it, and report the finish.
                return s;
            }
        }
        // The bit is clear: the other side's final RMW will not see it, so
        // it will not read the cell while we write.
        // SAFETY: only the owner writes, and the other side does not read
        // while the bit is clear (above).
        cell.with_mut(|w| unsafe { *w = Some(cx.waker().clone()) });
        self.state.fetch_or(bit, Ordering::AcqRel) | bit
    }

    /// Takes the value once `COMPLETE` is seen.
    ///
    /// # Safety
    ///
    /// Called by the receiver after an Acquire load or RMW saw `COMPLETE`.
    unsafe fn take_value(&self) -> Option<T> {
        // SAFETY: after COMPLETE the value cell is the receiver's alone.
        self.value.with_mut(|v| unsafe { (*v).take() })
    }
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
        state: AtomicUsize::new(0),
        value: TrackedCell::new(None),
        rx_waker: TrackedCell::new(None),
        tx_waker: TrackedCell::new(None),
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
        if inner.state.load(Ordering::Acquire) & CLOSED != 0 {
            return Err(value);
        }
        // SAFETY: before COMPLETE the value cell is the sender's.
        inner.value.with_mut(|v| unsafe { *v = Some(value) });
        let mut s = inner.state.load(Ordering::Relaxed);
        loop {
            if s & CLOSED != 0 {
                // The receiver is gone and will never read the cell: the
                // value comes back.
                // SAFETY: COMPLETE is not set, so the cell is still ours.
                let v = inner.value.with_mut(|v| unsafe { (*v).take() });
                return Err(v.expect("the value written above"));
            }
            // Publish the value (Release) and see the receiver's waker
            // (Acquire).
            match inner
                .state
                .compare_exchange_weak(s, s | COMPLETE, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(now) => s = now,
            }
        }
        if s & RX_WAKER != 0 {
            // SAFETY: our RMW saw RX_WAKER and set COMPLETE.
            unsafe { Inner::<T>::wake(&inner.rx_waker) };
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
            .is_none_or(|inner| inner.state.load(Ordering::Acquire) & CLOSED != 0)
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
        // SAFETY: the sender owns the TX_WAKER cell; `&mut self` keeps
        // this call from running concurrently with itself.
        let s = unsafe { inner.register(&inner.tx_waker, TX_WAKER, CLOSED, cx) };
        if s & CLOSED != 0 {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        let s = inner.state.fetch_or(COMPLETE, Ordering::AcqRel);
        if s & RX_WAKER != 0 {
            // SAFETY: our RMW saw RX_WAKER and set COMPLETE.
            unsafe { Inner::<T>::wake(&inner.rx_waker) };
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
        let s = inner.state.fetch_or(CLOSED, Ordering::AcqRel);
        if s & (TX_WAKER | COMPLETE) == TX_WAKER {
            // SAFETY: our RMW saw TX_WAKER and set CLOSED.
            unsafe { Inner::<T>::wake(&inner.tx_waker) };
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
        let s = inner.state.load(Ordering::Acquire);
        if s & COMPLETE != 0 {
            // SAFETY: COMPLETE seen with Acquire.
            let v = unsafe { inner.take_value() };
            self.inner = None;
            return v.ok_or(TryRecvError::Closed);
        }
        if s & CLOSED != 0 {
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
        self.inner.as_ref().is_none_or(|inner| {
            inner.state.load(Ordering::Acquire) & COMPLETE == 0
                    // SAFETY: COMPLETE seen with Acquire: the cell is the
                    // receiver's, and `&self` keeps it from being taken.
                    || inner.value.with(|v| unsafe { (*v).is_none() })
        })
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
        // SAFETY: the receiver owns the RX_WAKER cell; `&mut self` keeps
        // this call from running concurrently with itself.
        let s = unsafe { inner.register(&inner.rx_waker, RX_WAKER, COMPLETE, cx) };
        let out = if s & COMPLETE != 0 {
            // SAFETY: `register` saw COMPLETE with Acquire.
            unsafe { inner.take_value() }.ok_or(RecvError(()))
        } else if s & CLOSED != 0 {
            Err(RecvError(()))
        } else {
            return Poll::Pending;
        };
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
        let s = inner.state.fetch_or(CLOSED, Ordering::AcqRel);
        if s & COMPLETE != 0 {
            // A value sent but never received is dropped now, not when the
            // last handle goes (user code, but no lock is held).
            // SAFETY: COMPLETE seen by our AcqRel RMW.
            drop(unsafe { inner.take_value() });
        } else if s & TX_WAKER != 0 {
            // SAFETY: our RMW saw TX_WAKER and set CLOSED.
            unsafe { Inner::<T>::wake(&inner.tx_waker) };
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver").finish_non_exhaustive()
    }
}
