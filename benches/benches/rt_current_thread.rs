//! The workloads of `rt_multi_threaded` that make sense on one thread, on
//! current-thread runtimes side by side: weft's
//! (`weft::Builder::new_current_thread()`), tokio's
//! (`Builder::new_current_thread().enable_all()`) and smol's
//! (`smol::LocalExecutor` driven by `smol::block_on`).
//!
//! Every workload runs inside the runtime's `block_on`: tasks are spawned
//! from the `block_on` future or from each other, with each runtime's own
//! spawn (`weft::spawn`, `tokio::spawn`, `LocalExecutor::spawn`) and
//! `yield_now`. Join handles are boxed the same way for all three, and the
//! channels are smol's (runtime-neutral), so the glue costs the same.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-rtbench cargo bench -p weft-benches \
//!     --bench rt_current_thread -- --warm-up-time 1 --measurement-time 3
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

const NUM_SPAWN: usize = 10_000;
const NUM_PINGS: usize = 1_000;
const YIELD_TASKS: usize = 200;
const NUM_YIELD: usize = 1_000;
const CHAIN_LEN: usize = 1_000;

type Join = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What a workload needs of a runtime, from inside its `block_on`.
trait Local: Copy + 'static {
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, f: F) -> Join;
    fn yield_now(self) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

#[derive(Clone, Copy)]
struct Weft;
impl Local for Weft {
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, f: F) -> Join {
        let h = weft::spawn(f);
        Box::pin(async move { h.await.unwrap() })
    }
    fn yield_now(self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(weft::task::yield_now())
    }
}

#[derive(Clone, Copy)]
struct Tokio;
impl Local for Tokio {
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, f: F) -> Join {
        let h = tokio::spawn(f);
        Box::pin(async move { h.await.unwrap() })
    }
    fn yield_now(self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::task::yield_now())
    }
}

/// smol's executor for one thread; leaked so tasks can reach it (smol has
/// no ambient spawn).
#[derive(Clone, Copy)]
struct Smol(&'static smol::Executor<'static>);
impl Local for Smol {
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, f: F) -> Join {
        let t = self.0.spawn(f);
        Box::pin(t)
    }
    fn yield_now(self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(smol::future::yield_now())
    }
}

async fn spawn_many<L: Local>(l: L) {
    let count = Arc::new(AtomicUsize::new(0));
    let mut joins = Vec::with_capacity(NUM_SPAWN);
    for _ in 0..NUM_SPAWN {
        let count = count.clone();
        joins.push(l.spawn(async move {
            count.fetch_add(1, Relaxed);
        }));
    }
    for j in joins {
        j.await;
    }
    assert_eq!(count.load(Relaxed), NUM_SPAWN);
}

async fn yield_many<L: Local + Send>(l: L) {
    let joins: Vec<_> = (0..YIELD_TASKS)
        .map(|_| {
            l.spawn(async move {
                for _ in 0..NUM_YIELD {
                    l.yield_now().await;
                }
            })
        })
        .collect();
    for j in joins {
        j.await;
    }
}

async fn ping_pong<L: Local + Send>(l: L) {
    let joins: Vec<_> = (0..NUM_PINGS)
        .map(|_| {
            l.spawn(async move {
                let (tx, rx) = smol::channel::bounded::<()>(1);
                let pong = l.spawn(async move {
                    tx.send(()).await.unwrap();
                });
                rx.recv().await.unwrap();
                pong.await;
            })
        })
        .collect();
    for j in joins {
        j.await;
    }
}

fn chain<L: Local + Send>(l: L, n: usize, done: smol::channel::Sender<()>) {
    if n == 0 {
        done.try_send(()).unwrap();
        return;
    }
    drop(l.spawn(async move { chain(l, n - 1, done) }));
}

async fn chained_spawn<L: Local + Send>(l: L) {
    let (tx, rx) = smol::channel::bounded(1);
    chain(l, CHAIN_LEN, tx);
    rx.recv().await.unwrap();
}

macro_rules! workload {
    ($c:expr, $name:literal, $work:ident) => {{
        let mut g = $c.benchmark_group($name);
        g.measurement_time(Duration::from_secs(3));
        {
            let rt = weft::Builder::new_current_thread().build().unwrap();
            g.bench_function("weft", |b| b.iter(|| rt.block_on($work(Weft))));
        }
        {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            g.bench_function("tokio", |b| b.iter(|| rt.block_on($work(Tokio))));
        }
        {
            let ex: &'static smol::Executor<'static> = Box::leak(Box::new(smol::Executor::new()));
            g.bench_function("smol", |b| b.iter(|| smol::block_on(ex.run($work(Smol(ex))))));
        }
        g.finish();
    }};
}

fn benches(c: &mut Criterion) {
    workload!(c, "ct_spawn_many", spawn_many);
    workload!(c, "ct_yield_many", yield_many);
    workload!(c, "ct_ping_pong", ping_pong);
    workload!(c, "ct_chained_spawn", chained_spawn);
}

criterion_group!(rt_current_thread, benches);
criterion_main!(rt_current_thread);
