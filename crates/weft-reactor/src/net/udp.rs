//! [`UdpSocket`]: datagrams on the shared reactor.
//!
//! Sends wait for writability and receives for readability, through the same
//! budget/readiness/`WouldBlock` loop as streams. Several tasks may share a
//! socket (through an `Arc`): every waiting task is woken by the next event
//! in its direction.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use crate::io_driver::scheduled_io::Direction;
use crate::io_driver::IoSource;
use crate::net::addr::{each_addr, resolve, resolve_labelled, Op, ToSocketAddrs};
use crate::Handle;

/// A UDP socket.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use weft::net::UdpSocket;
///
/// let a = UdpSocket::bind("127.0.0.1:0").await?;
/// let b = UdpSocket::bind("127.0.0.1:0").await?;
/// a.send_to(b"hi", b.local_addr()?).await?;
/// let mut buf = [0; 16];
/// let (n, from) = b.recv_from(&mut buf).await?;
/// assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr()?));
/// # Ok(()) }
/// ```
pub struct UdpSocket {
    io: IoSource<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr`, trying each address it resolves to.
    ///
    /// # Panics
    /// Outside a runtime.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        let handle = Handle::current();
        let resolved = resolve_labelled(&handle, addr).await?;
        each_addr(&resolved.label, Op::Bind, resolved.addrs, |a| {
            let handle = handle.clone();
            async move {
                let sys = mio::net::UdpSocket::bind(a)?;
                Ok(UdpSocket {
                    io: IoSource::with_handle(sys, handle)?,
                })
            }
        })
        .await
    }

    /// Wraps a bound std socket, setting it non-blocking.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: IoSource::new(mio::net::UdpSocket::from_std(socket))?,
        })
    }

    /// Deregisters the socket and returns it as a std socket, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Ok(self.io.into_inner().into())
    }

    /// Sets the default destination for [`send`](Self::send) and the only
    /// source [`recv`](Self::recv) accepts.
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let resolved = resolve_labelled(self.io.handle(), addr).await?;
        each_addr(&resolved.label, Op::Connect, resolved.addrs, |a| async move {
            self.io.get_ref().connect(a)
        })
        .await
    }

    /// Sends to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.io(Direction::Write, |s| s.send(buf)).await
    }

    /// Polls a send to the connected peer.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, |s| s.send(buf))
    }

    /// Receives from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.io(Direction::Read, |s| s.recv(buf)).await
    }

    /// Polls a receive from the connected peer.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Read, |s| s.recv(buf))
    }

    /// Sends to `target` (the first address it resolves to).
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let addrs = resolve(self.io.handle(), target).await?;
        let target = *addrs
            .first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to"))?;
        self.io.io(Direction::Write, |s| s.send_to(buf, target)).await
    }

    /// Receives one datagram and its source address.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// Polls a receive of one datagram and its source address.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(cx, Direction::Read, |s| s.recv_from(buf))
    }

    /// Like [`recv_from`](Self::recv_from), without removing the datagram.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.io(Direction::Read, |s| s.peek_from(buf)).await
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// Reads `SO_BROADCAST`.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// Reads the IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}

crate::net::fd_impls!(UdpSocket);
