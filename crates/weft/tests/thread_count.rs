//! Dropping a runtime joins every thread it started: the process is back
//! to its own thread count when the drop returns.
//!
//! Thread counts are process-wide, so this binary holds one test, which
//! runs its rounds one after another.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weft::Runtime;

/// Threads of this process, from `/proc/self/task`.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

fn round(running: usize, until_drop: bool) {
    let before = threads();
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let started = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(AtomicBool::new(false));
    for _ in 0..running {
        let (started, release) = (started.clone(), release.clone());
        drop(rt.spawn_blocking(move || {
            started.fetch_add(1, Ordering::SeqCst);
            let t0 = Instant::now();
            // Until told, or (for the mid-flight round) a short while.
            while !release.load(Ordering::SeqCst) && t0.elapsed() < Duration::from_millis(50) {
                std::thread::sleep(Duration::from_millis(1));
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while started.load(Ordering::SeqCst) < running {
        assert!(Instant::now() < deadline, "the closures never started");
        std::thread::sleep(Duration::from_millis(1));
    }
    if !until_drop {
        release.store(true, Ordering::SeqCst);
    }
    // Mid-flight (`until_drop`): the closures are still running; the drop
    // waits for them and joins their threads.
    drop(rt);
    let after = threads();
    assert_eq!(
        after, before,
        "{after} threads after dropping the runtime, {before} before ({running} blocking closures, mid-flight: {until_drop})"
    );
}

#[test]
fn dropping_a_runtime_leaves_the_thread_count_where_it_was() {
    for i in 0..10 {
        round(50, i % 2 == 1);
    }
}
