//! Never block the loop: a task that blocks its worker (a sleep, a CPU
//! spin) does not stall the other tasks, the timers or the sockets, because
//! its worker is handed to another thread (automatic handoff, or
//! `block_in_place`).
//!
//! The bounds are loose on purpose (the machine is shared, and CI also runs
//! this under valgrind): each test compares lateness with the *blocking*
//! time, which a runtime without handoff would add in full.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use weft::io::{AsyncReadExt, AsyncWriteExt};
use weft::net::{TcpListener, TcpStream};
use weft::Runtime;

/// How long a blocking task blocks its worker.
const BLOCK: Duration = Duration::from_millis(1500);

fn runtime(workers: usize, handoff: Option<Duration>) -> Runtime {
    weft::Builder::new_multi_thread()
        .worker_threads(workers)
        .handoff(handoff)
        .build()
        .unwrap()
}

#[derive(Clone, Copy)]
enum Block {
    Sleep,
    Spin,
}

fn block(how: Block) {
    match how {
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

/// Runs `tickers` tasks on 10 ms sleeps while `blockers` tasks each block a
/// worker, and returns the tickers' worst lateness.
fn worst_ticker_lateness(rt: &Runtime, tickers: usize, blockers: usize, how: Block) -> Duration {
    let worst = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    rt.block_on(async {
        let ticks: Vec<_> = (0..tickers)
            .map(|_| {
                let (worst, stop) = (worst.clone(), stop.clone());
                weft::spawn(async move {
                    while !stop.load(Ordering::SeqCst) {
                        let due = Instant::now() + Duration::from_millis(10);
                        weft::time::sleep_until(due).await;
                        let late = Instant::now().saturating_duration_since(due);
                        worst.fetch_max(late.as_micros() as u64, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        // Let the tickers get going, then block every worker we were told to.
        weft::time::sleep(Duration::from_millis(50)).await;
        let blocks: Vec<_> = (0..blockers)
            .map(|_| weft::spawn(async move { block(how) }))
            .collect();
        for b in blocks {
            b.await.unwrap();
        }
        stop.store(true, Ordering::SeqCst);
        for t in ticks {
            t.await.unwrap();
        }
    });
    Duration::from_micros(worst.load(Ordering::SeqCst))
}

#[test]
fn tickers_keep_time_while_every_worker_sleeps_in_a_task() {
    let rt = runtime(2, Some(Duration::from_millis(10)));
    let worst = worst_ticker_lateness(&rt, 200, 2, Block::Sleep);
    eprintln!("worst ticker lateness (sleep): {worst:?}");
    assert!(
        worst < BLOCK / 2,
        "worst ticker lateness {worst:?} with every worker blocked for {BLOCK:?}"
    );
    assert!(
        rt.metrics().handoffs() >= 2,
        "handoffs: {}",
        rt.metrics().handoffs()
    );
}

#[test]
fn tickers_keep_time_while_every_worker_spins_in_a_task() {
    let rt = runtime(2, Some(Duration::from_millis(10)));
    let worst = worst_ticker_lateness(&rt, 200, 2, Block::Spin);
    eprintln!("worst ticker lateness (spin): {worst:?}");
    assert!(
        worst < BLOCK / 2,
        "worst ticker lateness {worst:?} with every worker spinning for {BLOCK:?}"
    );
}

#[test]
fn a_one_worker_runtime_with_a_blocking_task_still_fires_a_timer() {
    let rt = runtime(1, Some(Duration::from_millis(10)));
    let worst = worst_ticker_lateness(&rt, 1, 1, Block::Sleep);
    assert!(
        worst < BLOCK / 2,
        "a 10 ms timer was {worst:?} late behind a {BLOCK:?} block"
    );
}

#[test]
fn handoff_none_really_switches_it_off() {
    let rt = runtime(1, None);
    let worst = worst_ticker_lateness(&rt, 1, 1, Block::Sleep);
    // Without handoff the ticker waits for the whole block: proof that the
    // tests above measure the handoff, not a lucky schedule.
    assert!(
        worst >= BLOCK * 8 / 10,
        "a ticker was only {worst:?} late behind a {BLOCK:?} block"
    );
    assert_eq!(rt.metrics().handoffs(), 0);
}

#[test]
fn the_threshold_is_respected() {
    let rt = runtime(1, Some(Duration::from_millis(400)));
    rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(50)) }))
        .unwrap();
    assert_eq!(
        rt.metrics().handoffs(),
        0,
        "a 50 ms poll was handed off at a 400 ms threshold"
    );
    rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(1200)) }))
        .unwrap();
    assert!(
        rt.metrics().handoffs() >= 1,
        "a 1.2 s poll was not handed off at a 400 ms threshold"
    );
}

#[test]
fn a_connect_and_an_echo_from_block_on_complete_while_every_worker_blocks() {
    let rt = runtime(2, Some(Duration::from_millis(10)));
    let (addr, server) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = weft::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 8];
            for _ in 0..20 {
                s.read_exact(&mut buf).await.unwrap();
                s.write_all(&buf).await.unwrap();
            }
        });
        (addr, server)
    });
    let blockers: Vec<_> = (0..2).map(|_| rt.spawn(async { block(Block::Sleep) })).collect();
    let took = rt.block_on(async {
        weft::time::sleep(Duration::from_millis(20)).await;
        let t0 = Instant::now();
        let mut c = TcpStream::connect(addr).await.unwrap();
        for i in 0..20u64 {
            c.write_all(&i.to_le_bytes()).await.unwrap();
            let mut back = [0u8; 8];
            c.read_exact(&mut back).await.unwrap();
            assert_eq!(u64::from_le_bytes(back), i);
        }
        t0.elapsed()
    });
    assert!(
        took < BLOCK / 2,
        "20 echo round trips took {took:?} while every worker blocked"
    );
    rt.block_on(async {
        server.await.unwrap();
        for b in blockers {
            b.await.unwrap();
        }
    });
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn handed_off_threads_retire_and_the_thread_count_does_not_grow() {
    let rt = runtime(2, Some(Duration::from_millis(10)));
    let episode = || {
        rt.block_on(async {
            let blocks: Vec<_> = (0..2)
                .map(|_| weft::spawn(async { std::thread::sleep(Duration::from_millis(100)) }))
                .collect();
            for b in blocks {
                b.await.unwrap();
            }
        })
    };
    episode();
    let after_first = threads();
    for _ in 0..5 {
        episode();
    }
    // Other tests of this binary start runtimes too: allow for theirs, but
    // five more episodes must not have added threads of ours.
    let after = threads();
    assert!(
        after <= after_first + 8,
        "{after} threads after six episodes, {after_first} after the first"
    );
    assert!(rt.metrics().handoffs() >= 6);
}

#[test]
fn block_in_place_on_one_worker_lets_a_ticker_run_even_with_handoff_off() {
    let rt = runtime(1, None);
    let ticked = Arc::new(AtomicU64::new(0));
    let t = ticked.clone();
    rt.block_on(async move {
        let ticker = weft::spawn(async move {
            for _ in 0..5 {
                weft::time::sleep(Duration::from_millis(10)).await;
                t.fetch_add(1, Ordering::SeqCst);
            }
        });
        let blocker = weft::spawn(async {
            weft::task::block_in_place(|| std::thread::sleep(BLOCK));
        });
        let t0 = Instant::now();
        ticker.await.unwrap();
        assert!(t0.elapsed() < BLOCK / 2, "the ticker waited for block_in_place");
        blocker.await.unwrap();
    });
    assert_eq!(ticked.load(Ordering::SeqCst), 5);
    assert_eq!(rt.metrics().handoffs(), 1);
}

#[test]
fn block_in_place_outside_a_worker_just_runs_the_closure() {
    assert_eq!(weft::task::block_in_place(|| 6 * 7), 42);
    let rt = runtime(1, None);
    let on_blocking = rt
        .block_on(rt.spawn_blocking(|| weft::task::block_in_place(|| 1)))
        .unwrap();
    assert_eq!(on_blocking, 1);
    assert_eq!(rt.block_on(async { weft::task::block_in_place(|| 2) }), 2);
    assert_eq!(rt.metrics().handoffs(), 0);
}

#[test]
fn block_on_works_inside_block_in_place() {
    let rt = runtime(1, None);
    let out = rt
        .block_on(rt.spawn(async {
            weft::task::block_in_place(|| {
                let handle = weft::runtime::Handle::current();
                handle.block_on(async { weft::spawn(async { 5 }).await.unwrap() })
            })
        }))
        .unwrap();
    assert_eq!(out, 5);
}

#[test]
fn tasks_woken_by_a_handed_off_poll_still_run_exactly_once() {
    let rt = runtime(2, Some(Duration::from_millis(10)));
    let runs = Arc::new(AtomicU64::new(0));
    let r = runs.clone();
    rt.block_on(async move {
        let parent = weft::spawn(async move {
            // Spawn while we own the core, block past the threshold (the
            // worker moves), then spawn and wake from the stuck poll.
            let before: Vec<_> = (0..50)
                .map(|_| {
                    let r = r.clone();
                    weft::spawn(async move {
                        r.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            std::thread::sleep(Duration::from_millis(200));
            let after: Vec<_> = (0..50)
                .map(|_| {
                    let r = r.clone();
                    weft::spawn(async move {
                        r.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for h in before.into_iter().chain(after) {
                h.await.unwrap();
            }
        });
        parent.await.unwrap();
    });
    assert_eq!(runs.load(Ordering::SeqCst), 100);
    assert!(rt.metrics().handoffs() >= 1);
}

#[test]
fn slow_polls_are_reported_with_the_task_name_and_spawn_line() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let r = reports.clone();
    let rt = weft::Builder::new_multi_thread()
        .worker_threads(1)
        .handoff(None)
        .slow_poll_threshold(Duration::from_millis(100))
        .on_slow_poll(move |p: &weft::runtime::SlowPoll| {
            r.lock().unwrap().push((
                p.kind(),
                p.task_id(),
                p.task_name().map(str::to_owned),
                p.location().line(),
                p.duration(),
            ))
        })
        .build()
        .unwrap();
    let line = line!() + 4;
    let (slow_id, fast_id) = rt.block_on(async {
        let slow = weft::task::Builder::new()
            .name("sleeper")
            .spawn(async { std::thread::sleep(Duration::from_millis(150)) })
            .unwrap();
        let fast = weft::spawn(async { weft::task::yield_now().await });
        let ids = (slow.id(), fast.id());
        slow.await.unwrap();
        fast.await.unwrap();
        ids
    });
    let reports = reports.lock().unwrap();
    let slow: Vec<_> = reports
        .iter()
        .filter(|r| r.0 == weft::runtime::SlowPollKind::Poll && r.1 == slow_id)
        .collect();
    assert_eq!(slow.len(), 1, "{reports:?}");
    let (_, _, name, at, took) = slow[0];
    assert_eq!(name.as_deref(), Some("sleeper"));
    assert_eq!(*at, line, "the report names the spawn line");
    assert!(*took >= Duration::from_millis(150), "{took:?}");
    assert!(
        !reports
            .iter()
            .any(|r| r.0 == weft::runtime::SlowPollKind::Poll && r.1 == fast_id),
        "a fast task was reported: {reports:?}"
    );
}

#[test]
fn a_task_starved_behind_a_slow_poll_is_reported() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let r = reports.clone();
    let rt = weft::Builder::new_multi_thread()
        .worker_threads(1)
        .handoff(None)
        .debug(true)
        .slow_poll_threshold(Duration::from_millis(50))
        .on_slow_poll(move |p: &weft::runtime::SlowPoll| r.lock().unwrap().push((p.kind(), p.task_id())))
        .build()
        .unwrap();
    let starved = rt.block_on(async {
        let blocker = weft::spawn(async {
            // Queued behind us on the only worker: it waits for our poll.
            let starved = weft::spawn(async {});
            std::thread::sleep(Duration::from_millis(100));
            let id = starved.id();
            starved.await.unwrap();
            id
        });
        blocker.await.unwrap()
    });
    let reports = reports.lock().unwrap();
    assert!(
        reports.contains(&(weft::runtime::SlowPollKind::Starved, starved)),
        "{reports:?}"
    );
}
