//! Loom models of the scheduler's protocols: spawning, stealing, parking,
//! shutdown, `block_on`. Run with
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p loom-tests --release --test executor`.
//!
//! Under `cfg(loom)` the executor's queues are mutex-protected stand-ins
//! (crossbeam proves its own deque); the idle protocol, the parkers, the
//! driver slot and the task state word are the real code.
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

use weft_executor::{block_on, CondvarDriver, Config, Handle, Worker};

use loom_tests::signal::{Signal, Wait};

fn executor(workers: usize) -> (Handle, Vec<thread::JoinHandle<()>>) {
    let config = Config {
        workers,
        ..Config::default()
    };
    let (handle, workers) = Handle::new(config, std::sync::Arc::new(CondvarDriver::new()));
    let threads = workers
        .into_iter()
        .map(|w: Worker| thread::spawn(move || w.run()))
        .collect();
    (handle, threads)
}

fn stop(handle: Handle, threads: Vec<thread::JoinHandle<()>>) {
    handle.shutdown();
    for t in threads {
        t.join().unwrap();
    }
    handle.finish_shutdown();
}

struct CountDrop(Arc<AtomicUsize>);

impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A task spawned from outside while the only worker is going to sleep
/// runs: the push to the injector and the worker's park cannot miss each
/// other.
#[test]
fn remote_spawn_while_the_only_worker_parks() {
    loom::model(|| {
        let (handle, threads) = executor(1);
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let join = handle.spawn(async move {
            r.fetch_add(1, SeqCst);
        });
        block_on(join).unwrap();
        assert_eq!(ran.load(SeqCst), 1);
        stop(handle, threads);
    });
}

/// Two workers; a task spawns a child into its worker's local queue, where
/// the owner pops and the idle worker steals: the child runs exactly once.
///
/// Three threads each running a scheduler loop is more than loom exhausts
/// quickly at two preemptions, so this model is bounded at one.
#[test]
fn steal_racing_the_owner_runs_each_task_once() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(1);
    builder.check(|| {
        let (handle, threads) = executor(2);
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let h = handle.clone();
        let parent = handle.spawn(async move {
            // Spawned on a worker thread: the children go to its local queue.
            let children: Vec<_> = (0..1)
                .map(|_| {
                    let r = r.clone();
                    h.spawn(async move {
                        r.fetch_add(1, SeqCst);
                    })
                })
                .collect();
            children
        });
        for child in block_on(parent).unwrap() {
            block_on(child).unwrap();
        }
        assert_eq!(runs.load(SeqCst), 1);
        stop(handle, threads);
    });
}

/// A wake from another thread while the worker parks: the task is polled
/// again and completes.
#[test]
fn wake_from_another_thread_while_the_worker_parks() {
    loom::model(|| {
        let (handle, threads) = executor(1);
        let signal = Arc::new(Signal::default());
        let join = handle.spawn(Wait(signal.clone()));
        let waker = thread::spawn(move || signal.set());
        block_on(join).unwrap();
        waker.join().unwrap();
        stop(handle, threads);
    });
}

/// Shutdown racing a spawn from another thread: the task runs or is
/// cancelled, and its future is dropped exactly once either way.
#[test]
fn shutdown_racing_a_remote_spawn() {
    loom::model(|| {
        let (handle, threads) = executor(1);
        let drops = Arc::new(AtomicUsize::new(0));
        let runs = Arc::new(AtomicUsize::new(0));
        let h2 = handle.clone();
        let (d, r) = (drops.clone(), runs.clone());
        let spawner = thread::spawn(move || {
            let guard = CountDrop(d);
            h2.spawn(async move {
                let _g = guard;
                r.fetch_add(1, SeqCst);
            })
        });
        stop(handle, threads);
        let join = spawner.join().unwrap();
        let outcome = block_on(join);
        assert_eq!(drops.load(SeqCst), 1, "future dropped exactly once");
        match outcome {
            Ok(()) => assert_eq!(runs.load(SeqCst), 1),
            Err(e) => {
                assert!(e.is_cancelled());
                assert_eq!(runs.load(SeqCst), 0);
            }
        }
    });
}

/// `block_on` on an outside thread, woken by a task running on a worker.
#[test]
fn block_on_woken_from_a_worker_thread() {
    loom::model(|| {
        let (handle, threads) = executor(1);
        let signal = Arc::new(Signal::default());
        let s = signal.clone();
        let join = handle.spawn(async move { s.set() });
        block_on(Wait(signal));
        block_on(join).unwrap();
        stop(handle, threads);
    });
}
