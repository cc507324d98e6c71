//! [`read_dir`]: a directory's entries, fetched in batches on the blocking
//! pool.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{FileType, Metadata};
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::{asyncify, named};
use crate::task::JoinHandle;

/// Entries fetched per trip to the blocking pool: one hop per entry would
/// cost a thread handoff each; a whole huge directory at once would hold
/// it all in memory. (tokio's figure.)
const BATCH: usize = 32;

type Batch = (std::fs::ReadDir, VecDeque<io::Result<DirEntry>>, bool);

/// Opens a directory for listing ([`std::fs::read_dir`]); the error names
/// the path. Entries come from [`ReadDir::next_entry`], without `.` and
/// `..`, in no particular order.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let mut entries = weft::fs::read_dir(".").await?;
///     while let Some(entry) = entries.next_entry().await? {
///         println!("{}", entry.path().display());
///     }
///     Ok::<_, std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let dir =
        asyncify(move || std::fs::read_dir(&path).map_err(|e| named(e, "read directory", &path))).await?;
    Ok(ReadDir {
        state: State::Idle(Some(dir), VecDeque::new(), false),
    })
}

enum State {
    /// The std iterator (taken while a batch is fetched), entries fetched
    /// and not yet returned, and whether the iterator is exhausted.
    Idle(Option<std::fs::ReadDir>, VecDeque<io::Result<DirEntry>>, bool),
    Busy(JoinHandle<Batch>),
}

/// A directory's entries, from [`read_dir`].
#[derive(Debug)]
pub struct ReadDir {
    state: State,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            State::Idle(_, buf, done) => f
                .debug_struct("Idle")
                .field("buffered", &buf.len())
                .field("done", done)
                .finish(),
            State::Busy(_) => f.write_str("Busy"),
        }
    }
}

impl ReadDir {
    /// The next entry, or `None` after the last.
    ///
    /// Cancel-safe: an entry is never lost when the future is dropped.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// The poll form of [`next_entry`](ReadDir::next_entry).
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.state {
                State::Idle(dir, buf, done) => {
                    if let Some(entry) = buf.pop_front() {
                        return Poll::Ready(entry.map(Some));
                    }
                    if *done {
                        return Poll::Ready(Ok(None));
                    }
                    let mut std = dir.take().expect("ReadDir: iterator missing while idle");
                    let mut buf = std::mem::take(buf);
                    self.state = State::Busy(super::spawn(move || {
                        let mut done = false;
                        for _ in 0..BATCH {
                            match std.next() {
                                Some(e) => buf.push_back(e.map(|std| DirEntry(Arc::new(std)))),
                                None => {
                                    done = true;
                                    break;
                                }
                            }
                        }
                        (std, buf, done)
                    }));
                }
                State::Busy(handle) => match ready!(std::pin::Pin::new(handle).poll(cx)) {
                    Ok((std, buf, done)) => self.state = State::Idle(Some(std), buf, done),
                    Err(e) => {
                        // The batch is gone with its task: end the listing.
                        self.state = State::Idle(None, VecDeque::new(), true);
                        return Poll::Ready(Err(e.into()));
                    }
                },
            }
        }
    }
}

/// One entry of a directory, from [`ReadDir::next_entry`].
#[derive(Debug, Clone)]
pub struct DirEntry(Arc<std::fs::DirEntry>);

impl DirEntry {
    /// The directory's path joined with the entry's name.
    pub fn path(&self) -> PathBuf {
        self.0.path()
    }

    /// The entry's name, without the directory.
    pub fn file_name(&self) -> OsString {
        self.0.file_name()
    }

    /// The entry's inode number (from the directory listing; no system
    /// call).
    #[cfg(unix)]
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&*self.0)
    }

    /// The entry's metadata, not following a symlink.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let e = self.0.clone();
        asyncify(move || e.metadata().map_err(|err| named(err, "stat", &e.path()))).await
    }

    /// The entry's file type, not following a symlink (usually known from
    /// the listing; a `stat` on the blocking pool otherwise).
    pub async fn file_type(&self) -> io::Result<FileType> {
        let e = self.0.clone();
        asyncify(move || e.file_type().map_err(|err| named(err, "stat", &e.path()))).await
    }
}
