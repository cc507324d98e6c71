//! Loom models of `weft::sync::oneshot`'s state word (`oneshot.rs`): one
//! atomic word decides who owns the value cell and the two waker cells.
//! The cells are loom `UnsafeCell`s under `cfg(loom)`, so a read racing a
//! write is reported as a causality violation.
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     CARGO_TARGET_DIR=/work/target-loom cargo test -p loom-tests --release \
//!     --test sync_oneshot -- --test-threads=1
//! ```
//!
//! What must hold: a value sent is received or handed back or dropped by
//! the receiver's drop, exactly once; a waiting receiver is woken by the
//! send or the sender's drop, a waiting `closed()` by the receiver's drop
//! (loom reports a deadlock otherwise); a receiver that re-polls with a new
//! waker while the send lands still gets the value.
#![cfg(loom)]

mod sync_support;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;
use sync_support::{block_on, model, Counted, Coverage};
use weft_sync::oneshot;

/// A send races the receiver's drop: the value is handed back, or taken
/// and dropped by the receiver, never both, never neither.
#[test]
fn oneshot_send_races_receiver_drop() {
    static SENT: Coverage = Coverage::new();
    model("oneshot_send_races_receiver_drop", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = oneshot::channel();
        let d = drops.clone();
        let sender = thread::spawn(move || tx.send(Counted(d)));
        drop(rx);
        let r = sender.join().unwrap();
        SENT.saw(r.is_ok());
        match r {
            Ok(()) => assert_eq!(drops.load(SeqCst), 1, "an accepted value was stranded"),
            Err(v) => {
                assert_eq!(drops.load(SeqCst), 0, "a value handed back was also dropped");
                drop(v);
            }
        }
        assert_eq!(drops.load(SeqCst), 1);
    });
    SENT.assert_both("send vs receiver drop");
}

/// The receiver waits (first poll with one waker, then `block_on`'s, so
/// the waker cell is replaced while the send may be landing); the send
/// must wake it with the value.
#[test]
fn oneshot_recv_rewaker_vs_send() {
    model("oneshot_recv_rewaker_vs_send", || {
        let (tx, rx) = oneshot::channel::<u8>();
        let sender = thread::spawn(move || tx.send(7).unwrap());
        let mut rx = pin!(rx);
        let first = rx.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        let v = match first {
            Poll::Ready(v) => v,
            Poll::Pending => block_on(rx),
        };
        assert_eq!(v, Ok(7));
        sender.join().unwrap();
    });
}

/// The receiver waits while the sender is dropped without sending.
#[test]
fn oneshot_recv_vs_sender_drop() {
    model("oneshot_recv_vs_sender_drop", || {
        let (tx, rx) = oneshot::channel::<u8>();
        let dropper = thread::spawn(move || drop(tx));
        assert!(block_on(rx).is_err());
        dropper.join().unwrap();
    });
}

/// `closed()` waits while the receiver is dropped.
#[test]
fn oneshot_closed_vs_receiver_drop() {
    model("oneshot_closed_vs_receiver_drop", || {
        let (mut tx, rx) = oneshot::channel::<u8>();
        let dropper = thread::spawn(move || drop(rx));
        block_on(tx.closed());
        assert!(tx.is_closed());
        dropper.join().unwrap();
    });
}
