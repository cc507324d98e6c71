//! Signals, delivered through the runtime's reactor.
//!
//! [`ctrl_c`] waits for `SIGINT`; [`unix::signal`] gives a [`unix::Signal`]
//! whose `recv` yields each delivery of one signal. Any number of
//! listeners may exist for one signal, in one runtime or several: each
//! sees each delivery. Deliveries that come while a listener is not
//! looking are reported once (coalesced, as the OS coalesces a signal that
//! is already pending).
//!
//! ```
//! use weft::signal::unix::{signal, SignalKind};
//!
//! let rt = weft::Runtime::new()?;
//! rt.block_on(async {
//!     let mut hup = signal(SignalKind::hangup())?;
//!     # let _ = &mut hup;
//!     // In a server: `while hup.recv().await.is_some() { reload_config() }`
//!     Ok::<_, std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # How a delivery reaches a listener
//!
//! The handler of a signal does two async-signal-safe things: it sets the
//! signal's `pending` flag and writes a byte to a non-blocking self-pipe.
//! The pipe's read end is registered with the `mio::Poll` of every reactor
//! that has a listener; when it becomes readable, the worker driving that
//! reactor drains it, and every signal whose flag was set gets a new
//! *generation* and wakes its listeners. The protocol, and why no delivery
//! is lost when a listener registers during a dispatch, is in the private
//! module `signal::slot`, checked by `loom-tests/tests/reactor_signal.rs`.
//!
//! **Why a self-pipe with signal-hook:** a handler may do almost nothing
//! (no locks, no allocation, no waker calls), so it must hand the delivery
//! to a thread that can; the reactor already blocks in `epoll_wait`, so a
//! descriptor it watches is the way to reach it without a thread of our
//! own. `signal-hook` registers the handlers (chaining any handler
//! installed before, and refusing `SIGKILL`, `SIGSTOP` and the fault
//! signals) with safe functions for exactly these two actions
//! (`flag::register`, `low_level::pipe::register_raw`), so this crate needs
//! no `unsafe` for it.
//!
//! # Dropping the last listener
//!
//! The handler stays installed for the life of the process, as in tokio:
//! once a program has listened for `SIGINT`, a later Ctrl-C no longer
//! terminates it by default. Deliveries with no listener are dropped at the
//! next dispatch; a listener created later does not see them. (Restoring
//! the default disposition would race with deliveries still in flight and
//! with other libraries' handlers chained behind ours, so weft does not.)
//!
//! # Shutdown
//!
//! When the runtime a listener was created in shuts down, its `recv`
//! returns `None`.

pub(crate) mod registry;
mod slot;

pub mod unix;

#[doc(hidden)]
pub use slot::{Listener, SignalSlot};

use std::io;

/// Waits for the next Ctrl-C (`SIGINT`).
///
/// The first call installs the handler (see the [module docs](self) for
/// what that means once the listener is gone); deliveries before the call
/// are not seen. For a loop that handles every Ctrl-C, keep one
/// [`unix::Signal`] for [`unix::SignalKind::interrupt`] instead.
///
/// Fails when the handler cannot be installed, or with the runtime's
/// "shut down" error once the runtime stops.
///
/// # Panics
///
/// Outside a runtime, with a message naming the fix.
///
/// ```no_run
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     weft::signal::ctrl_c().await?;
///     println!("shutting down");
///     Ok::<_, std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut sig = unix::signal(unix::SignalKind::interrupt())?;
    match sig.recv().await {
        Some(()) => Ok(()),
        None => Err(crate::shutdown_error()),
    }
}
