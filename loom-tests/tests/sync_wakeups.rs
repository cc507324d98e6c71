//! Loom models of the receive side of every `weft::sync` channel: a
//! receiver waiting on one thread, the send (or the sender's drop) on
//! another. No wake-up may be lost: each receive completes with the value
//! or the end (loom reports a deadlock otherwise).
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     CARGO_TARGET_DIR=/work/target-loom cargo test -p loom-tests --release \
//!     --test sync_wakeups -- --test-threads=1
//! ```
//!
//! Checked against seeded bugs, each of which deadlocks its model:
//! watch's send waking the receivers before it bumps the version; the last
//! broadcast sender's drop not waking waiting receivers; a oneshot send not
//! taking the receiver's waker; the last mpsc sender's drop not waking the
//! receiver. The broadcast slot fast path's model and its mutations are in
//! `loom-tests/README.md`.
#![cfg(loom)]

mod sync_support;

use loom::thread;
use sync_support::{block_on, model};
use weft_sync::{broadcast, mpsc, oneshot, watch};

#[test]
fn watch_changed_vs_send() {
    model("watch_changed_vs_send", || {
        let (tx, mut rx) = watch::channel(0u8);
        let waiter = thread::spawn(move || {
            block_on(rx.changed()).unwrap();
            *rx.borrow_and_update()
        });
        tx.send(1).unwrap();
        assert_eq!(waiter.join().unwrap(), 1);
    });
}

#[test]
fn broadcast_recv_vs_send_and_close() {
    model("broadcast_recv_vs_send_and_close", || {
        let (tx, mut rx) = broadcast::channel(2);
        let waiter = thread::spawn(move || {
            let first = block_on(rx.recv());
            let second = block_on(rx.recv());
            (first, second)
        });
        tx.send(1u8).unwrap();
        drop(tx);
        let (first, second) = waiter.join().unwrap();
        assert_eq!(first, Ok(1));
        assert_eq!(second, Err(broadcast::error::RecvError::Closed));
    });
}

#[test]
fn oneshot_recv_vs_send() {
    model("oneshot_recv_vs_send", || {
        let (tx, rx) = oneshot::channel();
        let waiter = thread::spawn(move || block_on(rx));
        tx.send(1u8).unwrap();
        assert_eq!(waiter.join().unwrap(), Ok(1));
    });
}

#[test]
fn mpsc_recv_vs_send_and_last_sender_drop() {
    model("mpsc_recv_vs_send_and_last_sender_drop", || {
        let (tx, mut rx) = mpsc::channel(1);
        let waiter = thread::spawn(move || {
            let first = block_on(rx.recv());
            let second = block_on(rx.recv());
            (first, second)
        });
        tx.try_send(1u8).unwrap();
        drop(tx);
        assert_eq!(waiter.join().unwrap(), (Some(1), None));
    });
}

/// Two sends overwriting a capacity-1 ring while the receiver reads it on
/// the slot fast path: each value is read once or counted as skipped,
/// never read twice or out of order, and the newest value always arrives
/// before `Closed`.
#[test]
fn broadcast_overwrites_racing_the_slot_fast_path() {
    model("broadcast_overwrites_racing_the_slot_fast_path", || {
        let (tx, mut rx) = broadcast::channel(1);
        tx.send(1u8).unwrap();
        let sender = thread::spawn(move || {
            tx.send(2).unwrap();
            tx.send(3).unwrap();
        });
        let (mut seen, mut skipped) = (Vec::new(), 0);
        loop {
            match block_on(rx.recv()) {
                Ok(v) => seen.push(v),
                Err(broadcast::error::RecvError::Lagged(n)) => skipped += n,
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
        sender.join().unwrap();
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "values read twice or out of order: {seen:?}"
        );
        assert_eq!(seen.len() as u64 + skipped, 3, "read {seen:?}, skipped {skipped}");
        assert_eq!(seen.last(), Some(&3), "the newest value was lost");
    });
}
