//! Networking: TCP, UDP and Unix sockets on the runtime's reactor.
//!
//! `bind` and `connect` are async, as in tokio (`UnixListener::bind` is
//! sync). Streams implement [`futures_io::AsyncRead`] and
//! [`futures_io::AsyncWrite`]; see [`crate::io`] for the extension traits.
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
