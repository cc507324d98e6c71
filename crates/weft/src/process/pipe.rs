//! The parent's ends of a child's piped stdio, on the reactor.
//!
//! Each wraps std's pipe end, made non-blocking and registered with the
//! current reactor (mio's `unix::pipe` types do both conversions).

use std::fmt;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use mio::unix::pipe::{Receiver, Sender};
use weft_reactor::Source;

use crate::io::{AsyncRead, AsyncWrite};

fn registered<P: mio::event::Source>(
    pipe: P,
    nonblocking: impl FnOnce(&P) -> io::Result<()>,
) -> io::Result<Source<P>> {
    nonblocking(&pipe)?;
    Source::new(pipe)
}

/// The write end of a child's stdin. Dropping it (or
/// [`close`](crate::io::AsyncWriteExt::close)) closes the pipe, so the
/// child reads end of file.
pub struct ChildStdin {
    pipe: Option<Source<Sender>>,
}

/// The read end of a child's stdout; reads end of file once the child
/// (and every process it handed the pipe to) has closed it.
pub struct ChildStdout {
    pipe: Source<Receiver>,
}

/// The read end of a child's stderr; see [`ChildStdout`].
pub struct ChildStderr {
    pipe: Source<Receiver>,
}

impl ChildStdin {
    #[track_caller]
    pub(super) fn new(std: std::process::ChildStdin) -> io::Result<ChildStdin> {
        let pipe = registered(Sender::from(std), |p| p.set_nonblocking(true))?;
        Ok(ChildStdin { pipe: Some(pipe) })
    }

    fn closed() -> io::Error {
        io::Error::new(
            io::ErrorKind::BrokenPipe,
            "this ChildStdin was closed: the child's stdin pipe is gone",
        )
    }

    fn poll_write_inner(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match &self.pipe {
            Some(p) => p.poll_write_with(cx, |mut s| s.write(buf)),
            None => Poll::Ready(Err(Self::closed())),
        }
    }
}

impl ChildStdout {
    #[track_caller]
    pub(super) fn new(std: std::process::ChildStdout) -> io::Result<ChildStdout> {
        let pipe = registered(Receiver::from(std), |p| p.set_nonblocking(true))?;
        Ok(ChildStdout { pipe })
    }
}

impl ChildStderr {
    #[track_caller]
    pub(super) fn new(std: std::process::ChildStderr) -> io::Result<ChildStderr> {
        let pipe = registered(Receiver::from(std), |p| p.set_nonblocking(true))?;
        Ok(ChildStderr { pipe })
    }
}

fn poll_read_pipe(pipe: &Source<Receiver>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
    pipe.poll_read_with(cx, |mut r| r.read(buf))
}

impl AsyncWrite for ChildStdin {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_inner(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A pipe has no buffer of ours: every write went to the kernel.
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.pipe = None;
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for ChildStdout {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        poll_read_pipe(&self.pipe, cx, buf)
    }
}

impl AsyncRead for ChildStderr {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        poll_read_pipe(&self.pipe, cx, buf)
    }
}

#[cfg(feature = "tokio-io")]
mod tokio_io {
    use super::*;

    fn fill(
        buf: &mut tokio::io::ReadBuf<'_>,
        read: impl FnOnce(&mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<()>> {
        let n = std::task::ready!(read(buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }

    impl tokio::io::AsyncRead for ChildStdout {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            fill(buf, |b| poll_read_pipe(&self.pipe, cx, b))
        }
    }

    impl tokio::io::AsyncRead for ChildStderr {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            fill(buf, |b| poll_read_pipe(&self.pipe, cx, b))
        }
    }

    impl tokio::io::AsyncWrite for ChildStdin {
        fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            self.poll_write_inner(cx, buf)
        }

        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.pipe = None;
            Poll::Ready(Ok(()))
        }
    }
}

impl fmt::Debug for ChildStdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fd = self.pipe.as_ref().map(|p| p.get_ref().as_raw_fd());
        f.debug_struct("ChildStdin").field("fd", &fd).finish()
    }
}

macro_rules! read_end_fd {
    ($ty:ident) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let fd = self.pipe.get_ref().as_raw_fd();
                f.debug_struct(stringify!($ty)).field("fd", &fd).finish()
            }
        }

        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.pipe.get_ref().as_fd()
            }
        }

        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.pipe.get_ref().as_raw_fd()
            }
        }
    };
}

read_end_fd!(ChildStdout);
read_end_fd!(ChildStderr);
