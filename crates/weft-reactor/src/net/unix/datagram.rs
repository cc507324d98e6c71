//! [`UnixDatagram`].

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crate::io_driver::scheduled_io::Direction;
use crate::io_driver::IoSource;

/// A Unix datagram socket.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use weft::net::UnixDatagram;
/// let (a, b) = UnixDatagram::pair()?;
/// a.send(b"hi").await?;
/// let mut buf = [0; 2];
/// assert_eq!(b.recv(&mut buf).await?, 2);
/// # Ok(()) }
/// ```
pub struct UnixDatagram {
    io: IoSource<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds to `path`.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        Self::wrap(mio::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address (it can send, and receive replies only
    /// if connected).
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        Self::wrap(mio::net::UnixDatagram::unbound()?)
    }

    /// A connected pair of sockets.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((Self::wrap(a)?, Self::wrap(b)?))
    }

    /// Wraps a std socket, setting it non-blocking.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        Self::wrap(mio::net::UnixDatagram::from_std(socket))
    }

    /// Deregisters the socket and returns it as a std socket, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        Ok(self.io.into_inner().into())
    }

    #[track_caller]
    fn wrap(sys: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: IoSource::new(sys)?,
        })
    }

    /// Sets the default peer.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.io(Direction::Write, |s| s.send(buf)).await
    }

    /// Receives from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.io(Direction::Read, |s| s.recv(buf)).await
    }

    /// Sends to the socket at `path`.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io.io(Direction::Write, |s| s.send_to(buf, path)).await
    }

    /// Receives one datagram and its source address.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.io(Direction::Read, |s| s.recv_from(buf)).await
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Shuts down the read, write or both directions.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}

crate::net::fd_impls!(UnixDatagram);
