//! [`Command`]: std's builder, spawning onto the reactor.

use std::ffi::OsStr;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

use super::child::Child;

/// A process builder: std's [`std::process::Command`] with an async
/// [`status`](Command::status) and [`output`](Command::output), a
/// [`spawn`](Command::spawn) whose [`Child`] is waited for through the
/// reactor, and [`kill_on_drop`](Command::kill_on_drop).
///
/// ```
/// use weft::process::Command;
///
/// let rt = weft::Runtime::new()?;
/// let status = rt.block_on(Command::new("sh").args(["-c", "exit 3"]).status())?;
/// assert_eq!(status.code(), Some(3));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
    stdin_set: bool,
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
            // Unknown: a std builder does not tell; keep what it has.
            stdin_set: true,
        }
    }
}

impl Command {
    /// A builder for running `program` (looked up in `PATH` unless it is a
    /// path), as [`std::process::Command::new`].
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            std: std::process::Command::new(program),
            kill_on_drop: false,
            stdin_set: false,
        }
    }

    /// Adds one argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, val: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, val);
        self
    }

    /// Sets several environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment.
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// The child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// The child's standard input ([`Stdio::piped`] gives
    /// [`Child::stdin`]).
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.stdin_set = true;
        self
    }

    /// The child's standard output ([`Stdio::piped`] gives
    /// [`Child::stdout`]).
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self
    }

    /// The child's standard error ([`Stdio::piped`] gives
    /// [`Child::stderr`]).
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self
    }

    /// Sets the child's user id (`setuid` before `exec`).
    #[cfg(unix)]
    pub fn uid(&mut self, id: u32) -> &mut Command {
        std::os::unix::process::CommandExt::uid(&mut self.std, id);
        self
    }

    /// Sets the child's group id (`setgid` before `exec`).
    #[cfg(unix)]
    pub fn gid(&mut self, id: u32) -> &mut Command {
        std::os::unix::process::CommandExt::gid(&mut self.std, id);
        self
    }

    /// The child's `argv[0]`, when it should differ from the program.
    #[cfg(unix)]
    pub fn arg0(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        std::os::unix::process::CommandExt::arg0(&mut self.std, arg);
        self
    }

    /// Puts the child in process group `pgroup` (0: a new group led by
    /// the child), so that a Ctrl-C at the terminal does not reach it.
    #[cfg(unix)]
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        std::os::unix::process::CommandExt::process_group(&mut self.std, pgroup);
        self
    }

    /// Whether dropping the [`Child`] before it exits kills it (`SIGKILL`;
    /// it is reaped afterwards either way). Off by default, as in std.
    ///
    /// ```
    /// use weft::process::Command;
    ///
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let child = Command::new("sleep").arg("60").kill_on_drop(true).spawn()?;
    ///     drop(child); // killed now, reaped without anyone waiting
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Whether [`kill_on_drop`](Command::kill_on_drop) is set.
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// The std builder underneath.
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The std builder underneath, for what this type does not wrap.
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Starts the child. Its exit is watched by the current runtime's
    /// reactor; piped stdio is registered with it.
    ///
    /// The error names the program ("could not spawn `nope`: No such file
    /// or directory"), keeping the OS error's kind.
    ///
    /// # Panics
    ///
    /// Outside a runtime, with a message naming the fix.
    #[track_caller]
    pub fn spawn(&mut self) -> io::Result<Child> {
        // Panic before a child exists, not with one left unwatched.
        if weft_reactor::Handle::try_current().is_err() {
            panic!(
                "weft::process::Command::spawn: {}",
                weft_executor::context::NO_RUNTIME
            );
        }
        weft_reactor::orphan::reap();
        let child = self.std.spawn().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "could not spawn `{}`: {e}",
                    self.std.get_program().to_string_lossy()
                ),
            )
        })?;
        Child::new(child, self.kill_on_drop)
    }

    /// Runs the child to its end, with stdio inherited unless set, and
    /// returns its exit status.
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn()?.wait().await
    }

    /// Runs the child to its end with stdout and stderr captured (and
    /// stdin empty unless set), as [`std::process::Command::output`].
    ///
    /// ```
    /// use weft::process::Command;
    ///
    /// let rt = weft::Runtime::new()?;
    /// let out = rt.block_on(Command::new("sh").args(["-c", "echo out; echo err >&2"]).output())?;
    /// assert_eq!((&out.stdout[..], &out.stderr[..]), (&b"out\n"[..], &b"err\n"[..]));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn output(&mut self) -> io::Result<Output> {
        if !self.stdin_set {
            self.std.stdin(Stdio::null());
        }
        self.std.stdout(Stdio::piped());
        self.std.stderr(Stdio::piped());
        self.spawn()?.wait_with_output().await
    }
}
