//! The I/O traits weft's types implement, and their extension traits.
//!
//! weft's streams implement the runtime-neutral [`futures_io`] traits, so
//! anything written against them works unchanged. This module re-exports
//! them with `futures-util`'s extension traits and helpers, so one `use
//! weft::io::*` gives `read`, `write_all`, `read_line`, `copy` and friends.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use weft::io::{AsyncReadExt, AsyncWriteExt};
//! use weft::net::TcpStream;
//!
//! let mut s = TcpStream::connect("127.0.0.1:7").await?;
//! s.write_all(b"echo").await?;
//! let mut buf = Vec::new();
//! s.read_to_end(&mut buf).await?;
//! # Ok(()) }
//! ```

pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use futures_util::io::{
    copy, copy_buf, empty, repeat, sink, AllowStdIo, AsyncBufReadExt, AsyncReadExt, AsyncSeekExt,
    AsyncWriteExt, BufReader, BufWriter, Cursor, Empty, ReadHalf, Repeat, Sink, WriteHalf,
};
pub use std::io::{Error, ErrorKind, Result, SeekFrom};
