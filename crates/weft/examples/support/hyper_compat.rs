//! hyper 1.x on weft: the three small pieces hyper needs from a runtime.
//!
//! * [`WeftIo`]: wraps any `futures-io` stream (a [`weft::net::TcpStream`],
//!   a `UnixStream`, or any other `AsyncRead + AsyncWrite + Unpin`) so it
//!   implements [`hyper::rt::Read`] and [`hyper::rt::Write`].
//! * [`WeftExecutor`]: a [`hyper::rt::Executor`] that spawns with
//!   [`weft::spawn`] (hyper uses it for HTTP/2 streams and background
//!   connection tasks).
//! * [`WeftTimer`]: a [`hyper::rt::Timer`] on weft's timer wheel (hyper uses
//!   it for `header_read_timeout`, keep-alive and HTTP/2 pings).
//!
//! ```ignore
//! #[path = "support/hyper_compat.rs"]
//! mod hyper_compat;
//! use hyper_compat::{WeftIo, WeftTimer};
//!
//! let (stream, _) = listener.accept().await?;
//! hyper::server::conn::http1::Builder::new()
//!     .timer(WeftTimer)
//!     .serve_connection(WeftIo::new(stream), service)
//!     .await?;
//! ```
//!
//! No `unsafe`: reads go through a per-connection buffer that is zeroed once
//! and [`ReadBufCursor::put_slice`] (see [`WeftIo`] for the trade-off).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::ReadBufCursor;
use weft::io::{AsyncRead, AsyncWrite};

/// Largest single read [`WeftIo`] does, and so the most its buffer grows to.
const MAX_READ: usize = 64 * 1024;

/// A `futures-io` stream seen through hyper's I/O traits.
///
/// `futures-io`'s `poll_read` needs an initialised `&mut [u8]`, while hyper
/// hands out a possibly uninitialised [`ReadBufCursor`] whose `advance` is
/// `unsafe`. hyper builds a fresh cursor for every read, so initialising it
/// (`initialize_unfilled`) would zero 8 KiB or more on every call, including
/// the calls that end in `WouldBlock`: in the hyper hello-world bench that
/// memset was 6% of the CPU profile. Instead each `WeftIo` owns a buffer that
/// is zeroed once, when it grows (lazily, to what hyper asks for, at most
/// [`MAX_READ`] bytes); reads land there and the bytes read are copied into
/// hyper's buffer with the safe [`ReadBufCursor::put_slice`]. The costs are
/// that buffer per connection (8 KiB for typical HTTP/1 traffic, since hyper
/// reads 8 KiB at a time unless a body streams faster) and one copy of the
/// bytes read; there is no `unsafe`.
#[derive(Debug)]
pub struct WeftIo<T> {
    inner: T,
    /// Zero-initialised read buffer; empty until the first read.
    scratch: Vec<u8>,
}

impl<T> WeftIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        WeftIo {
            inner,
            scratch: Vec::new(),
        }
    }

    /// The wrapped stream.
    #[allow(dead_code)]
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// Unwraps the stream.
    #[allow(dead_code)]
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for WeftIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let len = buf.remaining().min(MAX_READ);
        if this.scratch.len() < len {
            this.scratch.resize(len, 0);
        }
        let chunk = &mut this.scratch[..len];
        let n = ready!(Pin::new(&mut this.inner).poll_read(cx, chunk))?;
        // `put_slice` panics if `n > remaining`; a reader returning more
        // than it was given is broken, but say so as an error instead.
        let read = chunk.get(..n).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "poll_read returned more bytes than the buffer holds",
            )
        })?;
        buf.put_slice(read);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for WeftIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }

    fn is_write_vectored(&self) -> bool {
        // `futures-io` has no way to ask; weft's sockets implement
        // `poll_write_vectored` with `writev`, so let hyper queue buffers.
        true
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
}

/// Spawns hyper's background futures on the current weft runtime, detached.
///
/// # Panics
/// `execute` panics outside a weft runtime, as [`weft::spawn`] does.
#[derive(Clone, Copy, Debug, Default)]
pub struct WeftExecutor;

impl<F> hyper::rt::Executor<F> for WeftExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        // Dropping the JoinHandle detaches the task.
        drop(weft::spawn(fut));
    }
}

/// hyper's timer on weft's timer wheel.
#[derive(Clone, Copy, Debug, Default)]
pub struct WeftTimer;

/// A [`weft::time::Sleep`] that hyper can hold as a `dyn hyper::rt::Sleep`.
#[derive(Debug)]
pub struct WeftSleep {
    inner: weft::time::Sleep,
}

impl Future for WeftSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // `weft::time::Sleep` is `Unpin`.
        Pin::new(&mut self.inner).poll(cx)
    }
}

impl hyper::rt::Sleep for WeftSleep {}

impl hyper::rt::Timer for WeftTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(WeftSleep {
            inner: weft::time::sleep(duration),
        })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(WeftSleep {
            inner: weft::time::sleep_until(deadline),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        // Reuse the wheel entry when the sleep is ours; otherwise replace it.
        match sleep.as_mut().downcast_mut_pin::<WeftSleep>() {
            Some(mut ours) => Pin::new(&mut ours.inner).reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}
