//! [`TcpSocket`]: a TCP socket not yet listening or connected, to set
//! options on before [`listen`](TcpSocket::listen) or
//! [`connect`](TcpSocket::connect) (tokio's builder, over `socket2`).
//!
//! [`TcpListener::bind`] is this builder with `SO_REUSEADDR` and a backlog
//! of [`DEFAULT_BACKLOG`]; use a `TcpSocket` to choose otherwise.

use std::fmt;
use std::io;
use std::net::SocketAddr;
#[cfg(unix)]
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::listener::TcpListener;
use super::stream::TcpStream;
use crate::net::addr::{describe, Op};
use crate::Handle;

/// The listen backlog of [`TcpListener::bind`]: tokio's value. mio's
/// `bind` listens with 128, which made a burst of 2,000 connects wait about
/// a second each for a SYN retransmit once the queue overflowed (issue 8);
/// the kernel still caps it at `net.core.somaxconn`.
pub(crate) const DEFAULT_BACKLOG: u32 = 1024;

/// A TCP socket that has not yet listened or connected: set its options,
/// [`bind`](Self::bind) it, then [`listen`](Self::listen) or
/// [`connect`](Self::connect). Creating one needs no runtime; `listen` and
/// `connect` register the socket with the current runtime's reactor.
///
/// ```
/// use weft::net::TcpSocket;
///
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let socket = TcpSocket::new_v4()?;
///     socket.set_reuseaddr(true)?;
///     socket.set_recv_buffer_size(64 * 1024)?;
///     socket.bind("127.0.0.1:0".parse().unwrap())?;
///     let listener = socket.listen(4096)?;
///
///     let client = TcpSocket::new_v4()?;
///     client.set_nodelay(true)?;
///     let stream = client.connect(listener.local_addr()?).await?;
///     assert!(stream.nodelay()?);
///     Ok::<_, std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpSocket {
    inner: Socket,
}

impl TcpSocket {
    /// A new IPv4 TCP socket (close-on-exec, non-blocking once it listens
    /// or connects).
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV4)
    }

    /// A new IPv6 TCP socket.
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV6)
    }

    /// A socket of the family of `addr`.
    pub(crate) fn for_addr(addr: SocketAddr) -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::for_address(addr))
    }

    fn new(domain: Domain) -> io::Result<TcpSocket> {
        // socket2 sets close-on-exec atomically where the OS can.
        let inner = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
        Ok(TcpSocket { inner })
    }

    /// Wraps a std stream's socket, to read or set its options the
    /// builder's way.
    pub fn from_std_stream(stream: std::net::TcpStream) -> TcpSocket {
        TcpSocket {
            inner: Socket::from(stream),
        }
    }

    /// Sets `SO_REUSEADDR`: bind to an address with connections still in
    /// `TIME_WAIT` (what a restarted server needs).
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        self.inner.set_reuse_address(reuseaddr)
    }

    /// Reads `SO_REUSEADDR`.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.inner.reuse_address()
    }

    /// Sets `SO_REUSEPORT`: several sockets may bind the same address and
    /// port, and the kernel spreads connections between them.
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        self.inner.set_reuse_port(reuseport)
    }

    /// Reads `SO_REUSEPORT`.
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    pub fn reuseport(&self) -> io::Result<bool> {
        self.inner.reuse_port()
    }

    /// Sets `SO_KEEPALIVE` (the OS's default probe timings).
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        self.inner.set_keepalive(keepalive)
    }

    /// Reads `SO_KEEPALIVE`.
    pub fn keepalive(&self) -> io::Result<bool> {
        self.inner.keepalive()
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm when `true`).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_tcp_nodelay(nodelay)
    }

    /// Reads `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.tcp_nodelay()
    }

    /// Sets `SO_LINGER`: with `Some(d)`, closing waits up to `d` for unsent
    /// data (`Some(Duration::ZERO)` resets the connection on close);
    /// `None` is the default background close.
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        self.inner.set_linger(dur)
    }

    /// Reads `SO_LINGER`.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.inner.linger()
    }

    /// Sets `SO_RCVBUF`. The kernel may round it (Linux doubles it for its
    /// own bookkeeping), so read it back with
    /// [`recv_buffer_size`](Self::recv_buffer_size).
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_recv_buffer_size(size as usize)
    }

    /// Reads `SO_RCVBUF`.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.inner
            .recv_buffer_size()
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Sets `SO_SNDBUF` (rounded by the kernel, as for the receive buffer).
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_send_buffer_size(size as usize)
    }

    /// Reads `SO_SNDBUF`.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.inner
            .send_buffer_size()
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Binds to `addr`. The error names the address ("address
    /// 127.0.0.1:8080 is already in use: ...").
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner
            .bind(&SockAddr::from(addr))
            .map_err(|e| describe(Op::Bind, addr, e))
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "TcpSocket: not an IP socket address"))
    }

    /// The pending error (`SO_ERROR`), cleared by reading it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// Starts listening with room for `backlog` connections not yet
    /// accepted (the kernel caps it at `net.core.somaxconn`), and registers
    /// the listener with the current runtime.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        self.listen_with(backlog, Handle::current())
    }

    pub(crate) fn listen_with(self, backlog: u32, handle: Handle) -> io::Result<TcpListener> {
        let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        self.inner.listen(backlog)?;
        self.inner.set_nonblocking(true)?;
        let std = std::net::TcpListener::from(self.inner);
        TcpListener::from_mio(mio::net::TcpListener::from_std(std), handle)
    }

    /// Connects to `addr`, consuming the socket. A failure names the
    /// address ("connection to 127.0.0.1:1 refused: ...").
    ///
    /// # Panics
    /// Outside a runtime.
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        let handle = Handle::current();
        self.connect_with(addr, handle)
            .await
            .map_err(|e| describe(Op::Connect, addr, e))
    }

    pub(crate) async fn connect_with(self, addr: SocketAddr, handle: Handle) -> io::Result<TcpStream> {
        self.inner.set_nonblocking(true)?;
        match self.inner.connect(&SockAddr::from(addr)) {
            Ok(()) => {}
            // The usual answer of a non-blocking connect: the handshake has
            // started, and writability will say how it ended.
            #[cfg(unix)]
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(e),
        }
        let std = std::net::TcpStream::from(self.inner);
        let stream = TcpStream::from_mio(mio::net::TcpStream::from_std(std), handle)?;
        stream.connected().await?;
        Ok(stream)
    }
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpSocket")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

#[cfg(unix)]
impl AsFd for TcpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(unix)]
impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}
