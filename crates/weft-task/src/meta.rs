//! What a task knows about itself besides its future: its id, where it was
//! spawned, its name, and (in debug mode) when it was last woken.
//!
//! Every task records its spawn location (one pointer, taken with
//! `#[track_caller]` through the spawn functions, so it costs one store).
//! The rest lives in an optional box that only tasks with a name, or
//! spawned on a runtime in debug mode, pay for.

use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::Id;

/// What a spawner tells a new task about itself.
///
/// ```
/// use weft_task::{Id, TaskMeta};
/// let meta = TaskMeta::new(Id::next()).with_name("fetch");
/// assert_eq!(meta.name(), Some("fetch"));
/// assert!(meta.location().file().ends_with(".rs"));
/// ```
#[derive(Clone, Debug)]
pub struct TaskMeta {
    pub(crate) id: Id,
    pub(crate) location: &'static Location<'static>,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) track_wakes: bool,
}

impl TaskMeta {
    /// A task with `id`, spawned at the caller's location.
    ///
    /// ```
    /// use weft_task::TaskMeta;
    /// let id = weft::task::Id::next();
    /// let meta = TaskMeta::new(id);
    /// assert_eq!(meta.id(), id);
    /// assert_eq!(meta.location().line(), line!() - 2);
    /// assert_eq!(meta.name(), None);
    /// ```
    #[track_caller]
    pub fn new(id: Id) -> TaskMeta {
        TaskMeta {
            id,
            location: Location::caller(),
            name: None,
            track_wakes: false,
        }
    }

    /// The same, spawned at `location`.
    ///
    /// ```
    /// use weft_task::TaskMeta;
    /// let here = std::panic::Location::caller();
    /// let meta = TaskMeta::at(weft::task::Id::next(), here);
    /// assert_eq!(meta.location(), here);
    /// ```
    pub fn at(id: Id, location: &'static Location<'static>) -> TaskMeta {
        TaskMeta {
            id,
            location,
            name: None,
            track_wakes: false,
        }
    }

    /// Gives the task a name.
    ///
    /// ```
    /// let meta = weft_task::TaskMeta::new(weft::task::Id::next()).with_name("fetch");
    /// assert_eq!(meta.name(), Some("fetch"));
    /// ```
    pub fn with_name(mut self, name: impl Into<Arc<str>>) -> TaskMeta {
        self.name = Some(name.into());
        self
    }

    /// Records when the task is woken (debug mode), so a scheduler can see
    /// how long it waited to be polled.
    pub fn with_wake_tracking(mut self, on: bool) -> TaskMeta {
        self.track_wakes = on;
        self
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.id
    }

    /// Where it was spawned.
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// Its name, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl From<Id> for TaskMeta {
    #[track_caller]
    fn from(id: Id) -> TaskMeta {
        TaskMeta::new(id)
    }
}

/// The optional part, boxed in the task header.
pub(crate) struct Extra {
    pub(crate) name: Option<Arc<str>>,
    /// The scheduler's clock (nanoseconds) at the first wake since the last
    /// poll; 0 if not woken
    /// since (or not tracked).
    pub(crate) woken_at: Option<AtomicU64>,
}

impl Extra {
    pub(crate) fn of(meta: &TaskMeta) -> Option<Box<Extra>> {
        if meta.name.is_none() && !meta.track_wakes {
            return None;
        }
        Some(Box::new(Extra {
            name: meta.name.clone(),
            woken_at: meta.track_wakes.then(|| AtomicU64::new(0)),
        }))
    }

    pub(crate) fn mark_woken(&self, now_nanos: u64) {
        if let Some(w) = &self.woken_at {
            // Keep the first wake since the last poll: the wait is measured
            // from it.
            let _ = w.compare_exchange(0, now_nanos.max(1), Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    pub(crate) fn take_woken(&self) -> Option<u64> {
        let w = self.woken_at.as_ref()?.swap(0, Ordering::Relaxed);
        (w != 0).then_some(w)
    }
}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extra")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
