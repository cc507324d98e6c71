//! Unix domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`].
//!
//! Same protocol as TCP and UDP. [`UnixListener::bind`] and
//! [`UnixDatagram::bind`] are synchronous (a path needs no resolution, and
//! binding does not block), as in tokio; [`UnixStream::connect`] is async.

mod datagram;
mod stream;

pub use datagram::UnixDatagram;
pub use std::os::unix::net::SocketAddr;
pub use stream::{UnixListener, UnixStream};
