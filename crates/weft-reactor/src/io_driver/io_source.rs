//! [`IoSource`]: a mio source registered with the current reactor.
//!
//! Every operation goes through [`IoSource::poll_io`]:
//!
//! 1. take a unit of cooperative budget (`weft_executor::coop`); if the
//!    task's budget is spent, return `Pending` (the task was woken and goes to
//!    the back of the queue);
//! 2. wait for readiness in the operation's direction;
//! 3. try the non-blocking operation; on `WouldBlock`, clear the readiness
//!    that was observed (by tick, so a newer event survives) and go to 2;
//!    any other result counts as progress and is returned.
//!
//! Dropping an `IoSource` deregisters the source from mio and frees its slot;
//! the generation in the token keeps late events away from the next owner.

use std::future::poll_fn;
use std::io;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use mio::{Interest, Token};
use weft_executor::coop;

use super::scheduled_io::{Direction, Ready, ReadyEvent, ScheduledIo};
use crate::reactor::shutdown_error;
use crate::Handle;

/// A mio source plus its registration with a reactor.
pub(crate) struct IoSource<S: mio::event::Source> {
    io: Option<S>,
    handle: Handle,
    token: Token,
    shared: Arc<ScheduledIo>,
}

impl<S: mio::event::Source> IoSource<S> {
    /// Registers `io` for read and write readiness with the current reactor.
    ///
    /// # Panics
    /// Outside a runtime (see [`Handle::current`]).
    #[track_caller]
    pub(crate) fn new(io: S) -> io::Result<Self> {
        Self::with_handle(io, Handle::current())
    }

    pub(crate) fn with_handle(mut io: S, handle: Handle) -> io::Result<Self> {
        let (token, shared) = handle
            .inner
            .add_source(&mut io, Interest::READABLE | Interest::WRITABLE)?;
        Ok(IoSource {
            io: Some(io),
            handle,
            token,
            shared,
        })
    }

    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    pub(crate) fn get_ref(&self) -> &S {
        self.io.as_ref().expect("IoSource used after into_inner")
    }

    /// Deregisters the source from the reactor and hands it back (for the
    /// net types' `into_std`). Waiters still parked on it are not woken: the
    /// caller owns the only reference, so none can be. A failed deregister
    /// is ignored, as in `Drop`: a late event for the released token is
    /// dropped by its generation check, so the socket stays usable.
    pub(crate) fn into_inner(mut self) -> S {
        let mut io = self.io.take().expect("IoSource used after into_inner");
        let _ = self.handle.inner.registry.deregister(&mut io);
        // Dropping `self` now only releases the token (`io` is taken).
        drop(self);
        io
    }

    /// Waits for readiness in `direction` (taking budget). Returns the event
    /// for a later [`clear_readiness`](Self::clear_readiness).
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let coop = ready!(coop::poll_proceed(cx));
        let event = ready!(self.shared.poll_ready(cx, direction));
        if event.is_shutdown {
            return Poll::Ready(Err(shutdown_error()));
        }
        coop.made_progress();
        Poll::Ready(Ok(event))
    }

    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.shared.clear_readiness(event);
    }

    /// Runs `op` once if the source is ready in `direction`, without waiting
    /// or registering a waker; `WouldBlock` otherwise.
    pub(crate) fn try_io<R>(
        &self,
        direction: Direction,
        op: impl FnOnce(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        let Some(event) = self.shared.ready_event(direction) else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        if event.is_shutdown {
            return Err(shutdown_error());
        }
        let result = op(self.get_ref());
        if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.shared.clear_readiness(event);
        }
        result
    }

    /// Runs the non-blocking `op` when the source is ready in `direction`,
    /// retrying after `WouldBlock` (see the module docs).
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let coop = ready!(coop::poll_proceed(cx));
        loop {
            let event = ready!(self.shared.poll_ready(cx, direction));
            if event.is_shutdown {
                return Poll::Ready(Err(shutdown_error()));
            }
            match op(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.shared.clear_readiness(event);
                }
                result => {
                    coop.made_progress();
                    return Poll::Ready(result);
                }
            }
        }
    }

    /// The async form of [`poll_io`](Self::poll_io).
    pub(crate) async fn io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(cx, direction, &mut op)).await
    }
}

impl<S: mio::event::Source> IoSource<S>
where
    for<'a> &'a S: io::Read + io::Write,
{
    /// A read that waits for readability.
    ///
    /// For stream sockets only: a read that returns fewer bytes than asked
    /// for has drained the socket's receive buffer, so readiness is cleared
    /// right away (as on `WouldBlock`) instead of costing one more `read`
    /// that would only say `WouldBlock`. The clear is tick-checked, so an
    /// event that arrived meanwhile is kept. It is skipped when the peer
    /// has closed: the closed bits are cleared with readiness, and a reader
    /// must still see the EOF that follows the last bytes.
    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let coop = ready!(coop::poll_proceed(cx));
        loop {
            let event = ready!(self.shared.poll_ready(cx, Direction::Read));
            if event.is_shutdown {
                return Poll::Ready(Err(shutdown_error()));
            }
            match io::Read::read(&mut self.get_ref(), buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.shared.clear_readiness(event);
                }
                result => {
                    if let Ok(n) = result {
                        let closed = event
                            .ready
                            .intersects(Ready::READ_CLOSED.union(Ready::WRITE_CLOSED));
                        if n > 0 && n < buf.len() && !closed {
                            self.shared.clear_readiness(event);
                        }
                    }
                    coop.made_progress();
                    return Poll::Ready(result);
                }
            }
        }
    }

    /// A vectored read that waits for readability.
    pub(crate) fn poll_read_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [io::IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(cx, Direction::Read, |mut s| io::Read::read_vectored(&mut s, bufs))
    }

    /// A write that waits for writability.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_io(cx, Direction::Write, |mut s| io::Write::write(&mut s, buf))
    }

    /// A vectored write that waits for writability.
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(cx, Direction::Write, |mut s| {
            io::Write::write_vectored(&mut s, bufs)
        })
    }
}

impl<S: mio::event::Source> Drop for IoSource<S> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            // Errors are ignored: the source is being closed anyway.
            let _ = self.handle.inner.registry.deregister(&mut io);
        }
        self.handle.inner.release(self.token);
    }
}

impl<S: mio::event::Source + std::fmt::Debug> std::fmt::Debug for IoSource<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("IoSource").field(&self.io).finish()
    }
}
