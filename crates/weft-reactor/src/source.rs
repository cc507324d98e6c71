//! [`Source`]: a mio source on the current reactor, for the facade's
//! `weft::process` (child pipes, pidfds), whose types live in `weft` so
//! that they can carry its optional trait impls.
//!
//! Not a public API. It is the net types' [`IoSource`] behind a small,
//! stable surface: every operation takes budget, waits for readiness, and
//! retries after `WouldBlock` (see `io_driver::io_source`).

use std::fmt;
use std::io;
use std::task::{Context, Poll};

use crate::io_driver::scheduled_io::Direction;
use crate::io_driver::IoSource;

/// A mio source registered with the current reactor for read and write
/// readiness; deregistered when dropped.
#[doc(hidden)]
pub struct Source<S: mio::event::Source> {
    io: IoSource<S>,
}

impl<S: mio::event::Source> Source<S> {
    /// Registers `io` with the current reactor.
    ///
    /// # Panics
    /// Outside a runtime, with a message naming the fix.
    #[track_caller]
    pub fn new(io: S) -> io::Result<Self> {
        Ok(Source {
            io: IoSource::new(io)?,
        })
    }

    /// The source.
    pub fn get_ref(&self) -> &S {
        self.io.get_ref()
    }

    /// Runs the non-blocking `op` once the source is readable, retrying
    /// after `WouldBlock`.
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.io.poll_io(cx, Direction::Read, op)
    }

    /// Runs the non-blocking `op` once the source is writable, retrying
    /// after `WouldBlock`.
    pub fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.io.poll_io(cx, Direction::Write, op)
    }
}

impl<S: mio::event::Source + fmt::Debug> fmt::Debug for Source<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}
