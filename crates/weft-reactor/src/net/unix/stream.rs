//! [`UnixListener`] and [`UnixStream`].

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use futures_io::{AsyncRead, AsyncWrite};

use crate::io_driver::scheduled_io::Direction;
use crate::io_driver::IoSource;

/// A Unix stream listening socket.
///
/// It is also a [`Stream`] of accepted connections (each an
/// `io::Result<UnixStream>`; the stream never ends).
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use weft::net::UnixListener;
/// let listener = UnixListener::bind("/tmp/weft.sock")?;
/// let (stream, _addr) = listener.accept().await?;
/// # Ok(()) }
/// ```
pub struct UnixListener {
    io: IoSource<mio::net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` (which must not exist).
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: IoSource::new(mio::net::UnixListener::bind(path)?)?,
        })
    }

    /// Wraps a std listener, setting it non-blocking.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: IoSource::new(mio::net::UnixListener::from_std(listener))?,
        })
    }

    /// Deregisters the listener and returns it as a std listener, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        Ok(self.io.into_inner().into())
    }

    /// Waits for a connection.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (sys, addr) = ready!(self.io.poll_io(cx, Direction::Read, |l| l.accept()))?;
        let io = IoSource::with_handle(sys, self.io.handle().clone())?;
        Poll::Ready(Ok((UnixStream { io }, addr)))
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}

/// A Unix stream connection. Implements [`AsyncRead`] and [`AsyncWrite`];
/// `poll_close` shuts down the write direction.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use weft::io::{AsyncReadExt, AsyncWriteExt};
/// use weft::net::UnixStream;
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"hi").await?;
/// let mut buf = [0; 2];
/// b.read_exact(&mut buf).await?;
/// # Ok(()) }
/// ```
pub struct UnixStream {
    io: IoSource<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// # Panics
    /// Outside a runtime.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let stream = UnixStream {
            io: IoSource::new(mio::net::UnixStream::connect(path)?)?,
        };
        poll_fn(|cx| stream.poll_connected(cx)).await?;
        Ok(stream)
    }

    fn poll_connected(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.io.poll_ready(cx, Direction::Write))?;
        match self.io.get_ref().take_error()? {
            Some(e) => Poll::Ready(Err(e)),
            None => Poll::Ready(Ok(())),
        }
    }

    /// A connected pair of streams.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((
            UnixStream {
                io: IoSource::new(a)?,
            },
            UnixStream {
                io: IoSource::new(b)?,
            },
        ))
    }

    /// Wraps a connected std stream, setting it non-blocking.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream {
            io: IoSource::new(mio::net::UnixStream::from_std(stream))?,
        })
    }

    /// Deregisters the stream and returns it as a std stream, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        Ok(self.io.into_inner().into())
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Shuts down the read, write or both directions.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}

impl AsyncRead for UnixStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, buf)
    }
}

impl AsyncWrite for UnixStream {
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
        match self.shutdown(Shutdown::Write) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Poll::Ready(Ok(())),
            r => Poll::Ready(r),
        }
    }
}

impl Stream for UnixListener {
    type Item = io::Result<UnixStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_accept(cx).map(|r| Some(r.map(|(stream, _)| stream)))
    }
}

crate::net::fd_impls!(UnixListener);
crate::net::fd_impls!(UnixStream);
