//! Unix signals: [`signal`] and the [`Signal`] stream of deliveries.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

use signal_hook::consts as sig;

use super::registry;
use super::slot::Listener;
use crate::Handle;

/// Which signal to listen for: a signal number, with constructors for the
/// usual ones (tokio's names).
///
/// ```
/// use weft::signal::unix::SignalKind;
/// assert_eq!(SignalKind::from_raw(15), SignalKind::terminate());
/// assert_eq!(SignalKind::user_defined1().as_raw_value(), 10); // Linux
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct SignalKind(i32);

impl SignalKind {
    /// Any signal number, such as a real-time signal.
    pub const fn from_raw(signum: i32) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    pub const fn as_raw_value(&self) -> i32 {
        self.0
    }

    /// `SIGALRM`: a timer set by `alarm(2)` expired.
    pub const fn alarm() -> SignalKind {
        SignalKind(sig::SIGALRM)
    }

    /// `SIGCHLD`: a child process stopped or exited.
    pub const fn child() -> SignalKind {
        SignalKind(sig::SIGCHLD)
    }

    /// `SIGHUP`: the terminal hung up; by convention, "reload".
    pub const fn hangup() -> SignalKind {
        SignalKind(sig::SIGHUP)
    }

    /// `SIGINT`: Ctrl-C.
    pub const fn interrupt() -> SignalKind {
        SignalKind(sig::SIGINT)
    }

    /// `SIGIO`: I/O is possible on a descriptor set up for it.
    pub const fn io() -> SignalKind {
        SignalKind(sig::SIGIO)
    }

    /// `SIGPIPE`: a write to a pipe with no reader.
    pub const fn pipe() -> SignalKind {
        SignalKind(sig::SIGPIPE)
    }

    /// `SIGQUIT`: Ctrl-\.
    pub const fn quit() -> SignalKind {
        SignalKind(sig::SIGQUIT)
    }

    /// `SIGTERM`: a polite request to terminate.
    pub const fn terminate() -> SignalKind {
        SignalKind(sig::SIGTERM)
    }

    /// `SIGUSR1`.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(sig::SIGUSR1)
    }

    /// `SIGUSR2`.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(sig::SIGUSR2)
    }

    /// `SIGWINCH`: the terminal window changed size.
    pub const fn window_change() -> SignalKind {
        SignalKind(sig::SIGWINCH)
    }
}

impl From<i32> for SignalKind {
    fn from(signum: i32) -> SignalKind {
        SignalKind(signum)
    }
}

impl From<SignalKind> for i32 {
    fn from(kind: SignalKind) -> i32 {
        kind.0
    }
}

/// The deliveries of one signal, from [`signal`].
///
/// Each [`recv`](Signal::recv) returns once per delivery made since the
/// previous one returned (deliveries in between are coalesced into one).
/// Dropping it removes this listener; the handler stays installed (see
/// [`crate::signal`]).
pub struct Signal {
    listener: Listener,
    handle: Handle,
    kind: SignalKind,
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal").field("kind", &self.kind).finish()
    }
}

/// Listens for `kind` from now on: installs its handler (once per process)
/// and makes the current runtime's reactor watch for deliveries.
///
/// Fails for signals that cannot be caught or must not be (`SIGKILL`,
/// `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`), naming the signal.
///
/// # Panics
///
/// Outside a runtime, with a message naming the fix.
///
/// ```
/// use weft::signal::unix::{signal, SignalKind};
///
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     assert!(signal(SignalKind::from_raw(9)).is_err()); // SIGKILL
///     let _term = signal(SignalKind::terminate())?;
///     Ok::<_, std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let handle = Handle::current();
    let slot = registry::slot(kind.0)?;
    registry::enable(&handle.inner)?;
    Ok(Signal {
        listener: Listener::new(slot),
        handle,
        kind,
    })
}

impl Signal {
    /// Waits for the next delivery. `None` once the runtime this listener
    /// was created in has shut down.
    ///
    /// ```
    /// use weft::signal::unix::{signal, SignalKind};
    ///
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut usr2 = signal(SignalKind::user_defined2())?;
    ///     // Nobody sends one here, so this would wait forever:
    ///     let r = weft::time::timeout(std::time::Duration::from_millis(10), usr2.recv()).await;
    ///     assert!(r.is_err());
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The poll form of [`recv`](Signal::recv): `Ready(Some(()))` for a
    /// delivery, `Ready(None)` after shutdown.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        if self.handle.is_shutdown() {
            return Poll::Ready(None);
        }
        match self.listener.poll_recv(cx) {
            Poll::Ready(()) => Poll::Ready(Some(())),
            Poll::Pending if self.handle.is_shutdown() => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}
