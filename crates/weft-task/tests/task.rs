//! Behaviour of a task, one behaviour per test.
// The tests wake by value on purpose: `Waker::wake` and `wake_by_ref` are
// different transitions of the state word.
#![allow(clippy::waker_clone_wake)]

mod common;

use std::future::{pending, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use common::{poll_once, DropCount, Fifo, Gate};

#[test]
fn runs_to_completion_and_joins_output() {
    let s = Fifo::new();
    let mut h = s.spawn(async { 40 + 2 });
    assert!(poll_once(&mut h).is_pending());
    assert_eq!(s.run_all(), 1);
    assert!(h.is_finished());
    assert_eq!(poll_once(&mut h).map(|r| r.unwrap()), Poll::Ready(42));
}

#[test]
fn wake_from_outside_reschedules_idle_task_once() {
    let s = Fifo::new();
    let gate = Gate::default();
    let mut h = s.spawn(gate.clone());
    s.run_all();
    let w = gate.waker().unwrap();
    w.wake_by_ref();
    w.wake_by_ref();
    assert_eq!(s.queued(), 1, "two wakes of an idle task queue it once");
    gate.open();
    s.run_all();
    assert!(poll_once(&mut h).is_ready());
    assert_eq!(gate.polls(), 2, "one poll before the wakes, one after");
}

#[test]
fn wake_during_poll_reschedules_once_after_the_poll() {
    struct WakeSelf(usize);
    impl Future for WakeSelf {
        type Output = usize;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
            self.0 += 1;
            if self.0 == 3 {
                return Poll::Ready(self.0);
            }
            cx.waker().wake_by_ref();
            cx.waker().clone().wake();
            Poll::Pending
        }
    }
    let s = Fifo::new();
    let mut h = s.spawn(WakeSelf(0));
    assert_eq!(s.run_all(), 3);
    assert_eq!(
        s.0.yields.load(Ordering::SeqCst),
        2,
        "each self-wake is one yield_now"
    );
    assert_eq!(poll_once(&mut h).map(|r| r.unwrap()), Poll::Ready(3));
}

#[test]
fn wake_after_completion_does_nothing() {
    let s = Fifo::new();
    let gate = Gate::default();
    let _h = s.spawn(gate.clone());
    s.run_all();
    let w = gate.waker().unwrap();
    gate.open();
    s.run_all();
    w.wake_by_ref();
    w.wake();
    assert_eq!(s.queued(), 0);
}

#[test]
fn wakers_outlive_the_task_and_its_handle() {
    let s = Fifo::new();
    let gate = Gate::default();
    let drops = DropCount::default();
    let tok = drops.token();
    let h = s.spawn({
        let g = gate.clone();
        async move {
            let _t = tok;
            g.await
        }
    });
    s.run_all();
    let w = gate.waker().unwrap();
    drop(h);
    gate.open();
    s.run_all();
    assert_eq!(drops.get(), 1);
    w.wake(); // the last reference: frees the task
}

#[test]
fn panic_while_polling_becomes_join_error() {
    let s = Fifo::new();
    let mut h = s.spawn(async { panic!("boom in task") });
    s.run_all();
    match poll_once(&mut h) {
        Poll::Ready(Err(e)) => {
            assert!(e.is_panic());
            assert_eq!(*e.into_panic().downcast::<&str>().unwrap(), "boom in task");
        }
        other => panic!("expected a panic error, got {other:?}"),
    }
}

#[test]
fn panic_while_dropping_the_future_becomes_join_error() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("boom in drop");
        }
    }
    let s = Fifo::new();
    let mut h = s.spawn(async {
        let _p = PanicOnDrop;
    });
    s.run_all();
    assert!(matches!(poll_once(&mut h), Poll::Ready(Err(e)) if e.is_panic()));
}

#[test]
fn panic_while_dropping_an_unjoined_output_is_contained() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("boom in output drop");
        }
    }
    let s = Fifo::new();
    drop(s.spawn(async { PanicOnDrop }));
    s.run_all(); // must not unwind
}

#[test]
fn dropping_join_handle_detaches_task() {
    let s = Fifo::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let drops = DropCount::default();
    let r = ran.clone();
    let tok = drops.token();
    drop(s.spawn(async move {
        r.fetch_add(1, Ordering::SeqCst);
        tok
    }));
    s.run_all();
    assert_eq!(ran.load(Ordering::SeqCst), 1, "the task still runs");
    assert_eq!(drops.get(), 1, "its output is dropped");
}

#[test]
fn abort_idle_task_drops_future_on_next_run() {
    let s = Fifo::new();
    let drops = DropCount::default();
    let tok = drops.token();
    let mut h = s.spawn(async move {
        let _t = tok;
        pending::<()>().await
    });
    s.run_all();
    h.abort();
    assert_eq!(
        drops.get(),
        0,
        "abort does not drop the future on the caller's thread"
    );
    assert_eq!(s.queued(), 1, "abort schedules an idle task once");
    h.abort();
    assert_eq!(s.queued(), 1);
    s.run_all();
    assert_eq!(drops.get(), 1);
    assert!(matches!(poll_once(&mut h), Poll::Ready(Err(e)) if e.is_cancelled()));
}

#[test]
fn abort_during_poll_takes_effect_after_the_poll() {
    struct AbortSelf(Option<weft_task::AbortHandle>, DropCount, usize);
    impl Future for AbortSelf {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
            self.2 += 1;
            if let Some(a) = self.0.take() {
                a.abort();
                assert_eq!(self.1.get(), 0, "not dropped while running");
            }
            Poll::Pending
        }
    }
    let s = Fifo::new();
    let drops = DropCount::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let d = drops.clone();
    let tok = drops.token();
    let mut h = s.spawn(async move {
        let a = rx.recv().unwrap();
        let _t = tok;
        AbortSelf(Some(a), d, 0).await
    });
    tx.send(h.abort_handle()).unwrap();
    s.run_all();
    assert_eq!(drops.get(), 1);
    assert!(matches!(poll_once(&mut h), Poll::Ready(Err(e)) if e.is_cancelled()));
}

#[test]
fn abort_after_completion_does_nothing() {
    let s = Fifo::new();
    let mut h = s.spawn(async { 7 });
    s.run_all();
    h.abort();
    assert_eq!(s.queued(), 0);
    assert_eq!(poll_once(&mut h).map(|r| r.unwrap()), Poll::Ready(7));
}

#[test]
fn join_handle_wakes_joiner_on_completion() {
    struct Flag(AtomicUsize);
    impl std::task::Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let s = Fifo::new();
    let gate = Gate::default();
    let mut h = s.spawn(gate.clone());
    let flag = Arc::new(Flag(AtomicUsize::new(0)));
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    assert!(Pin::new(&mut h).poll(&mut cx).is_pending());
    // A second poll with another waker replaces the first.
    let flag2 = Arc::new(Flag(AtomicUsize::new(0)));
    let waker2 = Waker::from(flag2.clone());
    assert!(Pin::new(&mut h)
        .poll(&mut Context::from_waker(&waker2))
        .is_pending());
    s.run_all();
    gate.open();
    s.run_all();
    assert_eq!(flag.0.load(Ordering::SeqCst), 0);
    assert_eq!(flag2.0.load(Ordering::SeqCst), 1);
    assert!(Pin::new(&mut h).poll(&mut cx).is_ready());
}

#[test]
#[should_panic(expected = "polled after it returned its output")]
fn polling_join_handle_after_output_panics_with_advice() {
    let s = Fifo::new();
    let mut h = s.spawn(async {});
    s.run_all();
    let _ = poll_once(&mut h);
    let _ = poll_once(&mut h);
}

#[test]
fn abort_handle_is_send_sync_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<weft_task::AbortHandle>();
    fn check_join<T: Send + Sync + Unpin>() {}
    check_join::<weft_task::JoinHandle<String>>();
}

#[test]
fn ids_are_exposed_on_every_handle() {
    let s = Fifo::new();
    let mut h = s.spawn(async { panic!("x") });
    let id = h.id();
    assert_eq!(h.abort_handle().id(), id);
    s.run_all();
    let Poll::Ready(Err(e)) = poll_once(&mut h) else {
        panic!()
    };
    assert_eq!(e.id(), id);
}

#[test]
fn shutdown_cancels_idle_tasks_and_drops_their_futures() {
    let s = Fifo::with_owned();
    let drops = DropCount::default();
    let mut handles: Vec<_> = (0..10)
        .map(|_| {
            let tok = drops.token();
            s.spawn(async move {
                let _t = tok;
                pending::<()>().await
            })
        })
        .collect();
    s.run_all();
    assert_eq!(s.0.owned.as_ref().unwrap().len(), 10);
    s.0.owned.as_ref().unwrap().close_and_shutdown_all();
    assert_eq!(drops.get(), 10);
    for h in &mut handles {
        assert!(matches!(poll_once(h), Poll::Ready(Err(e)) if e.is_cancelled()));
    }
    assert!(s.0.owned.as_ref().unwrap().is_empty());
}

#[test]
fn shutdown_cancels_queued_tasks_never_polled() {
    let s = Fifo::with_owned();
    let gate = Gate::default();
    let mut h = s.spawn(gate.clone());
    s.0.owned.as_ref().unwrap().close_and_shutdown_all();
    s.run_all(); // the stale Notified must not poll it
    assert_eq!(gate.polls(), 0);
    assert!(matches!(poll_once(&mut h), Poll::Ready(Err(e)) if e.is_cancelled()));
}

#[test]
fn bind_after_close_cancels_at_once() {
    let s = Fifo::with_owned();
    s.0.owned.as_ref().unwrap().close_and_shutdown_all();
    let drops = DropCount::default();
    let tok = drops.token();
    let mut h = s.spawn(async move { tok });
    assert_eq!(s.queued(), 0);
    assert_eq!(drops.get(), 1);
    assert!(matches!(poll_once(&mut h), Poll::Ready(Err(e)) if e.is_cancelled()));
}

#[test]
fn completed_tasks_leave_the_owned_list() {
    let s = Fifo::with_owned();
    let hs: Vec<_> = (0..100).map(|i| s.spawn(async move { i })).collect();
    assert_eq!(s.0.owned.as_ref().unwrap().len(), 100);
    s.run_all();
    assert!(s.0.owned.as_ref().unwrap().is_empty());
    drop(hs);
}

#[test]
fn unowned_task_dropped_unrun_cancels_its_handle() {
    let s = Fifo::new();
    let (task, mut h) = weft_task::unowned(async { 1 }, s.clone(), weft_task::Id::next());
    drop(task);
    assert!(matches!(poll_once(&mut h), Poll::Ready(Err(e)) if e.is_cancelled()));
}

#[test]
fn join_handle_honours_the_budget() {
    let s = Fifo::new();
    let mut h = s.spawn(async { 1 });
    s.run_all();
    let mut cx = Context::from_waker(Waker::noop());
    weft_task::coop::budget(|| {
        while weft_task::coop::has_budget_remaining() {
            let _ = weft_task::coop::poll_proceed(&mut cx).map(|g| g.made_progress());
        }
        assert!(Pin::new(&mut h).poll(&mut cx).is_pending(), "no budget: Pending");
    });
    assert!(Pin::new(&mut h).poll(&mut cx).is_ready());
}

#[test]
fn stress_wakes_from_many_threads() {
    let s = Fifo::new();
    let gate = Gate::default();
    let mut h = s.spawn(gate.clone());
    s.run_all();
    let w = gate.waker().unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let w = w.clone();
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    w.wake_by_ref();
                    w.clone().wake();
                }
            })
        })
        .collect();
    for _ in 0..200 {
        s.run_all();
    }
    for t in threads {
        t.join().unwrap();
    }
    s.run_all();
    gate.open();
    s.run_all();
    assert!(poll_once(&mut h).is_ready());
}
