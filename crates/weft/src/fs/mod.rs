//! Files and directories, on the runtime's blocking pool.
//!
//! Linux has no readiness for regular files (they are always "ready", and a
//! read may still block on the disk), so every operation here is std's, run
//! on the blocking pool ([`crate::spawn_blocking`]) and awaited; nothing
//! std does is written again. The free functions mirror `std::fs` (and
//! tokio's `fs`); [`File`] buffers as tokio's does (see its docs).
//!
//! Errors keep the OS error's [`ErrorKind`](std::io::ErrorKind) and name
//! the path: `could not open /x/y: No such file or directory (os error 2)`
//! (the OS error is the [`source`](std::error::Error::source)).
//!
//! ```
//! let rt = weft::Runtime::new()?;
//! rt.block_on(async {
//!     let dir = std::env::temp_dir().join(format!("weft-fs-doc-{}", std::process::id()));
//!     weft::fs::create_dir_all(&dir).await?;
//!     weft::fs::write(dir.join("a.txt"), b"hello").await?;
//!     assert_eq!(weft::fs::read_to_string(dir.join("a.txt")).await?, "hello");
//!     let err = weft::fs::read(dir.join("missing")).await.unwrap_err();
//!     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
//!     assert!(err.to_string().contains("missing"));
//!     weft::fs::remove_dir_all(&dir).await
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Panics
//!
//! Every function here needs a runtime (for its blocking pool) and panics
//! outside one, naming the fix.

mod file;
mod open_options;
mod read_dir;

pub use file::File;
pub use open_options::OpenOptions;
pub use read_dir::{read_dir, DirEntry, ReadDir};

use std::error::Error;
use std::fmt;
use std::fs::{Metadata, Permissions};
use std::io;
use std::path::{Path, PathBuf};

/// An OS error, with what was being done and to which path.
#[derive(Debug)]
struct PathError {
    what: &'static str,
    path: PathBuf,
    to: Option<PathBuf>,
    source: io::Error,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not {} {}", self.what, self.path.display())?;
        if let Some(to) = &self.to {
            write!(f, " to {}", to.display())?;
        }
        write!(f, ": {}", self.source)
    }
}

impl Error for PathError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

/// `e`, naming `what` was done to `path` (same kind).
pub(crate) fn named(e: io::Error, what: &'static str, path: &Path) -> io::Error {
    let kind = e.kind();
    io::Error::new(
        kind,
        PathError {
            what,
            path: path.to_owned(),
            to: None,
            source: e,
        },
    )
}

fn named2(e: io::Error, what: &'static str, from: &Path, to: &Path) -> io::Error {
    let kind = e.kind();
    io::Error::new(
        kind,
        PathError {
            what,
            path: from.to_owned(),
            to: Some(to.to_owned()),
            source: e,
        },
    )
}

/// Runs `f` on the blocking pool and waits for it.
#[track_caller]
pub(crate) fn asyncify<F, R>(f: F) -> impl std::future::Future<Output = io::Result<R>>
where
    F: FnOnce() -> io::Result<R> + Send + 'static,
    R: Send + 'static,
{
    let handle = spawn(f);
    async move { handle.await? }
}

/// [`crate::spawn_blocking`], with a panic outside a runtime that says it
/// was a file operation.
#[track_caller]
pub(crate) fn spawn<F, R>(f: F) -> crate::task::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    crate::runtime::context::with_current(|rt| match rt {
        Some(rt) => rt.blocking.spawn_blocking(f),
        None => panic!(
            "weft::fs: file operations run on the runtime's blocking pool: {}",
            crate::runtime::handle::NO_RUNTIME
        ),
    })
}

/// Runs the std function `op` on `path` on the blocking pool, naming the
/// path in its error.
#[track_caller]
fn on_path<R: Send + 'static>(
    path: &Path,
    what: &'static str,
    op: impl FnOnce(&Path) -> io::Result<R> + Send + 'static,
) -> impl std::future::Future<Output = io::Result<R>> {
    let path = path.to_owned();
    asyncify(move || op(&path).map_err(|e| named(e, what, &path)))
}

/// Reads a whole file ([`std::fs::read`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-read", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// assert_eq!(weft::fs::read(dir.join("a.txt")).await?, b"hello");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    on_path(path.as_ref(), "read", |p| std::fs::read(p)).await
}

/// Reads a whole file as UTF-8 ([`std::fs::read_to_string`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-read_to_string", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// assert_eq!(weft::fs::read_to_string(dir.join("a.txt")).await?, "hello");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    on_path(path.as_ref(), "read", |p| std::fs::read_to_string(p)).await
}

/// Writes `contents` to a file, creating or truncating it
/// ([`std::fs::write`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-write", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// weft::fs::write(dir.join("b.txt"), "written").await?;
/// assert_eq!(std::fs::read(dir.join("b.txt"))?, b"written");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let contents = contents.as_ref().to_owned();
    on_path(path.as_ref(), "write", move |p| std::fs::write(p, contents)).await
}

/// Creates a directory ([`std::fs::create_dir`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-create_dir", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// weft::fs::create_dir(dir.join("sub")).await?;
/// assert!(weft::fs::create_dir(dir.join("sub")).await.is_err()); // exists
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path.as_ref(), "create directory", |p| std::fs::create_dir(p)).await
}

/// Creates a directory and its missing parents ([`std::fs::create_dir_all`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-create_dir_all", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// weft::fs::create_dir_all(dir.join("x/y/z")).await?;
/// weft::fs::create_dir_all(dir.join("x/y/z")).await?; // exists: fine
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path.as_ref(), "create directory", |p| std::fs::create_dir_all(p)).await
}

/// Metadata of a path, following symlinks ([`std::fs::metadata`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-metadata", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// assert_eq!(weft::fs::metadata(dir.join("a.txt")).await?.len(), 5);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    on_path(path.as_ref(), "stat", |p| std::fs::metadata(p)).await
}

/// Metadata of a path, not following a final symlink
/// ([`std::fs::symlink_metadata`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-symlink_metadata", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// weft::fs::symlink(dir.join("a.txt"), dir.join("link")).await?;
/// let m = weft::fs::symlink_metadata(dir.join("link")).await?;
/// assert!(m.file_type().is_symlink());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    on_path(path.as_ref(), "stat", |p| std::fs::symlink_metadata(p)).await
}

/// Removes a file ([`std::fs::remove_file`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-remove_file", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// weft::fs::remove_file(dir.join("a.txt")).await?;
/// assert!(!weft::fs::try_exists(dir.join("a.txt")).await?);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path.as_ref(), "remove", |p| std::fs::remove_file(p)).await
}

/// Removes an empty directory ([`std::fs::remove_dir`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-remove_dir", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// weft::fs::create_dir(dir.join("empty")).await?;
/// weft::fs::remove_dir(dir.join("empty")).await?;
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path.as_ref(), "remove directory", |p| std::fs::remove_dir(p)).await
}

/// Removes a directory and everything in it ([`std::fs::remove_dir_all`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-remove_dir_all", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// weft::fs::create_dir_all(dir.join("t/u")).await?;
/// weft::fs::remove_dir_all(dir.join("t")).await?;
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path.as_ref(), "remove directory", |p| std::fs::remove_dir_all(p)).await
}

/// Renames a file or directory, replacing `to` if it exists
/// ([`std::fs::rename`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-rename", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// weft::fs::rename(dir.join("a.txt"), dir.join("b.txt")).await?;
/// assert_eq!(weft::fs::read(dir.join("b.txt")).await?, b"hello");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify(move || std::fs::rename(&from, &to).map_err(|e| named2(e, "rename", &from, &to))).await
}

/// Copies a file's contents and permissions; returns the bytes copied
/// ([`std::fs::copy`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-copy", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// assert_eq!(weft::fs::copy(dir.join("a.txt"), dir.join("c.txt")).await?, 5);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify(move || std::fs::copy(&from, &to).map_err(|e| named2(e, "copy", &from, &to))).await
}

/// Creates a hard link `dst` to `src` ([`std::fs::hard_link`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-hard_link", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// weft::fs::hard_link(dir.join("a.txt"), dir.join("h.txt")).await?;
/// assert_eq!(weft::fs::read(dir.join("h.txt")).await?, b"hello");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn hard_link(src: impl AsRef<Path>, dst: impl AsRef<Path>) -> io::Result<()> {
    let (src, dst) = (src.as_ref().to_owned(), dst.as_ref().to_owned());
    asyncify(move || std::fs::hard_link(&src, &dst).map_err(|e| named2(e, "link", &src, &dst))).await
}

/// Creates a symbolic link `dst` pointing at `src`
/// ([`std::os::unix::fs::symlink`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-symlink", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// weft::fs::symlink("a.txt", dir.join("s")).await?;
/// assert_eq!(weft::fs::read_link(dir.join("s")).await?, std::path::Path::new("a.txt"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[cfg(unix)]
pub async fn symlink(src: impl AsRef<Path>, dst: impl AsRef<Path>) -> io::Result<()> {
    let (src, dst) = (src.as_ref().to_owned(), dst.as_ref().to_owned());
    asyncify(move || std::os::unix::fs::symlink(&src, &dst).map_err(|e| named2(e, "symlink", &src, &dst)))
        .await
}

/// The absolute path with symlinks resolved ([`std::fs::canonicalize`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-canonicalize", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// let abs = weft::fs::canonicalize(dir.join("./a.txt")).await?;
/// assert!(abs.is_absolute() && abs.ends_with("a.txt"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    on_path(path.as_ref(), "canonicalize", |p| std::fs::canonicalize(p)).await
}

/// Where a symlink points ([`std::fs::read_link`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-read_link", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// std::os::unix::fs::symlink("a.txt", dir.join("s"))?;
/// assert_eq!(weft::fs::read_link(dir.join("s")).await?, std::path::Path::new("a.txt"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    on_path(path.as_ref(), "read link", |p| std::fs::read_link(p)).await
}

/// Sets a path's permissions ([`std::fs::set_permissions`]).
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-set_permissions", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// let mut perm = weft::fs::metadata(dir.join("a.txt")).await?.permissions();
/// perm.set_readonly(true);
/// weft::fs::set_permissions(dir.join("a.txt"), perm).await?;
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn set_permissions(path: impl AsRef<Path>, perm: Permissions) -> io::Result<()> {
    on_path(path.as_ref(), "set permissions of", move |p| {
        std::fs::set_permissions(p, perm)
    })
    .await
}

/// `Ok(true)` if the path exists, `Ok(false)` if it does not, an error if
/// that cannot be told ([`std::fs::exists`]: permission denied on a
/// parent, ...). A broken symlink does not exist.
/// ```
/// # let rt = weft::Runtime::new()?;
/// # rt.block_on(async {
/// # let dir = std::env::temp_dir().join(format!("weft-fs-ex-{}-try_exists", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a.txt"), b"hello")?;
/// assert!(weft::fs::try_exists(dir.join("a.txt")).await?);
/// assert!(!weft::fs::try_exists(dir.join("nope")).await?);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    on_path(path.as_ref(), "check", |p| p.try_exists()).await
}
