//! `tokio::io::AsyncRead` and `AsyncWrite` for the stream types (feature
//! `tokio-io`), so crates written against tokio's I/O traits take weft's
//! streams directly. tokio is a dependency for its traits only: no tokio
//! runtime, reactor or timer is involved.
//!
//! Each impl goes through the type's `futures-io` impl. A read first
//! initialises the unfilled part of tokio's `ReadBuf` (safe code; `ReadBuf`
//! remembers what is initialised, so a buffer reused across reads is
//! zeroed once), reads into it, then advances the filled mark.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::tcp::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, TcpStream, WriteHalf};
#[cfg(unix)]
use super::unix::UnixStream;

macro_rules! tokio_read {
    ($($t:ty),*) => {$(
        impl tokio::io::AsyncRead for $t {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let n = ready!(futures_io::AsyncRead::poll_read(self, cx, buf.initialize_unfilled()))?;
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
        }
    )*};
}

macro_rules! tokio_write {
    ($($t:ty),*) => {$(
        impl tokio::io::AsyncWrite for $t {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                futures_io::AsyncWrite::poll_write(self, cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                futures_io::AsyncWrite::poll_write_vectored(self, cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                // `writev` underneath.
                true
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                futures_io::AsyncWrite::poll_flush(self, cx)
            }

            /// Shuts down the write direction (the peer reads EOF).
            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                futures_io::AsyncWrite::poll_close(self, cx)
            }
        }
    )*};
}

tokio_read!(TcpStream, ReadHalf<'_>, OwnedReadHalf);
tokio_write!(TcpStream, WriteHalf<'_>, OwnedWriteHalf);
#[cfg(unix)]
tokio_read!(UnixStream);
#[cfg(unix)]
tokio_write!(UnixStream);
