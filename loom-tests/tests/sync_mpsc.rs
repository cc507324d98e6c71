//! Loom models of `weft::sync::mpsc`: a send racing the receiver's drop,
//! run against the real channel (its `sync` shim switches to loom's mutex
//! and atomics under `cfg(loom)`).
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     CARGO_TARGET_DIR=/work/target-loom cargo test -p loom-tests --release \
//!     --test sync_mpsc -- --test-threads=1
//! ```
//!
//! What must hold, whichever way the race goes: a value is either handed
//! back in the `SendError`, or accepted, and then the dropped receiver has
//! dropped it (never stranded in a channel nobody reads); a sender waiting
//! for room is always woken (loom reports a deadlock otherwise).
//!
//! Checked against seeded bugs: a receiver drop that does not close the
//! semaphore (`waiting_send_woken_by_receiver_drop` fails: the waiting send
//! gets the slot the drop frees and reports success for a value nobody
//! reads); a push that ignores a dropped receiver
//! (`send_races_receiver_drop` fails: "an accepted value was stranded").
#![cfg(loom)]

mod sync_support;

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;
use sync_support::{block_on, model, Counted, Coverage};
use weft_sync::mpsc;

/// A `send` into an empty channel races the receiver's drop.
#[test]
fn send_races_receiver_drop() {
    static SENT: Coverage = Coverage::new();
    model("send_races_receiver_drop", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel(1);
        let d = drops.clone();
        let sender = thread::spawn(move || {
            let r = block_on(tx.send(Counted(d)));
            // Keep the sender alive: the check below must not depend on the
            // channel being freed.
            (r.map_err(|e| e.0), tx)
        });
        drop(rx);
        let (r, _tx) = sender.join().unwrap();
        SENT.saw(r.is_ok());
        match r {
            // Accepted: the receiver's drop must have dropped it.
            Ok(()) => assert_eq!(drops.load(SeqCst), 1, "an accepted value was stranded"),
            Err(v) => {
                assert_eq!(drops.load(SeqCst), 0);
                drop(v);
            }
        }
    });
    SENT.assert_both("send vs. receiver drop");
}

/// A sender waiting for room in a full channel races the receiver's drop:
/// it must be woken and get its value back.
#[test]
fn waiting_send_woken_by_receiver_drop() {
    model("waiting_send_woken_by_receiver_drop", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel(1);
        tx.try_send(Counted(drops.clone()))
            .unwrap_or_else(|_| panic!("room for one"));
        let d = drops.clone();
        let sender = thread::spawn(move || block_on(tx.send(Counted(d))).map_err(|e| e.0));
        drop(rx);
        let back = sender
            .join()
            .unwrap()
            .expect_err("no room ever came, so the send must fail");
        assert_eq!(
            drops.load(SeqCst),
            1,
            "the queued value was not dropped with the receiver"
        );
        drop(back);
    });
}
