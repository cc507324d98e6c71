//! weft::sync channels as specifications: mpsc, oneshot, broadcast, watch.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use weft::sync::{broadcast, mpsc, oneshot, watch};

fn rt() -> weft::Runtime {
    weft::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime")
}

/// Polls `f` once with a no-op waker.
fn poll_once<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

/// Turns a hang into a failure.
async fn within<F: Future>(what: &str, f: F) -> F::Output {
    match weft::time::timeout(Duration::from_secs(10), f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: still waiting after 10 s"),
    }
}

struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------- mpsc

#[test]
fn mpsc_bounded_send_waits_for_room() {
    let (tx, mut rx) = mpsc::channel(2);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(tx.capacity(), 0);
    assert!(matches!(tx.try_send(3), Err(mpsc::error::TrySendError::Full(3))));
    let mut send = pin!(tx.send(3));
    assert!(
        poll_once(send.as_mut()).is_pending(),
        "a full channel made send wait"
    );
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(matches!(poll_once(send.as_mut()), Poll::Ready(Ok(()))));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Err(mpsc::error::TryRecvError::Empty));
}

#[test]
fn mpsc_waiting_senders_get_room_in_order() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let mut a = pin!(tx.send(1));
    let mut b = pin!(tx.send(2));
    assert!(poll_once(a.as_mut()).is_pending());
    assert!(poll_once(b.as_mut()).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    // The slot went to `a`, the first to wait, even though `b` polls first.
    assert!(poll_once(b.as_mut()).is_pending());
    assert!(poll_once(a.as_mut()).is_ready());
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(poll_once(b.as_mut()).is_ready());
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn mpsc_cancelled_send_hands_its_slot_on() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let mut a = Box::pin(tx.send(1));
    let mut b = pin!(tx.send(2));
    assert!(poll_once(a.as_mut()).is_pending());
    assert!(poll_once(b.as_mut()).is_pending());
    assert_eq!(rx.try_recv(), Ok(0)); // the slot is handed to `a` ...
    drop(a); // ... which is dropped before it sees it
    assert!(
        poll_once(b.as_mut()).is_ready(),
        "the slot was lost with the cancelled send"
    );
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn mpsc_receiver_dropped_mid_send_returns_the_value() {
    let rt = rt();
    rt.block_on(async {
        let (tx, rx) = mpsc::channel(1);
        tx.send(String::from("first")).await.unwrap();
        let sender = weft::spawn(async move { tx.send(String::from("second")).await });
        weft::time::sleep(Duration::from_millis(20)).await;
        drop(rx);
        let err = within("the waiting send", sender).await.unwrap().unwrap_err();
        assert_eq!(err.0, "second");
    });
}

#[test]
fn mpsc_close_drains_queued_values_then_ends() {
    let (tx, mut rx) = mpsc::channel(4);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    rx.close();
    assert!(tx.is_closed());
    assert!(matches!(
        tx.try_send(3),
        Err(mpsc::error::TrySendError::Closed(3))
    ));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(mpsc::error::TryRecvError::Disconnected));
}

#[test]
fn mpsc_close_keeps_reserved_permits_usable() {
    let (tx, mut rx) = mpsc::channel::<u8>(2);
    let permit = tx.try_reserve().unwrap();
    rx.close();
    {
        let mut recv = pin!(rx.recv());
        assert!(
            poll_once(recv.as_mut()).is_pending(),
            "a reserved slot can still deliver"
        );
        permit.send(7);
        assert_eq!(poll_once(recv.as_mut()), Poll::Ready(Some(7)));
    }
    let mut recv = pin!(rx.recv());
    assert_eq!(poll_once(recv.as_mut()), Poll::Ready(None));
}

#[test]
fn mpsc_last_sender_dropped_ends_the_receiver() {
    let rt = rt();
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let tx2 = tx.clone();
        drop(tx);
        let h = weft::spawn(async move { rx.recv().await });
        weft::time::sleep(Duration::from_millis(10)).await;
        drop(tx2);
        assert_eq!(within("recv", h).await.unwrap(), None);
    });
}

#[test]
fn mpsc_dropping_the_receiver_drops_queued_values() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::unbounded_channel();
    for _ in 0..3 {
        tx.send(DropCount(drops.clone())).unwrap();
    }
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    let back = tx.send(DropCount(drops.clone())).unwrap_err();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        3,
        "the rejected value came back alive"
    );
    drop(back);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

/// The receiver takes queued values in batches; a batch is still the
/// channel's: it counts in `len`, holds its slots, keeps FIFO order with
/// later sends, and is dropped with the receiver.
#[test]
fn mpsc_values_taken_in_a_batch_still_count_as_queued() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = mpsc::channel(4);
    for _ in 0..4 {
        tx.try_send(DropCount(drops.clone())).unwrap();
    }
    drop(rx.try_recv().unwrap());
    assert_eq!(rx.len(), 3, "three values left, wherever they are kept");
    assert_eq!(tx.capacity(), 1, "the three unreceived values hold their slots");
    assert!(tx.try_send(DropCount(drops.clone())).is_ok());
    assert!(
        matches!(
            tx.try_send(DropCount(drops.clone())),
            Err(mpsc::error::TrySendError::Full(_))
        ),
        "a full channel refuses the fifth value"
    );
    assert_eq!(
        drops.load(Ordering::SeqCst),
        2,
        "the received and the refused values"
    );
    drop(rx);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        6,
        "dropping the receiver drops all four queued"
    );
    assert_eq!(tx.capacity(), 4, "the dropped values gave their slots back");

    let (tx, mut rx) = mpsc::unbounded_channel();
    tx.send(0).unwrap();
    tx.send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(0));
    tx.send(2).unwrap();
    let mut got = Vec::new();
    assert_eq!(rx.len(), 2);
    while let Ok(v) = rx.try_recv() {
        got.push(v);
    }
    assert_eq!(got, [1, 2], "values sent after a batch come after it");
    tx.send(3).unwrap();
    tx.send(4).unwrap();
    assert_eq!(rx.try_recv(), Ok(3));
    let mut buf = Vec::new();
    tx.send(5).unwrap();
    let rt = rt();
    assert_eq!(
        rt.block_on(rx.recv_many(&mut buf, 10)),
        2,
        "recv_many takes the batch and the queue"
    );
    assert_eq!(buf, [4, 5]);
}

#[test]
fn mpsc_receivers_are_sync_for_any_send_value() {
    fn sync<T: Sync>() {}
    sync::<mpsc::Receiver<std::cell::Cell<u8>>>();
    sync::<mpsc::UnboundedReceiver<std::cell::Cell<u8>>>();
}

#[test]
fn mpsc_recv_many_takes_at_most_limit() {
    let rt = rt();
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel(8);
        for i in 0..5 {
            tx.send(i).await.unwrap();
        }
        let mut buf = vec![-1];
        assert_eq!(rx.recv_many(&mut buf, 3).await, 3);
        assert_eq!(buf, [-1, 0, 1, 2]);
        assert_eq!(tx.capacity(), 6, "received values gave their slots back");
        assert_eq!(rx.recv_many(&mut buf, 0).await, 0);
        drop(tx);
        assert_eq!(rx.recv_many(&mut buf, 10).await, 2);
        assert_eq!(rx.recv_many(&mut buf, 10).await, 0);
    });
}

#[test]
fn mpsc_many_producers_deliver_everything() {
    let rt = rt();
    let sum = rt.block_on(async {
        let (tx, mut rx) = mpsc::channel(4);
        for p in 0..4u64 {
            let tx = tx.clone();
            weft::spawn(async move {
                for i in 0..1000 {
                    tx.send(p * 1000 + i).await.unwrap();
                }
            });
        }
        drop(tx);
        let mut sum = 0;
        while let Some(v) = within("recv", rx.recv()).await {
            sum += v;
        }
        sum
    });
    assert_eq!(sum, (0..4000u64).sum());
}

#[test]
fn mpsc_send_timeout_times_out_and_sees_close() {
    let rt = rt();
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(1).await.unwrap();
        let r = tx.send_timeout(2, Duration::from_millis(10)).await;
        assert_eq!(r, Err(mpsc::error::SendTimeoutError::Timeout(2)));
        rx.close();
        let r = tx.send_timeout(3, Duration::from_secs(10)).await;
        assert_eq!(r, Err(mpsc::error::SendTimeoutError::Closed(3)));
    });
}

#[test]
fn mpsc_blocking_send_and_recv_work_from_plain_threads() {
    let (tx, mut rx) = mpsc::channel(1);
    let producer = std::thread::spawn(move || {
        for i in 0..100 {
            tx.blocking_send(i).unwrap();
        }
    });
    let mut got = Vec::new();
    while let Some(v) = rx.blocking_recv() {
        got.push(v);
    }
    producer.join().unwrap();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
}

#[test]
fn mpsc_blocking_recv_inside_a_task_panics_naming_the_fix() {
    let rt = rt();
    let err = rt
        .block_on(async {
            let (_tx, mut rx) = mpsc::channel::<u8>(1);
            weft::spawn(async move { rx.blocking_recv() }).await
        })
        .unwrap_err();
    let payload = err.into_panic();
    let msg = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or_default();
    assert!(msg.contains("blocking_recv"), "{msg}");
    assert!(msg.contains("async context"), "{msg}");
    assert!(msg.contains("recv().await"), "{msg}");
}

#[test]
fn mpsc_blocking_recv_works_in_block_in_place_and_spawn_blocking() {
    let rt = rt();
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        let (tx2, mut rx2) = mpsc::channel(1);
        weft::spawn(async move {
            tx.send(1).await.unwrap();
            tx2.send(2).await.unwrap();
        });
        let got = weft::spawn(async move { weft::task::block_in_place(|| rx.blocking_recv()) });
        assert_eq!(within("block_in_place", got).await.unwrap(), Some(1));
        let got = weft::spawn_blocking(move || rx2.blocking_recv());
        assert_eq!(within("spawn_blocking", got).await.unwrap(), Some(2));
    });
}

#[test]
fn mpsc_unbounded_send_never_waits_and_ends_on_close() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..10_000 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.len(), 10_000);
    rx.close();
    assert_eq!(tx.send(0).unwrap_err().0, 0);
    let mut n = 0;
    while rx.try_recv().is_ok() {
        n += 1;
    }
    assert_eq!(n, 10_000);
    assert_eq!(rx.try_recv(), Err(mpsc::error::TryRecvError::Disconnected));
}

#[test]
fn mpsc_recv_spends_the_cooperative_budget() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..1000 {
        tx.send(i).unwrap();
    }
    let mut cx = Context::from_waker(Waker::noop());
    let got = weft_task::coop::budget(|| {
        let mut got = 0;
        while let Poll::Ready(Some(_)) = rx.poll_recv(&mut cx) {
            got += 1;
        }
        got
    });
    assert_eq!(got, weft_task::coop::BUDGET as usize);
}

#[test]
fn mpsc_errors_say_what_happened() {
    let full = mpsc::error::TrySendError::Full(1).to_string();
    assert!(full.contains("full"), "{full}");
    let closed = mpsc::error::SendError(1).to_string();
    assert!(closed.contains("receiver is gone"), "{closed}");
    let empty = mpsc::error::TryRecvError::Empty.to_string();
    assert!(empty.contains("empty"), "{empty}");
    let t = mpsc::error::SendTimeoutError::Timeout(()).to_string();
    assert!(t.contains("timeout"), "{t}");
}

#[test]
#[should_panic(expected = "at least one value")]
fn mpsc_zero_capacity_panics() {
    let _ = mpsc::channel::<()>(0);
}

// ---------------------------------------------------------------- oneshot

#[test]
fn oneshot_delivers_across_tasks() {
    let rt = rt();
    rt.block_on(async {
        let (tx, rx) = oneshot::channel();
        weft::spawn(async move {
            weft::time::sleep(Duration::from_millis(5)).await;
            tx.send(5).unwrap();
        });
        assert_eq!(within("oneshot", rx).await, Ok(5));
    });
}

#[test]
fn oneshot_sender_dropped_gives_recv_error() {
    let rt = rt();
    rt.block_on(async {
        let (tx, rx) = oneshot::channel::<u8>();
        weft::spawn(async move { drop(tx) });
        assert!(within("oneshot", rx).await.is_err());
    });
    let msg = {
        let (tx, rx) = oneshot::channel::<u8>();
        drop(tx);
        rt.block_on(rx).unwrap_err().to_string()
    };
    assert!(msg.contains("dropped without sending"), "{msg}");
}

#[test]
fn oneshot_receiver_dropped_returns_the_value() {
    let (tx, rx) = oneshot::channel();
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(vec![1]), Err(vec![1]));
}

#[test]
fn oneshot_close_wakes_the_sender_and_keeps_a_sent_value() {
    let rt = rt();
    rt.block_on(async {
        let (mut tx, mut rx) = oneshot::channel::<u8>();
        let h = weft::spawn(async move {
            tx.closed().await;
            tx.send(1)
        });
        weft::time::sleep(Duration::from_millis(5)).await;
        rx.close();
        assert_eq!(within("closed", h).await.unwrap(), Err(1));
        assert_eq!(rx.try_recv(), Err(oneshot::error::TryRecvError::Closed));

        let (tx, mut rx) = oneshot::channel();
        tx.send(2).unwrap();
        rx.close();
        assert_eq!(rx.try_recv(), Ok(2));
    });
}

// ---------------------------------------------------------------- broadcast

#[test]
fn broadcast_every_receiver_sees_every_value() {
    let rt = rt();
    rt.block_on(async {
        let (tx, rx) = broadcast::channel(16);
        let mut hs = Vec::new();
        for _ in 0..4 {
            let mut rx = rx.resubscribe();
            hs.push(weft::spawn(async move {
                let mut got = Vec::new();
                while let Ok(v) = rx.recv().await {
                    got.push(v);
                }
                got
            }));
        }
        drop(rx);
        for i in 0..10 {
            assert_eq!(tx.send(i).unwrap(), 4);
        }
        drop(tx);
        for h in hs {
            assert_eq!(within("receiver", h).await.unwrap(), (0..10).collect::<Vec<_>>());
        }
    });
}

#[test]
fn broadcast_lagged_counts_the_overwritten_values() {
    let (tx, mut rx) = broadcast::channel(4);
    for i in 0..7 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.try_recv(), Err(broadcast::error::TryRecvError::Lagged(3)));
    assert_eq!(rx.try_recv(), Ok(3));
    let rt = rt();
    rt.block_on(async {
        for i in 7..12 {
            tx.send(i).unwrap();
        }
        // Next wanted: 4; kept: 8..12.
        assert_eq!(rx.recv().await, Err(broadcast::error::RecvError::Lagged(4)));
        assert_eq!(rx.recv().await, Ok(8));
    });
    let msg = broadcast::error::RecvError::Lagged(4).to_string();
    assert!(msg.contains("4 values"), "{msg}");
}

#[test]
fn broadcast_closed_only_after_the_last_value() {
    let (tx, mut rx) = broadcast::channel(2);
    tx.send(1).unwrap();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(broadcast::error::TryRecvError::Closed));
}

#[test]
fn broadcast_send_without_receivers_returns_the_value() {
    let (tx, rx) = broadcast::channel(2);
    drop(rx);
    assert_eq!(tx.send(3).unwrap_err().0, 3);
    let mut late = tx.subscribe();
    tx.send(4).unwrap();
    assert_eq!(late.try_recv(), Ok(4));
}

#[test]
fn broadcast_waiting_recv_is_woken_by_send_and_by_close() {
    let rt = rt();
    rt.block_on(async {
        let (tx, mut rx) = broadcast::channel::<u8>(2);
        let h = weft::spawn(async move { (rx.recv().await, rx.recv().await) });
        weft::time::sleep(Duration::from_millis(5)).await;
        tx.send(1).unwrap();
        weft::time::sleep(Duration::from_millis(5)).await;
        drop(tx);
        let (a, b) = within("recv", h).await.unwrap();
        assert_eq!(a, Ok(1));
        assert_eq!(b, Err(broadcast::error::RecvError::Closed));
    });
}

// ---------------------------------------------------------------- watch

#[test]
fn watch_changed_wakes_on_send_and_marks_seen() {
    let rt = rt();
    rt.block_on(async {
        let (tx, mut rx) = watch::channel(0);
        let h = weft::spawn(async move {
            rx.changed().await.unwrap();
            let v = *rx.borrow_and_update();
            (v, rx)
        });
        weft::time::sleep(Duration::from_millis(5)).await;
        tx.send(1).unwrap();
        let (v, mut rx) = within("changed", h).await.unwrap();
        assert_eq!(v, 1);
        let mut again = pin!(rx.changed());
        assert!(
            poll_once(again.as_mut()).is_pending(),
            "changed fired twice for one send"
        );
        tx.send(2).unwrap();
        assert!(matches!(poll_once(again.as_mut()), Poll::Ready(Ok(()))));
    });
}

#[test]
fn watch_keeps_only_the_latest_value() {
    let (tx, mut rx) = watch::channel(0);
    for i in 1..=5 {
        tx.send(i).unwrap();
    }
    assert!(rx.has_changed().unwrap());
    assert_eq!(*rx.borrow_and_update(), 5);
    assert!(!rx.has_changed().unwrap());
    tx.send_modify(|v| *v += 1);
    assert_eq!(*rx.borrow(), 6);
    assert!(!tx.send_if_modified(|_| false));
}

#[test]
fn watch_changed_fails_once_the_sender_is_gone() {
    let rt = rt();
    rt.block_on(async {
        let (tx, mut rx) = watch::channel(0);
        tx.send(1).unwrap();
        drop(tx);
        // The unseen value first, then the error.
        assert!(rx.changed().await.is_ok());
        assert!(rx.changed().await.is_err());
        assert_eq!(*rx.borrow(), 1);

        let (tx, mut rx) = watch::channel(0);
        let h = weft::spawn(async move { rx.changed().await });
        weft::time::sleep(Duration::from_millis(5)).await;
        drop(tx);
        assert!(within("changed", h).await.unwrap().is_err());
    });
}

#[test]
fn watch_send_without_receivers_returns_the_value() {
    let (tx, rx) = watch::channel(0);
    drop(rx);
    assert_eq!(tx.send(1).unwrap_err().0, 1);
    assert_eq!(
        tx.send_replace(2),
        0,
        "send_replace stores even with no receivers"
    );
    let rt = rt();
    rt.block_on(within("closed", tx.closed()));
}

#[test]
fn mpsc_weak_sender_does_not_keep_the_channel_open() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let weak = tx.downgrade();
    weak.upgrade().unwrap().try_send(1).unwrap();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(mpsc::error::TryRecvError::Disconnected));
    assert!(weak.upgrade().is_none(), "a weak sender revived an ended channel");
}

#[test]
fn broadcast_sender_closed_resolves_when_the_last_receiver_goes() {
    let (tx, rx1) = broadcast::channel::<u8>(4);
    let rx2 = tx.subscribe();
    let mut closed = pin!(tx.closed());
    assert!(poll_once(closed.as_mut()).is_pending());
    drop(rx1);
    assert!(
        poll_once(closed.as_mut()).is_pending(),
        "closed() resolved while a receiver was alive"
    );
    drop(rx2);
    assert!(poll_once(closed.as_mut()).is_ready());
}

#[test]
fn broadcast_sender_closed_wakes_a_waiting_task() {
    rt().block_on(async {
        let (tx, rx) = broadcast::channel::<u8>(4);
        weft::spawn(async move {
            weft::time::sleep(Duration::from_millis(5)).await;
            drop(rx);
        });
        within("broadcast closed()", tx.closed()).await;
        assert_eq!(tx.receiver_count(), 0);
    });
}
