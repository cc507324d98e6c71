//! The Runtime, one behaviour per test.

use std::collections::HashSet;
use std::future::{pending, Future};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use weft::runtime::Handle;
use weft::Runtime;

fn rt(workers: usize) -> Runtime {
    Runtime::builder().worker_threads(workers).build().unwrap()
}

struct DropFlag(Arc<AtomicUsize>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn panic_message(e: weft::task::JoinError) -> String {
    let p = e.into_panic();
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

#[test]
fn block_on_returns_the_output() {
    assert_eq!(rt(2).block_on(async { 6 * 7 }), 42);
}

#[test]
fn block_on_runs_a_future_that_is_not_send() {
    let rc = std::rc::Rc::new(5);
    assert_eq!(rt(1).block_on(async move { *rc }), 5);
}

#[test]
fn spawn_from_outside_and_inside() {
    let rt = rt(2);
    let outside = rt.spawn(async { weft::spawn(async { 1 }).await.unwrap() + 1 });
    assert_eq!(rt.block_on(outside).unwrap(), 2);
}

#[test]
fn thousands_of_tasks_are_spawned_and_joined() {
    let rt = rt(2);
    let total = rt.block_on(async {
        let hs: Vec<_> = (0..10_000u64).map(|i| weft::spawn(async move { i })).collect();
        let mut sum = 0;
        for h in hs {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(total, (0..10_000).sum());
}

#[test]
#[should_panic(expected = "there is no weft runtime on this thread")]
fn spawn_outside_a_runtime_panics_naming_the_fix() {
    drop(weft::spawn(async {}));
}

#[test]
#[should_panic(expected = "there is no weft runtime on this thread")]
fn handle_current_outside_a_runtime_panics_naming_the_fix() {
    let _ = Handle::current();
}

#[test]
fn try_current_is_an_error_outside_and_ok_inside() {
    assert!(Handle::try_current().is_err());
    let rt = rt(1);
    assert!(rt.block_on(async { Handle::try_current().is_ok() }));
    assert!(rt
        .block_on(rt.spawn(async { Handle::try_current().is_ok() }))
        .unwrap());
    let _g = rt.enter();
    assert!(Handle::current().ptr_eq(rt.handle()));
}

#[test]
fn handle_is_clone_send_sync_and_blocks_on_from_another_thread() {
    fn check<T: Clone + Send + Sync>() {}
    check::<Handle>();
    let rt = rt(1);
    let h = rt.handle().clone();
    let v = std::thread::spawn(move || h.block_on(async { weft::spawn(async { 9 }).await.unwrap() }))
        .join()
        .unwrap();
    assert_eq!(v, 9);
}

#[test]
fn block_on_inside_a_worker_panics_with_advice() {
    let rt = rt(1);
    let err = rt
        .block_on(rt.spawn(async {
            Handle::current().block_on(async {});
        }))
        .unwrap_err();
    let msg = panic_message(err);
    assert!(msg.contains("worker thread") && msg.contains(".await"), "{msg}");
}

#[test]
fn a_panicking_task_does_not_take_down_its_worker() {
    let rt = rt(1);
    let err = rt
        .block_on(rt.spawn(async { panic!("task failure") }))
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(panic_message(err), "task failure");
    // The only worker still runs tasks.
    assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
}

#[test]
fn tasks_belong_to_the_runtime_that_spawned_them() {
    let a = rt(1);
    let b = rt(1);
    let (ha, hb) = (a.handle().clone(), b.handle().clone());
    let in_b = a.block_on(async move {
        b.spawn(async move { Handle::current().ptr_eq(&hb) })
            .await
            .unwrap()
    });
    assert!(in_b);
    assert!(a
        .block_on(a.spawn(async move { Handle::current().ptr_eq(&ha) }))
        .unwrap());
}

#[test]
fn dropping_the_runtime_cancels_parked_tasks_and_drops_their_futures() {
    let rt = rt(2);
    let drops = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..100)
        .map(|_| {
            let flag = DropFlag(drops.clone());
            rt.spawn(async move {
                let _f = flag;
                pending::<()>().await
            })
        })
        .collect();
    // Let them all reach their pending point.
    rt.block_on(async { weft::task::yield_now().await });
    drop(rt);
    assert_eq!(drops.load(SeqCst), 100);
    let probe = weft_executor::block_on(async move {
        let mut cancelled = 0;
        for h in handles {
            if h.await.unwrap_err().is_cancelled() {
                cancelled += 1;
            }
        }
        cancelled
    });
    assert_eq!(probe, 100);
}

#[test]
fn futures_are_dropped_on_a_runtime_thread_at_shutdown() {
    struct RecordThread(Arc<Mutex<Option<String>>>);
    impl Drop for RecordThread {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = std::thread::current().name().map(str::to_owned);
        }
    }
    let rt = Runtime::builder()
        .worker_threads(1)
        .thread_name("shut")
        .build()
        .unwrap();
    let seen = Arc::new(Mutex::new(None));
    let rec = RecordThread(seen.clone());
    rt.spawn(async move {
        let _r = rec;
        pending::<()>().await
    });
    rt.block_on(async { weft::task::yield_now().await });
    drop(rt);
    assert_eq!(seen.lock().unwrap().as_deref(), Some("shut-worker-0"));
}

#[test]
fn spawn_through_a_leftover_handle_after_drop_is_cancelled() {
    let rt = rt(1);
    let h = rt.handle().clone();
    drop(rt);
    let drops = Arc::new(AtomicUsize::new(0));
    let flag = DropFlag(drops.clone());
    let jh = h.spawn(async move {
        let _f = flag;
    });
    assert_eq!(drops.load(SeqCst), 1, "the future is dropped at once");
    assert!(weft_executor::block_on(jh).unwrap_err().is_cancelled());
}

#[test]
fn shutdown_timeout_returns_in_time_despite_a_blocked_worker() {
    let rt = rt(1);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let started = Arc::new(AtomicBool::new(false));
    let s = started.clone();
    rt.spawn(async move {
        s.store(true, SeqCst);
        // Misbehaving task: blocks its worker until the test releases it.
        let _ = rx.recv();
    });
    while !started.load(SeqCst) {
        std::thread::yield_now();
    }
    let t0 = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(100));
    assert!(
        t0.elapsed() < Duration::from_secs(30),
        "shutdown_timeout did not bound the wait"
    );
    drop(tx);
}

#[test]
fn runtime_threads_do_not_outlive_the_drop() {
    let stopped = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    let (s1, s2) = (started.clone(), stopped.clone());
    let rt = Runtime::builder()
        .worker_threads(3)
        .on_thread_start(move || {
            s1.fetch_add(1, SeqCst);
        })
        .on_thread_stop(move || {
            s2.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap();
    rt.block_on(async {});
    drop(rt);
    assert_eq!(stopped.load(SeqCst), 3);
    assert_eq!(started.load(SeqCst), 3);
}

#[test]
fn worker_threads_are_named_after_the_builder_name() {
    let rt = Runtime::builder()
        .worker_threads(2)
        .thread_name("app")
        .build()
        .unwrap();
    let name = rt
        .block_on(rt.spawn(async { std::thread::current().name().unwrap().to_owned() }))
        .unwrap();
    assert!(name.starts_with("app-worker-"), "{name}");
}

#[test]
#[should_panic(expected = "at least one worker")]
fn zero_workers_is_refused_with_a_message() {
    Runtime::builder().worker_threads(0);
}

#[test]
fn abort_cancels_a_pending_task() {
    let rt = rt(2);
    let drops = Arc::new(AtomicUsize::new(0));
    let flag = DropFlag(drops.clone());
    let h = rt.spawn(async move {
        let _f = flag;
        pending::<()>().await
    });
    h.abort();
    assert!(rt.block_on(h).unwrap_err().is_cancelled());
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn yield_now_goes_behind_the_tasks_already_waiting() {
    let rt = rt(1);
    let order = Arc::new(Mutex::new(Vec::new()));
    let o = order.clone();
    rt.block_on(rt.spawn(async move {
        let o2 = o.clone();
        let other = weft::spawn(async move { o2.lock().unwrap().push("other") });
        weft::task::yield_now().await;
        o.lock().unwrap().push("yielder");
        other.await.unwrap();
    }))
    .unwrap();
    assert_eq!(*order.lock().unwrap(), vec!["other", "yielder"]);
}

/// A one-slot signal between two tasks.
#[derive(Default)]
struct Signal {
    state: Mutex<(bool, Option<Waker>)>,
}

impl Signal {
    fn set(&self) {
        let w = {
            let mut s = self.state.lock().unwrap();
            s.0 = true;
            s.1.take()
        };
        if let Some(w) = w {
            w.wake();
        }
    }
    fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            let mut s = self.state.lock().unwrap();
            if std::mem::take(&mut s.0) {
                Poll::Ready(())
            } else {
                s.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

#[test]
fn a_ping_pong_pair_cannot_starve_a_queued_task() {
    let rt = rt(1);
    let exchanges = Arc::new(AtomicUsize::new(0));
    let seen_at = rt
        .block_on(rt.spawn({
            let exchanges = exchanges.clone();
            async move {
                let (ping, pong) = (Arc::new(Signal::default()), Arc::new(Signal::default()));
                let (p1, q1, e1) = (ping.clone(), pong.clone(), exchanges.clone());
                let a = weft::spawn(async move {
                    for _ in 0..10_000 {
                        q1.set();
                        p1.wait().await;
                        e1.fetch_add(1, SeqCst);
                    }
                    q1.set();
                });
                let (p2, q2) = (ping.clone(), pong.clone());
                let b = weft::spawn(async move {
                    for _ in 0..10_000 {
                        q2.wait().await;
                        p2.set();
                    }
                });
                let e3 = exchanges.clone();
                let bystander = weft::spawn(async move { e3.load(SeqCst) });
                let at = bystander.await.unwrap();
                a.await.unwrap();
                b.await.unwrap();
                at
            }
        }))
        .unwrap();
    assert!(
        seen_at < 10_000,
        "the bystander ran only after the ping-pong ended"
    );
}

#[test]
fn work_from_outside_is_not_starved_by_local_work() {
    let rt = rt(1);
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let spinner = rt.spawn(async move {
        // Always-ready local work: yields, re-queues itself, forever.
        while !s.load(SeqCst) {
            weft::task::yield_now().await;
        }
    });
    // From outside: goes through the injector.
    let s = stop.clone();
    let stopper = rt.spawn(async move { s.store(true, SeqCst) });
    rt.block_on(async {
        stopper.await.unwrap();
        spinner.await.unwrap();
    });
}

#[test]
fn consume_budget_lets_a_busy_task_share_its_worker() {
    let rt = rt(1);
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    rt.block_on(rt.spawn(async move {
        let s2 = s.clone();
        let busy = weft::spawn(async move {
            while !s2.load(SeqCst) {
                weft::task::consume_budget().await;
            }
        });
        let setter = weft::spawn(async move { s.store(true, SeqCst) });
        setter.await.unwrap();
        busy.await.unwrap();
    }))
    .unwrap();
}

#[test]
fn idle_workers_steal_from_a_busy_one() {
    // Handoff off: on a slow machine (valgrind) a 2 ms poll can pass the
    // handoff threshold, and the worker would go on under a third name.
    let rt = Runtime::builder()
        .worker_threads(2)
        .handoff(None)
        .build()
        .unwrap();
    let names = rt
        .block_on(rt.spawn(async {
            // Spawned from one worker: all land in its local queue.
            let hs: Vec<_> = (0..64)
                .map(|_| {
                    weft::spawn(async {
                        std::thread::sleep(Duration::from_millis(2));
                        std::thread::current().name().unwrap().to_owned()
                    })
                })
                .collect();
            let mut names = HashSet::new();
            for h in hs {
                names.insert(h.await.unwrap());
            }
            names
        }))
        .unwrap();
    assert_eq!(names.len(), 2, "both workers ran tasks: {names:?}");
    let steals: u64 = rt.metrics().workers().iter().map(|w| w.steals).sum();
    assert!(steals > 0);
}

#[test]
fn block_on_wakes_when_a_worker_completes_its_awaited_task() {
    let rt = rt(2);
    for _ in 0..200 {
        let h = rt.spawn(async {
            weft::task::yield_now().await;
            1
        });
        assert_eq!(rt.block_on(h).unwrap(), 1);
    }
}

#[test]
fn dropping_a_runtime_inside_a_task_panics_with_advice() {
    let outer = rt(1);
    let inner = rt(1);
    let err = outer
        .block_on(outer.spawn(async move { drop(inner) }))
        .unwrap_err();
    let msg = panic_message(err);
    assert!(msg.contains("dropped inside an async context"), "{msg}");
}

#[test]
fn metrics_count_polls_and_report_queues() {
    let rt = rt(2);
    rt.block_on(async {
        for _ in 0..10 {
            weft::spawn(async {}).await.unwrap();
        }
    });
    let m = rt.metrics();
    assert_eq!(m.num_workers(), 2);
    assert!(m.total_polls() >= 10);
    assert_eq!(m.injector_depth(), 0);
}
