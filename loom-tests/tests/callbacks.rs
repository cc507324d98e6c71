//! Loom model of the loop's callback queue (`weft::runtime::Handle::call_soon`):
//! a push from another thread racing the runner going idle. Every callback
//! runs exactly once, and never two at a time.
//!
//! The protocol is `crates/weft/src/runtime/callbacks/queue.rs` itself,
//! included here through `#[path]` with loom's `Mutex` behind `sync` (the
//! facade crate is not built under loom). Run with
//! `RUSTFLAGS="--cfg loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 cargo test -p loom-tests --release --test callbacks`.
#![cfg(loom)]

mod sync {
    pub(super) use loom::sync::Mutex;

    pub(super) fn lock<T>(m: &Mutex<T>) -> loom::sync::MutexGuard<'_, T> {
        m.lock().unwrap()
    }
}

#[path = "../../crates/weft/src/runtime/callbacks/queue.rs"]
#[allow(dead_code)]
mod queue;

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

use queue::{CallbackQueue, Pushed};

const CALLBACKS: usize = 3;

/// What the runners did: how often each callback ran, and whether one ever
/// started while another was running.
struct Record {
    runs: [AtomicUsize; CALLBACKS],
    running: AtomicBool,
}

impl Record {
    fn new() -> Arc<Record> {
        Arc::new(Record {
            runs: std::array::from_fn(|_| AtomicUsize::new(0)),
            running: AtomicBool::new(false),
        })
    }

    fn check(&self) {
        for (i, runs) in self.runs.iter().enumerate() {
            assert_eq!(
                runs.load(SeqCst),
                1,
                "callback {i} ran {} times",
                runs.load(SeqCst)
            );
        }
    }
}

/// The runner task's body: take callbacks until the queue says it is idle.
fn run(queue: &CallbackQueue<usize>, record: &Record) {
    while let Some(i) = queue.next() {
        assert!(!record.running.swap(true, SeqCst), "two callbacks ran at once");
        record.runs[i].fetch_add(1, SeqCst);
        record.running.store(false, SeqCst);
    }
}

/// `call_soon`: push, and start a runner (here, a thread) if told to.
fn call_soon(
    queue: &Arc<CallbackQueue<usize>>,
    record: &Arc<Record>,
    i: usize,
) -> Option<thread::JoinHandle<()>> {
    match queue.push(i) {
        Pushed::StartRunner => {
            let (queue, record) = (queue.clone(), record.clone());
            Some(thread::spawn(move || run(&queue, &record)))
        }
        Pushed::RunnerActive => None,
        Pushed::Closed(_) => unreachable!("no model closes this queue"),
    }
}

/// One runner draining the queue while another thread schedules a
/// callback: the push lands before, during or after the runner goes idle.
#[test]
fn a_push_racing_the_runner_going_idle_is_never_lost() {
    loom::model(|| {
        let queue = Arc::new(CallbackQueue::new());
        let record = Record::new();
        let mut runners = Vec::new();
        runners.extend(call_soon(&queue, &record, 0));
        let pusher = {
            let (queue, record) = (queue.clone(), record.clone());
            thread::spawn(move || call_soon(&queue, &record, 1))
        };
        runners.extend(call_soon(&queue, &record, 2));
        runners.extend(pusher.join().unwrap());
        for r in runners {
            r.join().unwrap();
        }
        record.check();
        // Everything ran, so the queue is idle: the next push starts a runner.
        assert_eq!(queue.push(0), Pushed::StartRunner);
    });
}

/// `call_soon` whose runner, if it must start one, runs on the calling
/// thread (loom allows few threads).
fn call_soon_inline(queue: &CallbackQueue<usize>, record: &Record, i: usize) {
    if queue.push(i) == Pushed::StartRunner {
        run(queue, record);
    }
}

/// Two threads scheduling at once while a runner exists: each callback
/// runs once, never two at a time, whichever runner takes it.
#[test]
fn two_pushers_racing_a_runner_each_run_once_never_together() {
    loom::model(|| {
        let queue = Arc::new(CallbackQueue::new());
        let record = Record::new();
        let first = call_soon(&queue, &record, 0);
        let pushers: Vec<_> = [1, 2]
            .into_iter()
            .map(|i| {
                let (queue, record) = (queue.clone(), record.clone());
                thread::spawn(move || call_soon_inline(&queue, &record, i))
            })
            .collect();
        for p in pushers {
            p.join().unwrap();
        }
        if let Some(r) = first {
            r.join().unwrap();
        }
        record.check();
    });
}

/// A push racing the runtime's shutdown (`close`) and a runner: the
/// callback runs, or close hands it back, or the push gets it back; exactly
/// one of the three.
#[test]
fn a_push_racing_close_is_run_or_handed_back_exactly_once() {
    loom::model(|| {
        let queue = Arc::new(CallbackQueue::new());
        let record = Record::new();
        let runner = call_soon(&queue, &record, 0);
        let pusher = {
            let queue = queue.clone();
            thread::spawn(move || match queue.push(1) {
                Pushed::StartRunner => Err(()),
                Pushed::RunnerActive => Ok(false),
                Pushed::Closed(i) => {
                    assert_eq!(i, 1);
                    Ok(true)
                }
            })
        };
        let closed: Vec<usize> = queue.close().into_iter().collect();
        let handed_back_to_pusher = match pusher.join().unwrap() {
            Ok(back) => back,
            // The runner had gone idle, so the push came before close
            // (after it, a push gets its callback back): close has taken
            // it, and the runner the pusher must start finds nothing.
            Err(()) => {
                assert_eq!(queue.next(), None, "a callback was queued after close returned");
                false
            }
        };
        if let Some(r) = runner {
            r.join().unwrap();
        }
        for i in 0..2 {
            let ran = record.runs[i].load(SeqCst);
            let by_close = closed.iter().filter(|&&c| c == i).count();
            let by_push = usize::from(i == 1 && handed_back_to_pusher);
            assert_eq!(
                ran + by_close + by_push,
                1,
                "callback {i}: ran {ran}, closed {by_close}, back {by_push}"
            );
        }
        assert!(matches!(queue.push(2), Pushed::Closed(2)));
        assert!(queue.close().is_empty(), "a callback was left queued after close");
    });
}
