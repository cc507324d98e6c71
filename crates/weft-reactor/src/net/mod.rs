//! Networking on the shared reactor: TCP, UDP and Unix sockets.
//!
//! Every type here owns a non-blocking mio socket registered with the
//! current runtime's reactor when it is created (so creating one outside a
//! runtime panics, naming the fix). Each operation:
//!
//! 1. takes one unit of the task's cooperative budget;
//! 2. waits for readiness in its direction (read or write, with separate
//!    waiters, so one task may read while another writes, and several
//!    tasks may wait on a shared listener or socket);
//! 3. tries the system call; `WouldBlock` clears the readiness it observed
//!    and goes back to 2, anything else is returned.
//!
//! Behaviour worth knowing:
//!
//! * a refused `connect` is an error (`ConnectionRefused`), never a hang;
//! * a peer that closed reads as EOF (`Ok(0)`);
//! * an `accept` error such as `EMFILE` is returned, never spun on;
//! * after the runtime shuts down, every operation fails with an
//!   `io::Error` saying so;
//! * dropping a socket deregisters it from the reactor;
//! * every type gives its descriptor (`AsFd`, `AsRawFd`), so
//!   `socket2::SockRef::from(&stream)` reaches any socket option, and
//!   `into_std` deregisters it and hands back the std type;
//! * with the `tokio-io` feature, the streams (and TCP's split halves)
//!   also implement `tokio::io::AsyncRead` and `AsyncWrite`;
//! * errors of `bind`, `connect` and lookups name the address or host
//!   that failed, keeping the OS error's `io::ErrorKind`.
//!
//! Addresses: `bind`, `connect` and `send_to` take any [`ToSocketAddrs`].
//! Literal addresses resolve at once; host names go through the resolver the
//! runtime installed (see [`ToSocketAddrs`]'s module docs).

pub(crate) mod addr;
mod fd;
mod tcp;
#[cfg(feature = "tokio-io")]
mod tokio_io;
mod udp;
#[cfg(unix)]
mod unix;

pub(crate) use fd::fd_impls;

/// What an address argument turns into; for the facade's `lookup_host`.
#[doc(hidden)]
pub use addr::ToAddrs;
pub use addr::{ResolveFuture, Resolver, ToSocketAddrs};
pub use tcp::{
    OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, TcpListener, TcpSocket, TcpStream, WriteHalf,
};
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{SocketAddr as UnixSocketAddr, UnixDatagram, UnixListener, UnixStream};

/// Split halves of a [`TcpStream`], under tokio's paths.
pub mod tcp_halves {
    pub use super::tcp::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
}
