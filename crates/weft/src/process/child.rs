//! [`Child`]: a running process, its exit watched by the reactor.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{ExitStatus, Output};
use std::task::{ready, Context, Poll};

use mio::unix::SourceFd;
use weft_reactor::Source;

use super::pipe::{ChildStderr, ChildStdin, ChildStdout};
use crate::io::AsyncReadExt;
use crate::signal::unix::{signal, Signal, SignalKind};

/// A pidfd as a mio source: readable once the process has exited.
#[derive(Debug)]
struct PidFd(OwnedFd);

impl mio::event::Source for PidFd {
    fn register(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &mio::Registry) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).deregister(registry)
    }
}

/// How the exit reaches the reactor.
enum ExitWatch {
    /// Linux 5.3+: the child's pidfd, readable at exit.
    PidFd(Source<PidFd>),
    /// Elsewhere: `SIGCHLD` deliveries, each followed by a `waitpid`.
    Sigchld(Signal),
}

impl ExitWatch {
    #[track_caller]
    fn new(child: &std::process::Child) -> io::Result<ExitWatch> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            // The child is not reaped yet, so its pid cannot have been
            // reused: the pidfd refers to this child.
            let pid = rustix::process::Pid::from_child(child);
            if let Ok(fd) = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()) {
                return Ok(ExitWatch::PidFd(Source::new(PidFd(fd))?));
            }
        }
        let _ = child;
        Ok(ExitWatch::Sigchld(signal(SignalKind::child())?))
    }
}

/// A child process started by [`Command::spawn`](super::Command::spawn).
///
/// Its piped stdio is in the public fields, to be taken.
/// [`wait`](Child::wait) waits for the exit through the reactor, and reaps
/// it.
/// Dropped while it runs, it is reaped later without blocking anyone (and
/// killed first with [`kill_on_drop`](super::Command::kill_on_drop)).
///
/// ```
/// use weft::process::Command;
///
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let mut child = Command::new("sleep").arg("60").spawn()?;
///     assert!(child.id().is_some());
///     assert!(child.try_wait()?.is_none());
///     child.kill().await?;
///     assert!(!child.wait().await?.success());
///     assert!(child.id().is_none()); // reaped
///     Ok::<_, std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Child {
    /// The child's stdin, if it was [piped](std::process::Stdio::piped).
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if it was piped.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if it was piped.
    pub stderr: Option<ChildStderr>,
    /// `None` once the child has been handed to the orphan queue (never
    /// seen by a user: that happens in `Drop`).
    child: Option<std::process::Child>,
    watch: ExitWatch,
    status: Option<ExitStatus>,
    kill_on_drop: bool,
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.child.as_ref().map(|c| c.id()))
            .field("status", &self.status)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}

impl Child {
    #[track_caller]
    pub(super) fn new(child: std::process::Child, kill_on_drop: bool) -> io::Result<Child> {
        Child::with_watch(child, ExitWatch::new, kill_on_drop)
    }

    #[track_caller]
    fn with_watch(
        mut child: std::process::Child,
        watch: impl FnOnce(&std::process::Child) -> io::Result<ExitWatch>,
        kill_on_drop: bool,
    ) -> io::Result<Child> {
        let watch = watch(&child);
        let pipes = (
            child.stdin.take().map(ChildStdin::new).transpose(),
            child.stdout.take().map(ChildStdout::new).transpose(),
            child.stderr.take().map(ChildStderr::new).transpose(),
        );
        let (watch, stdin, stdout, stderr) = match (watch, pipes) {
            (Ok(w), (Ok(i), Ok(o), Ok(e))) => (w, i, o, e),
            (Err(e), _) | (_, (Err(e), _, _)) | (_, (_, Err(e), _)) | (_, (_, _, Err(e))) => {
                // Never leave the child running unwatched.
                let _ = child.kill();
                weft_reactor::orphan::push(child);
                return Err(e);
            }
        };
        Ok(Child {
            stdin,
            stdout,
            stderr,
            child: Some(child),
            watch,
            status: None,
            kill_on_drop,
        })
    }

    fn std(&mut self) -> &mut std::process::Child {
        self.child.as_mut().expect("weft::process::Child used after drop")
    }

    /// The OS process id, or `None` once the child has been reaped (the
    /// id may then belong to another process).
    pub fn id(&self) -> Option<u32> {
        match self.status {
            Some(_) => None,
            None => self.child.as_ref().map(|c| c.id()),
        }
    }

    /// The exit status if the child has exited (reaping it), `None` if it
    /// still runs; never blocks.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let status = self.std().try_wait()?;
        self.status = status;
        Ok(status)
    }

    /// Sends `SIGKILL` without waiting for the exit (a later
    /// [`wait`](Child::wait) reaps it). Nothing happens if the child has
    /// already been reaped.
    pub fn start_kill(&mut self) -> io::Result<()> {
        if self.try_wait()?.is_some() {
            return Ok(());
        }
        self.std().kill()
    }

    /// Sends `SIGKILL` and waits for the child to exit.
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await.map(drop)
    }

    /// Waits for the child to exit and reaps it. Closes the child's stdin
    /// first (if it is still here), so a child reading its input to the end
    /// is not left waiting for it.
    ///
    /// Cancel-safe: dropping the future leaves the child as it was.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        poll_fn(|cx| self.poll_wait(cx)).await
    }

    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        if let Some(status) = self.status {
            return Poll::Ready(Ok(status));
        }
        let child = self.child.as_mut().expect("weft::process::Child used after drop");
        let status = match &mut self.watch {
            ExitWatch::PidFd(fd) => ready!(fd.poll_read_with(cx, |_| match child.try_wait() {
                Ok(Some(status)) => Ok(status),
                Ok(None) => Err(io::ErrorKind::WouldBlock.into()),
                Err(e) => Err(e),
            })),
            ExitWatch::Sigchld(sigchld) => loop {
                // Look first: the exit may predate the listener.
                match child.try_wait() {
                    Ok(Some(status)) => break Ok(status),
                    Ok(None) => {}
                    Err(e) => break Err(e),
                }
                if ready!(sigchld.poll_recv(cx)).is_none() {
                    break Err(io::Error::other(
                        "the weft runtime has shut down: cannot wait for the child process",
                    ));
                }
            },
        }?;
        self.status = Some(status);
        weft_reactor::orphan::reap();
        Poll::Ready(Ok(status))
    }

    /// Waits for the exit while reading stdout and stderr to their ends
    /// (concurrently, so a child filling one pipe is not blocked while the
    /// other is read).
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let read_all = |pipe: Option<Box<dyn crate::io::AsyncRead + Send + Unpin>>| async move {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                p.read_to_end(&mut buf).await?;
            }
            Ok::<_, io::Error>(buf)
        };
        let out = self.stdout.take().map(|p| Box::new(p) as _);
        let err = self.stderr.take().map(|p| Box::new(p) as _);
        let (stdout, stderr) = futures_util::future::try_join(read_all(out), read_all(err)).await?;
        let status = self.wait().await?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_some() {
            return;
        }
        let Some(mut child) = self.child.take() else {
            return;
        };
        if self.kill_on_drop {
            let _ = child.kill();
        }
        weft_reactor::orphan::push(child);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The path taken where pidfds are missing: `SIGCHLD` deliveries, each
    /// followed by a non-blocking `waitpid`.
    #[test]
    fn the_sigchld_fallback_sees_exits_and_kills() {
        let rt = crate::Runtime::new().unwrap();
        rt.block_on(async {
            let sigchld = |_: &std::process::Child| Ok(ExitWatch::Sigchld(signal(SignalKind::child())?));
            let std = std::process::Command::new("sh")
                .args(["-c", "sleep 0.05; exit 5"])
                .spawn()
                .unwrap();
            let mut child = Child::with_watch(std, sigchld, false).unwrap();
            assert!(matches!(child.watch, ExitWatch::Sigchld(_)));
            let status = crate::time::timeout(Duration::from_secs(30), child.wait())
                .await
                .expect("the exit was never observed")
                .unwrap();
            assert_eq!(status.code(), Some(5));

            let std = std::process::Command::new("sleep").arg("60").spawn().unwrap();
            let mut child = Child::with_watch(std, sigchld, false).unwrap();
            crate::time::timeout(Duration::from_secs(30), child.kill())
                .await
                .expect("the kill was never observed")
                .unwrap();
            assert!(child.id().is_none());
        });
    }
}
