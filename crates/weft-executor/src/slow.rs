//! Debug mode's reports: polls that ran too long, tasks that waited too
//! long to be polled (asyncio's `slow_callback_duration`).
//!
//! With a threshold set, every poll is timed (two clock reads) and a poll
//! that ran at least the threshold is reported when it returns, with the
//! task's id, name, spawn location and the whole poll's duration. Tasks
//! spawned on such a runtime also record when they are woken, so a task
//! that waited at least the threshold between its wake and its poll (a
//! starved task) is reported when its poll starts. Without a threshold
//! none of this runs: the scheduler's hot path takes one branch.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use weft_task::Id;

/// A hook that receives [`SlowPoll`] reports.
pub type SlowPollHook = dyn Fn(&SlowPoll) + Send + Sync;

/// What a [`SlowPoll`] report is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlowPollKind {
    /// One poll of the task ran for [`SlowPoll::duration`]: every task
    /// queued behind it on its worker waited that long.
    Poll,
    /// The task was woken, then waited [`SlowPoll::duration`] before it was
    /// polled: it was starved by the tasks ahead of it (or by a blocked
    /// worker).
    Starved,
}

/// A report of debug mode: a poll that ran longer than the slow-poll
/// threshold, or a task that waited longer than it to be polled.
///
/// ```
/// use std::time::Duration;
/// let rt = weft::Runtime::builder()
///     .worker_threads(1)
///     .slow_poll_threshold(Duration::from_millis(20))
///     .on_slow_poll(|r: &weft::runtime::SlowPoll| {
///         eprintln!("{} took {:?} (spawned at {})", r.task_id(), r.duration(), r.location());
///     })
///     .build()?;
/// rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(30)) })).unwrap();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct SlowPoll {
    kind: SlowPollKind,
    id: Id,
    name: Option<Arc<str>>,
    location: &'static Location<'static>,
    duration: Duration,
}

impl SlowPoll {
    pub(crate) fn new(
        kind: SlowPollKind,
        id: Id,
        name: Option<Arc<str>>,
        location: &'static Location<'static>,
        duration: Duration,
    ) -> SlowPoll {
        SlowPoll {
            kind,
            id,
            name,
            location,
            duration,
        }
    }

    /// A slow poll, or a starved task.
    pub fn kind(&self) -> SlowPollKind {
        self.kind
    }

    /// The task's id.
    pub fn task_id(&self) -> Id {
        self.id
    }

    /// The task's name, if it was given one (`weft::task::Builder::name`).
    pub fn task_name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where the task was spawned.
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// How long the whole poll ran (for [`SlowPollKind::Poll`]), or how
    /// long the task waited to be polled (for [`SlowPollKind::Starved`]).
    pub fn duration(&self) -> Duration {
        self.duration
    }
}

impl fmt::Display for SlowPoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " ({name:?})")?;
        }
        match self.kind {
            SlowPollKind::Poll => write!(
                f,
                ", spawned at {}, was polled for {:?}: every task queued behind it waited that long. \
                 Move blocking or CPU-heavy work to weft::spawn_blocking, run_in_executor or \
                 weft::task::block_in_place",
                self.location, self.duration
            ),
            SlowPollKind::Starved => write!(
                f,
                ", spawned at {}, waited {:?} after it was woken before it was polled: the tasks \
                 ahead of it (or a blocked worker) starved it",
                self.location, self.duration
            ),
        }
    }
}

impl fmt::Debug for SlowPoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlowPoll")
            .field("kind", &self.kind)
            .field("task_id", &self.id)
            .field("task_name", &self.name)
            .field("location", &self.location)
            .field("duration", &self.duration)
            .finish()
    }
}

/// The scheduler's side of debug mode: the threshold, the hook, the clock
/// wakes are measured on.
pub(crate) struct SlowWatch {
    threshold: Duration,
    hook: Option<Arc<SlowPollHook>>,
    start: Instant,
}

impl SlowWatch {
    pub(crate) fn new(threshold: Duration, hook: Option<Arc<SlowPollHook>>) -> SlowWatch {
        SlowWatch {
            threshold,
            hook,
            start: Instant::now(),
        }
    }

    pub(crate) fn threshold(&self) -> Duration {
        self.threshold
    }

    pub(crate) fn threshold_nanos(&self) -> u64 {
        u64::try_from(self.threshold.as_nanos()).unwrap_or(u64::MAX)
    }

    /// Nanoseconds from the watch's start to `at` (at least 1: 0 means "not
    /// woken" in the task).
    pub(crate) fn since_start(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.start).as_nanos())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    pub(crate) fn now(&self) -> u64 {
        self.since_start(Instant::now())
    }

    pub(crate) fn report(&self, report: SlowPoll) {
        match &self.hook {
            Some(hook) => {
                weft_task::foreign::contain("an on_slow_poll hook", || hook(&report));
            }
            None => {
                use std::io::Write;
                let _ = writeln!(std::io::stderr(), "weft debug: {report}");
            }
        }
    }
}
