//! Timers at scale, weft beside tokio and smol (2 workers each; smol's
//! timers are `async-io`'s `Timer`):
//!
//! * `timers_cancelled_1m`: 1,000,000 sleeps of 10 s, split across 2 tasks
//!   (500,000 each). Each sleep is polled once, so it registers with the
//!   timer wheel, and dropped, so it is cancelled, long before it fires:
//!   one register and one cancel per timer, from 2 workers at once.
//! * `timeouts_fired_100k`: 100,000 `timeout(1 ms, pending())` (smol: a
//!   `Timer` raced against `pending()`), split across 2 tasks; each task
//!   holds its 50,000 at once in a `FuturesUnordered` and awaits them all,
//!   so every one registers, fires and wakes its task.
//!
//! Both tasks run with the cooperative budget off (tokio's
//! `task::unconstrained`, weft's `coop::unconstrained`): a sleep polled with
//! the budget spent returns `Pending` without registering, which would make
//! the first workload measure the budget instead of the wheel.
//!
//! ```sh
//! cargo bench -p weft-benches --bench timers -- --warm-up-time 1 --measurement-time 5
//! ```

use std::future::{pending, poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use futures_util::stream::{FuturesUnordered, StreamExt};
use weft_benches::{Rt, Smol, Tokio, Weft};

/// Tasks the timers are split across.
const TASKS: usize = 2;
/// Timers registered and cancelled per iteration of `timers_cancelled_1m`.
const CANCELLED: usize = 1_000_000;
/// How far off the cancelled sleeps are: they never fire.
const CANCELLED_AFTER: Duration = Duration::from_secs(10);
/// Timeouts that fire per iteration of `timeouts_fired_100k`.
const FIRED: usize = 100_000;
/// The timeouts' duration.
const FIRED_AFTER: Duration = Duration::from_millis(1);

/// A runtime's timers.
trait Timers: Rt {
    /// A sleep of `d`.
    fn sleep(d: Duration) -> impl Future<Output = ()> + Send + 'static;
    /// A timeout of `d` over a future that never completes; resolves when
    /// it elapses (and panics if it resolves any other way).
    fn elapse(d: Duration) -> impl Future<Output = ()> + Send + 'static;
    /// `f` with the cooperative budget off.
    fn unconstrained<F>(f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static;
}

/// Polls its future with weft's budget off.
struct WeftUnconstrained<F>(Pin<Box<F>>);

impl<F: Future> Future for WeftUnconstrained<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        weft_task::coop::unconstrained(|| self.0.as_mut().poll(cx))
    }
}

impl Timers for Weft {
    fn sleep(d: Duration) -> impl Future<Output = ()> + Send + 'static {
        weft::time::sleep(d)
    }
    async fn elapse(d: Duration) {
        let r = weft::time::timeout(d, pending::<()>()).await;
        assert!(r.is_err());
    }
    fn unconstrained<F>(f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
    {
        WeftUnconstrained(Box::pin(f))
    }
}

impl Timers for Tokio {
    fn sleep(d: Duration) -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep(d)
    }
    async fn elapse(d: Duration) {
        let r = tokio::time::timeout(d, pending::<()>()).await;
        assert!(r.is_err());
    }
    fn unconstrained<F>(f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
    {
        tokio::task::unconstrained(f)
    }
}

impl Timers for Smol {
    async fn sleep(d: Duration) {
        smol::Timer::after(d).await;
    }
    async fn elapse(d: Duration) {
        smol::future::or(pending::<()>(), async {
            smol::Timer::after(d).await;
        })
        .await;
    }
    fn unconstrained<F>(f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
    {
        // smol has no cooperative budget.
        f
    }
}

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// Runs `task` on [`TASKS`] tasks at once and awaits them.
fn on_tasks<R: Timers, F>(rt: &R, task: impl Fn() -> F)
where
    F: Future<Output = ()> + Send + 'static,
{
    rt.block_on(async {
        let handles: Vec<_> = (0..TASKS).map(|_| rt.spawn(R::unconstrained(task()))).collect();
        for h in handles {
            h.await;
        }
    })
}

/// `n` sleeps, each polled once (registered) and dropped (cancelled).
async fn register_and_cancel<R: Timers>(n: usize) {
    for _ in 0..n {
        let mut sleep = pin!(R::sleep(CANCELLED_AFTER));
        poll_fn(|cx| {
            assert!(sleep.as_mut().poll(cx).is_pending(), "a 10 s sleep fired");
            Poll::Ready(())
        })
        .await;
    }
}

/// `n` timeouts held at once, all awaited until they fire.
async fn fire<R: Timers>(n: usize) {
    let mut all: FuturesUnordered<_> = (0..n).map(|_| R::elapse(FIRED_AFTER)).collect();
    let mut fired = 0;
    while all.next().await.is_some() {
        fired += 1;
    }
    assert_eq!(fired, n);
}

fn cancelled<R: Timers>(g: &mut Group<'_>) {
    let rt = R::new();
    g.bench_function(R::NAME, |b| {
        b.iter(|| on_tasks(&rt, || register_and_cancel::<R>(CANCELLED / TASKS)))
    });
}

fn fired<R: Timers>(g: &mut Group<'_>) {
    let rt = R::new();
    g.bench_function(R::NAME, |b| b.iter(|| on_tasks(&rt, || fire::<R>(FIRED / TASKS))));
}

fn timers(c: &mut Criterion) {
    let mut g = c.benchmark_group("timers_cancelled_1m");
    g.sampling_mode(SamplingMode::Flat);
    cancelled::<Weft>(&mut g);
    cancelled::<Tokio>(&mut g);
    cancelled::<Smol>(&mut g);
    g.finish();

    let mut g = c.benchmark_group("timeouts_fired_100k");
    g.sampling_mode(SamplingMode::Flat);
    fired::<Weft>(&mut g);
    fired::<Tokio>(&mut g);
    fired::<Smol>(&mut g);
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = timers
}
criterion_main!(benches);
