//! The id of the task being polled on this thread.

use std::cell::Cell;

use crate::sync::thread_local;
use crate::Id;

#[cfg(not(loom))]
thread_local! {
    static CURRENT: Cell<Option<Id>> = const { Cell::new(None) };
}
#[cfg(loom)]
thread_local! {
    static CURRENT: Cell<Option<Id>> = Cell::new(None);
}

/// Runs `f` (a poll of task `id`) with `id` as the current task, restoring
/// the previous one after (even if `f` unwinds).
pub(crate) fn with_task<R>(id: Id, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<Id>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let _ = CURRENT.try_with(|c| c.set(self.0));
        }
    }
    let prev = CURRENT.try_with(|c| c.replace(Some(id))).ok().flatten();
    let _reset = Reset(prev);
    f()
}

/// The id of the task being polled on this thread, if any (`weft::task::try_id`).
///
/// ```
/// assert_eq!(weft_task::current_id(), None);
/// let rt = weft::Runtime::new()?;
/// let h = rt.spawn(async { weft::task::id() });
/// let id = h.id();
/// assert_eq!(rt.block_on(h).unwrap(), id);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn current_id() -> Option<Id> {
    CURRENT.try_with(|c| c.get()).ok().flatten()
}
