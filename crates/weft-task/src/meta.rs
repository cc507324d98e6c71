//! What a task knows about itself besides its future: its id, where it was
//! spawned, its name, and (in debug mode) when it was last woken.
//!
//! Every task records its spawn location (one pointer, taken with
//! `#[track_caller]` through the spawn functions, so it costs one store).
//! The rest lives in an optional box that only tasks with a name, or
//! spawned on a runtime in debug mode, pay for. The header holds one word
//! for both, a [`Site`]: the location itself, or the box (which then holds
//! the location too), told apart by the pointer's low bit.

use std::fmt;
use std::marker::PhantomData;
use std::panic::Location;
use std::ptr::NonNull;
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
    location: &'static Location<'static>,
    pub(crate) name: Option<Arc<str>>,
    /// The scheduler's clock (nanoseconds) at the first wake since the last
    /// poll; 0 if not woken
    /// since (or not tracked).
    pub(crate) woken_at: Option<AtomicU64>,
}

impl Extra {
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

/// Where a task came from, in one word: its spawn location, or (for the
/// tasks that have an [`Extra`]) the box holding the location and the rest.
///
/// Both pointees are 8-aligned, so bit 0 of the pointer is free: set, it
/// is a `Box<Extra>` this `Site` owns; clear, a `&'static Location`.
pub(crate) struct Site {
    ptr: NonNull<()>,
    _owns: PhantomData<Box<Extra>>,
}

const EXTRA_TAG: usize = 1;
const _: () = assert!(std::mem::align_of::<Location<'static>>() > EXTRA_TAG);
const _: () = assert!(std::mem::align_of::<Extra>() > EXTRA_TAG);

// SAFETY: a `Site` is a `&'static Location` (Send + Sync) or a `Box<Extra>`
// (Extra is Send + Sync: an `Arc<str>` and atomics), and hands out only
// shared references to either.
unsafe impl Send for Site {}
// SAFETY: as above.
unsafe impl Sync for Site {}

impl Site {
    #[inline]
    pub(crate) fn of(meta: &TaskMeta) -> Site {
        if meta.name.is_none() && !meta.track_wakes {
            return Site {
                ptr: NonNull::from(meta.location).cast(),
                _owns: PhantomData,
            };
        }
        Site::boxed(meta)
    }

    #[cold]
    fn boxed(meta: &TaskMeta) -> Site {
        let extra = Box::new(Extra {
            location: meta.location,
            name: meta.name.clone(),
            woken_at: meta.track_wakes.then(|| AtomicU64::new(0)),
        });
        let ptr = NonNull::from(Box::leak(extra)).cast::<()>();
        Site {
            ptr: ptr.map_addr(|a| a | EXTRA_TAG),
            _owns: PhantomData,
        }
    }

    #[inline]
    fn extra_ptr(&self) -> Option<NonNull<Extra>> {
        let tagged = self.ptr.addr().get() & EXTRA_TAG != 0;
        tagged.then(|| {
            self.ptr
                // SAFETY: the tagged address is the box's plus one, so
                // clearing the tag leaves a non-zero address.
                .map_addr(|a| unsafe { std::num::NonZeroUsize::new_unchecked(a.get() & !EXTRA_TAG) })
                .cast::<Extra>()
        })
    }

    /// The task's `Extra`, if it has one.
    pub(crate) fn extra(&self) -> Option<&Extra> {
        // SAFETY: a tagged pointer is the `Box<Extra>` this `Site` owns; it
        // lives as long as `self`.
        self.extra_ptr().map(|p| unsafe { p.as_ref() })
    }

    /// Where the task was spawned.
    pub(crate) fn location(&self) -> &'static Location<'static> {
        match self.extra() {
            Some(extra) => extra.location,
            // SAFETY: an untagged pointer came from a `&'static Location`.
            None => unsafe { self.ptr.cast::<Location<'static>>().as_ref() },
        }
    }
}

impl Drop for Site {
    #[inline]
    fn drop(&mut self) {
        #[cold]
        fn drop_extra(p: NonNull<Extra>) {
            // SAFETY: the tagged pointer came from `Box::leak` in `Site::of`,
            // and the `Site` being dropped was its only owner.
            drop(unsafe { Box::from_raw(p.as_ptr()) });
        }
        if let Some(p) = self.extra_ptr() {
            drop_extra(p);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::Id;

    #[test]
    fn a_plain_site_is_the_location_and_has_no_extra() {
        let meta = TaskMeta::new(Id::next());
        let site = Site::of(&meta);
        assert_eq!(site.location(), meta.location());
        assert!(site.extra().is_none());
    }

    #[test]
    fn a_named_site_keeps_the_location_and_the_name() {
        let meta = TaskMeta::new(Id::next()).with_name("fetch");
        let site = Site::of(&meta);
        assert_eq!(site.location(), meta.location());
        assert_eq!(site.extra().and_then(|e| e.name.as_deref()), Some("fetch"));
    }

    #[test]
    fn a_site_with_wake_tracking_records_wakes() {
        let meta = TaskMeta::new(Id::next()).with_wake_tracking(true);
        let site = Site::of(&meta);
        let extra = site.extra().expect("wake tracking needs the box");
        assert!(extra.name.is_none());
        extra.mark_woken(7);
        assert_eq!(extra.take_woken(), Some(7));
    }
}
