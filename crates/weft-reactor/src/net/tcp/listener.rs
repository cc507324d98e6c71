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
use std::task::{ready, Context, Poll};

use super::stream::TcpStream;
use crate::io_driver::scheduled_io::Direction;
use crate::io_driver::IoSource;
use crate::net::addr::{each_addr, resolve, ToSocketAddrs};
use crate::Handle;

/// A TCP listening socket.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use weft_reactor::net::TcpListener;
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
    /// Binds to `addr` (with `SO_REUSEADDR`, backlog 1024), trying each
    /// address it resolves to in turn.
    ///
    /// # Panics
    /// Outside a runtime.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        let handle = Handle::current();
        let addrs = resolve(&handle, addr).await?;
        each_addr(addrs, |a| {
            let handle = handle.clone();
            async move {
                let sys = mio::net::TcpListener::bind(a)?;
                Ok(TcpListener {
                    io: IoSource::with_handle(sys, handle)?,
                })
            }
        })
        .await
    }

    /// Wraps a bound std listener, setting it non-blocking.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```no_run
    /// # fn demo() -> std::io::Result<()> {
    /// let std = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let listener = weft_reactor::net::TcpListener::from_std(std)?;
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: IoSource::new(mio::net::TcpListener::from_std(listener))?,
        })
    }

    /// Waits for a connection.
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
