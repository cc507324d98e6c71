//! The blocking pools side by side: weft's `spawn_blocking` (and
//! `run_in_executor` on a user `ThreadPool`), tokio's
//! `tokio::task::spawn_blocking`, and smol's `blocking::unblock`, in one run.
//!
//! Three workloads, one criterion group each, one function per runtime:
//!
//! * `spawn_blocking/concurrency_{1,2}`: tokio's own `benches/spawn_blocking.rs`
//!   at the concurrency levels this 2-core machine allows (tokio caps them at
//!   `available_parallelism`): `N` async tasks each run 100 batches of 16
//!   no-op closures, each batch awaited before the next is spawned. It
//!   measures the pool's per-job overhead: queueing, wake-ups, completion.
//! * `cpu_batch`: 2,000 closures of about 50 µs of hashing each (a fixed
//!   number of rounds of a multiply-xor hash over a 4 KiB buffer, calibrated
//!   once per process before any runtime starts, not a time-based spin), all
//!   spawned from one task, then awaited together. It measures how a pool
//!   copes with a burst much larger than the machine: threads started, how
//!   many run at once, the context switches between them. weft has a second
//!   row here, `weft_run_in_executor`: the same batch through
//!   `weft::run_in_executor` on a `ThreadPool` of `num_cpus` threads.
//!   This is issue 14's "2,000-job CPU burst": its report line gives the
//!   peak thread count beside the CPU time.
//! * `spawn_blocking_callers`: 16 blocking closures, spawned at once from
//!   one task, each of which spawns 100 no-op closures at once from its
//!   pool thread and then joins them (`smol::block_on` on each handle, the
//!   same small parker for every runtime). The callers are blocked threads
//!   the pool cannot see through: it must grow past them for the inner
//!   closures to run, and 1,600 spawns from 16 threads at once meet on the
//!   pool's queue (tokio's users report its single queue lock here).
//!
//! Every runtime has two async worker threads:
//!
//! * weft: `weft::Runtime::builder().worker_threads(2)`;
//! * tokio: `Builder::new_multi_thread().worker_threads(2).enable_all()`;
//! * smol: one `async_executor::Executor` (`smol::Executor`) run by two
//!   threads, each in `block_on(ex.run(until_stopped))`; `block_on` is
//!   `smol::block_on`, and the blocking closures go to `blocking::unblock`
//!   (the `blocking` crate's global pool, which smol's `unblock` re-exports).
//!
//! The blocking pools themselves keep their defaults (weft and tokio: up to
//! 512 threads, 10 s keep-alive; `blocking`: up to 500 threads, 500 ms
//! keep-alive). A runtime is built before its function is measured and
//! dropped after, so the async workers of only one runtime exist at a time
//! (smol's pool is global and outlives its executor; its threads idle out).
//!
//! After each function, one line on stderr gives its CPU time and context
//! switches per iteration (`getrusage`, warm-up included), the peak thread
//! count (the process's threads, from `/proc/self/task`, at the end of each
//! iteration: the pools keep their threads for their keep-alive, far longer
//! than an iteration, so the end of one is its peak), and the threads alive
//! before the function started: on a shared 2-core machine, wall time
//! depends on the neighbours' load, these much less. `BLOCKING_BENCH_ROUNDS=n` fixes the
//! hashing rounds instead of calibrating, to compare runs.
//!
//! The glue is the same code for all runtimes: each workload is written
//! once, generic over [`Rt`] (build, `block_on`, spawn a task) and
//! [`Blocker`] (send a closure to the blocking pool), and each of those is
//! a direct call to the runtime's own API.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-blkbench cargo bench -p weft-benches \
//!     --bench blocking -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Differences from tokio's file, on purpose:
//!
//! * tokio collects each batch in a `JoinSet` and calls `join_all`; here
//!   the handles go into a `Vec` and are awaited in order (the batch is done
//!   when its last closure is, either way), so every runtime runs the same
//!   glue.
//! * tokio's runtime has `available_parallelism` workers, 2 here: the same
//!   as the explicit 2 of every runtime in this file.

use std::future::Future;
use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use weft_benches::{tokio_runtime, weft_runtime, Smol, Unwrap};

/// Batches per task in `spawn_blocking` (tokio's `NUM_BATCHES`).
const NUM_BATCHES: usize = 100;
/// Closures per batch in `spawn_blocking` (tokio's `BATCH_SIZE`).
const BATCH_SIZE: usize = 16;
/// Concurrency levels of `spawn_blocking`: tokio's 1, 2, 4, ... capped at
/// the machine's parallelism (2 here).
const CONCURRENCY: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];
/// Closures per iteration of `cpu_batch`.
const CPU_JOBS: usize = 2_000;
/// The CPU time one `cpu_batch` closure should take.
const CPU_JOB_TARGET: Duration = Duration::from_micros(50);
/// Words hashed per round (4 KiB).
const HASH_WORDS: usize = 512;
/// Blocking closures in `spawn_blocking_callers` (issue 14's 16).
const CALLERS: usize = 16;
/// Closures each caller spawns at once, then joins.
const CALLER_JOBS: usize = 100;

// ---------------------------------------------------------------------------
// The two traits every runtime implements.

/// A runtime, seen from outside it.
trait Rt: Sized {
    const NAME: &'static str;
    /// What a spawn returns: resolves to the task's output (panicking if
    /// the task failed).
    type Join<T: Send + 'static>: Future<Output = T> + Send + Unpin + 'static;
    type Blocker: Blocker;

    /// A runtime with [`WORKERS`] async worker threads.
    fn new() -> Self;
    fn block_on<F: Future>(&self, f: F) -> F::Output;
    /// Spawns an async task onto the runtime's workers.
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    /// What tasks of this runtime use to run blocking closures.
    fn blocker(&self) -> Self::Blocker;
}

/// A blocking pool, seen from inside a task.
trait Blocker: Clone + Send + Sync + 'static {
    /// Resolves to the closure's output (panicking if it failed).
    type Handle<T: Send + 'static>: Future<Output = T> + Send + Unpin + 'static;

    fn spawn_blocking<F, R>(&self, f: F) -> Self::Handle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static;
}

// ---------------------------------------------------------------------------
// weft: `weft::spawn_blocking`, the runtime's pool.

struct Weft(weft::Runtime);

#[derive(Clone)]
struct WeftBlocking;

impl Rt for Weft {
    const NAME: &'static str = "weft";
    type Join<T: Send + 'static> = Unwrap<weft::task::JoinHandle<T>>;
    type Blocker = WeftBlocking;

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
    fn blocker(&self) -> WeftBlocking {
        WeftBlocking
    }
}

impl Blocker for WeftBlocking {
    type Handle<T: Send + 'static> = Unwrap<weft::task::JoinHandle<T>>;

    fn spawn_blocking<F, R>(&self, f: F) -> Self::Handle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        Unwrap(weft::spawn_blocking(f))
    }
}

// ---------------------------------------------------------------------------
// weft: `weft::run_in_executor` on a `ThreadPool` of `num_cpus` threads.

/// The pool is dropped after the runtime (field order), joining its threads.
struct WeftPool {
    rt: weft::Runtime,
    pool: weft::blocking::ThreadPool,
}

#[derive(Clone)]
struct WeftRunInExecutor(weft::blocking::ThreadPool);

impl Rt for WeftPool {
    const NAME: &'static str = "weft_run_in_executor";
    type Join<T: Send + 'static> = Unwrap<weft::task::JoinHandle<T>>;
    type Blocker = WeftRunInExecutor;

    fn new() -> Self {
        let pool = weft::blocking::ThreadPool::builder()
            .threads(num_cpus::get())
            .name("bench-cpu")
            .build()
            .unwrap();
        WeftPool {
            rt: weft_runtime(),
            pool,
        }
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrap(self.rt.spawn(f))
    }
    fn blocker(&self) -> WeftRunInExecutor {
        WeftRunInExecutor(self.pool.clone())
    }
}

impl Blocker for WeftRunInExecutor {
    type Handle<T: Send + 'static> = Unwrap<weft::task::JoinHandle<T>>;

    fn spawn_blocking<F, R>(&self, f: F) -> Self::Handle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        Unwrap(weft::run_in_executor(&self.0, f))
    }
}

// ---------------------------------------------------------------------------
// tokio: `tokio::task::spawn_blocking`.

struct Tokio(tokio::runtime::Runtime);

#[derive(Clone)]
struct TokioBlocking;

impl Rt for Tokio {
    const NAME: &'static str = "tokio";
    type Join<T: Send + 'static> = Unwrap<tokio::task::JoinHandle<T>>;
    type Blocker = TokioBlocking;

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
    fn blocker(&self) -> TokioBlocking {
        TokioBlocking
    }
}

impl Blocker for TokioBlocking {
    type Handle<T: Send + 'static> = Unwrap<tokio::task::JoinHandle<T>>;

    fn spawn_blocking<F, R>(&self, f: F) -> Self::Handle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        Unwrap(tokio::task::spawn_blocking(f))
    }
}

// ---------------------------------------------------------------------------
// smol: `blocking::unblock`.

/// An `Executor` run by [`WORKERS`] threads until the runtime is dropped
/// (leaked to be `'static`, like smol's global one).
#[derive(Clone)]
struct SmolBlocking;

impl Rt for Smol {
    const NAME: &'static str = "smol";
    type Join<T: Send + 'static> = smol::Task<T>;
    type Blocker = SmolBlocking;

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
        self.ex.spawn(f)
    }
    fn blocker(&self) -> SmolBlocking {
        SmolBlocking
    }
}

impl Blocker for SmolBlocking {
    type Handle<T: Send + 'static> = blocking::Task<T>;

    fn spawn_blocking<F, R>(&self, f: F) -> Self::Handle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        blocking::unblock(f)
    }
}

// ---------------------------------------------------------------------------
// What a run costs besides wall time.

/// The process's CPU time and context switches so far (all threads, live
/// and exited), from `getrusage(RUSAGE_SELF)`.
#[derive(Clone, Copy)]
struct Usage {
    cpu: Duration,
    voluntary: i64,
    involuntary: i64,
}

impl Usage {
    fn now() -> Usage {
        let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
        // SAFETY: `getrusage` only writes the struct we pass, which is a
        // plain C struct for which all zeroes is a valid value.
        let ru = unsafe {
            let mut ru: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_SELF, &mut ru);
            ru
        };
        Usage {
            cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
            voluntary: ru.ru_nvcsw,
            involuntary: ru.ru_nivcsw,
        }
    }
}

/// The threads of this process now.
fn threads_now() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

/// What one bench function cost besides wall time: CPU time, context
/// switches, and the peak thread count (sampled after each iteration).
struct Probe {
    start: Usage,
    threads_before: usize,
    peak_threads: usize,
    iters: u64,
}

impl Probe {
    fn start() -> Probe {
        let threads_before = threads_now();
        Probe {
            start: Usage::now(),
            threads_before,
            peak_threads: threads_before,
            iters: 0,
        }
    }

    /// Call at the end of each iteration.
    fn iteration_done(&mut self) {
        self.iters += 1;
        self.peak_threads = self.peak_threads.max(threads_now());
    }

    /// Prints, per iteration (warm-up included), the CPU time and the
    /// context switches, then the peak thread count: what explains a wall
    /// time that the profile of one thread does not.
    fn report(self, what: &str) {
        if self.iters == 0 {
            // Filtered out.
            return;
        }
        let (end, n) = (Usage::now(), self.iters as f64);
        eprintln!(
            "{what}: {} iterations; per iteration: {:.1} ms CPU, {:.0} voluntary + {:.0} \
             involuntary context switches; peak {} threads ({} before the first iteration)",
            self.iters,
            (end.cpu - self.start.cpu).as_secs_f64() * 1e3 / n,
            (end.voluntary - self.start.voluntary) as f64 / n,
            (end.involuntary - self.start.involuntary) as f64 / n,
            self.peak_threads,
            self.threads_before,
        );
    }
}

// ---------------------------------------------------------------------------
// The CPU-bound closure.

/// A fixed amount of hashing: `rounds` passes of a multiply-xor hash over
/// 4 KiB. Each pass depends on the previous one's result, so none can be
/// skipped or overlapped.
fn hash_rounds(buf: &[u64; HASH_WORDS], rounds: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for _ in 0..rounds {
        for &w in black_box(buf) {
            h = (h ^ w).wrapping_mul(0x0000_0100_0000_01b3);
        }
        h = h.rotate_left(17);
    }
    h
}

/// The hash input, the same on every call.
fn hash_input() -> [u64; HASH_WORDS] {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    std::array::from_fn(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    })
}

/// The number of rounds that takes about [`CPU_JOB_TARGET`] on this
/// machine, on one thread, before any runtime exists. The fastest of many
/// timings: other processes share the machine, and they only ever make a
/// timing slower. `BLOCKING_BENCH_ROUNDS=n` fixes it instead (to compare
/// runs, or profile, with exactly the same work).
fn calibrate() -> u32 {
    let buf = hash_input();
    let rounds = match std::env::var("BLOCKING_BENCH_ROUNDS") {
        Ok(n) => n.parse().expect("BLOCKING_BENCH_ROUNDS: a number of rounds"),
        Err(_) => {
            let probe = 64;
            let mut best = Duration::MAX;
            for _ in 0..200 {
                let t = Instant::now();
                black_box(hash_rounds(&buf, black_box(probe)));
                best = best.min(t.elapsed());
            }
            let per_round = best.as_secs_f64() / f64::from(probe);
            (CPU_JOB_TARGET.as_secs_f64() / per_round).round().max(1.0) as u32
        }
    };
    let mut check = Duration::MAX;
    for _ in 0..50 {
        let t = Instant::now();
        black_box(hash_rounds(&buf, black_box(rounds)));
        check = check.min(t.elapsed());
    }
    eprintln!(
        "cpu_batch: {rounds} rounds of {HASH_WORDS} words per closure, {:.1} µs each (fastest of 50)",
        check.as_secs_f64() * 1e6
    );
    rounds
}

// ---------------------------------------------------------------------------
// The workloads.

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// tokio's `spawn_blocking` bench: `tasks` tasks, each running
/// [`NUM_BATCHES`] batches of [`BATCH_SIZE`] no-op closures, a batch awaited
/// before the next; `block_on` awaits the tasks.
fn spawn_blocking_batches<R: Rt>(g: &mut Group<'_>, tasks: usize) {
    let rt = R::new();
    let blocker = rt.blocker();
    let mut joins = Vec::with_capacity(tasks);
    let mut probe = Probe::start();
    g.bench_function(R::NAME, |b| {
        b.iter(|| {
            for _ in 0..tasks {
                let blocker = blocker.clone();
                joins.push(rt.spawn(async move {
                    let mut batch = Vec::with_capacity(BATCH_SIZE);
                    for _ in 0..NUM_BATCHES {
                        for _ in 0..BATCH_SIZE {
                            batch.push(blocker.spawn_blocking(|| black_box(0)));
                        }
                        for h in batch.drain(..) {
                            h.await;
                        }
                    }
                }));
            }
            rt.block_on(async {
                for j in joins.drain(..) {
                    j.await;
                }
            });
            probe.iteration_done();
        })
    });
    probe.report(&format!("spawn_blocking/concurrency_{tasks}/{}", R::NAME));
}

/// [`CPU_JOBS`] hashing closures spawned from one task, then awaited
/// together; the checksum is checked so no closure can be skipped.
fn cpu_batch<R: Rt>(g: &mut Group<'_>, rounds: u32, expect: u64) {
    let rt = R::new();
    let blocker = rt.blocker();
    let input = std::sync::Arc::new(hash_input());
    let mut probe = Probe::start();
    g.bench_function(R::NAME, |b| {
        b.iter(|| {
            let (blocker, input) = (blocker.clone(), input.clone());
            let sum = rt.block_on(rt.spawn(async move {
                let handles: Vec<_> = (0..CPU_JOBS)
                    .map(|_| {
                        let input = input.clone();
                        blocker.spawn_blocking(move || hash_rounds(&input, rounds))
                    })
                    .collect();
                let mut sum = 0u64;
                for h in handles {
                    sum = sum.wrapping_add(h.await);
                }
                sum
            }));
            assert_eq!(sum, expect);
            probe.iteration_done();
        })
    });
    probe.report(&format!("cpu_batch/{}", R::NAME));
}

/// [`CALLERS`] blocking closures spawned at once from one task; each spawns
/// [`CALLER_JOBS`] no-op closures at once from its pool thread and joins
/// them there with `smol::block_on`. The sum is checked so no closure can
/// be skipped.
fn spawn_blocking_callers<R: Rt>(g: &mut Group<'_>) {
    let rt = R::new();
    let blocker = rt.blocker();
    let mut probe = Probe::start();
    g.bench_function(R::NAME, |b| {
        b.iter(|| {
            let blocker = blocker.clone();
            let sum = rt.block_on(rt.spawn(async move {
                let callers: Vec<_> = (0..CALLERS)
                    .map(|_| {
                        let inner = blocker.clone();
                        blocker.spawn_blocking(move || {
                            let handles: Vec<_> = (0..CALLER_JOBS)
                                .map(|_| inner.spawn_blocking(|| black_box(1usize)))
                                .collect();
                            handles.into_iter().map(smol::block_on).sum::<usize>()
                        })
                    })
                    .collect();
                let mut sum = 0;
                for c in callers {
                    sum += c.await;
                }
                sum
            }));
            assert_eq!(sum, CALLERS * CALLER_JOBS);
            probe.iteration_done();
        })
    });
    probe.report(&format!("spawn_blocking_callers/{}", R::NAME));
}

fn blocking(c: &mut Criterion) {
    // Before any runtime's threads exist.
    let rounds = calibrate();
    let parallelism = thread::available_parallelism().map_or(1, |n| n.get());
    for tasks in CONCURRENCY.into_iter().filter(|&n| n <= parallelism) {
        let mut g = c.benchmark_group(format!("spawn_blocking/concurrency_{tasks}"));
        // Iterations take milliseconds: equal-size samples.
        g.sampling_mode(SamplingMode::Flat);
        spawn_blocking_batches::<Weft>(&mut g, tasks);
        spawn_blocking_batches::<Tokio>(&mut g, tasks);
        spawn_blocking_batches::<Smol>(&mut g, tasks);
        g.finish();
    }

    let one = hash_rounds(&hash_input(), rounds);
    let expect = (0..CPU_JOBS).fold(0u64, |s, _| s.wrapping_add(one));
    let mut g = c.benchmark_group("cpu_batch");
    g.sampling_mode(SamplingMode::Flat);
    cpu_batch::<Weft>(&mut g, rounds, expect);
    cpu_batch::<WeftPool>(&mut g, rounds, expect);
    cpu_batch::<Tokio>(&mut g, rounds, expect);
    cpu_batch::<Smol>(&mut g, rounds, expect);
    g.finish();

    let mut g = c.benchmark_group("spawn_blocking_callers");
    g.sampling_mode(SamplingMode::Flat);
    spawn_blocking_callers::<Weft>(&mut g);
    spawn_blocking_callers::<Tokio>(&mut g);
    spawn_blocking_callers::<Smol>(&mut g);
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = blocking
}
criterion_main!(benches);
