//! Networking and timer workloads on weft, tokio and smol, side by side:
//!
//! * `echo`: a TCP echo server and 10 concurrent clients on persistent
//!   connections, 1 KiB messages, [`ECHO_ROUNDS`] round trips per client and
//!   iteration (vmbench's echo workload, in one process over loopback).
//!   Throughput is in round trips per second.
//! * `hyper_hello`: a hyper 1.x HTTP/1 hello-world server and 10 concurrent
//!   keep-alive hyper clients on the same runtime, [`HTTP_ROUNDS`] requests
//!   per client and iteration. Throughput is in requests per second.
//! * `sleep_10k`: a task spawns 10,000 tasks that each sleep 1 ms, and
//!   awaits them all.
//!
//! After the criterion groups, a fixed latency run per runtime and workload
//! ([`LAT_ROUNDS`] requests per client, after as many for warm-up) records
//! every request's latency and prints the rate, p50 / p99 / p99.9 (criterion
//! does not do percentiles) and the process CPU time per request. It is
//! repeated [`LAT_REPS`] times with the runtimes interleaved: on a shared
//! machine, other processes' time slices show up as multi-millisecond p99s,
//! and interleaving spreads them over all three runtimes. p50 and CPU per
//! request are the steadier figures. Pass a filter that matches no bench
//! (`-- '^none$'`) to get only the latency run.
//!
//! Every runtime gets two worker threads, as in `rt_multi_threaded.rs`:
//! weft with `worker_threads(2)`, tokio `new_multi_thread().worker_threads(2)
//! .enable_all()`, smol one `Executor` run by two threads (its I/O on
//! `async-io`'s reactor, through `smol::net`). A runtime is built before its
//! function is measured and dropped after, so only one runtime's threads
//! exist at a time.
//!
//! hyper runs on each runtime through that runtime's glue: weft through
//! `weft::compat::hyper` (`HyperIo`, `HyperExecutor`, `HyperTimer`; the
//! `hyper` feature); tokio through hyper-util's `TokioIo`, `TokioExecutor` and
//! `TokioTimer`; smol through the same `HyperIo` (it wraps any `futures-io`
//! stream, and `smol::net::TcpStream` is one), plus the small
//! [`SmolTimer`] below. Every server sets a timer (hyper arms its 30 s
//! header-read timeout per request) and `TCP_NODELAY`, so all three do the
//! same work.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-net cargo bench -p weft-benches --bench net \
//!     -- --warm-up-time 1 --measurement-time 3
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::rt::Executor;
use hyper::service::service_fn;
use hyper::{Request, Response};
use weft_benches::{tokio_runtime, weft_runtime, Smol, SmolJoin, Unwrap, WORKERS};

/// Concurrent clients in the echo and hyper workloads.
const CLIENTS: usize = 10;
/// Echo message size.
const MSG: usize = 1024;
/// Echo round trips per client per iteration.
const ECHO_ROUNDS: usize = 100;
/// HTTP requests per client per iteration.
const HTTP_ROUNDS: usize = 100;
/// Concurrent sleeping tasks in `sleep_10k`.
const SLEEPERS: usize = 10_000;
/// Requests per client in the latency run (after as many for warm-up).
const LAT_ROUNDS: usize = 2_000;
/// Interleaved repetitions of the latency run.
const LAT_REPS: usize = 3;

const HELLO: &[u8] = b"Hello, world!\n";

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
    fn sleep(self, d: Duration) -> impl Future<Output = ()> + Send + 'static;
    /// Binds 127.0.0.1:0 and spawns an echo server there.
    fn echo_server(self) -> impl Future<Output = SocketAddr> + Send;
    fn connect(self, addr: SocketAddr) -> impl Future<Output = Self::Stream> + Send;
    /// `rounds` round trips of [`MSG`] bytes; the latency of each if `record`.
    fn echo_client(
        s: Self::Stream,
        rounds: usize,
        record: bool,
    ) -> impl Future<Output = (Self::Stream, Vec<Duration>)> + Send + 'static;
    /// Binds 127.0.0.1:0 and spawns a hyper hello-world server there.
    fn hyper_server(self) -> impl Future<Output = SocketAddr> + Send;
    /// A keep-alive hyper client connection; its driver task is spawned.
    fn hyper_client(self, addr: SocketAddr) -> impl Future<Output = SendRequest<Empty<Bytes>>> + Send;
}

// ---------------------------------------------------------------------------
// Shared by all runtimes.

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(HELLO))))
}

/// The same message every time: the bench is about the runtime, not memcpy.
fn message() -> Vec<u8> {
    (0..MSG).map(|i| i as u8).collect()
}

/// `rounds` GETs on one keep-alive connection.
async fn http_client(
    mut sender: SendRequest<Empty<Bytes>>,
    rounds: usize,
    record: bool,
) -> (SendRequest<Empty<Bytes>>, Vec<Duration>) {
    let mut lat = Vec::with_capacity(if record { rounds } else { 0 });
    for _ in 0..rounds {
        let start = Instant::now();
        sender.ready().await.unwrap();
        let req = Request::get("/")
            .header("host", "bench")
            .body(Empty::new())
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        assert!(resp.status().is_success());
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], HELLO);
        if record {
            lat.push(start.elapsed());
        }
    }
    (sender, lat)
}

/// The echo client over any `futures-io` stream (weft's and smol's).
async fn fio_echo_client<S>(mut s: S, rounds: usize, record: bool) -> (S, Vec<Duration>)
where
    S: weft::io::AsyncRead + weft::io::AsyncWrite + Unpin,
{
    use weft::io::{AsyncReadExt, AsyncWriteExt};
    let msg = message();
    let mut back = vec![0u8; MSG];
    let mut lat = Vec::with_capacity(if record { rounds } else { 0 });
    for _ in 0..rounds {
        let start = Instant::now();
        s.write_all(&msg).await.unwrap();
        s.read_exact(&mut back).await.unwrap();
        if record {
            lat.push(start.elapsed());
        }
    }
    debug_assert_eq!(back, msg);
    (s, lat)
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
// weft

struct Weft(weft::Runtime);

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
    fn sleep(self, d: Duration) -> impl Future<Output = ()> + Send + 'static {
        weft::time::sleep(d)
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
    fn echo_client(
        s: Self::Stream,
        rounds: usize,
        record: bool,
    ) -> impl Future<Output = (Self::Stream, Vec<Duration>)> + Send + 'static {
        fio_echo_client(s, rounds, record)
    }
    async fn hyper_server(self) -> SocketAddr {
        use weft::compat::hyper::{HyperIo, HyperTimer};
        let l = weft::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        weft::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                s.set_nodelay(true).unwrap();
                weft::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(HyperTimer::new())
                        .serve_connection(HyperIo::new(s), service_fn(hello))
                        .await;
                });
            }
        });
        addr
    }
    async fn hyper_client(self, addr: SocketAddr) -> SendRequest<Empty<Bytes>> {
        use weft::compat::hyper::{HyperExecutor, HyperIo};
        let s = self.connect(addr).await;
        let (sender, conn) = hyper::client::conn::http1::handshake(HyperIo::new(s))
            .await
            .unwrap();
        HyperExecutor::new().execute(async move {
            let _ = conn.await;
        });
        sender
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
    fn sleep(self, d: Duration) -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep(d)
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
    async fn echo_client(mut s: Self::Stream, rounds: usize, record: bool) -> (Self::Stream, Vec<Duration>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let msg = message();
        let mut back = vec![0u8; MSG];
        let mut lat = Vec::with_capacity(if record { rounds } else { 0 });
        for _ in 0..rounds {
            let start = Instant::now();
            s.write_all(&msg).await.unwrap();
            s.read_exact(&mut back).await.unwrap();
            if record {
                lat.push(start.elapsed());
            }
        }
        debug_assert_eq!(back, msg);
        (s, lat)
    }
    async fn hyper_server(self) -> SocketAddr {
        use hyper_util::rt::{TokioIo, TokioTimer};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                s.set_nodelay(true).unwrap();
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .serve_connection(TokioIo::new(s), service_fn(hello))
                        .await;
                });
            }
        });
        addr
    }
    async fn hyper_client(self, addr: SocketAddr) -> SendRequest<Empty<Bytes>> {
        use hyper_util::rt::{TokioExecutor, TokioIo};
        let s = self.connect(addr).await;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s))
            .await
            .unwrap();
        TokioExecutor::new().execute(async move {
            let _ = conn.await;
        });
        sender
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

/// hyper's timer on `async-io`'s timers (`smol::Timer`).
#[derive(Clone, Copy)]
struct SmolTimer;

struct SmolSleep(smol::Timer);

impl Future for SmolSleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(drop)
    }
}

impl hyper::rt::Sleep for SmolSleep {}

impl hyper::rt::Timer for SmolTimer {
    fn sleep(&self, d: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(SmolSleep(smol::Timer::after(d)))
    }
    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(SmolSleep(smol::Timer::at(deadline)))
    }
    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<SmolSleep>() {
            Some(mut ours) => ours.0.set_at(deadline),
            None => *sleep = self.sleep_until(deadline),
        }
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
    fn sleep(self, d: Duration) -> impl Future<Output = ()> + Send + 'static {
        SmolSleep(smol::Timer::after(d))
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
    fn echo_client(
        s: Self::Stream,
        rounds: usize,
        record: bool,
    ) -> impl Future<Output = (Self::Stream, Vec<Duration>)> + Send + 'static {
        fio_echo_client(s, rounds, record)
    }
    async fn hyper_server(self) -> SocketAddr {
        use weft::compat::hyper::HyperIo;
        let l = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let ex = self.0;
        ex.spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                s.set_nodelay(true).unwrap();
                ex.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(SmolTimer)
                        .serve_connection(HyperIo::new(s), service_fn(hello))
                        .await;
                })
                .detach();
            }
        })
        .detach();
        addr
    }
    async fn hyper_client(self, addr: SocketAddr) -> SendRequest<Empty<Bytes>> {
        use weft::compat::hyper::HyperIo;
        let s = self.connect(addr).await;
        let (sender, conn) = hyper::client::conn::http1::handshake(HyperIo::new(s))
            .await
            .unwrap();
        self.0
            .spawn(async move {
                let _ = conn.await;
            })
            .detach();
        sender
    }
}

// ---------------------------------------------------------------------------
// The workloads, written once.

/// 10 echo connections to a fresh server on `rt`.
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

/// One round of the echo workload: every client task does `rounds` round
/// trips; returns the streams and, if `record`, every latency.
fn echo_round<R: Rt>(
    rt: &R,
    streams: Vec<<R::Net as Net>::Stream>,
    rounds: usize,
    record: bool,
) -> (Vec<<R::Net as Net>::Stream>, Vec<Duration>) {
    let net = rt.net();
    rt.block_on(async move {
        let tasks: Vec<_> = streams
            .into_iter()
            .map(|s| net.spawn(R::Net::echo_client(s, rounds, record)))
            .collect();
        let mut streams = Vec::with_capacity(CLIENTS);
        let mut lat = Vec::new();
        for t in tasks {
            let (s, l) = t.await;
            streams.push(s);
            lat.extend(l);
        }
        (streams, lat)
    })
}

/// 10 keep-alive hyper connections to a fresh hyper server on `rt`.
fn http_setup<R: Rt>(rt: &R) -> Vec<SendRequest<Empty<Bytes>>> {
    let net = rt.net();
    rt.block_on(async move {
        let addr = net.hyper_server().await;
        let mut senders = Vec::with_capacity(CLIENTS);
        for _ in 0..CLIENTS {
            senders.push(net.hyper_client(addr).await);
        }
        senders
    })
}

fn http_round<R: Rt>(
    rt: &R,
    senders: Vec<SendRequest<Empty<Bytes>>>,
    rounds: usize,
    record: bool,
) -> (Vec<SendRequest<Empty<Bytes>>>, Vec<Duration>) {
    let net = rt.net();
    rt.block_on(async move {
        let tasks: Vec<_> = senders
            .into_iter()
            .map(|s| net.spawn(http_client(s, rounds, record)))
            .collect();
        let mut senders = Vec::with_capacity(CLIENTS);
        let mut lat = Vec::new();
        for t in tasks {
            let (s, l) = t.await;
            senders.push(s);
            lat.extend(l);
        }
        (senders, lat)
    })
}

/// A task spawns [`SLEEPERS`] tasks sleeping 1 ms each and awaits them.
fn sleep_round<R: Rt>(rt: &R) {
    let net = rt.net();
    rt.block_on(async move {
        // Spawned from `block_on`: weft and tokio need their context entered.
        let root = net.spawn(async move {
            let tasks: Vec<_> = (0..SLEEPERS)
                .map(|_| net.spawn(net.sleep(Duration::from_millis(1))))
                .collect();
            for t in tasks {
                t.await;
            }
        });
        root.await
    });
}

fn bench_echo<R: Rt>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = R::new();
    let mut streams = Some(echo_setup(&rt));
    g.bench_function(R::NAME, |b| {
        b.iter(|| {
            let (s, _) = echo_round(&rt, streams.take().unwrap(), ECHO_ROUNDS, false);
            streams = Some(s);
        })
    });
    drop(streams);
    drop(rt);
}

fn bench_http<R: Rt>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = R::new();
    let mut senders = Some(http_setup(&rt));
    g.bench_function(R::NAME, |b| {
        b.iter(|| {
            let (s, _) = http_round(&rt, senders.take().unwrap(), HTTP_ROUNDS, false);
            senders = Some(s);
        })
    });
    drop(senders);
    drop(rt);
}

fn bench_sleep<R: Rt>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = R::new();
    g.bench_function(R::NAME, |b| b.iter(|| sleep_round(&rt)));
    drop(rt);
}

fn echo(c: &mut Criterion) {
    let mut g = c.benchmark_group("echo");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements((CLIENTS * ECHO_ROUNDS) as u64));
    bench_echo::<Weft>(&mut g);
    bench_echo::<Tokio>(&mut g);
    bench_echo::<Smol>(&mut g);
    g.finish();
}

fn hyper_hello(c: &mut Criterion) {
    let mut g = c.benchmark_group("hyper_hello");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements((CLIENTS * HTTP_ROUNDS) as u64));
    bench_http::<Weft>(&mut g);
    bench_http::<Tokio>(&mut g);
    bench_http::<Smol>(&mut g);
    g.finish();
}

fn sleep_10k(c: &mut Criterion) {
    let mut g = c.benchmark_group("sleep_10k");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(SLEEPERS as u64));
    bench_sleep::<Weft>(&mut g);
    bench_sleep::<Tokio>(&mut g);
    bench_sleep::<Smol>(&mut g);
    g.finish();
}

// ---------------------------------------------------------------------------
// The latency run.

/// CPU time (user + system, all threads) this process has used so far,
/// from `/proc/self/stat` (10 ms ticks; `None` where there is no procfs).
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall, so the 12th and 13th after it.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    // USER_HZ is 100 on every Linux architecture Rust supports.
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Prints the percentiles of `lat`, the requests of one fixed run that took
/// `elapsed` wall time and `cpu` process CPU time.
fn report(workload: &str, name: &str, mut lat: Vec<Duration>, elapsed: Duration, cpu: Option<Duration>) {
    lat.sort_unstable();
    let pct = |p: f64| {
        let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
        lat[i].as_secs_f64() * 1e6
    };
    let cpu = match cpu {
        Some(cpu) => format!("{:>5.1} us CPU/req", cpu.as_secs_f64() * 1e6 / lat.len() as f64),
        None => String::new(),
    };
    println!(
        "{workload:<12} {name:<6} {:>7.0} req/s  p50 {:>6.1} us  p99 {:>7.1} us  p99.9 {:>7.1} us  {cpu}",
        lat.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        pct(0.999),
    );
}

/// Runs `f` and returns its output, wall time and process CPU time.
fn measured<T>(f: impl FnOnce() -> T) -> (T, Duration, Option<Duration>) {
    let cpu0 = process_cpu();
    let start = Instant::now();
    let out = f();
    let elapsed = start.elapsed();
    let cpu = process_cpu().zip(cpu0).map(|(b, a)| b.saturating_sub(a));
    (out, elapsed, cpu)
}

fn latency<R: Rt>(rounds: usize) {
    let rt = R::new();
    let streams = echo_setup(&rt);
    let (streams, _) = echo_round(&rt, streams, rounds, false);
    let ((streams, lat), elapsed, cpu) = measured(|| echo_round(&rt, streams, rounds, true));
    report("echo", R::NAME, lat, elapsed, cpu);
    drop(streams);

    let senders = http_setup(&rt);
    let (senders, _) = http_round(&rt, senders, rounds, false);
    let ((senders, lat), elapsed, cpu) = measured(|| http_round(&rt, senders, rounds, true));
    report("hyper_hello", R::NAME, lat, elapsed, cpu);
    drop(senders);
    drop(rt);
}

/// The latency run, `reps` times over, the runtimes interleaved so that
/// load from outside the bench (the machine is shared) hits all of them.
fn latencies(rounds: usize, reps: usize) {
    println!(
        "\nlatency run: {CLIENTS} clients x {rounds} requests each (after as many for warm-up), \
         {WORKERS} worker threads, {reps} interleaved repetitions"
    );
    for _ in 0..reps {
        latency::<Weft>(rounds);
        latency::<Tokio>(rounds);
        latency::<Smol>(rounds);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut c = Criterion::default().sample_size(10).configure_from_args();
    echo(&mut c);
    hyper_hello(&mut c);
    sleep_10k(&mut c);
    c.final_summary();
    // `--list` only lists and `--profile-time` is for profiling one bench:
    // no latency run. `--test` (cargo test --benches) runs everything once,
    // so a short latency run is enough there.
    if args
        .iter()
        .any(|a| a == "--list" || a.starts_with("--profile-time"))
    {
        return;
    }
    if args.iter().any(|a| a == "--test") {
        latencies(50, 1);
    } else {
        latencies(LAT_ROUNDS, LAT_REPS);
    }
}
