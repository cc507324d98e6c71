//! Children dropped before they were waited for, reaped later.
//!
//! Not a public API: `weft::process` hands its `Child` here when it is
//! dropped while the process still runs. A zombie must be reaped by its
//! parent, and no thread waits for it, so the queue is swept
//!
//! * when a child is queued (it may have exited already);
//! * on every `SIGCHLD` the reactor dispatches (the handler is installed
//!   the first time a child is queued, and the current reactor, if any, is
//!   made to watch the signal pipe);
//! * whenever `weft::process` spawns or reaps a child.
//!
//! A sweep calls `try_wait` (`waitpid(pid, WNOHANG)`) on each queued child
//! and drops those that are gone; it never blocks.

use std::process::Child;
use std::sync::Mutex;

static ORPHANS: Mutex<Vec<Child>> = Mutex::new(Vec::new());

/// Queues `child` to be reaped once it exits.
pub fn push(mut child: Child) {
    if !matches!(child.try_wait(), Ok(None)) {
        return; // exited and reaped now, or not ours to wait for
    }
    // Install the SIGCHLD handler before queueing: an exit after this
    // point raises a SIGCHLD whose dispatch sweeps the queue, and an exit
    // before it is caught by the sweep below.
    if let Ok(slot) = crate::signal::registry::slot(signal_hook::consts::SIGCHLD) {
        drop(slot);
        if let Ok(h) = crate::Handle::try_current() {
            let _ = crate::signal::registry::enable(&h.inner);
        }
    }
    ORPHANS.lock().unwrap_or_else(|e| e.into_inner()).push(child);
    reap();
}

/// Reaps every queued child that has exited.
pub fn reap() {
    let mut orphans = ORPHANS.lock().unwrap_or_else(|e| e.into_inner());
    orphans.retain_mut(|c| matches!(c.try_wait(), Ok(None)));
}

/// Number of queued children not yet reaped (for tests).
pub fn len() -> usize {
    ORPHANS.lock().unwrap_or_else(|e| e.into_inner()).len()
}
