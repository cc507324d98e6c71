//! spawn_blocking and run_in_executor through the Runtime, one behaviour
//! per test.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use weft::runtime::Handle;
use weft::Runtime;

fn rt() -> Runtime {
    Runtime::builder().worker_threads(2).build().unwrap()
}

/// Tracks how many closures run at once.
#[derive(Default)]
struct Concurrency {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl Concurrency {
    fn enter(&self) {
        let n = self.now.fetch_add(1, SeqCst) + 1;
        self.max.fetch_max(n, SeqCst);
    }
    fn exit(&self) {
        self.now.fetch_sub(1, SeqCst);
    }
}

#[test]
fn spawn_blocking_returns_the_closure_value() {
    let rt = rt();
    assert_eq!(
        rt.block_on(async { weft::spawn_blocking(|| 6 * 7).await.unwrap() }),
        42
    );
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 1)).unwrap(), 1);
}

#[test]
fn blocking_closures_run_off_the_workers_on_named_threads() {
    let rt = Runtime::builder()
        .worker_threads(1)
        .thread_name("app")
        .build()
        .unwrap();
    let name = rt
        .block_on(rt.spawn_blocking(|| std::thread::current().name().unwrap().to_owned()))
        .unwrap();
    assert!(name.starts_with("app-blocking-"), "{name}");
}

#[test]
fn handle_current_works_inside_a_blocking_closure() {
    let rt = rt();
    let v = rt
        .block_on(rt.spawn_blocking(|| {
            let h = Handle::current();
            let task = h.spawn(async { 20 });
            h.block_on(task).unwrap() + 1
        }))
        .unwrap();
    assert_eq!(v, 21);
}

#[test]
fn a_panicking_closure_becomes_a_join_error() {
    let rt = rt();
    let err = rt
        .block_on(rt.spawn_blocking(|| panic!("blocking failure")))
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "blocking failure");
}

#[test]
fn abort_before_start_means_never_run() {
    let rt = Runtime::builder()
        .worker_threads(1)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let (release, wait) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let busy = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        let _ = wait.recv();
    });
    started_rx.recv().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let queued = rt.spawn_blocking(move || {
        r.fetch_add(1, SeqCst);
    });
    queued.abort();
    release.send(()).unwrap();
    rt.block_on(busy).unwrap();
    assert!(rt.block_on(queued).unwrap_err().is_cancelled());
    // Let the pool drain anything left, then check.
    rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    assert_eq!(ran.load(SeqCst), 0);
}

#[test]
fn the_cap_holds_under_64_sleeping_closures() {
    let rt = Runtime::builder()
        .worker_threads(1)
        .max_blocking_threads(4)
        .build()
        .unwrap();
    let c = Arc::new(Concurrency::default());
    let hs: Vec<_> = (0..64)
        .map(|_| {
            let c = c.clone();
            rt.spawn_blocking(move || {
                c.enter();
                std::thread::sleep(Duration::from_millis(5));
                c.exit();
            })
        })
        .collect();
    rt.block_on(async {
        for h in hs {
            h.await.unwrap();
        }
    });
    assert!(c.max.load(SeqCst) <= 4, "ran {} at once", c.max.load(SeqCst));
    assert!(rt.metrics().blocking_threads() <= 4);
}

#[test]
fn ten_thousand_blocking_calls_all_complete() {
    let rt = rt();
    let sum = rt.block_on(async {
        let hs: Vec<_> = (0..10_000u64).map(|i| weft::spawn_blocking(move || i)).collect();
        let mut s = 0;
        for h in hs {
            s += h.await.unwrap();
        }
        s
    });
    assert_eq!(sum, (0..10_000).sum());
}

#[test]
fn idle_blocking_threads_exit_after_the_keep_alive() {
    let rt = Runtime::builder()
        .worker_threads(1)
        .thread_keep_alive(Duration::from_millis(20))
        .build()
        .unwrap();
    rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while rt.metrics().blocking_threads() > 0 {
        assert!(Instant::now() < deadline, "idle blocking thread never exited");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn shutdown_timeout_returns_in_time_despite_a_stuck_closure() {
    let rt = rt();
    let (_keep, wait) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let _stuck = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        let _ = wait.recv();
    });
    started_rx.recv().unwrap();
    let t0 = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(100));
    assert!(t0.elapsed() < Duration::from_secs(30));
}

#[test]
fn spawn_blocking_after_shutdown_is_cancelled_without_panicking() {
    let rt = rt();
    let h = rt.handle().clone();
    drop(rt);
    let job = h.spawn_blocking(|| 1);
    let out = weft_executor::block_on(job);
    assert!(out.unwrap_err().is_cancelled());
}

#[test]
fn a_user_pool_of_two_never_runs_more_than_two() {
    let rt = rt();
    let pool = weft::blocking::ThreadPool::builder()
        .threads(2)
        .name("cpu")
        .build()
        .unwrap();
    let c = Arc::new(Concurrency::default());
    rt.block_on(async {
        let hs: Vec<_> = (0..32)
            .map(|_| {
                let c = c.clone();
                weft::run_in_executor(&pool, move || {
                    c.enter();
                    std::thread::sleep(Duration::from_millis(2));
                    c.exit();
                    std::thread::current().name().unwrap().to_owned()
                })
            })
            .collect();
        for h in hs {
            assert!(h.await.unwrap().starts_with("cpu-"));
        }
    });
    assert!(c.max.load(SeqCst) <= 2);
}

#[test]
fn submit_waits_for_room_in_a_full_queue() {
    let rt = rt();
    let pool = weft::blocking::ThreadPool::builder()
        .threads(1)
        .queue_capacity(1)
        .name("bp")
        .build()
        .unwrap();
    let (release, wait) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    rt.block_on(async {
        let first = pool.submit(move || {
            started_tx.send(()).unwrap();
            let _ = wait.recv();
        });
        let first = first.await;
        started_rx.recv().unwrap();
        let second = pool.submit(|| 2).await; // fills the queue
        let mut third = Box::pin(pool.submit(|| 3));
        // The queue is full: the third submission waits.
        let polled = futures_poll_once(third.as_mut());
        assert!(polled.is_none(), "submit did not wait for room");
        release.send(()).unwrap();
        first.await.unwrap();
        assert_eq!(second.await.unwrap(), 2);
        assert_eq!(third.await.await.unwrap(), 3);
    });
}

fn futures_poll_once<F: std::future::Future + ?Sized>(f: std::pin::Pin<&mut F>) -> Option<F::Output> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

#[test]
fn lookup_host_resolves_names_on_the_blocking_pool() {
    let rt = rt();
    let addrs: Vec<_> = rt
        .block_on(weft::net::lookup_host("localhost:80"))
        .unwrap()
        .collect();
    assert!(!addrs.is_empty());
    assert!(addrs.iter().all(|a| a.port() == 80 && a.ip().is_loopback()));
    assert!(
        rt.metrics().blocking().spawned_jobs >= 1,
        "the name was not resolved on the pool"
    );
}

#[test]
fn connect_accepts_a_host_name() {
    let rt = rt();
    rt.block_on(async {
        let l = weft::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let accept = weft::spawn(async move { l.accept().await.map(|_| ()) });
        // "localhost" may resolve to ::1 first; connect tries each address.
        weft::net::TcpStream::connect(("localhost", port)).await.unwrap();
        accept.await.unwrap().unwrap();
    });
}

#[test]
fn blocking_callers_that_wait_for_closures_they_spawn_all_finish() {
    // Sixteen closures, each spawning 100 more and blocking its thread
    // until they are done: the callers finish nothing until their inner
    // closures run, so the pool must grow past the CPUs for them (and
    // needs only about one thread per blocked caller, not one per job).
    let rt = rt();
    let t0 = Instant::now();
    let total = rt.block_on(async {
        let callers: Vec<_> = (0..16u64)
            .map(|c| {
                weft::spawn_blocking(move || {
                    let handle = Handle::current();
                    let inner: Vec<_> = (0..100u64)
                        .map(|i| weft::spawn_blocking(move || c * 100 + i))
                        .collect();
                    inner
                        .into_iter()
                        .map(|h| handle.block_on(h).unwrap())
                        .sum::<u64>()
                })
            })
            .collect();
        let mut total = 0;
        for h in callers {
            total += h.await.unwrap();
        }
        total
    });
    assert_eq!(total, (0..1_600).sum());
    let started = rt.metrics().blocking().threads_started;
    eprintln!(
        "16 callers x 100: {:?}, {started} pool threads started",
        t0.elapsed()
    );
    // 16 blocked callers and a few threads for their closures; a thread
    // per queued closure (the cap, 512) would be the old rule.
    assert!(
        (17..=128).contains(&started),
        "{started} pool threads for 16 blocked callers"
    );
}
