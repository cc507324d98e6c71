//! A tour of weft: the asyncio article's event loop, on every core.
//!
//! Run it with `cargo run --release --example tour`. It takes well under a
//! minute on any machine and needs nothing but loopback networking.
//!
//! 1. Hello world: a coroutine driven by `block_on` (asyncio's
//!    `run_until_complete`), and two tasks that sleep concurrently.
//! 2. 10,000 concurrent echo connections over loopback, served and checked
//!    in one process, with requests per second and p50/p99 latency.
//! 3. CPU-bound hashing pushed to a thread pool with `run_in_executor` while
//!    the echo keeps serving: the async workers never stall.
//! 4. Never block the loop: the same hashing run *inside* tasks on a
//!    2-worker runtime, with automatic handoff off (the tickers beside it
//!    stall) and on (they do not), and on pools beside it
//!    (`run_in_executor`, `spawn_blocking`).
//! 5. The runtime's metrics.

use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weft::io::{AsyncReadExt, AsyncWriteExt};
use weft::net::{TcpListener, TcpStream};
use weft::sync::watch;
use weft::time::sleep;
use weft::Runtime;

/// Concurrent echo connections (capped by the file-descriptor limit).
const CONNECTIONS: usize = 10_000;
/// Round trips per connection and phase.
const ROUNDS: usize = 10;
/// Message size, in bytes.
const MESSAGE: usize = 64;
/// Section 4: milliseconds of hashing per job, one job per worker.
const HASH_MS: u64 = 100;
/// Section 4: worker threads of its runtimes (each built for the section).
const STALL_WORKERS: usize = 2;
/// Section 4: tasks sleeping [`TICK`] in a loop beside the hashing.
const TICKERS: usize = 100;
/// Section 4: a ticker's sleep.
const TICK: Duration = Duration::from_millis(10);

fn main() -> io::Result<()> {
    let rt = Runtime::builder().thread_name("tour").build()?;
    let workers = rt.metrics().num_workers();
    println!("weft tour: {workers} worker threads\n");

    rt.block_on(hello_world());
    let conns = connection_budget();
    let (count_accepted, accepted) = watch::channel(0usize);
    let addr = rt.block_on(start_echo_server(count_accepted))?;
    let clients = rt.block_on(connect_all(addr, conns, accepted))?;

    println!("\n-- 2. {conns} concurrent echo connections over loopback");
    let (clients, quiet) = rt.block_on(echo_phase(clients))?;
    quiet.print("echo");

    println!("\n-- 3. CPU-bound hashing: run_in_executor keeps the workers free");
    let (clients, report) = rt.block_on(echo_with_hashing(clients))?;
    report.print("echo while hashing on the pool");
    drop(clients);

    println!(
        "\n-- 4. never block the loop: {STALL_WORKERS} jobs of ~{HASH_MS} ms hashing on a {STALL_WORKERS}-worker \
         runtime, beside {TICKERS} tasks on {TICK:?} sleeps"
    );
    never_block_the_loop()?;

    println!("\n-- 5. runtime metrics");
    let m = rt.metrics();
    for (i, w) in m.workers().iter().enumerate() {
        println!(
            "worker {i}: {:>8} polls {:>6} steals {:>6} parks, {} queued",
            w.polls, w.steals, w.parks, w.local_queue_depth
        );
    }
    println!(
        "tasks alive: {}, injector depth: {}",
        m.alive_tasks(),
        m.injector_depth()
    );
    Ok(())
}

/// asyncio's hello world, and its `say_after` concurrency example.
async fn hello_world() {
    println!("-- 1. hello world (Runtime::block_on is asyncio's run_until_complete)");
    println!("Hello ...");
    sleep(Duration::from_millis(500)).await;
    println!("... World!");

    async fn say_after(delay: Duration, what: &'static str) {
        sleep(delay).await;
        println!("{what}");
    }
    let t0 = Instant::now();
    let a = weft::spawn(say_after(Duration::from_millis(100), "hello"));
    let b = weft::spawn(say_after(Duration::from_millis(200), "world"));
    a.await.expect("say_after failed");
    b.await.expect("say_after failed");
    println!(
        "two tasks sleeping 100 ms and 200 ms finished in {:?} (concurrently, not 300 ms)",
        t0.elapsed()
    );
}

/// How many connections this process can hold: each costs two descriptors
/// (client and server side). Raises the soft open-file limit as far as the
/// hard limit allows (and, for root, the hard limit too) first.
fn connection_budget() -> usize {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let want = (2 * CONNECTIONS + 256) as u64;
    let lim = getrlimit(Resource::Nofile);
    let hard = lim.maximum.unwrap_or(u64::MAX);
    let soft = lim.current.unwrap_or(u64::MAX);
    if soft < want {
        let raised = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(want),
                maximum: Some(hard.max(want)),
            },
        )
        .or_else(|_| {
            setrlimit(
                Resource::Nofile,
                Rlimit {
                    current: Some(want.min(hard)),
                    maximum: Some(hard),
                },
            )
        });
        if let Err(e) = raised {
            eprintln!("(could not raise the open-file limit: {e})");
        }
    }
    let limit = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX) as usize;
    let fit = limit.saturating_sub(128) / 2;
    if fit < CONNECTIONS {
        println!("(open-file limit {limit}: using {fit} connections instead of {CONNECTIONS}; raise `ulimit -n` for all)");
    }
    fit.min(CONNECTIONS)
}

/// `accepted` counts the connections accepted so far, for `connect_all`.
async fn start_echo_server(accepted: watch::Sender<usize>) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    weft::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    accepted.send_modify(|n| *n += 1);
                    weft::spawn(echo(stream));
                }
                Err(e) => {
                    // Out of descriptors or similar: back off, never spin.
                    eprintln!("accept: {e}; backing off");
                    sleep(Duration::from_millis(10)).await;
                }
            }
        }
    });
    Ok(addr)
}

async fn echo(mut stream: TcpStream) {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Opens the connections in waves, keeps them all open, and waits after
/// each wave until the server has accepted it. So the listen backlog never
/// holds more than one wave (an overflowing backlog with SYN cookies can
/// leave a client "connected" to nothing), and the phases measure echo
/// latency, not the accept backlog.
async fn connect_all(
    addr: SocketAddr,
    n: usize,
    mut accepted: watch::Receiver<usize>,
) -> io::Result<Vec<TcpStream>> {
    const WAVE: usize = 250;
    let mut clients = Vec::with_capacity(n);
    while clients.len() < n {
        let wave: Vec<_> = (0..(n - clients.len()).min(WAVE))
            .map(|_| weft::spawn(async move { TcpStream::connect(addr).await }))
            .collect();
        for c in wave {
            let s = c.await.expect("connect task failed")?;
            s.set_nodelay(true)?;
            clients.push(s);
        }
        let want = clients.len();
        let all_in = weft::time::timeout(Duration::from_secs(30), accepted.wait_for(|n| *n >= want));
        if !matches!(all_in.await, Ok(Ok(_))) {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the server accepted {} of {want} connections within 30 s",
                    *accepted.borrow()
                ),
            ));
        }
    }
    Ok(clients)
}

/// Latency figures of one phase.
struct Report {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Report {
    fn percentile(&self, p: f64) -> Duration {
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i]
    }

    fn print(&self, what: &str) {
        println!(
            "{what}: {} round trips in {:.2} s: {:.0} requests/s, p50 {:?}, p99 {:?}",
            self.requests,
            self.elapsed.as_secs_f64(),
            self.requests as f64 / self.elapsed.as_secs_f64(),
            self.percentile(0.50),
            self.percentile(0.99),
        );
    }
}

/// Every connection does `ROUNDS` checked round trips, all concurrently.
async fn echo_phase(clients: Vec<TcpStream>) -> io::Result<(Vec<TcpStream>, Report)> {
    let t0 = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(id, mut s)| {
            weft::spawn(async move {
                let mut lat = Vec::with_capacity(ROUNDS);
                let mut msg = [0u8; MESSAGE];
                let mut back = [0u8; MESSAGE];
                for round in 0..ROUNDS {
                    msg[..8].copy_from_slice(&(id as u64).to_le_bytes());
                    msg[8..16].copy_from_slice(&(round as u64).to_le_bytes());
                    let start = Instant::now();
                    s.write_all(&msg).await?;
                    s.read_exact(&mut back).await?;
                    lat.push(start.elapsed());
                    if back != msg {
                        return Err(io::Error::other("echo returned different bytes"));
                    }
                }
                Ok::<_, io::Error>((s, lat))
            })
        })
        .collect();
    let mut clients = Vec::with_capacity(tasks.len());
    let mut latencies = Vec::with_capacity(tasks.len() * ROUNDS);
    for t in tasks {
        let (s, lat) = t.await.expect("client task failed")?;
        clients.push(s);
        latencies.extend(lat);
    }
    let elapsed = t0.elapsed();
    latencies.sort_unstable();
    Ok((
        clients,
        Report {
            requests: latencies.len(),
            elapsed,
            latencies,
        },
    ))
}

/// About `ms` milliseconds of CPU-bound hashing.
fn hash_for(ms: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_millis(ms);
    let state = std::collections::hash_map::RandomState::new();
    let block = [0x5au8; 4096];
    let mut acc = 0u64;
    while Instant::now() < deadline {
        let mut h = state.build_hasher();
        h.write(&block);
        h.write_u64(acc);
        acc = h.finish();
    }
    acc
}

/// The echo phase again, while a stream of hashing jobs runs on a separate
/// pool through `run_in_executor`.
async fn echo_with_hashing(clients: Vec<TcpStream>) -> io::Result<(Vec<TcpStream>, Report)> {
    let pool = weft::blocking::ThreadPool::builder().name("hash").build()?;
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let hasher = weft::spawn(async move {
        let mut done = 0u64;
        while !s.load(Ordering::Relaxed) {
            // Each job is ~20 ms of CPU; on a worker it would stall every
            // task queued behind it for that long.
            let jobs: Vec<_> = (0..4)
                .map(|_| weft::run_in_executor(&pool, || hash_for(20)))
                .collect();
            for j in jobs {
                j.await.expect("hashing job failed");
                done += 1;
            }
        }
        done
    });
    // A heartbeat on the workers: how late does a 1 ms sleep wake up?
    let s = stop.clone();
    let heartbeat = weft::spawn(async move {
        let mut worst = Duration::ZERO;
        while !s.load(Ordering::Relaxed) {
            let t0 = Instant::now();
            sleep(Duration::from_millis(1)).await;
            worst = worst.max(t0.elapsed().saturating_sub(Duration::from_millis(1)));
        }
        worst
    });
    let (clients, report) = echo_phase(clients).await?;
    stop.store(true, Ordering::Relaxed);
    let jobs = hasher.await.expect("hashing task failed");
    let worst = heartbeat.await.expect("heartbeat failed");
    println!("{jobs} hashing jobs of ~20 ms ran on the pool during the phase");
    println!("a 1 ms heartbeat on the workers woke at worst {worst:?} late (a 20 ms job on a worker would add 20 ms)");
    Ok((clients, report))
}

/// Where section 4 runs its hashing jobs.
#[derive(Clone, Copy)]
enum HashOn {
    /// Inside a task: the hashing holds its worker for the whole job.
    Task,
    /// On a thread pool of ours through `run_in_executor`: no worker is
    /// held.
    Pool,
    /// On the runtime's blocking pool through `spawn_blocking`.
    Blocking,
}

/// Section 4: the same hashing, run inside tasks with handoff off and on,
/// and on a pool. Each line is measured on a fresh runtime; nothing here is
/// asserted, the figures depend on the machine.
fn never_block_the_loop() -> io::Result<()> {
    let runs = [
        ("in tasks, Builder::handoff(None)", None, HashOn::Task),
        (
            "in tasks, handoff on (the default)",
            Some(weft::runtime::DEFAULT_HANDOFF),
            HashOn::Task,
        ),
        (
            "on a pool, weft::run_in_executor",
            Some(weft::runtime::DEFAULT_HANDOFF),
            HashOn::Pool,
        ),
        (
            "on the blocking pool, weft::spawn_blocking",
            Some(weft::runtime::DEFAULT_HANDOFF),
            HashOn::Blocking,
        ),
    ];
    for (what, handoff, on) in runs {
        let (worst, handoffs) = hashing_beside_tickers(handoff, on)?;
        println!(
            "hashing {what:<42} worst ticker lateness {:>6.1} ms, metrics().handoffs() = {handoffs}",
            worst.as_secs_f64() * 1e3
        );
    }
    println!("(without handoff every worker is inside a hashing poll and nobody fires the timers;");
    println!(
        " with it, a worker stuck past {:?} moves to a fresh thread; the pools never hold a worker)",
        weft::runtime::DEFAULT_HANDOFF
    );
    Ok(())
}

/// [`STALL_WORKERS`] hashing jobs of [`HASH_MS`] beside [`TICKERS`] tickers
/// on a fresh runtime with the given handoff threshold. Returns the
/// tickers' worst lateness (how long after its deadline a sleep woke) and
/// the runtime's handoff count.
fn hashing_beside_tickers(handoff: Option<Duration>, on: HashOn) -> io::Result<(Duration, u64)> {
    let rt = weft::Builder::new_multi_thread()
        .worker_threads(STALL_WORKERS)
        .handoff(handoff)
        .thread_name("stall")
        .build()?;
    let pool = weft::blocking::ThreadPool::builder()
        .threads(STALL_WORKERS)
        .name("hash")
        .build()?;
    let worst = rt.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let tickers: Vec<_> = (0..TICKERS)
            .map(|_| {
                let stop = stop.clone();
                weft::spawn(async move {
                    let mut worst = Duration::ZERO;
                    while !stop.load(Ordering::Relaxed) {
                        let due = Instant::now() + TICK;
                        weft::time::sleep_until(due).await;
                        worst = worst.max(Instant::now().saturating_duration_since(due));
                    }
                    worst
                })
            })
            .collect();
        // Let the tickers get going before the hashing starts.
        sleep(3 * TICK).await;
        let jobs: Vec<_> = (0..STALL_WORKERS)
            .map(|_| match on {
                HashOn::Task => weft::spawn(async { hash_for(HASH_MS) }),
                HashOn::Pool => weft::run_in_executor(&pool, || hash_for(HASH_MS)),
                HashOn::Blocking => weft::spawn_blocking(|| hash_for(HASH_MS)),
            })
            .collect();
        for j in jobs {
            j.await.expect("hashing job failed");
        }
        stop.store(true, Ordering::Relaxed);
        let mut worst = Duration::ZERO;
        for t in tickers {
            worst = worst.max(t.await.expect("ticker failed"));
        }
        worst
    });
    Ok((worst, rt.metrics().handoffs()))
}
