//! `weft::task::JoinSet`, as a specification.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use weft::task::JoinSet;
use weft::Runtime;

/// Long enough to turn a hang into a failure on a slow machine.
const HANG: Duration = Duration::from_secs(30);

fn rt() -> Runtime {
    Runtime::builder().worker_threads(2).build().unwrap()
}

/// Both flavours, each built when the case reaches it and named on
/// stderr, so a failure says which one it was on.
fn runtimes() -> impl Iterator<Item = Runtime> {
    ["multi-thread", "current-thread"].into_iter().map(|flavour| {
        eprintln!("next: on a {flavour} runtime");
        match flavour {
            "multi-thread" => rt(),
            _ => weft::Builder::new_current_thread().build().unwrap(),
        }
    })
}

/// An async one-shot gate: tasks wait on it, the test opens it.
#[derive(Clone, Default)]
struct Gate(Arc<Mutex<(bool, Vec<Waker>)>>);

impl Gate {
    fn open(&self) {
        let wakers = {
            let mut g = self.0.lock().unwrap();
            g.0 = true;
            std::mem::take(&mut g.1)
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let gate = self.clone();
        std::future::poll_fn(move |cx: &mut Context<'_>| {
            let mut g = gate.0.lock().unwrap();
            if g.0 {
                Poll::Ready(())
            } else {
                g.1.push(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

/// Counts drops, to see every future dropped.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Waits (running the runtime, which a current-thread one needs to drop
/// aborted futures) until `cond` holds.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < HANG, "timed out waiting until {what}");
        weft::time::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn join_next_returns_results_in_the_order_tasks_finish() {
    for rt in runtimes() {
        rt.block_on(async {
            let gates: Vec<Gate> = (0..5).map(|_| Gate::default()).collect();
            let mut set = JoinSet::new();
            for (i, gate) in gates.iter().enumerate() {
                let wait = gate.wait();
                set.spawn(async move {
                    wait.await;
                    i
                });
            }
            for i in [3, 0, 4, 1, 2] {
                gates[i].open();
                assert_eq!(set.join_next().await.unwrap().unwrap(), i);
            }
            assert!(set.join_next().await.is_none());
        });
    }
}

#[test]
fn results_that_pile_up_come_out_in_finishing_order() {
    for rt in runtimes() {
        rt.block_on(async {
            let gates: Vec<Gate> = (0..5).map(|_| Gate::default()).collect();
            let mut set = JoinSet::new();
            let mut handles = Vec::new();
            for (i, gate) in gates.iter().enumerate() {
                let wait = gate.wait();
                handles.push(set.spawn(async move {
                    wait.await;
                    i
                }));
            }
            // Every handle polled once, so every waker registered.
            assert!(set.try_join_next().is_none());
            let order = [3, 0, 4, 1, 2];
            for i in order {
                gates[i].open();
                let start = Instant::now();
                while !handles[i].is_finished() {
                    assert!(start.elapsed() < HANG);
                    weft::task::yield_now().await;
                }
            }
            let mut out = Vec::new();
            while let Some(res) = set.join_next().await {
                out.push(res.unwrap());
            }
            assert_eq!(out, order);
        });
    }
}

#[test]
fn join_next_on_an_empty_set_is_none() {
    for rt in runtimes() {
        rt.block_on(async {
            let mut set = JoinSet::<()>::new();
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none());
            assert!(set.try_join_next().is_none());
        });
    }
}

#[test]
fn every_task_of_a_large_set_is_joined_once() {
    for rt in runtimes() {
        rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..10_000usize {
                set.spawn(async move {
                    if i % 3 == 0 {
                        weft::task::yield_now().await;
                    }
                    i
                });
            }
            assert_eq!(set.len(), 10_000);
            let mut seen = vec![false; 10_000];
            while let Some(res) = set.join_next().await {
                let i = res.unwrap();
                assert!(!seen[i], "task {i} joined twice");
                seen[i] = true;
            }
            assert!(seen.iter().all(|&s| s));
        });
    }
}

#[test]
fn dropping_the_set_aborts_every_task_and_drops_its_future() {
    for rt in runtimes() {
        let drops = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicBool::new(false));
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..50 {
                let token = DropCount(drops.clone());
                let finished = finished.clone();
                set.spawn(async move {
                    let _token = token;
                    std::future::pending::<()>().await;
                    finished.store(true, SeqCst);
                });
            }
            weft::task::yield_now().await;
            drop(set);
        });
        rt.block_on(eventually("all 50 futures are dropped", || {
            drops.load(SeqCst) == 50
        }));
        assert!(!finished.load(SeqCst));
    }
}

#[test]
fn abort_all_makes_join_next_return_cancelled() {
    for rt in runtimes() {
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..5 {
                set.spawn(std::future::pending::<()>());
            }
            set.abort_all();
            assert_eq!(set.len(), 5, "aborted tasks stay until joined");
            let mut n = 0;
            while let Some(res) = set.join_next().await {
                assert!(res.unwrap_err().is_cancelled());
                n += 1;
            }
            assert_eq!(n, 5);
        });
    }
}

#[test]
fn shutdown_aborts_every_task_and_waits_until_its_future_is_dropped() {
    for rt in runtimes() {
        let drops = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..20 {
                let token = DropCount(drops.clone());
                set.spawn(async move {
                    let _token = token;
                    std::future::pending::<()>().await;
                });
            }
            set.spawn(async {});
            set.shutdown().await;
            assert!(set.is_empty());
            assert_eq!(
                drops.load(SeqCst),
                20,
                "shutdown returned before every future was dropped"
            );
        });
    }
}

#[test]
fn detach_all_lets_the_tasks_run_on() {
    for rt in runtimes() {
        let gate = Gate::default();
        let done = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..5 {
                let (wait, done) = (gate.wait(), done.clone());
                set.spawn(async move {
                    wait.await;
                    done.fetch_add(1, SeqCst);
                });
            }
            set.detach_all();
            assert!(set.is_empty());
            drop(set);
        });
        gate.open();
        rt.block_on(eventually("the detached tasks finish", || done.load(SeqCst) == 5));
    }
}

#[test]
fn join_all_returns_every_output() {
    for rt in runtimes() {
        let mut out = rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..100 {
                set.spawn(async move { i });
            }
            set.join_all().await
        });
        out.sort();
        assert_eq!(out, (0..100).collect::<Vec<_>>());
    }
}

#[test]
fn join_all_resumes_a_tasks_panic_and_aborts_the_rest() {
    for rt in runtimes() {
        let drops = Arc::new(AtomicUsize::new(0));
        let res = rt.block_on(async {
            let mut set = JoinSet::new();
            let token = DropCount(drops.clone());
            set.spawn(async move {
                let _token = token;
                std::future::pending::<()>().await;
            });
            set.spawn(async { panic!("joined boom (expected by this test)") });
            weft::spawn(set.join_all()).await
        });
        let payload = res.unwrap_err().into_panic();
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"joined boom (expected by this test)")
        );
        rt.block_on(eventually("the other task is dropped", || {
            drops.load(SeqCst) == 1
        }));
    }
}

#[test]
fn try_join_next_returns_only_finished_tasks() {
    for rt in runtimes() {
        rt.block_on(async {
            let gate = Gate::default();
            let mut set = JoinSet::new();
            let wait = gate.wait();
            set.spawn(async move {
                wait.await;
                "late"
            });
            set.spawn(async { "now" });
            let start = Instant::now();
            let first = loop {
                if let Some(res) = set.try_join_next() {
                    break res.unwrap();
                }
                assert!(start.elapsed() < HANG);
                weft::task::yield_now().await;
            };
            assert_eq!(first, "now");
            for _ in 0..10 {
                weft::task::yield_now().await;
                assert!(set.try_join_next().is_none(), "a task still waiting was joined");
            }
            gate.open();
            assert_eq!(set.join_next().await.unwrap().unwrap(), "late");
        });
    }
}

#[test]
fn join_next_is_cancellation_safe() {
    for rt in runtimes() {
        rt.block_on(async {
            let gate = Gate::default();
            let mut set = JoinSet::new();
            let wait = gate.wait();
            set.spawn(async move {
                wait.await;
                42
            });
            let timed_out = weft::time::timeout(Duration::from_millis(5), set.join_next()).await;
            assert!(timed_out.is_err());
            gate.open();
            // The dropped join_next lost nothing.
            assert_eq!(set.join_next().await.unwrap().unwrap(), 42);
        });
    }
}

#[test]
fn join_next_with_id_names_the_task() {
    for rt in runtimes() {
        rt.block_on(async {
            let mut set = JoinSet::new();
            let ok = set.spawn(async { 1 }).id();
            let (id, v) = set.join_next_with_id().await.unwrap().unwrap();
            assert_eq!((id, v), (ok, 1));
            let bad = set
                .spawn(async { panic!("id boom (expected by this test)") })
                .id();
            let err = set.join_next_with_id().await.unwrap().unwrap_err();
            assert!(err.is_panic());
            assert_eq!(err.id(), bad);
        });
    }
}

#[test]
fn spawn_blocking_tasks_join_like_the_others() {
    for rt in runtimes() {
        rt.block_on(async {
            let mut set = JoinSet::new();
            set.spawn_blocking(|| 2);
            set.spawn(async { 1 });
            let mut out = vec![
                set.join_next().await.unwrap().unwrap(),
                set.join_next().await.unwrap().unwrap(),
            ];
            out.sort();
            assert_eq!(out, [1, 2]);
        });
    }
}

#[test]
fn spawn_on_works_outside_the_runtime() {
    for rt in runtimes() {
        let mut set = JoinSet::new();
        set.spawn_on(async { 7 }, rt.handle());
        set.spawn_blocking_on(|| 8, rt.handle());
        let mut out = rt.block_on(async {
            let mut out = Vec::new();
            while let Some(r) = set.join_next().await {
                out.push(r.unwrap());
            }
            out
        });
        out.sort();
        assert_eq!(out, [7, 8]);
    }
}

/// A future that never completes.
struct Pending;

impl Future for Pending {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

#[test]
fn join_next_waits_for_the_one_task_that_finishes_among_idle_ones() {
    for rt in runtimes() {
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..100 {
                set.spawn(Pending);
            }
            let gate = Gate::default();
            let wait = gate.wait();
            set.spawn(async move {
                wait.await;
            });
            let opener = gate.clone();
            weft::spawn(async move {
                weft::time::sleep(Duration::from_millis(10)).await;
                opener.open();
            });
            // The 100 idle tasks are never reported; the one that finishes is.
            let r: Option<()> = set.join_next().await.unwrap().ok();
            assert_eq!(r, Some(()));
            assert_eq!(set.len(), 100);
            set.shutdown().await;
        });
    }
}
