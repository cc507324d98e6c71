//! Loom models of the handoff (`weft-executor`'s `core_cell.rs` and
//! `monitor.rs`): a worker stuck in a poll has its core taken by the
//! monitor and given to a new thread.
//!
//! The models drive the real monitor (`Monitor::scan`, with a zero
//! threshold, so the second scan that sees the same poll takes it) and a
//! thread source that starts each handed-off worker on a loom thread. A
//! task "stuck" in its poll blocks on a loom condvar until the model
//! releases it, so loom explores every order of the release, the take, the
//! stuck poll's own wakes and spawns, and the new owner's start.
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test -p loom-tests --release --test executor_handoff
//! ```
#![cfg(loom)]

use std::time::{Duration, Instant};

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

use weft_executor::{block_on, CondvarDriver, Config, Handle, ReservedThread, ThreadSource, Worker};

use loom_tests::signal::{Signal, Wait};

/// Starts each handed-off worker on a loom thread; the model joins them.
#[derive(Default)]
struct LoomThreads {
    started: std::sync::Mutex<Vec<thread::JoinHandle<()>>>,
}

struct Reserved(std::sync::Arc<LoomThreads>);

/// The executor's [`ThreadSource`]: reserving never fails, the thread
/// starts on `start`.
struct Source(std::sync::Arc<LoomThreads>);

impl ThreadSource for Source {
    fn reserve(&self) -> Option<Box<dyn ReservedThread>> {
        Some(Box::new(Reserved(self.0.clone())))
    }
}

impl ReservedThread for Reserved {
    fn start(self: Box<Self>, worker: Worker) {
        let t = thread::spawn(move || worker.run());
        self.0.started.lock().unwrap().push(t);
    }
}

fn executor(workers: usize) -> (Handle, Vec<thread::JoinHandle<()>>, std::sync::Arc<LoomThreads>) {
    let config = Config {
        workers,
        handoff: Some(Duration::ZERO),
        ..Config::default()
    };
    let (handle, workers) = Handle::new(config, std::sync::Arc::new(CondvarDriver::new()));
    let threads = std::sync::Arc::new(LoomThreads::default());
    handle.set_thread_source(std::sync::Arc::new(Source(threads.clone())));
    let first = workers
        .into_iter()
        .map(|w| thread::spawn(move || w.run()))
        .collect();
    (handle, first, threads)
}

fn stop(handle: Handle, first: Vec<thread::JoinHandle<()>>, threads: std::sync::Arc<LoomThreads>) {
    handle.shutdown();
    for t in first {
        t.join().unwrap();
    }
    let started = std::mem::take(&mut *threads.started.lock().unwrap());
    for t in started {
        t.join().unwrap();
    }
    handle.finish_shutdown();
}

/// A gate a stuck poll waits at, and the model opens.
#[derive(Default)]
struct Gate {
    state: Mutex<(bool, bool)>, // (entered, open)
    changed: Condvar,
}

impl Gate {
    /// The stuck task: announce, then wait for the model.
    fn enter_and_wait(&self) {
        let mut s = self.state.lock().unwrap();
        s.0 = true;
        self.changed.notify_all();
        while !s.1 {
            s = self.changed.wait(s).unwrap();
        }
    }

    fn wait_entered(&self) {
        let mut s = self.state.lock().unwrap();
        while !s.0 {
            s = self.changed.wait(s).unwrap();
        }
    }

    fn open(&self) {
        self.state.lock().unwrap().1 = true;
        self.changed.notify_all();
    }
}

/// A task stuck in its poll spawns a child, the monitor takes its worker
/// (or the poll ends first: the release races the second scan), and the
/// stuck poll then wakes a parked task. The child and the woken task each
/// run exactly once, on whichever thread owns the core by then, and the
/// old thread retires without running a second loop.
#[test]
#[allow(
    clippy::async_yields_async,
    reason = "the stuck task hands its child's JoinHandle out, to be awaited from the model thread"
)]
fn a_take_racing_the_end_of_a_stuck_poll_loses_and_repeats_no_task() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(1);
    builder.check(|| {
        let (handle, first, threads) = executor(1);
        let gate = Arc::new(Gate::default());
        let signal = Arc::new(Signal::default());
        let runs = Arc::new(AtomicUsize::new(0));
        // Parked on the signal before the stuck poll begins.
        let (r, s) = (runs.clone(), signal.clone());
        let parked = handle.spawn(async move {
            Wait(s).await;
            r.fetch_add(1, SeqCst);
        });
        let (g, s, r, h) = (gate.clone(), signal.clone(), runs.clone(), handle.clone());
        let stuck = handle.spawn(async move {
            // Spawned from the worker: into the core the monitor may take.
            let child = h.spawn(async move {
                r.fetch_add(1, SeqCst);
            });
            g.enter_and_wait();
            // Woken from the stuck poll: a push window, or the injector.
            s.set();
            child
        });
        gate.wait_entered();
        let mut monitor = handle.monitor().unwrap();
        monitor.scan(Instant::now());
        gate.open();
        monitor.scan(Instant::now());
        let child = block_on(stuck).unwrap();
        block_on(child).unwrap();
        block_on(parked).unwrap();
        assert_eq!(runs.load(SeqCst), 2);
        stop(handle, first, threads);
    });
}

/// After a handoff, the new owner parks in the driver while a spawn from
/// outside unparks it: the unpark reaches the thread that now sleeps there.
#[test]
fn the_new_owner_parking_in_the_driver_gets_an_unpark_from_outside() {
    loom::model(|| {
        let (handle, first, threads) = executor(1);
        let gate = Arc::new(Gate::default());
        let g = gate.clone();
        let stuck = handle.spawn(async move { g.enter_and_wait() });
        gate.wait_entered();
        let mut monitor = handle.monitor().unwrap();
        monitor.scan(Instant::now());
        assert_eq!(monitor.scan(Instant::now()), 1, "the stuck poll was not taken");
        // The new owner finds nothing and parks; this spawn must wake it.
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let late = handle.spawn(async move {
            r.fetch_add(1, SeqCst);
        });
        block_on(late).unwrap();
        assert_eq!(ran.load(SeqCst), 1);
        gate.open();
        block_on(stuck).unwrap();
        stop(handle, first, threads);
    });
}
