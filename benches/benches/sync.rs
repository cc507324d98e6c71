//! `weft::sync` beside `tokio::sync` and the crates issue 11 asked us to
//! consider wrapping (async-channel, async-lock), on the workloads the
//! issue names: mpsc throughput with 1 and 4 producers, bounded and
//! unbounded; a oneshot request/reply round trip; Mutex and Semaphore under
//! contention; broadcast fan-out to 16 receivers.
//!
//! Each primitive runs where its users would run it:
//!
//! * `weft`: `weft::sync` on a weft runtime (2 workers);
//! * `tokio`: `tokio::sync` on a tokio runtime (2 workers);
//! * `async-channel` / `async-lock`: on the same weft runtime, so the
//!   difference from `weft` is the primitive alone.
//!
//! weft and tokio have the same API, so each workload is written once, as
//! a macro over the module path; the async-channel / async-lock versions
//! are the same workload in those crates' API. There is no third contender
//! for `broadcast` (async-broadcast is not a dependency) or for the oneshot
//! (the reuse candidate would be a bounded(1) async-channel, measured as
//! such).
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-sync cargo bench -p weft-benches \
//!     --bench sync -- --warm-up-time 1 --measurement-time 2
//! ```

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use weft_benches::{tokio_runtime, weft_runtime};

/// Messages per iteration of the mpsc workloads.
const MESSAGES: usize = 20_000;
/// Bound of the bounded channels (large enough that producers rarely wait
/// on a 2-core machine, small enough that they sometimes do).
const BOUND: usize = 128;
/// Round trips per iteration of the oneshot workload.
const ROUND_TRIPS: usize = 2_000;
/// Tasks contending for the lock or the semaphore.
const CONTENDERS: usize = 8;
/// Lock / acquire operations per contender per iteration.
const OPS: usize = 1_000;
/// Permits of the contended semaphore.
const PERMITS: usize = 2;
/// Receivers of the broadcast fan-out (the issue's figure).
const FANOUT: usize = 16;
/// Values broadcast per iteration.
const BROADCASTS: usize = 1_000;

// ---------------------------------------------------------------------------
// Runtimes.

trait Rt {
    fn new() -> Self;
    fn block_on<F: Future>(&self, f: F) -> F::Output;
    fn spawn<F: Future<Output = ()> + Send + 'static>(f: F) -> Join;
}

type Join = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

struct Weft(weft::Runtime);
struct Tokio(tokio::runtime::Runtime);

impl Rt for Weft {
    fn new() -> Self {
        Weft(weft_runtime())
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn spawn<F: Future<Output = ()> + Send + 'static>(f: F) -> Join {
        let h = weft::spawn(f);
        Box::pin(async move { h.await.unwrap() })
    }
}

impl Rt for Tokio {
    fn new() -> Self {
        Tokio(tokio_runtime())
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn spawn<F: Future<Output = ()> + Send + 'static>(f: F) -> Join {
        let h = tokio::spawn(f);
        Box::pin(async move { h.await.unwrap() })
    }
}

/// Measures `work` (one iteration, inside the runtime) as `name`; the
/// runtime lives only while its function is measured.
fn bench<R: Rt, Fut: Future<Output = ()>>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    work: impl Fn() -> Fut,
) {
    let rt = R::new();
    g.bench_function(name, |b| b.iter(|| rt.block_on(work())));
    drop(rt);
}

async fn join_all(hs: Vec<Join>) {
    for h in hs {
        h.await;
    }
}

// ---------------------------------------------------------------------------
// Workloads, once for weft and tokio (same API), once for the other crate.

macro_rules! mpsc_bounded {
    ($rt:ty, $sync:path, $producers:expr) => {{
        use $sync as sync;
        async {
            let (tx, mut rx) = sync::mpsc::channel::<usize>(BOUND);
            let per = MESSAGES / $producers;
            let hs: Vec<Join> = (0..$producers)
                .map(|_| {
                    let tx = tx.clone();
                    <$rt>::spawn(async move {
                        for i in 0..per {
                            tx.send(i).await.unwrap();
                        }
                    })
                })
                .collect();
            drop(tx);
            let mut n = 0;
            while let Some(v) = rx.recv().await {
                black_box(v);
                n += 1;
            }
            assert_eq!(n, per * $producers);
            join_all(hs).await;
        }
    }};
}

macro_rules! mpsc_unbounded {
    ($rt:ty, $sync:path, $producers:expr) => {{
        use $sync as sync;
        async {
            let (tx, mut rx) = sync::mpsc::unbounded_channel::<usize>();
            let per = MESSAGES / $producers;
            let hs: Vec<Join> = (0..$producers)
                .map(|_| {
                    let tx = tx.clone();
                    <$rt>::spawn(async move {
                        for i in 0..per {
                            tx.send(i).unwrap();
                        }
                    })
                })
                .collect();
            drop(tx);
            let mut n = 0;
            while let Some(v) = rx.recv().await {
                black_box(v);
                n += 1;
            }
            assert_eq!(n, per * $producers);
            join_all(hs).await;
        }
    }};
}

async fn async_channel_mpsc(bound: Option<usize>, producers: usize) {
    let (tx, rx) = match bound {
        Some(b) => async_channel::bounded::<usize>(b),
        None => async_channel::unbounded::<usize>(),
    };
    let per = MESSAGES / producers;
    let hs: Vec<Join> = (0..producers)
        .map(|_| {
            let tx = tx.clone();
            Weft::spawn(async move {
                for i in 0..per {
                    tx.send(i).await.unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut n = 0;
    while let Ok(v) = rx.recv().await {
        black_box(v);
        n += 1;
    }
    assert_eq!(n, per * producers);
    join_all(hs).await;
}

/// A server task answers each request through the oneshot that came with
/// it: the usual request/reply shape.
macro_rules! oneshot_round_trip {
    ($rt:ty, $sync:path) => {{
        use $sync as sync;
        async {
            let (req_tx, mut req_rx) = sync::mpsc::unbounded_channel::<sync::oneshot::Sender<usize>>();
            let server = <$rt>::spawn(async move {
                let mut i = 0;
                while let Some(reply) = req_rx.recv().await {
                    let _ = reply.send(i);
                    i += 1;
                }
            });
            for _ in 0..ROUND_TRIPS {
                let (tx, rx) = sync::oneshot::channel();
                req_tx.send(tx).unwrap();
                black_box(rx.await.unwrap());
            }
            drop(req_tx);
            server.await;
        }
    }};
}

async fn async_channel_round_trip() {
    let (req_tx, req_rx) = async_channel::unbounded::<async_channel::Sender<usize>>();
    let server = Weft::spawn(async move {
        let mut i = 0;
        while let Ok(reply) = req_rx.recv().await {
            let _ = reply.send(i).await;
            i += 1;
        }
    });
    for _ in 0..ROUND_TRIPS {
        let (tx, rx) = async_channel::bounded(1);
        req_tx.send(tx).await.unwrap();
        black_box(rx.recv().await.unwrap());
    }
    drop(req_tx);
    server.await;
}

macro_rules! mutex_contended {
    ($rt:ty, $mutex:ty) => {{
        async {
            let m = Arc::new(<$mutex>::new(0usize));
            let hs: Vec<Join> = (0..CONTENDERS)
                .map(|_| {
                    let m = m.clone();
                    <$rt>::spawn(async move {
                        for _ in 0..OPS {
                            *m.lock().await += 1;
                        }
                    })
                })
                .collect();
            join_all(hs).await;
            assert_eq!(*m.lock().await, CONTENDERS * OPS);
        }
    }};
}

macro_rules! semaphore_contended {
    ($rt:ty, $sem:ty, $acquire:ident) => {{
        async {
            let s = Arc::new(<$sem>::new(PERMITS));
            let hs: Vec<Join> = (0..CONTENDERS)
                .map(|_| {
                    let s = s.clone();
                    <$rt>::spawn(async move {
                        for i in 0..OPS {
                            let p = s.$acquire().await;
                            black_box(i);
                            drop(p);
                        }
                    })
                })
                .collect();
            join_all(hs).await;
        }
    }};
}

macro_rules! broadcast_fanout {
    ($rt:ty, $sync:path) => {{
        use $sync as sync;
        async {
            let (tx, _) = sync::broadcast::channel::<usize>(BROADCASTS);
            let hs: Vec<Join> = (0..FANOUT)
                .map(|_| {
                    let mut rx = tx.subscribe();
                    <$rt>::spawn(async move {
                        let mut n = 0;
                        while let Ok(v) = rx.recv().await {
                            black_box(v);
                            n += 1;
                        }
                        assert_eq!(n, BROADCASTS);
                    })
                })
                .collect();
            for i in 0..BROADCASTS {
                tx.send(i).unwrap();
            }
            drop(tx);
            join_all(hs).await;
        }
    }};
}

// ---------------------------------------------------------------------------

fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    // Iterations take milliseconds: equal-size samples.
    g.sampling_mode(SamplingMode::Flat);
    g
}

fn sync_benches(c: &mut Criterion) {
    for producers in [1, 4] {
        let mut g = group(c, &format!("mpsc_bounded_{producers}p"));
        bench::<Weft, _>(&mut g, "weft", || mpsc_bounded!(Weft, weft::sync, producers));
        bench::<Tokio, _>(&mut g, "tokio", || mpsc_bounded!(Tokio, tokio::sync, producers));
        bench::<Weft, _>(&mut g, "async-channel", || {
            async_channel_mpsc(Some(BOUND), producers)
        });
        g.finish();

        let mut g = group(c, &format!("mpsc_unbounded_{producers}p"));
        bench::<Weft, _>(&mut g, "weft", || mpsc_unbounded!(Weft, weft::sync, producers));
        bench::<Tokio, _>(&mut g, "tokio", || mpsc_unbounded!(Tokio, tokio::sync, producers));
        bench::<Weft, _>(&mut g, "async-channel", || async_channel_mpsc(None, producers));
        g.finish();
    }

    let mut g = group(c, "oneshot_round_trip");
    bench::<Weft, _>(&mut g, "weft", || oneshot_round_trip!(Weft, weft::sync));
    bench::<Tokio, _>(&mut g, "tokio", || oneshot_round_trip!(Tokio, tokio::sync));
    // The primitive alone: weft::sync on tokio's runtime, so the difference
    // from `tokio` is not the runtimes' cross-thread wake.
    bench::<Tokio, _>(&mut g, "weft-on-tokio-rt", || {
        oneshot_round_trip!(Tokio, weft::sync)
    });
    bench::<Weft, _>(&mut g, "async-channel", async_channel_round_trip);
    g.finish();

    let mut g = group(c, "mutex_contended");
    bench::<Weft, _>(&mut g, "weft", || {
        mutex_contended!(Weft, weft::sync::Mutex<usize>)
    });
    bench::<Tokio, _>(&mut g, "tokio", || {
        mutex_contended!(Tokio, tokio::sync::Mutex<usize>)
    });
    bench::<Weft, _>(&mut g, "async-lock", || {
        mutex_contended!(Weft, async_lock::Mutex<usize>)
    });
    g.finish();

    let mut g = group(c, "semaphore_contended");
    bench::<Weft, _>(&mut g, "weft", || {
        semaphore_contended!(Weft, weft::sync::Semaphore, acquire)
    });
    bench::<Tokio, _>(&mut g, "tokio", || {
        semaphore_contended!(Tokio, tokio::sync::Semaphore, acquire)
    });
    bench::<Weft, _>(&mut g, "async-lock", || {
        semaphore_contended!(Weft, async_lock::Semaphore, acquire)
    });
    g.finish();

    let mut g = group(c, "broadcast_fanout_16");
    bench::<Weft, _>(&mut g, "weft", || broadcast_fanout!(Weft, weft::sync));
    bench::<Tokio, _>(&mut g, "tokio", || broadcast_fanout!(Tokio, tokio::sync));
    bench::<Tokio, _>(&mut g, "weft-on-tokio-rt", || {
        broadcast_fanout!(Tokio, weft::sync)
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = sync_benches
}
criterion_main!(benches);
