//! weft::sync::mpsc's reservations as specifications: `reserve_many` and
//! its `PermitIterator`, and what a reservation that is cancelled while it
//! waits hands on (to the next waiter, or to a closed receiver's `recv`).

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use weft::sync::mpsc;

/// Polls `f` once with a no-op waker.
fn poll_once<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

/// A waker that counts its wakes.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    fn wakes(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Polls `f` once with `waker`.
fn poll_with<F: Future + ?Sized>(f: Pin<&mut F>, waker: &Arc<CountingWaker>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(&Waker::from(waker.clone())))
}

// ------------------------------------------- cancelled waits hand slots on

/// The shared second half of the three tests below: `waiting` (a send or
/// reservation that was handed the channel's last free slots but has not
/// been polled since) is still outstanding when `rx` closes, so `recv`
/// must wait; dropping `waiting` puts the slots back unused, which is what
/// ends the channel, so it must wake `recv`, which then returns `None`.
fn dropping_the_granted_wait_ends_recv<F: Future>(
    rx: &mut mpsc::Receiver<u8>,
    waiting: Pin<Box<F>>,
    what: &str,
) {
    rx.close();
    let waker = Arc::new(CountingWaker::default());
    let mut recv = pin!(rx.recv());
    assert!(
        poll_with(recv.as_mut(), &waker).is_pending(),
        "{what}: a slot is still reserved, so a value may still come"
    );
    drop(waiting);
    assert_eq!(
        waker.wakes(),
        1,
        "{what}: dropping it after the close did not wake recv"
    );
    assert_eq!(poll_with(recv.as_mut(), &waker), Poll::Ready(None));
}

#[test]
fn reservation_granted_then_dropped_after_close_ends_recv() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let first = tx.try_reserve().unwrap();
    let mut waiting = Box::pin(tx.reserve());
    assert!(poll_once(waiting.as_mut()).is_pending());
    drop(first); // the slot is handed to `waiting`, which has not seen it yet
    dropping_the_granted_wait_ends_recv(&mut rx, waiting, "a granted reserve");
}

#[test]
fn send_granted_then_dropped_after_close_ends_recv() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let first = tx.try_reserve().unwrap();
    let mut waiting = Box::pin(tx.send(7));
    assert!(poll_once(waiting.as_mut()).is_pending());
    drop(first);
    dropping_the_granted_wait_ends_recv(&mut rx, waiting, "a granted send");
}

#[test]
fn reserve_many_granted_then_dropped_after_close_ends_recv() {
    let (tx, mut rx) = mpsc::channel::<u8>(2);
    let held = tx.try_reserve_many(2).unwrap();
    let mut waiting = Box::pin(tx.reserve_many(2));
    assert!(poll_once(waiting.as_mut()).is_pending());
    drop(held); // both slots are handed to `waiting`
    dropping_the_granted_wait_ends_recv(&mut rx, waiting, "a granted reserve_many");
}

#[test]
fn cancelled_partial_reserve_many_hands_its_slots_on() {
    let (tx, _rx) = mpsc::channel::<u8>(2);
    let held = tx.try_reserve().unwrap();
    // `many` becomes the queue front and takes the one free slot.
    let mut many = Box::pin(tx.reserve_many(2));
    assert!(poll_once(many.as_mut()).is_pending());
    assert_eq!(tx.capacity(), 0, "the front waiter holds the free slot");
    let waker = Arc::new(CountingWaker::default());
    let mut one = pin!(tx.reserve());
    assert!(poll_with(one.as_mut(), &waker).is_pending(), "behind `many`");
    drop(many);
    assert_eq!(
        waker.wakes(),
        1,
        "the slot of the cancelled reserve_many was not handed to the next waiter"
    );
    let permit = match poll_with(one.as_mut(), &waker) {
        Poll::Ready(Ok(p)) => p,
        other => panic!("the next waiter did not get the slot: {other:?}"),
    };
    drop((permit, held));
    assert_eq!(tx.capacity(), 2, "a slot was lost");
}

#[test]
fn partial_reserve_many_fails_at_close_and_recv_ends() {
    let (tx, mut rx) = mpsc::channel::<u8>(2);
    let held = tx.try_reserve().unwrap();
    let mut many = pin!(tx.reserve_many(2));
    assert!(poll_once(many.as_mut()).is_pending());
    rx.close();
    assert!(matches!(poll_once(many.as_mut()), Poll::Ready(Err(_))));
    drop(held);
    assert_eq!(poll_once(pin!(rx.recv())), Poll::Ready(None));
}

// ------------------------------------------------------------ reserve_many

#[test]
fn reserve_many_beyond_the_bound_fails_at_once() {
    let (tx, _rx) = mpsc::channel::<u8>(2);
    assert!(
        matches!(poll_once(pin!(tx.reserve_many(3))), Poll::Ready(Err(_))),
        "more than max_capacity can never be reserved: an error, not a wait"
    );
    assert_eq!(
        tx.try_reserve_many(3).unwrap_err(),
        mpsc::error::TrySendError::Full(())
    );
    assert_eq!(tx.capacity(), 2);
}

#[test]
fn reserve_many_of_zero_is_an_empty_iterator() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    tx.try_send(1).unwrap();
    // Full, and a sender waits: zero slots are still there at once.
    let mut waiting = pin!(tx.send(2));
    assert!(poll_once(waiting.as_mut()).is_pending());
    match poll_once(pin!(tx.reserve_many(0))) {
        Poll::Ready(Ok(mut it)) => {
            assert_eq!(it.len(), 0);
            assert!(it.next().is_none());
        }
        other => panic!("reserve_many(0) did not complete at once: {other:?}"),
    }
    assert_eq!(tx.try_reserve_many(0).unwrap().len(), 0);
    rx.close();
    assert!(matches!(poll_once(pin!(tx.reserve_many(0))), Poll::Ready(Err(_))));
    assert_eq!(
        tx.try_reserve_many(0).unwrap_err(),
        mpsc::error::TrySendError::Closed(())
    );
}

#[test]
fn reserve_many_fails_once_the_receiver_is_gone() {
    let (tx, mut rx) = mpsc::channel::<u8>(2);
    let held = tx.try_reserve().unwrap();
    let waker = Arc::new(CountingWaker::default());
    let mut waiting = pin!(tx.reserve_many(2));
    assert!(poll_with(waiting.as_mut(), &waker).is_pending());
    rx.close();
    assert_eq!(
        waker.wakes(),
        1,
        "the close did not wake the waiting reserve_many"
    );
    assert!(matches!(poll_with(waiting.as_mut(), &waker), Poll::Ready(Err(_))));
    assert!(matches!(poll_once(pin!(tx.reserve_many(1))), Poll::Ready(Err(_))));
    assert_eq!(
        tx.try_reserve_many(1).unwrap_err(),
        mpsc::error::TrySendError::Closed(())
    );
    drop(held);
    drop(rx);
    assert!(matches!(poll_once(pin!(tx.reserve_many(1))), Poll::Ready(Err(_))));
}

#[test]
fn reserve_many_permits_send_in_order() {
    let (tx, mut rx) = mpsc::channel(4);
    let permits = tx.try_reserve_many(3).unwrap();
    tx.try_send(100).unwrap(); // the fourth slot, sent after the reservation
    for (i, permit) in permits.enumerate() {
        permit.send(i);
    }
    let got: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    assert_eq!(got, [100, 0, 1, 2], "values queue in the order they are sent");
}

#[test]
fn try_reserve_many_without_room_is_full_and_takes_nothing() {
    let (tx, _rx) = mpsc::channel::<u8>(3);
    let one = tx.try_reserve().unwrap();
    assert_eq!(
        tx.try_reserve_many(3).unwrap_err(),
        mpsc::error::TrySendError::Full(())
    );
    assert_eq!(tx.capacity(), 2, "a failed try_reserve_many took slots");
    assert_eq!(tx.try_reserve_many(2).unwrap().len(), 2);
    drop(one);
}

#[test]
fn try_reserve_many_does_not_overtake_a_waiting_sender() {
    let (tx, mut rx) = mpsc::channel::<u8>(2);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    let mut many = pin!(tx.reserve_many(2));
    assert!(poll_once(many.as_mut()).is_pending());
    assert_eq!(rx.try_recv(), Ok(1)); // one slot, to the waiting front
    assert_eq!(
        tx.try_reserve_many(1).unwrap_err(),
        mpsc::error::TrySendError::Full(())
    );
    assert_eq!(rx.try_recv(), Ok(2));
    assert!(matches!(poll_once(many.as_mut()), Poll::Ready(Ok(it)) if it.len() == 2));
}

#[test]
fn dropping_the_permit_iterator_gives_its_unused_slots_back() {
    let (tx, mut rx) = mpsc::channel(3);
    let mut permits = tx.try_reserve_many(3).unwrap();
    permits.next().unwrap().send(1);
    assert_eq!(permits.len(), 2);
    let waker = Arc::new(CountingWaker::default());
    let mut waiting = pin!(tx.reserve_many(2));
    assert!(poll_with(waiting.as_mut(), &waker).is_pending());
    drop(permits);
    assert_eq!(waker.wakes(), 1, "the returned slots did not reach the waiter");
    assert!(matches!(poll_with(waiting.as_mut(), &waker), Poll::Ready(Ok(it)) if it.len() == 2));
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn dropping_the_permit_iterator_after_close_ends_recv() {
    let (tx, mut rx) = mpsc::channel::<u8>(2);
    let mut permits = tx.try_reserve_many(2).unwrap();
    permits.next().unwrap().send(1);
    rx.close();
    assert_eq!(poll_once(pin!(rx.recv())), Poll::Ready(Some(1)));
    let waker = Arc::new(CountingWaker::default());
    let mut recv = pin!(rx.recv());
    assert!(
        poll_with(recv.as_mut(), &waker).is_pending(),
        "one slot is still reserved"
    );
    drop(permits);
    assert_eq!(waker.wakes(), 1);
    assert_eq!(poll_with(recv.as_mut(), &waker), Poll::Ready(None));
}

#[test]
fn waiting_reserve_many_is_woken_as_capacity_frees() {
    let (tx, mut rx) = mpsc::channel(3);
    for i in 0..3 {
        tx.try_send(i).unwrap();
    }
    let waker = Arc::new(CountingWaker::default());
    let mut many = pin!(tx.reserve_many(3));
    assert!(poll_with(many.as_mut(), &waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(waker.wakes(), 0, "woken before all three slots were free");
    assert!(poll_with(many.as_mut(), &waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(waker.wakes(), 1, "not woken once the third slot freed");
    match poll_with(many.as_mut(), &waker) {
        Poll::Ready(Ok(it)) => assert_eq!(it.len(), 3),
        other => panic!("the woken reserve_many was not ready: {other:?}"),
    };
}

#[test]
fn reserve_many_in_a_task_waits_for_a_slow_receiver() {
    let rt = weft::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel(4);
        let producer = weft::spawn(async move {
            for batch in 0..10 {
                let permits = tx.reserve_many(3).await.expect("the receiver is alive");
                for (i, p) in permits.enumerate() {
                    p.send(batch * 3 + i);
                }
            }
        });
        let mut got = Vec::new();
        let work = async {
            while let Some(v) = rx.recv().await {
                got.push(v);
                weft::task::yield_now().await;
            }
        };
        weft::time::timeout(std::time::Duration::from_secs(10), work)
            .await
            .expect("the receiver ended within 10 s");
        producer.await.unwrap();
        assert_eq!(got, (0..30).collect::<Vec<_>>());
    });
}
