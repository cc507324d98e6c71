//! The multi-threaded scheduler workloads of tokio's own
//! `benches/rt_multi_threaded.rs`, at tokio's counts, run on weft, tokio and
//! smol side by side: one criterion group per workload, one function per
//! runtime (`weft`, `tokio`, `smol`, and `weft-handoff-off`: weft with
//! automatic handoff switched off, to show what handoff costs).
//!
//! Every runtime gets two worker threads:
//!
//! * weft: `weft::Runtime::builder().worker_threads(2)`;
//! * tokio: `Builder::new_multi_thread().worker_threads(2).enable_all()`
//!   (`enable_all`, as tokio's bench);
//! * smol: one `async_executor::Executor` (`smol::Executor`) run by two
//!   threads, each in `block_on(ex.run(until_stopped))`, smol's usual
//!   multi-threaded pattern.
//!
//! The glue around the runtimes is the same code for all three: std
//! `mpsc::sync_channel`, atomics, and the small std-only [`oneshot`] below.
//! Each workload is written once, generic over [`Rt`] (spawn from outside,
//! `block_on`) and [`Spawner`] (spawn from inside a task, `yield_now`); only
//! those two traits differ per runtime, and each is a direct call to the
//! runtime's own API. Tasks spawn from inside tasks with the runtime's
//! ambient spawn (`weft::spawn`, `tokio::spawn`); smol has no ambient
//! executor, so its tasks hold a `&'static Executor` (the shape of smol's
//! global executor).
//!
//! A runtime is built before its function is measured and dropped after,
//! so only one runtime's threads exist at a time (the machine has 2 cores).
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-rtbench cargo bench -p weft-benches \
//!     --bench rt_multi_threaded -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Differences from tokio's file, on purpose:
//!
//! * `spawn_many_local` spawns its 10,000 tasks from inside a task (tokio's
//!   spawns from the `block_on` future, which on tokio's multi-threaded
//!   runtime is not a worker, so its spawns go to the injector). Here the
//!   worker-local spawn path is what is measured; the remote path has its
//!   own three workloads.
//! * tokio's bench runs 4 workers; here every runtime has 2, but the task
//!   counts are tokio's (8 busy yielders, 4 busy chains).
//! * `ping_pong` uses the std-only [`oneshot`] instead of
//!   `tokio::sync::oneshot`, so every runtime does the same work.
//! * The root task of `ping_pong` / `chained_spawn` is spawned from the
//!   bench thread, which then blocks on the std channel; in tokio's file the
//!   same happens inside a `block_on` (the `block_on` future only spawns and
//!   blocks, so it does nothing more).

use std::future::Future;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use weft_benches::{tokio_runtime, weft_runtime, Smol, SmolJoin, Unwrap};

/// Tasks per iteration of the `spawn_many_*` workloads (tokio's count).
const NUM_SPAWN: usize = 10_000;
/// Tasks per iteration of `spawn_many_remote_busy2` (tokio's count).
const NUM_SPAWN_BUSY2: usize = 1_000;
/// Busy yielding tasks in `spawn_many_remote_busy1`: tokio's
/// `2 * NUM_WORKERS` with its `NUM_WORKERS = 4`.
const BUSY1_TASKS: usize = 8;
/// Busy spawn chains in `spawn_many_remote_busy2`: tokio's `NUM_WORKERS`.
const BUSY2_CHAINS: usize = 4;
/// CPU time a busy task burns per turn (tokio's `STALL_DUR`).
const STALL: Duration = Duration::from_micros(10);
const NUM_PINGS: usize = 1_000;
const YIELD_TASKS: usize = 200;
const NUM_YIELD: usize = 1_000;
const CHAIN_LEN: usize = 1_000;

// ---------------------------------------------------------------------------
// The two traits every runtime implements.

/// A runtime, seen from outside it.
trait Rt: Sized {
    const NAME: &'static str;
    /// What a spawn from outside returns: resolves to the task's output
    /// (panicking if the task failed), detaches the task when dropped.
    type Join<T: Send + 'static>: Future<Output = T> + Send + Unpin + 'static;
    type Spawner: Spawner;

    /// A runtime with [`WORKERS`] worker threads.
    fn new() -> Self;
    fn block_on<F: Future>(&self, f: F) -> F::Output;
    /// Spawns from a thread that is not one of the runtime's.
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    /// What tasks of this runtime use to spawn and yield.
    fn spawner(&self) -> Self::Spawner;
}

/// A runtime, seen from inside one of its tasks.
trait Spawner: Copy + Send + Sync + 'static {
    /// Spawns a detached task from inside a task of this runtime.
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, f: F);
    /// The runtime's own `yield_now`.
    fn yield_now(self) -> impl Future<Output = ()> + Send;
}

// ---------------------------------------------------------------------------
// weft

struct Weft(weft::Runtime);

#[derive(Clone, Copy)]
struct WeftSpawner;

impl Rt for Weft {
    const NAME: &'static str = "weft";
    type Join<T: Send + 'static> = Unwrap<weft::task::JoinHandle<T>>;
    type Spawner = WeftSpawner;

    fn new() -> Self {
        Weft(weft_runtime())
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrap(self.0.spawn(f))
    }
    fn spawner(&self) -> WeftSpawner {
        WeftSpawner
    }
}

impl Spawner for WeftSpawner {
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, f: F) {
        drop(weft::spawn(f));
    }
    fn yield_now(self) -> impl Future<Output = ()> + Send {
        weft::task::yield_now()
    }
}

/// weft with automatic handoff switched off: the same scheduler without the
/// monitor and the per-poll handoff word, to measure what handoff costs.
struct WeftHandoffOff(Weft);

impl Rt for WeftHandoffOff {
    const NAME: &'static str = "weft-handoff-off";
    type Join<T: Send + 'static> = Unwrap<weft::task::JoinHandle<T>>;
    type Spawner = WeftSpawner;

    fn new() -> Self {
        let rt = weft::Runtime::builder()
            .worker_threads(weft_benches::WORKERS)
            .handoff(None)
            .build()
            .unwrap();
        WeftHandoffOff(Weft(rt))
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.spawn(f)
    }
    fn spawner(&self) -> WeftSpawner {
        WeftSpawner
    }
}

// ---------------------------------------------------------------------------
// tokio

struct Tokio(tokio::runtime::Runtime);

#[derive(Clone, Copy)]
struct TokioSpawner;

impl Rt for Tokio {
    const NAME: &'static str = "tokio";
    type Join<T: Send + 'static> = Unwrap<tokio::task::JoinHandle<T>>;
    type Spawner = TokioSpawner;

    fn new() -> Self {
        Tokio(tokio_runtime())
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrap(self.0.spawn(f))
    }
    fn spawner(&self) -> TokioSpawner {
        TokioSpawner
    }
}

impl Spawner for TokioSpawner {
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, f: F) {
        drop(tokio::spawn(f));
    }
    fn yield_now(self) -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
}

// ---------------------------------------------------------------------------
// smol

/// An `Executor` run by [`WORKERS`] threads until the runtime is dropped.
///
/// The executor is leaked (`&'static`, like smol's global one) so tasks can
/// hold it by copy; the benches build seven of them.
#[derive(Clone, Copy)]
struct SmolSpawner(&'static smol::Executor<'static>);

impl Rt for Smol {
    const NAME: &'static str = "smol";
    type Join<T: Send + 'static> = SmolJoin<T>;
    type Spawner = SmolSpawner;

    fn new() -> Self {
        Smol::start()
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        smol::block_on(f)
    }
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        SmolJoin(Some(self.ex.spawn(f)))
    }
    fn spawner(&self) -> SmolSpawner {
        SmolSpawner(self.ex)
    }
}

impl Spawner for SmolSpawner {
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, f: F) {
        self.0.spawn(f).detach();
    }
    fn yield_now(self) -> impl Future<Output = ()> + Send {
        smol::future::yield_now()
    }
}

// ---------------------------------------------------------------------------
// Glue shared by all runtimes.

/// A one-shot channel on `std::sync::Mutex`: the same code under every
/// runtime (tokio's bench uses `tokio::sync::oneshot`).
mod oneshot {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};

    struct Slot<T> {
        value: Option<T>,
        waker: Option<Waker>,
        closed: bool,
    }

    pub struct Sender<T>(Arc<Mutex<Slot<T>>>);
    pub struct Receiver<T>(Arc<Mutex<Slot<T>>>);

    /// The sender was dropped without sending.
    #[derive(Debug)]
    pub struct Closed;

    pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
        let slot = Arc::new(Mutex::new(Slot {
            value: None,
            waker: None,
            closed: false,
        }));
        (Sender(slot.clone()), Receiver(slot))
    }

    impl<T> Sender<T> {
        pub fn send(self, value: T) {
            let waker = {
                let mut slot = self.0.lock().unwrap();
                slot.value = Some(value);
                slot.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        }
    }

    impl<T> Drop for Sender<T> {
        fn drop(&mut self) {
            let waker = {
                let mut slot = self.0.lock().unwrap();
                slot.closed = true;
                slot.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        }
    }

    impl<T> Future for Receiver<T> {
        type Output = Result<T, Closed>;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            let mut slot = self.0.lock().unwrap();
            if let Some(v) = slot.value.take() {
                return Poll::Ready(Ok(v));
            }
            if slot.closed {
                return Poll::Ready(Err(Closed));
            }
            match &slot.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => slot.waker = Some(cx.waker().clone()),
            }
            Poll::Pending
        }
    }
}

/// Burns [`STALL`] of CPU, as tokio's `stall`.
fn stall() {
    let now = Instant::now();
    while now.elapsed() < STALL {
        thread::yield_now();
    }
}

// ---------------------------------------------------------------------------
// The workloads.

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// 10,000 tasks spawned from inside a task; the last to run signals the
/// bench thread through a counter and a std channel.
fn spawn_many_local<R: Rt>(g: &mut Group<'_>) {
    let rt = R::new();
    let sp = rt.spawner();
    let (tx, rx) = mpsc::sync_channel(1000);
    let rem = Arc::new(AtomicUsize::new(0));
    g.bench_function(R::NAME, |b| {
        b.iter(|| {
            rem.store(NUM_SPAWN, Relaxed);
            let (tx, rem) = (tx.clone(), rem.clone());
            drop(rt.spawn(async move {
                for _ in 0..NUM_SPAWN {
                    let tx = tx.clone();
                    let rem = rem.clone();
                    sp.spawn(async move {
                        if 1 == rem.fetch_sub(1, Relaxed) {
                            tx.send(()).unwrap();
                        }
                    });
                }
            }));
            rx.recv().unwrap();
        })
    });
}

/// Spawns `n` empty tasks from the bench thread, then joins them all from
/// `block_on`.
fn spawn_remote_and_join<R: Rt>(rt: &R, handles: &mut Vec<R::Join<()>>, n: usize) {
    for _ in 0..n {
        handles.push(rt.spawn(async {}));
    }
    rt.block_on(async {
        for h in handles.drain(..) {
            h.await;
        }
    });
}

/// 10,000 empty tasks from outside onto an idle runtime.
fn spawn_many_remote_idle<R: Rt>(g: &mut Group<'_>) {
    let rt = R::new();
    let mut handles = Vec::with_capacity(NUM_SPAWN);
    g.bench_function(R::NAME, |b| {
        b.iter(|| spawn_remote_and_join(&rt, &mut handles, NUM_SPAWN))
    });
}

/// 10,000 empty tasks from outside while 8 tasks keep the workers busy,
/// each yielding then burning 10 µs in a loop.
fn spawn_many_remote_busy1<R: Rt>(g: &mut Group<'_>) {
    let rt = R::new();
    let sp = rt.spawner();
    let flag = Arc::new(AtomicBool::new(true));
    for _ in 0..BUSY1_TASKS {
        let flag = flag.clone();
        drop(rt.spawn(async move {
            while flag.load(Relaxed) {
                sp.yield_now().await;
                stall();
            }
        }));
    }
    let mut handles = Vec::with_capacity(NUM_SPAWN);
    g.bench_function(R::NAME, |b| {
        b.iter(|| spawn_remote_and_join(&rt, &mut handles, NUM_SPAWN))
    });
    flag.store(false, Relaxed);
}

/// One link of a busy chain: burns 10 µs and spawns the next link.
fn busy_chain<S: Spawner>(sp: S, flag: Arc<AtomicBool>) {
    sp.spawn(async move {
        if flag.load(Relaxed) {
            stall();
            busy_chain(sp, flag);
        }
    });
}

/// 1,000 empty tasks from outside while 4 chains of spawning tasks keep the
/// workers busy (a spawn is a stronger notification than a yield).
fn spawn_many_remote_busy2<R: Rt>(g: &mut Group<'_>) {
    let rt = R::new();
    let sp = rt.spawner();
    let flag = Arc::new(AtomicBool::new(true));
    for _ in 0..BUSY2_CHAINS {
        let flag = flag.clone();
        drop(rt.spawn(async move { busy_chain(sp, flag) }));
    }
    let mut handles = Vec::with_capacity(NUM_SPAWN_BUSY2);
    g.bench_function(R::NAME, |b| {
        b.iter(|| spawn_remote_and_join(&rt, &mut handles, NUM_SPAWN_BUSY2))
    });
    flag.store(false, Relaxed);
}

/// 1,000 pairs of tasks exchanging a message each way over one-shot
/// channels; the last pair to finish signals the bench thread.
fn ping_pong<R: Rt>(g: &mut Group<'_>) {
    let rt = R::new();
    let sp = rt.spawner();
    let (done_tx, done_rx) = mpsc::sync_channel(1000);
    let rem = Arc::new(AtomicUsize::new(0));
    g.bench_function(R::NAME, |b| {
        b.iter(|| {
            rem.store(NUM_PINGS, Relaxed);
            let (done_tx, rem) = (done_tx.clone(), rem.clone());
            drop(rt.spawn(async move {
                for _ in 0..NUM_PINGS {
                    let rem = rem.clone();
                    let done_tx = done_tx.clone();
                    sp.spawn(async move {
                        let (tx1, rx1) = oneshot::channel::<()>();
                        let (tx2, rx2) = oneshot::channel::<()>();
                        sp.spawn(async move {
                            rx1.await.unwrap();
                            tx2.send(());
                        });
                        tx1.send(());
                        rx2.await.unwrap();
                        if 1 == rem.fetch_sub(1, Relaxed) {
                            done_tx.send(()).unwrap();
                        }
                    });
                }
            }));
            done_rx.recv().unwrap();
        })
    });
}

/// 200 tasks from outside, each yielding 1,000 times.
fn yield_many<R: Rt>(g: &mut Group<'_>) {
    let rt = R::new();
    let sp = rt.spawner();
    let (tx, rx) = mpsc::sync_channel(YIELD_TASKS);
    g.bench_function(R::NAME, |b| {
        b.iter(|| {
            for _ in 0..YIELD_TASKS {
                let tx = tx.clone();
                drop(rt.spawn(async move {
                    for _ in 0..NUM_YIELD {
                        sp.yield_now().await;
                    }
                    tx.send(()).unwrap();
                }));
            }
            for _ in 0..YIELD_TASKS {
                rx.recv().unwrap();
            }
        })
    });
}

/// Each link spawns the next; the 1,000th signals the bench thread.
fn chain<S: Spawner>(sp: S, done: mpsc::SyncSender<()>, n: usize) {
    if n == 0 {
        done.send(()).unwrap();
    } else {
        sp.spawn(async move { chain(sp, done, n - 1) });
    }
}

/// A chain of 1,000 tasks, each spawning the next from inside.
fn chained_spawn<R: Rt>(g: &mut Group<'_>) {
    let rt = R::new();
    let sp = rt.spawner();
    let (done_tx, done_rx) = mpsc::sync_channel(1000);
    g.bench_function(R::NAME, |b| {
        b.iter(|| {
            let done_tx = done_tx.clone();
            drop(rt.spawn(async move { chain(sp, done_tx, CHAIN_LEN) }));
            done_rx.recv().unwrap();
        })
    });
}

/// One group per workload: `weft`, `tokio`, `smol`, each on a fresh runtime
/// dropped before the next is built.
macro_rules! workload {
    ($c:expr, $f:ident) => {{
        let mut g = $c.benchmark_group(stringify!($f));
        // Iterations take milliseconds: equal-size samples.
        g.sampling_mode(SamplingMode::Flat);
        $f::<Weft>(&mut g);
        $f::<WeftHandoffOff>(&mut g);
        $f::<Tokio>(&mut g);
        $f::<Smol>(&mut g);
        g.finish();
    }};
}

fn rt_multi_threaded(c: &mut Criterion) {
    workload!(c, spawn_many_local);
    workload!(c, spawn_many_remote_idle);
    workload!(c, spawn_many_remote_busy1);
    workload!(c, spawn_many_remote_busy2);
    workload!(c, ping_pong);
    workload!(c, yield_many);
    workload!(c, chained_spawn);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = rt_multi_threaded
}
criterion_main!(benches);
