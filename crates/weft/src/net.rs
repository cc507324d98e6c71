//! Networking: TCP, UDP and Unix sockets on the runtime's reactor.
//!
//! `bind` and `connect` are async, as in tokio (`UnixListener::bind` is
//! sync). Streams implement [`AsyncRead`](crate::io::AsyncRead) and
//! [`AsyncWrite`](crate::io::AsyncWrite); see [`crate::io`] for the extension traits.
//!
//! ```
//! use weft::io::{AsyncReadExt, AsyncWriteExt};
//! use weft::net::{TcpListener, TcpStream};
//!
//! let rt = weft::Runtime::new()?;
//! rt.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let server = weft::spawn(async move {
//!         let (mut s, _) = listener.accept().await?;
//!         let mut buf = [0u8; 5];
//!         s.read_exact(&mut buf).await?;
//!         s.write_all(&buf).await?;
//!         Ok::<_, std::io::Error>(())
//!     });
//!     let mut c = TcpStream::connect(addr).await?;
//!     c.write_all(b"hello").await?;
//!     let mut back = [0u8; 5];
//!     c.read_exact(&mut back).await?;
//!     assert_eq!(&back, b"hello");
//!     server.await??;
//!     Ok::<_, std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

pub use weft_reactor::net::*;

use std::io;
use std::net::SocketAddr;

/// Resolves a host name (`"example.com:443"`, `("localhost", 80)`) to
/// socket addresses.
///
/// Literal addresses return at once; names go to the system resolver
/// (`getaddrinfo`) on the runtime's blocking pool, never on a worker. A
/// failure names the host: `failed to look up host "nosuch.invalid:80":
/// ...` (the [`io::ErrorKind`] is the resolver's).
///
/// # Panics
///
/// When a name must be resolved outside a runtime.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// let addrs: Vec<_> = rt.block_on(weft::net::lookup_host("127.0.0.1:8080"))?.collect();
/// assert_eq!(addrs, vec!["127.0.0.1:8080".parse().unwrap()]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn lookup_host(host: impl ToSocketAddrs) -> io::Result<impl Iterator<Item = SocketAddr>> {
    let addrs = match host.to_addrs()? {
        weft_reactor::net::ToAddrs::Addrs(addrs) => addrs,
        weft_reactor::net::ToAddrs::Lookup(name) => {
            crate::spawn_blocking(move || resolve_blocking(&name)).await??
        }
    };
    Ok(addrs.into_iter())
}

/// The system resolver, on the calling thread (a blocking-pool thread).
/// A failure names the host ("failed to look up host \"nosuch.invalid:80\":
/// ..."), keeping the error's kind.
pub(crate) fn resolve_blocking(name: &str) -> io::Result<Vec<SocketAddr>> {
    std::net::ToSocketAddrs::to_socket_addrs(name)
        .map(Iterator::collect)
        .map_err(|e| io::Error::new(e.kind(), format!("failed to look up host {name:?}: {e}")))
}
