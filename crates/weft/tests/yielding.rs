//! A task that yields lets the reactor run before it runs again (tokio's
//! `yield_defers_until_park`), whether it yields by `yield_now` or because
//! its cooperative budget is spent.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use weft::net::TcpListener;
use weft::Runtime;

const WORKERS: usize = 2;

/// One run of tokio's scenario: every worker but one is held (so nobody can
/// steal the yielding task), then a task connects to its own listener and
/// yields until the accept half of the same task has seen the connection.
/// `true` if the accept was seen within 10 yields.
fn accept_is_seen_within_ten_yields<Y, F>(yield_once: Y) -> bool
where
    Y: Fn() -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send,
{
    let rt = Runtime::builder().worker_threads(WORKERS).build().unwrap();
    let held = Arc::new(AtomicBool::new(true));
    let barrier = Arc::new(Barrier::new(WORKERS));
    rt.block_on(async {
        for _ in 0..WORKERS - 1 {
            let (held, barrier) = (held.clone(), barrier.clone());
            weft::spawn(async move {
                barrier.wait();
                while held.load(SeqCst) {
                    std::thread::sleep(Duration::from_millis(1));
                }
            });
        }
        barrier.wait();
        let accepted = Arc::new(AtomicBool::new(false));
        let seen = accepted.clone();
        let task = weft::spawn(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let yielder = async {
                // Blocking on purpose: the connection is queued in the
                // kernel before the first yield.
                let _socket = std::net::TcpStream::connect(addr).unwrap();
                for _ in 0..10 {
                    if seen.load(SeqCst) {
                        return true;
                    }
                    yield_once().await;
                }
                seen.load(SeqCst)
            };
            let acceptor = async {
                let _ = listener.accept().await.unwrap();
                accepted.store(true, SeqCst);
            };
            // The acceptor is polled first: a yielder that spends its whole
            // budget would otherwise leave none for the accept.
            let ((), ok) = futures_join(acceptor, yielder).await;
            ok
        });
        let ok = task.await.unwrap();
        held.store(false, SeqCst);
        ok
    })
}

/// A two-future join in one task (polls both on every wake), without
/// depending on a macro crate.
async fn futures_join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none() {
            if let std::task::Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let std::task::Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() {
            std::task::Poll::Ready((ra.take().unwrap(), rb.take().unwrap()))
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

/// tokio's test retries a few times: a scheduling hiccup (the machine is
/// shared) may delay one round, but a runtime that runs a yielded task
/// again before polling the reactor fails every round.
fn passes_in_one_of_ten<Y, F>(yield_once: Y)
where
    Y: Fn() -> F + Send + Sync + Clone + 'static,
    F: Future<Output = ()> + Send,
{
    for _ in 0..10 {
        if accept_is_seen_within_ten_yields(yield_once.clone()) {
            return;
        }
    }
    panic!("the reactor did not run between a task's yields in ten rounds out of ten");
}

#[test]
fn yield_now_lets_the_reactor_run_before_the_task_runs_again() {
    passes_in_one_of_ten(weft::task::yield_now);
}

#[test]
fn a_spent_budget_lets_the_reactor_run_before_the_task_runs_again() {
    // Spend a whole budget per "yield": the last unit yields the task.
    passes_in_one_of_ten(|| async {
        for _ in 0..=128 {
            weft::task::consume_budget().await;
        }
    });
}
