//! Multi-producer, single-consumer channels: bounded ([`channel`], with
//! backpressure, [`Permit`]s and [`PermitIterator`]s) and unbounded
//! ([`unbounded_channel`]).
//!
//! tokio's API: the same names, signatures and close semantics. Every
//! receive (and every wait for room) spends a unit of the task's
//! cooperative budget, so a task draining an always-full channel still
//! lets its neighbours and the timers run.
//!
//! See `chan.rs` for the protocol.
//!
//! ```
//! let rt = weft::Runtime::new()?;
//! rt.block_on(async {
//!     let (tx, mut rx) = weft::sync::mpsc::channel(16);
//!     weft::spawn(async move {
//!         for i in 0..100 { tx.send(i).await.unwrap(); }
//!     });
//!     let mut sum = 0;
//!     while let Some(i) = rx.recv().await { sum += i; }
//!     assert_eq!(sum, 4950);
//! });
//! # Ok::<(), std::io::Error>(())
//! ```

use std::task::{Context, Poll};

mod bounded;
mod chan;
mod unbounded;

pub use bounded::{channel, OwnedPermit, Permit, PermitIterator, Receiver, Sender, WeakSender};
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender, WeakUnboundedSender};

/// Runs one receive step under the cooperative budget: refuses when the
/// budget is spent, keeps the unit only if the step completed.
fn poll_budgeted<R>(cx: &mut Context<'_>, step: impl FnOnce(&mut Context<'_>) -> Poll<R>) -> Poll<R> {
    let Poll::Ready(coop) = weft_task::coop::poll_proceed(cx) else {
        return Poll::Pending;
    };
    let out = step(cx);
    if out.is_ready() {
        coop.made_progress();
    }
    out
}

pub mod error {
    //! `mpsc` errors. Each send error gives the value back.
    use std::fmt;

    /// The receiver is gone; the value comes back in `.0`.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct SendError<T>(pub T);

    /// Why [`Sender::try_send`](super::Sender::try_send) gave the value back.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub enum TrySendError<T> {
        /// The channel is full right now.
        Full(T),
        /// The receiver is gone.
        Closed(T),
    }

    /// Why [`Sender::send_timeout`](super::Sender::send_timeout) gave the
    /// value back.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub enum SendTimeoutError<T> {
        /// No room came within the timeout.
        Timeout(T),
        /// The receiver is gone.
        Closed(T),
    }

    /// Why `try_recv` returned no value.
    #[derive(PartialEq, Eq, Clone, Copy, Debug)]
    pub enum TryRecvError {
        /// Nothing queued now; senders remain.
        Empty,
        /// Nothing queued, and nothing can come: the senders are gone or
        /// the receiver closed.
        Disconnected,
    }

    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SendError").finish_non_exhaustive()
        }
    }
    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the channel's receiver is gone (closed or dropped); the value was not sent")
        }
    }
    impl<T> std::error::Error for SendError<T> {}

    impl<T> TrySendError<T> {
        /// The value that was not sent.
        ///
        /// ```
        /// use weft::sync::mpsc::error::TrySendError;
        /// assert_eq!(TrySendError::Full(3).into_inner(), 3);
        /// ```
        pub fn into_inner(self) -> T {
            match self {
                TrySendError::Full(v) | TrySendError::Closed(v) => v,
            }
        }
    }
    impl<T> fmt::Debug for TrySendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TrySendError::Full(_) => f.write_str("Full(..)"),
                TrySendError::Closed(_) => f.write_str("Closed(..)"),
            }
        }
    }
    impl<T> fmt::Display for TrySendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TrySendError::Full(_) => {
                    f.write_str("the channel is full; the value was not sent (await `send` to wait for room)")
                }
                TrySendError::Closed(_) => {
                    f.write_str("the channel's receiver is gone (closed or dropped); the value was not sent")
                }
            }
        }
    }
    impl<T> std::error::Error for TrySendError<T> {}
    impl<T> From<SendError<T>> for TrySendError<T> {
        fn from(e: SendError<T>) -> Self {
            TrySendError::Closed(e.0)
        }
    }

    impl<T> SendTimeoutError<T> {
        /// The value that was not sent.
        ///
        /// ```
        /// use weft::sync::mpsc::error::SendTimeoutError;
        /// assert_eq!(SendTimeoutError::Timeout(3).into_inner(), 3);
        /// ```
        pub fn into_inner(self) -> T {
            match self {
                SendTimeoutError::Timeout(v) | SendTimeoutError::Closed(v) => v,
            }
        }
    }
    impl<T> fmt::Debug for SendTimeoutError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                SendTimeoutError::Timeout(_) => f.write_str("Timeout(..)"),
                SendTimeoutError::Closed(_) => f.write_str("Closed(..)"),
            }
        }
    }
    impl<T> fmt::Display for SendTimeoutError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                SendTimeoutError::Timeout(_) => {
                    f.write_str("no room in the channel within the timeout; the value was not sent")
                }
                SendTimeoutError::Closed(_) => {
                    f.write_str("the channel's receiver is gone (closed or dropped); the value was not sent")
                }
            }
        }
    }
    impl<T> std::error::Error for SendTimeoutError<T> {}

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("the channel is empty now; senders remain"),
                TryRecvError::Disconnected => {
                    f.write_str("the channel is empty and closed: no value can come")
                }
            }
        }
    }
    impl std::error::Error for TryRecvError {}
}
