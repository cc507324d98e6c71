//! Running code that is not ours (wakers, hooks, user callbacks) where a
//! panic must not take the thread down.
//!
//! A waker, a thread hook or a user callback may panic wherever it runs.
//! Inside a task's poll, the task catches it (it becomes the task's
//! `JoinError`). Everywhere else on a runtime thread (the reactor firing a
//! batch of timers, the I/O dispatch, a pool thread waking a waiting
//! submitter, a thread's start hook), the caller runs it through
//! [`contain`]: the panic is caught, reported on stderr, counted, and the
//! caller carries on with the rest of its batch. The panic was the foreign
//! code's bug, not the runtime's; losing the other wake-ups of the batch, or
//! the worker thread itself, would turn it into everyone's.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};

static CONTAINED: AtomicU64 = AtomicU64::new(0);

/// Runs `f`; if it panics, reports the panic (naming `what` ran and on
/// which thread) and returns `None` instead of unwinding.
///
/// ```
/// use weft_task::foreign;
/// let before = foreign::contained_panics();
/// assert_eq!(foreign::contain("an example callback", || 1), Some(1));
/// assert_eq!(foreign::contain("an example callback", || -> u8 { panic!("oops") }), None);
/// assert_eq!(foreign::contained_panics(), before + 1);
/// ```
pub fn contain<R>(what: &str, f: impl FnOnce() -> R) -> Option<R> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Some(r),
        Err(payload) => {
            report(what, &*payload);
            // Dropping the payload is foreign code too.
            let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
            None
        }
    }
}

/// How many panics [`contain`] has caught in this process.
///
/// ```
/// use weft_task::foreign;
/// let before = foreign::contained_panics();
/// foreign::contain("an example hook", || panic!("oops"));
/// assert!(foreign::contained_panics() > before);
/// ```
pub fn contained_panics() -> u64 {
    CONTAINED.load(Ordering::Relaxed)
}

/// The message of a panic payload, if it has one.
///
/// ```
/// use weft_task::foreign::panic_message;
/// let payload = std::panic::catch_unwind(|| panic!("disk {} full", 2)).unwrap_err();
/// assert_eq!(panic_message(&*payload), Some("disk 2 full"));
/// assert_eq!(panic_message(&42u8), None);
/// ```
pub fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Some(s)
    } else {
        payload.downcast_ref::<String>().map(String::as_str)
    }
}

fn report(what: &str, payload: &(dyn Any + Send)) {
    CONTAINED.fetch_add(1, Ordering::Relaxed);
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("<unnamed>");
    let msg = panic_message(payload).unwrap_or("<a non-string payload>");
    // Never panic while reporting: a closed stderr is not our problem.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "weft: {what} panicked on thread '{name}': {msg}. The panic was contained and \
         the thread and the rest of its work carry on, but it is a bug in the code that \
         provided it: {what} must not panic."
    );
}
