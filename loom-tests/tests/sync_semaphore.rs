//! Loom models of `weft::sync::Semaphore`: an acquire cancelled while a
//! permit is being handed to it, against the real code.
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     CARGO_TARGET_DIR=/work/target-loom cargo test -p loom-tests --release \
//!     --test sync_semaphore -- --test-threads=1
//! ```
//!
//! The invariant (rule 3 of `raw_semaphore.rs`): a permit handed to a
//! future that is dropped before it sees it comes back; one it never got
//! is not returned twice. So the permits always add up, and a waiter
//! behind the cancelled one is always served.
//!
//! Checked against seeded bugs: a cancelled acquire that returns nothing
//! once granted (both fail: "the permits do not add up"); one that returns
//! all it asked for even if it was not granted (both fail, permits
//! counted twice); a cancel that returns the permits without handing them
//! to the queue (`cancelled_acquire_...` deadlocks, the next waiter never
//! served); a release that takes the one-CAS path although someone is
//! queued (`cancelled_acquire_...` deadlocks: the permit sits free while
//! the waiter sleeps); queueing with a plain store instead of a CAS, so a
//! concurrent fast release is overwritten (both fail).
#![cfg(loom)]

mod sync_support;

use std::sync::Arc as StdArc;

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;
use sync_support::{block_on, model, poll_once, Coverage};
use weft_sync::Semaphore;

/// The holder releases the only permit while a queued acquire is dropped.
#[test]
fn cancel_while_permit_handed_over() {
    static GOT: Coverage = Coverage::new();
    model("cancel_while_permit_handed_over", || {
        let sem = StdArc::new(Semaphore::new(1));
        let held = sem.clone().try_acquire_owned().unwrap();
        let s2 = sem.clone();
        let canceller = thread::spawn(move || {
            let mut f = Box::pin(s2.acquire());
            let got = match poll_once(f.as_mut()) {
                std::task::Poll::Ready(p) => {
                    drop(p);
                    true
                }
                std::task::Poll::Pending => false,
            };
            drop(f);
            got
        });
        drop(held);
        GOT.saw(canceller.join().unwrap());
        assert_eq!(sem.available_permits(), 1, "the permits do not add up");
    });
    GOT.assert_both("release vs. a queued acquire");
}

/// As above, with a second acquirer queued behind: it is always served
/// (the cancelled one's permit reaches it), and never two hold a permit.
#[test]
fn cancelled_acquire_hands_permit_to_next_waiter() {
    model("cancelled_acquire_hands_permit_to_next_waiter", || {
        let sem = StdArc::new(Semaphore::new(1));
        let inside = Arc::new(AtomicUsize::new(0));
        let held = sem.clone().try_acquire_owned().unwrap();
        let s2 = sem.clone();
        let canceller = thread::spawn(move || {
            let mut f = Box::pin(s2.acquire());
            let _ = poll_once(f.as_mut());
            drop(f);
        });
        let s3 = sem.clone();
        let i3 = inside.clone();
        let waiter = thread::spawn(move || {
            let p = block_on(s3.acquire()).unwrap();
            assert_eq!(i3.fetch_add(1, SeqCst), 0, "two holders of one permit");
            i3.fetch_sub(1, SeqCst);
            drop(p);
        });
        drop(held);
        canceller.join().unwrap();
        waiter.join().unwrap();
        assert_eq!(sem.available_permits(), 1, "the permits do not add up");
    });
}
