//! `BlockingPool`: behaviour, one per test. Deadlines are generous: a slow
//! machine makes these tests slower, never failing.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use weft_blocking::{BlockingPool, PoolConfig};
use weft_executor::block_on;

/// Far longer than anything here should take.
const PATIENCE: Duration = Duration::from_secs(30);

fn pool_with(f: impl FnOnce(&mut PoolConfig)) -> BlockingPool {
    let mut config = PoolConfig::default();
    f(&mut config);
    BlockingPool::new(config)
}

/// Polls `cond` until it holds, or fails after `PATIENCE`.
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for: {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// Occupies one pool thread until the returned sender is dropped or sent to;
/// returns once the closure is running.
fn occupy(pool: &BlockingPool) -> (mpsc::Sender<()>, weft_blocking::JoinHandle<()>) {
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let h = pool.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    started_rx
        .recv_timeout(PATIENCE)
        .expect("the blocking closure never started");
    (release_tx, h)
}

#[test]
fn cap_holds_under_64_concurrent_sleeping_closures() {
    let pool = pool_with(|c| c.max_threads = 4);
    let running = Arc::new(AtomicUsize::new(0));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..64)
        .map(|_| {
            let (running, max_seen) = (running.clone(), max_seen.clone());
            pool.spawn_blocking(move || {
                let now = running.fetch_add(1, SeqCst) + 1;
                max_seen.fetch_max(now, SeqCst);
                thread::sleep(Duration::from_millis(5));
                running.fetch_sub(1, SeqCst);
            })
        })
        .collect();
    assert!(pool.metrics().threads_alive <= 4);
    for h in handles {
        block_on(h).unwrap();
    }
    let max = max_seen.load(SeqCst);
    assert!(
        (1..=4).contains(&max),
        "{max} closures ran at once with max_threads 4"
    );
    assert!(pool.metrics().threads_started <= 64);
    assert!(pool.shutdown(Some(PATIENCE)));
}

#[test]
fn threads_start_on_demand_up_to_the_cap() {
    let pool = pool_with(|c| c.max_threads = 3);
    let barrier = Arc::new(Barrier::new(4));
    // Three closures that each wait for the others: only passes if three
    // threads run them at once.
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let b = barrier.clone();
            pool.spawn_blocking(move || {
                b.wait();
            })
        })
        .collect();
    barrier.wait();
    for h in handles {
        block_on(h).unwrap();
    }
    assert_eq!(pool.metrics().threads_started, 3);
}

#[test]
fn idle_threads_exit_after_keep_alive() {
    let pool = pool_with(|c| c.keep_alive = Duration::from_millis(50));
    let handles: Vec<_> = (0..4).map(|i| pool.spawn_blocking(move || i)).collect();
    for h in handles {
        block_on(h).unwrap();
    }
    eventually("idle threads to exit", || pool.metrics().threads_alive == 0);
    let m = pool.metrics();
    assert_eq!((m.threads_idle, m.queue_depth), (0, 0));
    // The pool still works after its threads are gone.
    assert_eq!(block_on(pool.spawn_blocking(|| 7)).unwrap(), 7);
}

#[test]
fn ten_thousand_spawns_all_complete_once() {
    let pool = pool_with(|c| c.max_threads = 8);
    let runs = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..10_000u64)
        .map(|i| {
            let runs = runs.clone();
            pool.spawn_blocking(move || {
                runs.fetch_add(1, SeqCst);
                i
            })
        })
        .collect();
    let sum: u64 = handles.into_iter().map(|h| block_on(h).unwrap()).sum();
    assert_eq!(sum, 10_000 * 9_999 / 2);
    assert_eq!(runs.load(SeqCst), 10_000);
    assert_eq!(pool.metrics().spawned_jobs, 10_000);
    assert!(pool.shutdown(Some(PATIENCE)));
}

#[test]
fn no_job_is_lost_when_spawns_race_keep_alive_expiry() {
    // A 1 ms keep-alive makes threads time out constantly while jobs arrive
    // at irregular intervals: the race of the module docs, many times over.
    let pool = pool_with(|c| {
        c.keep_alive = Duration::from_millis(1);
        c.max_threads = 2;
    });
    let runs = Arc::new(AtomicUsize::new(0));
    for round in 0..300u64 {
        let r = runs.clone();
        let h = pool.spawn_blocking(move || {
            r.fetch_add(1, SeqCst);
        });
        block_on(h).unwrap();
        // 0..~1.2 ms: sometimes before the expiry, sometimes after.
        thread::sleep(Duration::from_micros((round * 37) % 1200));
    }
    assert_eq!(runs.load(SeqCst), 300);
}

#[test]
fn a_panic_becomes_join_error_panic_with_its_payload() {
    let pool = BlockingPool::new(PoolConfig::default());
    let err = block_on(pool.spawn_blocking(|| -> u32 { std::panic::panic_any(41u32) })).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(*err.into_panic().downcast::<u32>().unwrap(), 41);
    // The thread survived the panic.
    assert_eq!(block_on(pool.spawn_blocking(|| 1)).unwrap(), 1);
}

#[test]
fn abort_before_start_never_runs_and_gives_cancelled() {
    let pool = pool_with(|c| c.max_threads = 1);
    let (release, blocker) = occupy(&pool);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let queued = pool.spawn_blocking(move || r.store(true, SeqCst));
    assert_eq!(pool.metrics().queue_depth, 1);
    queued.abort();
    drop(release);
    block_on(blocker).unwrap();
    let err = block_on(queued).unwrap_err();
    assert!(err.is_cancelled());
    assert!(!ran.load(SeqCst));
}

#[test]
fn abort_after_start_lets_the_closure_finish() {
    let pool = BlockingPool::new(PoolConfig::default());
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let h = pool.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        "finished"
    });
    started_rx.recv_timeout(PATIENCE).unwrap();
    h.abort();
    release_tx.send(()).unwrap();
    // The abort came too late: the closure ran to its end and its output
    // is delivered.
    assert_eq!(block_on(h).unwrap(), "finished");
}

#[test]
fn shutdown_with_a_stuck_closure_returns_false_after_the_timeout() {
    let pool = BlockingPool::new(PoolConfig::default());
    let (release, stuck) = occupy(&pool);
    let start = Instant::now();
    assert!(!pool.shutdown(Some(Duration::from_millis(200))));
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(200), "returned after {waited:?}");
    assert!(waited < PATIENCE, "returned after {waited:?}");
    // The stuck thread was detached, not killed: it finishes when released.
    drop(release);
    block_on(stuck).unwrap();
    assert!(pool.shutdown(Some(PATIENCE)));
}

#[test]
fn queued_closures_are_cancelled_at_shutdown() {
    let pool = pool_with(|c| c.max_threads = 1);
    let (release, blocker) = occupy(&pool);
    let ran = Arc::new(AtomicUsize::new(0));
    let queued: Vec<_> = (0..3)
        .map(|_| {
            let r = ran.clone();
            pool.spawn_blocking(move || {
                r.fetch_add(1, SeqCst);
            })
        })
        .collect();
    assert!(!pool.shutdown(Some(Duration::ZERO)));
    for h in queued {
        assert!(block_on(h).unwrap_err().is_cancelled());
    }
    drop(release);
    block_on(blocker).unwrap();
    assert!(pool.shutdown(Some(PATIENCE)));
    assert_eq!(ran.load(SeqCst), 0);
}

#[test]
fn spawn_after_shutdown_gives_cancelled_without_panicking() {
    let pool = BlockingPool::new(PoolConfig::default());
    assert!(pool.shutdown(None));
    assert!(pool.is_closed());
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let h = pool.spawn_blocking(move || r.store(true, SeqCst));
    assert!(block_on(h).unwrap_err().is_cancelled());
    assert!(!ran.load(SeqCst));
    assert_eq!(pool.metrics().threads_alive, 0);
}

#[test]
fn dropping_the_last_handle_cancels_queued_closures() {
    let pool = pool_with(|c| c.max_threads = 1);
    let (release, blocker) = occupy(&pool);
    let queued = pool.spawn_blocking(|| ());
    let clone = pool.clone();
    drop(pool);
    assert_eq!(clone.metrics().queue_depth, 1, "a clone is still alive");
    drop(clone);
    assert!(block_on(queued).unwrap_err().is_cancelled());
    drop(release);
    block_on(blocker).unwrap();
}

#[test]
fn shutdown_from_a_pool_thread_does_not_wait_for_itself() {
    let pool = BlockingPool::new(PoolConfig::default());
    let p = pool.clone();
    let done = block_on(pool.spawn_blocking(move || p.shutdown(Some(PATIENCE))));
    assert!(done.unwrap());
}

#[test]
fn wrap_runs_on_each_pool_thread_around_the_closures() {
    thread_local!(static WRAPPED: Cell<bool> = const { Cell::new(false) });
    let wraps = Arc::new(AtomicUsize::new(0));
    let w = wraps.clone();
    let pool = pool_with(move |c| {
        c.max_threads = 3;
        c.wrap = Some(Arc::new(move |body: &mut dyn FnMut()| {
            w.fetch_add(1, SeqCst);
            WRAPPED.with(|f| f.set(true));
            body();
            WRAPPED.with(|f| f.set(false));
        }));
    });
    // Three closures meeting at a barrier force three threads.
    let barrier = Arc::new(Barrier::new(3));
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let b = barrier.clone();
            pool.spawn_blocking(move || {
                b.wait();
                WRAPPED.with(|f| f.get())
            })
        })
        .collect();
    for h in handles {
        assert!(block_on(h).unwrap(), "a closure ran outside wrap");
    }
    assert!(pool.shutdown(Some(PATIENCE)));
    let m = pool.metrics();
    assert_eq!(m.threads_started, 3);
    assert_eq!(wraps.load(SeqCst), 3);
}

#[test]
fn a_wrap_that_never_calls_the_body_still_runs_it() {
    let pool = pool_with(|c| c.wrap = Some(Arc::new(|_body: &mut dyn FnMut()| {})));
    assert_eq!(block_on(pool.spawn_blocking(|| 5)).unwrap(), 5);
}

#[test]
fn hooks_and_default_names() {
    let starts = Arc::new(AtomicUsize::new(0));
    let stops = Arc::new(AtomicUsize::new(0));
    let (s1, s2) = (starts.clone(), stops.clone());
    let pool = pool_with(move |c| {
        c.on_thread_start = Some(Arc::new(move || {
            s1.fetch_add(1, SeqCst);
        }));
        c.on_thread_stop = Some(Arc::new(move || {
            s2.fetch_add(1, SeqCst);
        }));
    });
    let name = block_on(pool.spawn_blocking(|| thread::current().name().map(String::from))).unwrap();
    assert_eq!(name.as_deref(), Some("weft-blocking-0"));
    assert!(pool.shutdown(Some(PATIENCE)));
    assert_eq!((starts.load(SeqCst), stops.load(SeqCst)), (1, 1));
}

#[test]
fn a_thread_the_os_refuses_cancels_the_job_instead_of_hanging() {
    // No OS grants a 2^60-byte stack: every thread start fails.
    let pool = pool_with(|c| c.stack_size = Some(1 << 60));
    let h = pool.spawn_blocking(|| ());
    assert!(block_on(h).unwrap_err().is_cancelled());
    let m = pool.metrics();
    assert_eq!(
        (m.thread_start_failures, m.threads_alive, m.queue_depth),
        (1, 0, 0)
    );
}

#[test]
fn a_panicking_start_hook_is_contained_and_the_thread_still_runs_jobs() {
    let before = weft_task::foreign::contained_panics();
    let pool = pool_with(|c| c.on_thread_start = Some(Arc::new(|| panic!("start hook failed (expected)"))));
    let h = pool.spawn_blocking(|| 7);
    assert_eq!(block_on(h).unwrap(), 7);
    assert!(weft_task::foreign::contained_panics() > before);
    assert!(pool.shutdown(Some(PATIENCE)));
}

#[test]
fn a_panicking_wrap_cancels_the_job_instead_of_hanging() {
    let pool = pool_with(|c| {
        c.wrap = Some(Arc::new(|_body: &mut dyn FnMut()| {
            panic!("wrap failed (expected)")
        }))
    });
    let h = pool.spawn_blocking(|| ());
    assert!(block_on(h).unwrap_err().is_cancelled());
    eventually("the failed thread to be counted out", || {
        pool.metrics().threads_alive == 0
    });
    assert!(pool.shutdown(Some(PATIENCE)));
}

#[test]
#[should_panic(expected = "max_threads is 0")]
fn zero_max_threads_is_refused_with_a_message() {
    let _ = pool_with(|c| c.max_threads = 0);
}

/// About `rounds` multiply-xor steps: CPU work that never blocks.
fn spin(rounds: u64) -> u64 {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..rounds {
        x = (x ^ i).wrapping_mul(0x2545_f491_4f6c_dd1d);
        x ^= x >> 29;
    }
    std::hint::black_box(x)
}

#[test]
fn a_cpu_burst_does_not_start_a_thread_per_queued_job() {
    // 2,000 jobs that only compute, spawned at once into a pool that may
    // grow to 512 threads: the jobs keep finishing, so the pool has no
    // reason to grow past the machine's CPUs (a thread per queued job would
    // start hundreds). The bound leaves room for a loaded machine, where a
    // descheduled thread can look blocked for a tick or two.
    let pool = pool_with(|_| {});
    let handles: Vec<_> = (0..2_000).map(|_| pool.spawn_blocking(|| spin(20_000))).collect();
    for h in handles {
        block_on(h).unwrap();
    }
    let started = pool.metrics().threads_started;
    eprintln!(
        "2,000 CPU jobs: {started} threads started on {} CPUs",
        num_cpus::get()
    );
    assert!(
        started <= 64,
        "{started} threads started for 2,000 CPU-only jobs on {} CPUs",
        num_cpus::get()
    );
    assert!(pool.shutdown(Some(PATIENCE)));
}

#[test]
fn jobs_that_block_all_get_threads_up_to_the_cap() {
    // 128 jobs that can only finish together (each waits for all the
    // others): the pool must see them blocked and grow past the CPUs to
    // one thread each, and no further.
    const JOBS: usize = 128;
    let pool = pool_with(|c| c.max_threads = JOBS);
    let barrier = Arc::new(Barrier::new(JOBS));
    let handles: Vec<_> = (0..JOBS)
        .map(|_| {
            let b = barrier.clone();
            pool.spawn_blocking(move || {
                b.wait();
            })
        })
        .collect();
    for h in handles {
        block_on(h).unwrap();
    }
    assert_eq!(pool.metrics().threads_started, JOBS as u64);
    assert!(pool.shutdown(Some(PATIENCE)));
}

#[test]
fn a_burst_of_sleeping_jobs_runs_them_all_at_once() {
    // 500 jobs that each sleep: every one of them is running while the
    // last is still asleep only if the pool gave them 500 threads.
    const JOBS: usize = 500;
    let pool = pool_with(|_| {});
    let running = Arc::new(AtomicUsize::new(0));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let handles: Vec<_> = (0..JOBS)
        .map(|_| {
            let (running, max_seen) = (running.clone(), max_seen.clone());
            pool.spawn_blocking(move || {
                let now = running.fetch_add(1, SeqCst) + 1;
                max_seen.fetch_max(now, SeqCst);
                thread::sleep(Duration::from_millis(200));
                running.fetch_sub(1, SeqCst);
            })
        })
        .collect();
    for h in handles {
        block_on(h).unwrap();
    }
    eprintln!(
        "{JOBS} sleeping jobs: {:?}, at most {} at once, {} threads",
        t0.elapsed(),
        max_seen.load(SeqCst),
        pool.metrics().threads_started
    );
    // Each sleeps 200 ms and the pool doubles its threads every 1 ms tick
    // in which none finishes: all 500 are asleep together unless the
    // machine stalls for the best part of 200 ms.
    assert!(
        max_seen.load(SeqCst) > JOBS / 2,
        "at most {} of {JOBS} sleeping jobs ran at once",
        max_seen.load(SeqCst)
    );
    assert!(pool.shutdown(Some(PATIENCE)));
}
