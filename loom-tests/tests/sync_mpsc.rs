//! Loom models of `weft::sync::mpsc`: a send racing the receiver's drop,
//! and waits for room that are cancelled (racing a closed receiver's
//! `recv`, or with slots already handed to them), run against the real
//! channel (its `sync` shim switches to loom's mutex and atomics under
//! `cfg(loom)`).
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
//! for room is always woken (loom reports a deadlock otherwise); a wait
//! for room dropped after it was handed slots passes them on: to the next
//! waiting sender, or back to the channel, waking a closed receiver whose
//! `recv` waits for the last reserved slot to come back.
//!
//! Checked against seeded bugs: a receiver drop that does not close the
//! semaphore (`waiting_send_woken_by_receiver_drop` fails: the waiting send
//! gets the slot the drop frees and reports success for a value nobody
//! reads); a push that ignores a dropped receiver
//! (`send_races_receiver_drop` fails: "an accepted value was stranded").
//! The cancellation models' seeded bugs are in `loom-tests/README.md`.
#![cfg(loom)]

mod sync_support;

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;
use sync_support::{block_on, model, poll_once, Counted, Coverage};
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

/// A sender waits for the only slot; on another thread the slot's permit
/// is dropped (handing the slot to the wait, unless the close came first)
/// and then the wait itself, never having seen it. Meanwhile the receiver
/// closes and waits for the end: with a sender still alive, `recv` ends
/// only once every reserved slot is back, so the dropped wait must wake it.
#[test]
fn dropped_reservation_racing_a_closed_recv_ends_it() {
    model("dropped_reservation_racing_a_closed_recv_ends_it", || {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let held = tx
            .clone()
            .try_reserve_owned()
            .unwrap_or_else(|_| panic!("room for one"));
        let mut waiting = Box::pin(tx.clone().reserve_owned());
        assert!(poll_once(waiting.as_mut()).is_pending(), "the slot is held");
        let canceller = thread::spawn(move || {
            drop(held);
            drop(waiting);
        });
        rx.close();
        assert_eq!(
            block_on(rx.recv()),
            None,
            "nothing was sent, so the closed channel must end"
        );
        canceller.join().unwrap();
        // The sender outlives the model's check: the end must come from the
        // slots coming back, not from the last sender going.
        drop(tx);
    });
}

/// A `reserve_many(2)` at the queue front holds the one free slot of two
/// when it is dropped, racing a `reserve` from another thread that queues
/// behind it (or comes after it is gone): the slot must reach the
/// `reserve` either way.
#[test]
fn cancelled_partial_reserve_many_hands_its_slots_on() {
    model("cancelled_partial_reserve_many_hands_its_slots_on", || {
        let (tx, rx) = mpsc::channel::<u8>(2);
        let held = tx.try_reserve().unwrap_or_else(|_| panic!("room for one"));
        let mut many = Box::pin(tx.reserve_many(2));
        assert!(poll_once(many.as_mut()).is_pending(), "one slot of two is free");
        assert_eq!(tx.capacity(), 0, "the front waiter took the free slot");
        let tx2 = tx.clone();
        let next = thread::spawn(move || {
            let permit = block_on(tx2.reserve_owned()).expect("the receiver is alive");
            drop(permit.release());
        });
        drop(many);
        next.join().unwrap();
        drop(held);
        assert_eq!(tx.capacity(), 2, "a slot was lost");
        drop(rx);
    });
}
