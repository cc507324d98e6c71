//! Never block the loop (issue 9): what a task that blocks its worker costs
//! everybody else, on weft (automatic handoff on, the default threshold),
//! weft with `handoff(None)`, tokio and smol, side by side.
//!
//! * `never_stall/sleep`: [`TICKERS`] tasks sleep [`TICK`] in a loop and
//!   record how late each wake is relative to its deadline; after
//!   [`SETTLE`], one task per worker ([`WORKERS`] of them) calls
//!   `std::thread::sleep(`[`BLOCK`]`)`. When the blockers have returned,
//!   the tickers stop.
//! * `never_stall/spin`: the same, the blockers spinning the CPU for
//!   [`BLOCK`] instead of sleeping.
//! * `never_stall/echo`: [`CLIENTS`] echo clients on persistent loopback
//!   connections to an echo server on the same runtime do round trips of
//!   [`MSG`] bytes while one task blocks one worker for [`BLOCK`]; they stop
//!   when it returns.
//!
//! Criterion measures the wall time of one scenario iteration
//! (`iter_custom`; about 300 ms, [`SETTLE`] + [`BLOCK`] + the tickers'
//! last sleep). Criterion has no percentiles, so after each function the
//! bench prints one line to stdout with the figures accumulated over all
//! its iterations (warm-up included):
//!
//! ```text
//! never_stall/sleep/weft: lateness p50 0.4 ms p99 12.1 ms max 14.0 ms over N wakes (handoffs 46)
//! never_stall/echo/weft: 23456 round trips/s over N round trips in 5.2 s (handoffs 23)
//! ```
//!
//! What to expect (the issue's goal): weft's worst lateness within 3x its
//! threshold ([`weft::runtime::DEFAULT_HANDOFF`], 10 ms), while tokio's,
//! smol's and weft-handoff-off's equal the blocking time: with every worker
//! inside a poll, nobody runs the timers' tasks (or, on weft without
//! handoff and tokio, even fires the timers).
//!
//! Every runtime gets two worker threads, as in `rt_multi_threaded.rs`:
//! weft `worker_threads(2)`, tokio `new_multi_thread().worker_threads(2)
//! .enable_all()`, smol one `Executor` run by two threads (timers and I/O
//! on `async-io`'s reactor). A runtime is built before its function is
//! measured and dropped after, so only one runtime's threads exist at a
//! time. Which worker a blocker lands on is up to each runtime's scheduler:
//! blockers are spawned from `block_on`, like any other task.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-stall cargo bench -p weft-benches --bench never_stall
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use weft_benches::{tokio_runtime, weft_runtime, Smol, SmolJoin, Unwrap, WORKERS};

/// Ticker tasks in the lateness scenarios (the issue's count).
const TICKERS: usize = 1_000;
/// A ticker's sleep.
const TICK: Duration = Duration::from_millis(10);
/// How long the tickers run before the blockers start.
const SETTLE: Duration = Duration::from_millis(50);
/// How long a blocker blocks its worker.
const BLOCK: Duration = Duration::from_millis(200);
/// Echo clients (as in `net.rs`).
const CLIENTS: usize = 10;
/// Echo message size (as in `net.rs`).
const MSG: usize = 1024;

// ---------------------------------------------------------------------------
// What each runtime provides.

/// A runtime, seen from the bench thread.
trait Rt: Sized {
    const NAME: &'static str;
    type Net: Net;
    /// A runtime with [`WORKERS`] worker threads.
    fn new() -> Self;
    fn block_on<F: Future>(&self, f: F) -> F::Output;
    fn net(&self) -> Self::Net;
    /// How many times a worker was handed off, where the runtime counts it.
    fn handoffs(&self) -> Option<u64> {
        None
    }
}

/// A runtime, seen from inside `block_on` or one of its tasks.
trait Net: Copy + Send + Sync + 'static {
    /// Resolves to the task's output; detaches the task when dropped.
    type Join<T: Send + 'static>: Future<Output = T> + Send + Unpin + 'static;
    type Stream: Send + 'static;

    fn spawn<F>(self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    /// The runtime's own timer, until `deadline`.
    fn sleep_until(self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static;
    /// Binds 127.0.0.1:0 and spawns an echo server there.
    fn echo_server(self) -> impl Future<Output = SocketAddr> + Send;
    fn connect(self, addr: SocketAddr) -> impl Future<Output = Self::Stream> + Send;
    /// Round trips of [`MSG`] bytes until `stop`; returns how many.
    fn echo_until(
        s: Self::Stream,
        stop: Arc<AtomicBool>,
    ) -> impl Future<Output = (Self::Stream, u64)> + Send + 'static;
}

/// The echo client over any `futures-io` stream (weft's and smol's).
async fn fio_echo_until<S>(mut s: S, stop: Arc<AtomicBool>) -> (S, u64)
where
    S: weft::io::AsyncRead + weft::io::AsyncWrite + Unpin,
{
    use weft::io::{AsyncReadExt, AsyncWriteExt};
    let msg = vec![0x5au8; MSG];
    let mut back = vec![0u8; MSG];
    let mut n = 0;
    while !stop.load(Relaxed) {
        s.write_all(&msg).await.unwrap();
        s.read_exact(&mut back).await.unwrap();
        n += 1;
    }
    (s, n)
}

/// The echo server's per-connection loop over any `futures-io` stream.
async fn fio_echo<S>(mut s: S)
where
    S: weft::io::AsyncRead + weft::io::AsyncWrite + Unpin,
{
    use weft::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 4 * MSG];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if s.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// weft, with handoff at its default threshold and switched off

struct Weft(weft::Runtime);

/// weft with `handoff(None)`: the scheduler as it was before issue 9.
struct WeftHandoffOff(weft::Runtime);

#[derive(Clone, Copy)]
struct WeftNet;

impl Rt for Weft {
    const NAME: &'static str = "weft";
    type Net = WeftNet;
    fn new() -> Self {
        Weft(weft_runtime())
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn net(&self) -> WeftNet {
        WeftNet
    }
    fn handoffs(&self) -> Option<u64> {
        Some(self.0.metrics().handoffs())
    }
}

impl Rt for WeftHandoffOff {
    const NAME: &'static str = "weft-handoff-off";
    type Net = WeftNet;
    fn new() -> Self {
        let rt = weft::Runtime::builder()
            .worker_threads(WORKERS)
            .handoff(None)
            .build()
            .unwrap();
        WeftHandoffOff(rt)
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn net(&self) -> WeftNet {
        WeftNet
    }
    fn handoffs(&self) -> Option<u64> {
        Some(self.0.metrics().handoffs())
    }
}

impl Net for WeftNet {
    type Join<T: Send + 'static> = Unwrap<weft::task::JoinHandle<T>>;
    type Stream = weft::net::TcpStream;

    fn spawn<F>(self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrap(weft::spawn(f))
    }
    fn sleep_until(self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        weft::time::sleep_until(deadline)
    }
    async fn echo_server(self) -> SocketAddr {
        let l = weft::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        weft::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                s.set_nodelay(true).unwrap();
                weft::spawn(fio_echo(s));
            }
        });
        addr
    }
    async fn connect(self, addr: SocketAddr) -> Self::Stream {
        let s = weft::net::TcpStream::connect(addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        s
    }
    fn echo_until(
        s: Self::Stream,
        stop: Arc<AtomicBool>,
    ) -> impl Future<Output = (Self::Stream, u64)> + Send + 'static {
        fio_echo_until(s, stop)
    }
}

// ---------------------------------------------------------------------------
// tokio

struct Tokio(tokio::runtime::Runtime);

#[derive(Clone, Copy)]
struct TokioNet;

impl Rt for Tokio {
    const NAME: &'static str = "tokio";
    type Net = TokioNet;
    fn new() -> Self {
        Tokio(tokio_runtime())
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn net(&self) -> TokioNet {
        TokioNet
    }
}

impl Net for TokioNet {
    type Join<T: Send + 'static> = Unwrap<tokio::task::JoinHandle<T>>;
    type Stream = tokio::net::TcpStream;

    fn spawn<F>(self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrap(tokio::spawn(f))
    }
    fn sleep_until(self, deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep_until(tokio::time::Instant::from_std(deadline))
    }
    async fn echo_server(self) -> SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                s.set_nodelay(true).unwrap();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4 * MSG];
                    loop {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                if s.write_all(&buf[..n]).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        });
        addr
    }
    async fn connect(self, addr: SocketAddr) -> Self::Stream {
        let s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        s
    }
    async fn echo_until(mut s: Self::Stream, stop: Arc<AtomicBool>) -> (Self::Stream, u64) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let msg = vec![0x5au8; MSG];
        let mut back = vec![0u8; MSG];
        let mut n = 0;
        while !stop.load(Relaxed) {
            s.write_all(&msg).await.unwrap();
            s.read_exact(&mut back).await.unwrap();
            n += 1;
        }
        (s, n)
    }
}

// ---------------------------------------------------------------------------
// smol

/// An `Executor` run by [`WORKERS`] threads until the runtime is dropped;
/// leaked so tasks can hold it by copy (the shape of smol's global one).
#[derive(Clone, Copy)]
struct SmolNet(&'static smol::Executor<'static>);

impl Rt for Smol {
    const NAME: &'static str = "smol";
    type Net = SmolNet;
    fn new() -> Self {
        Smol::start()
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        smol::block_on(f)
    }
    fn net(&self) -> SmolNet {
        SmolNet(self.ex)
    }
}

impl Net for SmolNet {
    type Join<T: Send + 'static> = SmolJoin<T>;
    type Stream = smol::net::TcpStream;

    fn spawn<F>(self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        SmolJoin(Some(self.0.spawn(f)))
    }
    async fn sleep_until(self, deadline: Instant) {
        smol::Timer::at(deadline).await;
    }
    async fn echo_server(self) -> SocketAddr {
        let l = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let ex = self.0;
        ex.spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                s.set_nodelay(true).unwrap();
                ex.spawn(fio_echo(s)).detach();
            }
        })
        .detach();
        addr
    }
    async fn connect(self, addr: SocketAddr) -> Self::Stream {
        let s = smol::net::TcpStream::connect(addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        s
    }
    fn echo_until(
        s: Self::Stream,
        stop: Arc<AtomicBool>,
    ) -> impl Future<Output = (Self::Stream, u64)> + Send + 'static {
        fio_echo_until(s, stop)
    }
}

// ---------------------------------------------------------------------------
// The scenarios, written once.

/// How a blocker blocks its worker.
#[derive(Clone, Copy)]
enum Block {
    /// `std::thread::sleep`: the thread is off the CPU.
    Sleep,
    /// A CPU spin: the thread holds a core.
    Spin,
}

impl Block {
    fn name(self) -> &'static str {
        match self {
            Block::Sleep => "sleep",
            Block::Spin => "spin",
        }
    }

    /// Blocks the calling thread for [`BLOCK`].
    fn run(self) {
        match self {
            Block::Sleep => std::thread::sleep(BLOCK),
            Block::Spin => {
                let t0 = Instant::now();
                let mut x = 0u64;
                while t0.elapsed() < BLOCK {
                    for i in 0..1000u64 {
                        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
                    }
                }
            }
        }
    }
}

/// Sleeps [`TICK`] in a loop until `stop`, first `offset` into the period
/// (so the tickers' deadlines spread over it); returns each wake's lateness
/// in microseconds.
async fn ticker<N: Net>(net: N, offset: Duration, stop: Arc<AtomicBool>) -> Vec<u32> {
    let mut late = Vec::with_capacity(32);
    let mut due = Instant::now() + offset;
    loop {
        net.sleep_until(due).await;
        let now = Instant::now();
        late.push(now.saturating_duration_since(due).as_micros() as u32);
        if stop.load(Relaxed) {
            return late;
        }
        due = now + TICK;
    }
}

/// One iteration of a lateness scenario: [`TICKERS`] tickers, one blocker
/// per worker after [`SETTLE`]. Appends every wake's lateness to `late`.
fn tickers_once<R: Rt>(rt: &R, how: Block, late: &mut Vec<u32>) -> Duration {
    let net = rt.net();
    let t0 = Instant::now();
    let samples = rt.block_on(async move {
        let stop = Arc::new(AtomicBool::new(false));
        let tickers: Vec<_> = (0..TICKERS)
            .map(|i| {
                let offset = TICK * i as u32 / TICKERS as u32;
                net.spawn(ticker(net, offset, stop.clone()))
            })
            .collect();
        net.sleep_until(Instant::now() + SETTLE).await;
        let blockers: Vec<_> = (0..WORKERS)
            .map(|_| net.spawn(async move { how.run() }))
            .collect();
        for b in blockers {
            b.await;
        }
        stop.store(true, Relaxed);
        let mut samples = Vec::with_capacity(TICKERS * 32);
        for t in tickers {
            samples.extend(t.await);
        }
        samples
    });
    let took = t0.elapsed();
    late.extend(samples);
    took
}

/// [`CLIENTS`] echo connections to a fresh server on `rt`.
fn echo_setup<R: Rt>(rt: &R) -> Vec<<R::Net as Net>::Stream> {
    let net = rt.net();
    rt.block_on(async move {
        let addr = net.echo_server().await;
        let mut streams = Vec::with_capacity(CLIENTS);
        for _ in 0..CLIENTS {
            streams.push(net.connect(addr).await);
        }
        streams
    })
}

/// One iteration of the echo scenario: the clients do round trips while
/// one task blocks a worker for [`BLOCK`], and stop when it returns.
/// Returns the wall time and the round trips done.
fn echo_once<R: Rt>(rt: &R, streams: &mut Vec<<R::Net as Net>::Stream>) -> (Duration, u64) {
    let net = rt.net();
    let clients = std::mem::take(streams);
    let t0 = Instant::now();
    let (back, trips) = rt.block_on(async move {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let blocker = net.spawn(async move {
            Block::Sleep.run();
            s.store(true, Relaxed);
        });
        let tasks: Vec<_> = clients
            .into_iter()
            .map(|c| net.spawn(R::Net::echo_until(c, stop.clone())))
            .collect();
        let mut back = Vec::with_capacity(CLIENTS);
        let mut trips = 0;
        for t in tasks {
            let (c, n) = t.await;
            back.push(c);
            trips += n;
        }
        blocker.await;
        (back, trips)
    });
    *streams = back;
    (t0.elapsed(), trips)
}

/// `" (handoffs N)"` for a runtime that counts them.
fn handoffs_note<R: Rt>(rt: &R) -> String {
    rt.handoffs()
        .map(|n| format!(" (handoffs {n})"))
        .unwrap_or_default()
}

fn ms(us: u32) -> f64 {
    f64::from(us) / 1000.0
}

/// The element at quantile `q` of a sorted, non-empty slice.
fn quantile(sorted: &[u32], q: f64) -> u32 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn bench_lateness<R: Rt>(g: &mut BenchmarkGroup<'_, WallTime>, how: Block) {
    let rt = R::new();
    let mut late = Vec::new();
    g.bench_function(R::NAME, |b| {
        b.iter_custom(|iters| (0..iters).map(|_| tickers_once(&rt, how, &mut late)).sum())
    });
    // Nothing ran if a filter skipped this function.
    if !late.is_empty() {
        late.sort_unstable();
        println!(
            "never_stall/{}/{}: lateness p50 {:.1} ms p99 {:.1} ms max {:.1} ms over {} wakes{}",
            how.name(),
            R::NAME,
            ms(quantile(&late, 0.50)),
            ms(quantile(&late, 0.99)),
            ms(*late.last().unwrap()),
            late.len(),
            handoffs_note(&rt),
        );
    }
    drop(rt);
}

fn bench_echo<R: Rt>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = R::new();
    let mut streams = echo_setup(&rt);
    let (mut took, mut trips) = (Duration::ZERO, 0u64);
    g.bench_function(R::NAME, |b| {
        b.iter_custom(|iters| {
            let mut sum = Duration::ZERO;
            for _ in 0..iters {
                let (t, n) = echo_once(&rt, &mut streams);
                sum += t;
                trips += n;
            }
            took += sum;
            sum
        })
    });
    if trips > 0 {
        println!(
            "never_stall/echo/{}: {:.0} round trips/s over {} round trips in {:.1} s, one worker blocked{}",
            R::NAME,
            trips as f64 / took.as_secs_f64(),
            trips,
            took.as_secs_f64(),
            handoffs_note(&rt),
        );
    }
    drop(streams);
    drop(rt);
}

fn lateness(c: &mut Criterion, how: Block) {
    let mut g = c.benchmark_group(format!("never_stall/{}", how.name()));
    // Iterations take ~300 ms: equal-size samples.
    g.sampling_mode(SamplingMode::Flat);
    bench_lateness::<Weft>(&mut g, how);
    bench_lateness::<WeftHandoffOff>(&mut g, how);
    bench_lateness::<Tokio>(&mut g, how);
    bench_lateness::<Smol>(&mut g, how);
    g.finish();
}

fn never_stall(c: &mut Criterion) {
    lateness(c, Block::Sleep);
    lateness(c, Block::Spin);
    let mut g = c.benchmark_group("never_stall/echo");
    g.sampling_mode(SamplingMode::Flat);
    bench_echo::<Weft>(&mut g);
    bench_echo::<WeftHandoffOff>(&mut g);
    bench_echo::<Tokio>(&mut g);
    bench_echo::<Smol>(&mut g);
    g.finish();
}

criterion_group! {
    name = benches;
    // Ten samples of one ~300 ms iteration each, after about three for
    // warm-up: about 4 s per function, under a minute and a half in all.
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = never_stall
}
criterion_main!(benches);
