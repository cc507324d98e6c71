//! Loom models of `weft::sync::Notify`: `notify_one` racing a waiter's
//! registration and its cancellation, against the real code.
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     CARGO_TARGET_DIR=/work/target-loom cargo test -p loom-tests --release \
//!     --test sync_notify -- --test-threads=1
//! ```
//!
//! The invariant: every `notify_one` is delivered exactly once, to a
//! waiter that sees it or into the stored permit; never lost, never given
//! twice. Each model counts the deliveries.
//!
//! Checked against seeded bugs: a dropped `Notified` that does not pass
//! on the `notify_one` it was given (`notify_one_races_...` fails:
//! "delivered 0 times"; `cancelled_waiter_...` deadlocks, the second
//! waiter never woken); taking the stored permit without clearing it
//! (`notify_one_races_...` fails: "delivered 2 times").
#![cfg(loom)]

mod sync_support;

use std::pin::pin;

use loom::sync::Arc;
use loom::thread;
use sync_support::{block_on, model, poll_once, Coverage};
use weft_sync::Notify;

/// Is a permit stored? (Consumes it.)
fn take_permit(n: &Notify) -> bool {
    let mut f = pin!(n.notified());
    poll_once(f.as_mut()).is_ready()
}

/// A waiter registers (one poll) and is dropped, racing a `notify_one`.
#[test]
fn notify_one_races_registration_and_cancellation() {
    static SEEN: Coverage = Coverage::new();
    model("notify_one_races_registration_and_cancellation", || {
        let n = Arc::new(Notify::new());
        let n2 = n.clone();
        let waiter = thread::spawn(move || {
            let mut f = Box::pin(n2.notified());
            let seen = poll_once(f.as_mut()).is_ready();
            drop(f); // cancel: a notification it did not see must go on
            seen
        });
        n.notify_one();
        let seen = waiter.join().unwrap();
        SEEN.saw(seen);
        let stored = take_permit(&n);
        assert_eq!(
            seen as u8 + stored as u8,
            1,
            "one notify_one, delivered {} times (seen: {seen}, stored: {stored})",
            seen as u8 + stored as u8
        );
        assert!(!take_permit(&n), "a second permit appeared");
    });
    SEEN.assert_both("notify_one vs. a registering waiter");
}

/// A waiter queued first is dropped (on another thread) while a
/// `notify_one` may be reaching it; a second waiter, on a third thread,
/// must always be woken, and no permit may be left over (the one
/// notification went to exactly one place).
#[test]
fn cancelled_waiter_passes_notification_to_the_next() {
    model("cancelled_waiter_passes_notification_to_the_next", || {
        // `'static` so a queued `Notified` can move to another thread; one
        // small leak per iteration.
        let n: &'static Notify = Box::leak(Box::new(Notify::new()));
        let mut first = Box::pin(n.notified());
        assert!(poll_once(first.as_mut()).is_pending());
        let canceller = thread::spawn(move || drop(first));
        let waiter = thread::spawn(move || block_on(n.notified()));
        n.notify_one();
        canceller.join().unwrap();
        waiter.join().unwrap();
        assert!(
            !take_permit(n),
            "one notify_one woke the waiter and stored a permit"
        );
    });
}
