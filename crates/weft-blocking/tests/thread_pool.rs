//! `ThreadPool` (run_in_executor pools): behaviour, one per test.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use weft_blocking::{JoinHandle, ThreadPool};
use weft_executor::block_on;

const PATIENCE: Duration = Duration::from_secs(30);

fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for: {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// A waker that records that it was woken.
#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

fn flag_waker() -> (Arc<Flag>, Waker) {
    let flag = Arc::new(Flag::default());
    (flag.clone(), Waker::from(flag))
}

fn poll_once<F: Future + Unpin>(f: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(waker))
}

/// Occupies a pool thread until released; returns once it runs.
fn occupy(pool: &ThreadPool) -> (mpsc::Sender<()>, JoinHandle<()>) {
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let h = pool.spawn(move || {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    started_rx
        .recv_timeout(PATIENCE)
        .expect("the closure never started");
    (release_tx, h)
}

#[test]
fn a_pool_of_two_never_runs_more_than_two_at_once() {
    let pool = ThreadPool::builder().threads(2).build().unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..40)
        .map(|_| {
            let (running, max_seen) = (running.clone(), max_seen.clone());
            pool.spawn(move || {
                let now = running.fetch_add(1, SeqCst) + 1;
                max_seen.fetch_max(now, SeqCst);
                thread::sleep(Duration::from_millis(2));
                running.fetch_sub(1, SeqCst);
            })
        })
        .collect();
    for h in handles {
        block_on(h).unwrap();
    }
    let max = max_seen.load(SeqCst);
    assert!((1..=2).contains(&max), "{max} closures ran at once on 2 threads");
}

#[test]
fn threads_are_named_after_the_pool() {
    let pool = ThreadPool::builder().threads(2).name("cpu").build().unwrap();
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let b = barrier.clone();
            pool.spawn(move || {
                b.wait();
                thread::current().name().unwrap().to_string()
            })
        })
        .collect();
    let mut names: Vec<_> = handles.into_iter().map(|h| block_on(h).unwrap()).collect();
    names.sort();
    assert_eq!(names, ["cpu-0", "cpu-1"]);
}

#[test]
fn submit_waits_while_the_queue_is_full_and_proceeds_when_room_frees() {
    let pool = ThreadPool::builder()
        .threads(1)
        .queue_capacity(1)
        .build()
        .unwrap();
    let (release, running) = occupy(&pool);
    let queued = pool.spawn(|| 1);
    assert_eq!(pool.metrics().queue_depth, 1);

    let (woken, waker) = flag_waker();
    let mut submit = pool.submit(|| 2);
    assert!(
        poll_once(&mut submit, &waker).is_pending(),
        "submit did not wait for room"
    );
    assert_eq!(pool.metrics().waiting_submits, 1);
    assert!(!woken.0.load(SeqCst));

    // The thread finishes its closure and takes the queued one: room frees.
    drop(release);
    eventually("the submit to be woken", || woken.0.load(SeqCst));
    let handle = match poll_once(&mut submit, &waker) {
        Poll::Ready(h) => h,
        Poll::Pending => panic!("woken submit found no room"),
    };
    block_on(running).unwrap();
    assert_eq!(block_on(queued).unwrap(), 1);
    assert_eq!(block_on(handle).unwrap(), 2);
    assert_eq!(pool.metrics().waiting_submits, 0);
}

#[test]
fn a_woken_submit_that_is_dropped_passes_the_wake_on() {
    let pool = ThreadPool::builder()
        .threads(1)
        .queue_capacity(1)
        .build()
        .unwrap();
    let (release, running) = occupy(&pool);
    let queued = pool.spawn(|| ());
    let (woken1, waker1) = flag_waker();
    let (woken2, waker2) = flag_waker();
    let mut first = pool.submit(|| ());
    let mut second = pool.submit(|| ());
    assert!(poll_once(&mut first, &waker1).is_pending());
    assert!(poll_once(&mut second, &waker2).is_pending());

    drop(release);
    eventually("the first submit to be woken", || woken1.0.load(SeqCst));
    assert!(!woken2.0.load(SeqCst), "one slot woke two submits");
    drop(first);
    assert!(woken2.0.load(SeqCst), "the dropped submit kept its wake");
    assert!(poll_once(&mut second, &waker2).is_ready());
    block_on(running).unwrap();
    block_on(queued).unwrap();
}

#[test]
fn spawn_is_accepted_past_the_capacity() {
    let pool = ThreadPool::builder()
        .threads(1)
        .queue_capacity(1)
        .build()
        .unwrap();
    let (release, running) = occupy(&pool);
    let handles: Vec<_> = (0..10).map(|i| pool.spawn(move || i)).collect();
    assert_eq!(pool.metrics().queue_depth, 10);
    drop(release);
    block_on(running).unwrap();
    let sum: i32 = handles.into_iter().map(|h| block_on(h).unwrap()).sum();
    assert_eq!(sum, 45);
}

#[test]
fn dropping_the_last_handle_runs_the_queued_closures_then_joins() {
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let r = runs.clone();
            pool.spawn(move || {
                thread::sleep(Duration::from_millis(1));
                r.fetch_add(1, SeqCst);
            })
        })
        .collect();
    drop(pool);
    assert_eq!(
        runs.load(SeqCst),
        10,
        "the drop returned before the queue drained"
    );
    for h in handles {
        block_on(h).unwrap();
    }
}

#[test]
fn shutdown_now_cancels_queued_closures_and_pending_submits() {
    let pool = ThreadPool::builder()
        .threads(1)
        .queue_capacity(1)
        .build()
        .unwrap();
    let (release, running) = occupy(&pool);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let queued = pool.spawn(move || r.store(true, SeqCst));
    let (woken, waker) = flag_waker();
    let mut submit = pool.submit(|| ());
    assert!(poll_once(&mut submit, &waker).is_pending());

    pool.shutdown_now();
    assert!(woken.0.load(SeqCst), "shutdown left a submit waiting");
    let Poll::Ready(cancelled) = poll_once(&mut submit, &waker) else {
        panic!("submit still pending after shutdown")
    };
    assert!(block_on(cancelled).unwrap_err().is_cancelled());
    assert!(block_on(queued).unwrap_err().is_cancelled());
    assert!(block_on(pool.spawn(|| ())).unwrap_err().is_cancelled());

    drop(release);
    block_on(running).unwrap();
    assert!(!ran.load(SeqCst));
    eventually("the thread to exit", || pool.metrics().threads_alive == 0);
}

#[test]
fn shutdown_timeout_with_a_stuck_closure_returns_false() {
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let (release, stuck) = occupy(&pool);
    let start = Instant::now();
    assert!(!pool.shutdown_timeout(Duration::from_millis(100)));
    assert!(start.elapsed() >= Duration::from_millis(100));
    drop(release);
    block_on(stuck).unwrap();
    assert!(pool.shutdown_timeout(PATIENCE));
}

#[test]
fn panics_become_join_errors_and_the_thread_survives() {
    let pool = ThreadPool::builder().threads(1).build().unwrap();
    let err = block_on(pool.spawn(|| panic!("boom"))).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(block_on(pool.spawn(|| 3)).unwrap(), 3);
}

#[test]
fn misuse_is_refused_by_build_with_a_clear_error() {
    let err = ThreadPool::builder().threads(0).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("threads(0)"), "{err}");
    let err = ThreadPool::builder().queue_capacity(0).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("queue_capacity(0)"), "{err}");
}

#[test]
fn a_thread_the_os_refuses_fails_build() {
    let err = ThreadPool::builder().threads(2).stack_size(1 << 60).build();
    assert!(err.is_err());
}

#[test]
fn default_capacity_is_per_thread() {
    let pool = ThreadPool::builder().threads(3).build().unwrap();
    assert_eq!(
        pool.metrics().queue_capacity,
        3 * weft_blocking::DEFAULT_QUEUE_CAPACITY_PER_THREAD
    );
}
