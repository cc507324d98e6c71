//! [`File`]: std's file behind one background operation at a time.
//!
//! # Rules (tokio's buffering, restated)
//!
//! 1. **One operation in flight.** A `File` is either idle, holding its
//!    buffer, or busy with one read, write, seek or exclusive operation
//!    running on the blocking pool, which holds the buffer meanwhile.
//! 2. **A write returns once it is queued.** `poll_write` copies up to
//!    `max_buf_size` bytes into the buffer, starts the write, and returns
//!    `Ready(n)` at once; the next operation of any kind first waits for
//!    it. A failed background write is reported by the next write or
//!    flush (or by the seek, read or exclusive operation that finds it).
//! 3. **`flush` and `sync_all` wait.** `flush` returns when no write is
//!    in flight; `sync_all`, `sync_data` and `set_len` wait the same way,
//!    then run on the blocking pool.
//! 4. **Reads read ahead.** A read asks the OS for up to
//!    `min(buf.len(), max_buf_size)` bytes; what the caller did not take
//!    stays buffered for the next read. Before a write, seek or exclusive
//!    operation, the unread bytes are dropped and the OS cursor moved back
//!    over them, so the file position is always the one the caller saw.
//! 5. **Cancellation.** Dropping a read, write, seek or flush future leaves
//!    the operation running; the next call waits for it. Nothing written is
//!    lost by a dropped future.

use std::fmt;
use std::fs::{Metadata, Permissions};
use std::future::{poll_fn, Future};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::{asyncify, OpenOptions};
use crate::io::{AsyncRead, AsyncSeek, AsyncWrite};
use crate::task::JoinHandle;

/// The most one operation moves (rule 2, rule 4): tokio's default, 2 MiB,
/// enough to amortise a pool round trip, small enough to bound memory.
const DEFAULT_MAX_BUF_SIZE: usize = 2 * 1024 * 1024;

/// Bytes read ahead (`data[pos..]` not yet returned) or queued to write.
#[derive(Default)]
struct Buf {
    data: Vec<u8>,
    pos: usize,
}

impl Buf {
    fn is_empty(&self) -> bool {
        self.pos == self.data.len()
    }

    fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = dst.len().min(self.data.len() - self.pos);
        dst[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        if self.is_empty() {
            self.clear();
        }
        n
    }

    fn clear(&mut self) {
        self.data.clear();
        self.pos = 0;
    }

    /// Drops the unread bytes; returns the (negative) offset that moves
    /// the OS cursor back over them (rule 4).
    fn discard_read(&mut self) -> i64 {
        let back = -((self.data.len() - self.pos) as i64);
        self.clear();
        back
    }

    fn read_from(&mut self, mut file: &std::fs::File, len: usize) -> io::Result<usize> {
        debug_assert!(self.is_empty());
        self.data.resize(len, 0);
        let result = loop {
            match file.read(&mut self.data) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r,
            }
        };
        self.data.truncate(*result.as_ref().unwrap_or(&0));
        self.pos = 0;
        result
    }

    fn write_to(&mut self, mut file: &std::fs::File) -> io::Result<()> {
        let result = file.write_all(&self.data[self.pos..]);
        self.clear();
        result
    }
}

/// What the operation in flight was, and its result.
enum Op {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    /// The position asked for, and where it landed.
    Seek(io::Result<u64>),
    /// `sync_all`, `sync_data`, `set_len` (rule 3).
    Exclusive(io::Result<()>),
}

enum State {
    /// No operation in flight. `None` only inside a method, between
    /// taking the buffer and starting the next operation.
    Idle(Option<Buf>),
    Busy(JoinHandle<(Op, Buf)>),
}

/// An open file: std's [`std::fs::File`] run on the blocking pool, with
/// [`AsyncRead`], [`AsyncWrite`] and [`AsyncSeek`] (and tokio's traits with
/// the `tokio-io` feature).
///
/// Writes return once queued; [`flush`](crate::io::AsyncWriteExt::flush)
/// (or [`sync_all`](File::sync_all)) waits for them, and a read, seek or
/// metadata change after a write sees it. The rules are those of tokio's
/// `File`; see the module source for them, numbered. **Flush before
/// dropping** a `File` you wrote to: a write still queued then completes,
/// but its error has nobody to go to.
///
/// ```
/// use weft::fs::File;
/// use weft::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, SeekFrom};
///
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let path = std::env::temp_dir().join(format!("weft-file-doc-{}", std::process::id()));
///     let mut f = weft::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true)
///         .open(&path).await?;
///     f.write_all(b"hello, world").await?;
///     f.seek(SeekFrom::Start(7)).await?;       // waits for the write
///     let mut word = String::new();
///     f.read_to_string(&mut word).await?;
///     assert_eq!(word, "world");
///     f.sync_all().await?;
///     assert_eq!(f.metadata().await?.len(), 12);
///     drop(f);
///     weft::fs::remove_file(&path).await
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct File {
    std: Arc<std::fs::File>,
    state: State,
    /// A background write's error not yet reported (rule 2).
    last_write_err: Option<io::Error>,
    /// Where the last seek landed (tokio's `poll_complete` when idle).
    pos: u64,
    max_buf_size: usize,
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("std", &self.std)
            .field("busy", &matches!(self.state, State::Busy(_)))
            .finish()
    }
}

impl File {
    /// Opens a file for reading; the error names the path.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens a file for writing, creating it or truncating it.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Creates a new file for reading and writing, failing if it exists.
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .await
    }

    /// An [`OpenOptions`] builder (`File::options().append(true).open(p)`).
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open std file.
    pub fn from_std(std: std::fs::File) -> File {
        File {
            std: Arc::new(std),
            state: State::Idle(Some(Buf::default())),
            last_write_err: None,
            pos: 0,
            max_buf_size: DEFAULT_MAX_BUF_SIZE,
        }
    }

    /// The std file, after the operation in flight is done and with the
    /// cursor where this `File`'s reader left it (read-ahead given back).
    /// A background write's error is dropped: [`flush`] first to see it.
    ///
    /// [`flush`]: crate::io::AsyncWriteExt::flush
    pub async fn into_std(mut self) -> std::fs::File {
        let _ = poll_fn(|cx| self.poll_idle(cx)).await;
        let back = self.buf_mut().discard_read();
        let File { std, .. } = self;
        let std = Arc::try_unwrap(std).unwrap_or_else(|shared| {
            // A metadata or try_clone call whose future was dropped still
            // holds a reference; a duplicate descriptor is the same file.
            shared
                .try_clone()
                .expect("weft::fs::File::into_std: could not duplicate the descriptor")
        });
        if back != 0 {
            let _ = (&std).seek(SeekFrom::Current(back));
        }
        std
    }

    /// The file's metadata.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify(move || std.metadata()).await
    }

    /// A second `File` for the same open file (sharing its cursor).
    pub async fn try_clone(&self) -> io::Result<File> {
        let std = self.std.clone();
        asyncify(move || std.try_clone()).await.map(File::from_std)
    }

    /// Sets the file's permissions.
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        let std = self.std.clone();
        asyncify(move || std.set_permissions(perm)).await
    }

    /// Truncates or extends the file to `size` bytes, after the write in
    /// flight (rule 3). The cursor does not move.
    ///
    /// Takes `&mut self` (tokio's takes `&self`): waiting for the
    /// operation in flight needs the owner.
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        self.exclusive(move |f| f.set_len(size)).await
    }

    /// Waits for the write in flight, then `fsync`s data and metadata.
    pub async fn sync_all(&mut self) -> io::Result<()> {
        self.exclusive(|f| f.sync_all()).await
    }

    /// Waits for the write in flight, then `fdatasync`s the data.
    pub async fn sync_data(&mut self) -> io::Result<()> {
        self.exclusive(|f| f.sync_data()).await
    }

    /// The most bytes one read or write moves (default 2 MiB).
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        self.max_buf_size = max_buf_size.max(1);
    }

    /// The buffer, while idle.
    fn buf_mut(&mut self) -> &mut Buf {
        match &mut self.state {
            State::Idle(Some(buf)) => buf,
            _ => unreachable!("weft::fs::File: buffer asked for while busy"),
        }
    }

    /// Starts `op` on the blocking pool with the buffer (rule 1).
    fn start(&mut self, op: impl FnOnce(&std::fs::File, &mut Buf) -> Op + Send + 'static) {
        let mut buf = match &mut self.state {
            State::Idle(buf) => buf.take().expect("weft::fs::File: no buffer while idle"),
            State::Busy(_) => unreachable!("weft::fs::File: two operations in flight"),
        };
        let std = self.std.clone();
        self.state = State::Busy(super::spawn(move || {
            let op = op(&std, &mut buf);
            (op, buf)
        }));
    }

    /// Waits for the operation in flight and returns it (the state is idle
    /// afterwards, even when the task failed).
    fn poll_done(&mut self, cx: &mut Context<'_>) -> Poll<Option<Op>> {
        let State::Busy(handle) = &mut self.state else {
            return Poll::Ready(None);
        };
        let result = ready!(Pin::new(handle).poll(cx));
        let op = match result {
            Ok((op, buf)) => {
                self.state = State::Idle(Some(buf));
                op
            }
            Err(e) => {
                // The task was lost (the runtime shut down); so was the
                // buffer. Report it as the failure of a write, the one
                // kind of operation whose error would otherwise vanish.
                self.state = State::Idle(Some(Buf::default()));
                Op::Write(Err(e.into()))
            }
        };
        if let Op::Seek(Ok(pos)) = &op {
            self.pos = *pos;
        }
        Poll::Ready(Some(op))
    }

    /// Waits until idle, keeping a failed write's error for later.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        while let Some(op) = ready!(self.poll_done(cx)) {
            if let Op::Write(Err(e)) = op {
                self.last_write_err = Some(e);
            }
        }
        Poll::Ready(())
    }

    async fn exclusive(
        &mut self,
        f: impl FnOnce(&std::fs::File) -> io::Result<()> + Send + 'static,
    ) -> io::Result<()> {
        poll_fn(|cx| self.poll_flush_inner(cx)).await?;
        let back = self.buf_mut().discard_read();
        self.start(move |std, _| {
            let seek = || (&*std).seek(SeekFrom::Current(back)).map(drop);
            Op::Exclusive(if back != 0 { seek() } else { Ok(()) }.and_then(|()| f(std)))
        });
        poll_fn(|cx| match ready!(self.poll_done(cx)) {
            Some(Op::Exclusive(r)) => Poll::Ready(r),
            Some(Op::Write(Err(e))) => Poll::Ready(Err(e)),
            _ => unreachable!("weft::fs::File: the exclusive operation went missing"),
        })
        .await
    }

    fn poll_read_inner(&mut self, cx: &mut Context<'_>, dst: &mut [u8]) -> Poll<io::Result<usize>> {
        loop {
            match ready!(self.poll_done(cx)) {
                Some(Op::Read(Ok(0))) => return Poll::Ready(Ok(0)),
                Some(Op::Read(Err(e))) => return Poll::Ready(Err(e)),
                Some(Op::Write(Err(e))) => self.last_write_err = Some(e),
                Some(_) => {}
                None => {
                    let buf = self.buf_mut();
                    if !buf.is_empty() || dst.is_empty() {
                        return Poll::Ready(Ok(buf.copy_to(dst)));
                    }
                    let len = dst.len().min(self.max_buf_size);
                    self.start(move |std, buf| Op::Read(buf.read_from(std, len)));
                }
            }
        }
    }

    fn poll_write_inner(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            match ready!(self.poll_done(cx)) {
                Some(Op::Write(Err(e))) => return Poll::Ready(Err(e)),
                Some(_) => {}
                None => {
                    if let Some(e) = self.last_write_err.take() {
                        return Poll::Ready(Err(e));
                    }
                    if src.is_empty() {
                        return Poll::Ready(Ok(0));
                    }
                    let max = self.max_buf_size;
                    let buf = self.buf_mut();
                    let back = buf.discard_read();
                    let n = src.len().min(max);
                    buf.data.extend_from_slice(&src[..n]);
                    self.start(move |std, buf| {
                        let result = if back != 0 {
                            (&*std).seek(SeekFrom::Current(back)).map(drop)
                        } else {
                            Ok(())
                        };
                        Op::Write(
                            result
                                .and_then(|()| buf.write_to(std))
                                .inspect_err(|_| buf.clear()),
                        )
                    });
                    return Poll::Ready(Ok(n));
                }
            }
        }
    }

    fn poll_flush_inner(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match ready!(self.poll_done(cx)) {
                Some(Op::Write(Err(e))) => return Poll::Ready(Err(e)),
                Some(_) => {}
                None => {
                    return Poll::Ready(match self.last_write_err.take() {
                        Some(e) => Err(e),
                        None => Ok(()),
                    })
                }
            }
        }
    }

    fn start_seek_inner(&mut self, pos: SeekFrom) {
        let back = self.buf_mut().discard_read();
        let pos = match pos {
            SeekFrom::Current(n) => SeekFrom::Current(n + back),
            other => other,
        };
        self.start(move |std, _| Op::Seek((&*std).seek(pos)));
    }

    fn poll_seek_done(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<u64>>> {
        loop {
            match ready!(self.poll_done(cx)) {
                Some(Op::Seek(r)) => return Poll::Ready(Some(r)),
                Some(Op::Write(Err(e))) => self.last_write_err = Some(e),
                Some(_) => {}
                None => return Poll::Ready(None),
            }
        }
    }
}

impl AsyncRead for File {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_inner(cx, buf)
    }
}

impl AsyncWrite for File {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_inner(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_inner(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_inner(cx)
    }
}

impl AsyncSeek for File {
    /// Seeks after the operation in flight. As with every `poll_seek`,
    /// repeat the same call until it is ready.
    fn poll_seek(self: Pin<&mut Self>, cx: &mut Context<'_>, pos: SeekFrom) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        loop {
            match ready!(this.poll_seek_done(cx)) {
                Some(r) => return Poll::Ready(r),
                None => this.start_seek_inner(pos),
            }
        }
    }
}

#[cfg(feature = "tokio-io")]
mod tokio_io {
    use super::*;

    impl tokio::io::AsyncRead for File {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let n = ready!(self.get_mut().poll_read_inner(cx, buf.initialize_unfilled()))?;
            buf.advance(n);
            Poll::Ready(Ok(()))
        }
    }

    impl tokio::io::AsyncWrite for File {
        fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            self.get_mut().poll_write_inner(cx, buf)
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.get_mut().poll_flush_inner(cx)
        }

        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.get_mut().poll_flush_inner(cx)
        }
    }

    impl tokio::io::AsyncSeek for File {
        fn start_seek(self: Pin<&mut Self>, pos: SeekFrom) -> io::Result<()> {
            let this = self.get_mut();
            match this.state {
                State::Busy(_) => Err(io::Error::other(
                    "weft::fs::File: another operation is in flight; \
                     call poll_complete before start_seek",
                )),
                State::Idle(_) => {
                    this.start_seek_inner(pos);
                    Ok(())
                }
            }
        }

        fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
            let this = self.get_mut();
            match ready!(this.poll_seek_done(cx)) {
                Some(r) => Poll::Ready(r),
                None => Poll::Ready(Ok(this.pos)),
            }
        }
    }
}
