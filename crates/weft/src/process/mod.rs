//! Child processes on the runtime's reactor.
//!
//! [`Command`] is std's builder with async `status` and `output`; its
//! [`spawn`](Command::spawn) gives a [`Child`] whose `wait` is a future and
//! whose piped stdio ([`ChildStdin`], [`ChildStdout`], [`ChildStderr`])
//! implement [`AsyncWrite`](crate::io::AsyncWrite) and
//! [`AsyncRead`](crate::io::AsyncRead).
//!
//! ```
//! use weft::io::AsyncReadExt;
//! use weft::process::Command;
//! use std::process::Stdio;
//!
//! let rt = weft::Runtime::new()?;
//! rt.block_on(async {
//!     let out = Command::new("echo").arg("hello").output().await?;
//!     assert!(out.status.success());
//!     assert_eq!(out.stdout, b"hello\n");
//!
//!     let mut child = Command::new("printf").arg("a\nb\n").stdout(Stdio::piped()).spawn()?;
//!     let mut text = String::new();
//!     child.stdout.take().unwrap().read_to_string(&mut text).await?;
//!     assert_eq!(text, "a\nb\n");
//!     assert!(child.wait().await?.success());
//!     Ok::<_, std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # How exits are observed
//!
//! No thread waits for a child. On Linux 5.3 and later, [`Command::spawn`]
//! opens a *pidfd* for the child (`pidfd_open`) and registers it with the
//! reactor; it becomes readable when the child exits, and `wait` then
//! reaps the child with a non-blocking `waitpid`. Where pidfds are missing
//! (older kernels, other Unixes, a seccomp filter that refuses the call),
//! `wait` listens for `SIGCHLD` through [`crate::signal`] instead and
//! tries a non-blocking `waitpid` after each delivery (the handler for
//! `SIGCHLD` then stays installed, as described there).
//!
//! # Zombies
//!
//! A [`Child`] dropped before it was waited for is not left a zombie: it
//! goes to a queue of orphans, reaped without blocking when it is queued,
//! on every `SIGCHLD` the reactor dispatches, and whenever another child
//! is spawned. With [`Command::kill_on_drop`], it is sent `SIGKILL` first.
//! (So the first such drop installs a `SIGCHLD` handler for the life of the
//! process; it chains any handler installed before, and `SIGCHLD`'s default
//! action is to be ignored, so nothing else changes.)
//! As with std, dropping a `Child` does not kill it by default.

mod child;
mod command;
mod pipe;

pub use child::Child;
pub use command::Command;
pub use pipe::{ChildStderr, ChildStdin, ChildStdout};
