//! [`TcpListener`]: accepts TCP connections on the shared reactor.
//!
//! `accept` is the [`IoSource`] loop over the non-blocking `accept(2)`. An
//! error other than `WouldBlock` (for example `EMFILE`, out of file
//! descriptors) is returned to the caller, never retried in a loop: the
//! caller decides whether to back off.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;

use super::socket::{TcpSocket, DEFAULT_BACKLOG};
use super::stream::TcpStream;
use crate::io_driver::scheduled_io::Direction;
use crate::io_driver::IoSource;
use crate::net::addr::{each_addr, resolve_labelled, Op, ToSocketAddrs};
use crate::Handle;

/// A TCP listening socket.
///
/// It is also a [`Stream`] of accepted connections (each an
/// `io::Result<TcpStream>`; an accept error such as `EMFILE` is an item,
/// and the stream never ends).
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use weft::net::TcpListener;
///
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// println!("listening on {}", listener.local_addr()?);
/// loop {
///     let (stream, peer) = listener.accept().await?;
///     # drop((stream, peer)); break;
/// }
/// # Ok(()) }
/// ```
pub struct TcpListener {
    io: IoSource<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (with `SO_REUSEADDR`, and a listen backlog of 1024,
    /// tokio's; build a [`TcpSocket`] to choose another), trying each
    /// address it resolves to in turn.
    ///
    /// A failure names the address: "address 127.0.0.1:8080 is already in
    /// use: ..." (the [`io::ErrorKind`] is the OS error's).
    ///
    /// # Panics
    /// Outside a runtime.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        let handle = Handle::current();
        let resolved = resolve_labelled(&handle, addr).await?;
        each_addr(&resolved.label, Op::Bind, resolved.addrs, |a| {
            let handle = handle.clone();
            async move {
                let socket = TcpSocket::for_addr(a)?;
                #[cfg(unix)]
                socket.set_reuseaddr(true)?;
                socket.bind(a)?;
                socket.listen_with(DEFAULT_BACKLOG, handle)
            }
        })
        .await
    }

    pub(crate) fn from_mio(sys: mio::net::TcpListener, handle: Handle) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: IoSource::with_handle(sys, handle)?,
        })
    }

    /// Wraps a bound std listener, setting it non-blocking.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```no_run
    /// # fn demo() -> std::io::Result<()> {
    /// let std = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let listener = weft::net::TcpListener::from_std(std)?;
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: IoSource::new(mio::net::TcpListener::from_std(listener))?,
        })
    }

    /// Deregisters the listener and returns it as a std listener, still in
    /// non-blocking mode (call `set_nonblocking(false)` for blocking use).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// let std = rt.block_on(async {
    ///     let listener = weft::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     listener.into_std()
    /// })?;
    /// assert!(std.local_addr()?.port() != 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        Ok(self.io.into_inner().into())
    }

    /// Waits for a connection.
    ///
    /// An error (for example `EMFILE`, out of file descriptors) is
    /// returned as it is, never retried here: the caller decides how long
    /// to back off before accepting again.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection; the task is woken when one may be ready.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (sys, addr) = ready!(self.io.poll_io(cx, Direction::Read, |l| l.accept()))?;
        let stream = TcpStream::from_mio(sys, self.io.handle().clone())?;
        Poll::Ready(Ok((stream, addr)))
    }

    /// The bound address (with the port the OS chose, for port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets the IP time-to-live of accepted sockets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// Reads the IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}

impl Stream for TcpListener {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_accept(cx).map(|r| Some(r.map(|(stream, _)| stream)))
    }
}

crate::net::fd_impls!(TcpListener);
