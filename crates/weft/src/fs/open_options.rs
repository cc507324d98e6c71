//! [`OpenOptions`]: std's, opening on the blocking pool.

use std::io;
use std::path::Path;

use super::{asyncify, named, File};

/// How to open a [`File`]: std's [`std::fs::OpenOptions`] with an async
/// [`open`](OpenOptions::open).
///
/// ```
/// use weft::fs::OpenOptions;
/// use weft::io::AsyncWriteExt;
///
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let path = std::env::temp_dir().join(format!("weft-oo-doc-{}", std::process::id()));
///     let mut f = OpenOptions::new().create(true).append(true).open(&path).await?;
///     f.write_all(b"one line\n").await?;
///     f.flush().await?;
///     weft::fs::remove_file(&path).await
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions(std::fs::OpenOptions);

impl Default for OpenOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl OpenOptions {
    /// Nothing set: say at least `read` or `write`.
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.0.read(read);
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.0.write(write);
        self
    }

    /// Open for appending: every write goes to the end.
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.0.append(append);
        self
    }

    /// Truncate an existing file to length 0.
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.0.truncate(truncate);
        self
    }

    /// Create the file if it does not exist.
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.0.create(create);
        self
    }

    /// Create the file, failing if it exists.
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.0.create_new(create_new);
        self
    }

    /// The permission bits of a file this creates (before the umask).
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.0, mode);
        self
    }

    /// Extra `open(2)` flags, such as `O_NOFOLLOW`.
    #[cfg(unix)]
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut self.0, flags);
        self
    }

    /// Opens `path` with these options; the error names the path.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let (opts, path) = (self.0.clone(), path.as_ref().to_owned());
        let std = asyncify(move || opts.open(&path).map_err(|e| named(e, "open", &path))).await?;
        Ok(File::from_std(std))
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(std: std::fs::OpenOptions) -> OpenOptions {
        OpenOptions(std)
    }
}
