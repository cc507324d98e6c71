//! [`TcpStream`]: a TCP connection on the shared reactor.
//!
//! Reads and writes are the [`IoSource`] loop (budget, readiness, try,
//! clear on `WouldBlock`). The read and write directions have separate
//! waiters, so one task can read while another writes (see
//! [`TcpStream::split`] and [`TcpStream::into_split`]).
//!
//! Connecting: the non-blocking `connect` is started, then the stream waits
//! for writability. A writable socket has either connected or failed:
//! `SO_ERROR` (`take_error`) holds the failure (a refused connection is an
//! `ECONNREFUSED` error, never a hang); `peer_addr` succeeding means
//! connected; `NotConnected` means the event was spurious, so readiness is
//! cleared and it waits again.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::socket::TcpSocket;
use super::split::{split, split_owned, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::io_driver::scheduled_io::Direction;
use crate::io_driver::IoSource;
use crate::net::addr::{each_addr, resolve_labelled, Op, ToSocketAddrs};
use crate::Handle;

/// A TCP connection. Implements [`AsyncRead`] and [`AsyncWrite`];
/// `poll_close` shuts down the write direction.
///
/// Its descriptor is reachable ([`AsFd`](std::os::fd::AsFd)), so
/// `socket2::SockRef::from(&stream)` sets any option weft has no method
/// for.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use weft::io::{AsyncReadExt, AsyncWriteExt};
/// use weft::net::TcpStream;
///
/// let mut stream = TcpStream::connect("127.0.0.1:8080").await?;
/// stream.write_all(b"ping").await?;
/// let mut buf = [0; 4];
/// stream.read_exact(&mut buf).await?;
/// # Ok(()) }
/// ```
pub struct TcpStream {
    pub(crate) io: IoSource<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, trying each address it resolves to in turn.
    /// Literal addresses need no DNS; host names use the runtime's resolver
    /// (see [`ToSocketAddrs`]).
    ///
    /// A failure names each address tried and why it failed ("connection
    /// to 127.0.0.1:1 refused: ..."); the [`io::ErrorKind`] is the last
    /// OS error's.
    ///
    /// # Panics
    /// Outside a runtime.
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        let handle = Handle::current();
        let resolved = resolve_labelled(&handle, addr).await?;
        each_addr(&resolved.label, Op::Connect, resolved.addrs, |a| {
            let handle = handle.clone();
            async move { TcpSocket::for_addr(a)?.connect_with(a, handle).await }
        })
        .await
    }

    /// Waits for the non-blocking connect to finish.
    pub(crate) async fn connected(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_connected(cx)).await
    }

    fn poll_connected(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let event = ready!(self.io.poll_ready(cx, Direction::Write))?;
            let sys = self.io.get_ref();
            if let Some(e) = sys.take_error()? {
                return Poll::Ready(Err(e));
            }
            match sys.peer_addr() {
                Ok(_) => return Poll::Ready(Ok(())),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    self.io.clear_readiness(event);
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    pub(crate) fn from_mio(sys: mio::net::TcpStream, handle: Handle) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: IoSource::with_handle(sys, handle)?,
        })
    }

    /// Wraps a connected std stream, setting it non-blocking.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```no_run
    /// # fn demo() -> std::io::Result<()> {
    /// let std = std::net::TcpStream::connect("127.0.0.1:8080")?;
    /// let stream = weft::net::TcpStream::from_std(std)?;
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Ok(TcpStream {
            io: IoSource::new(mio::net::TcpStream::from_std(stream))?,
        })
    }

    /// Deregisters the stream and returns it as a std stream, still in
    /// non-blocking mode (call `set_nonblocking(false)` for blocking use).
    /// Bytes already received stay in the socket for the std stream to read.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        Ok(self.io.into_inner().into())
    }

    /// Sets `SO_LINGER`; see [`TcpSocket::set_linger`].
    pub fn set_linger(&self, dur: Option<std::time::Duration>) -> io::Result<()> {
        socket2::SockRef::from(self.io.get_ref()).set_linger(dur)
    }

    /// Reads `SO_LINGER`.
    pub fn linger(&self) -> io::Result<Option<std::time::Duration>> {
        socket2::SockRef::from(self.io.get_ref()).linger()
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm when `true`).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Reads `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// Reads the IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Shuts down the read, write or both directions (no waiting).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Waits until the stream is readable (or closed, or in error).
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.io.poll_ready(cx, Direction::Read).map_ok(drop)).await
    }

    /// Waits until the stream is writable (or closed, or in error).
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.io.poll_ready(cx, Direction::Write).map_ok(drop)).await
    }

    /// Reads once without waiting; `WouldBlock` if no data is ready.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Read, |mut s| io::Read::read(&mut s, buf))
    }

    /// Writes once without waiting; `WouldBlock` if the send buffer is full.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Write, |mut s| io::Write::write(&mut s, buf))
    }

    /// Reads into `buf` without removing the data from the queue.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.io(Direction::Read, |s| s.peek(buf)).await
    }

    /// Borrowed read and write halves, usable from one task concurrently.
    ///
    /// With `weft::io::AsyncReadExt` in scope, `stream.split()` resolves to
    /// that trait's by-value `split` (a lock-based split of any reader)
    /// instead of this method; write `TcpStream::split(&mut stream)` or
    /// `(&mut stream).split()` to get these zero-cost halves.
    ///
    /// ```no_run
    /// # async fn demo(mut stream: weft::net::TcpStream) {
    /// use weft::net::TcpStream;
    /// let (read, write) = TcpStream::split(&mut stream);
    /// # }
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split(self)
    }

    /// Owned read and write halves, movable to different tasks. Dropping
    /// the write half shuts down the write direction.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned(self)
    }

    pub(crate) fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, buf)
    }

    pub(crate) fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    pub(crate) fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }

    pub(crate) fn shutdown_write(&self) -> Poll<io::Result<()>> {
        match self.shutdown(Shutdown::Write) {
            // Already shut down or reset: there is nothing left to close.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Poll::Ready(Ok(())),
            r => Poll::Ready(r),
        }
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [io::IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read_vectored(cx, bufs)
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.shutdown_write()
    }
}

crate::net::fd_impls!(TcpStream);
