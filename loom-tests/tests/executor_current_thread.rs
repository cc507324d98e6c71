//! Loom models of the current-thread loop (`Worker::run_until`): the thread
//! inside `block_on` runs the one worker's loop and polls its own future
//! between tasks; when all wait it parks in the driver. A wake from another
//! thread, of a task or of the `block_on` future itself, must reach it.
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test -p loom-tests --release --test executor_current_thread
//! ```
#![cfg(loom)]

use std::pin::pin;

use loom::sync::Arc;
use loom::thread;

use weft_executor::{CondvarDriver, Config, Handle, Worker};

use loom_tests::signal::{Signal, Wait};

fn current_thread() -> (Handle, Worker) {
    let config = Config {
        current_thread: true,
        ..Config::default()
    };
    let (handle, mut workers) = Handle::new(config, std::sync::Arc::new(CondvarDriver::new()));
    let worker = workers.pop().expect("one worker");
    assert!(workers.is_empty());
    (handle, worker)
}

#[test]
fn a_task_woken_from_another_thread_while_the_loop_parks_is_run() {
    loom::model(|| {
        let (handle, mut worker) = current_thread();
        let signal = Arc::new(Signal::default());
        let s = signal.clone();
        let setter = thread::spawn(move || s.set());
        let task = handle.spawn(Wait(signal));
        let out = worker.run_until(pin!(task));
        assert!(out.expect("not shut down").is_ok());
        setter.join().unwrap();
        handle.shutdown();
        assert!(worker.run_until(pin!(std::future::ready(()))).is_none());
        handle.finish_shutdown();
    });
}

#[test]
fn the_block_on_future_woken_from_another_thread_wakes_the_parked_loop() {
    loom::model(|| {
        let (handle, mut worker) = current_thread();
        let signal = Arc::new(Signal::default());
        let s = signal.clone();
        let setter = thread::spawn(move || s.set());
        assert!(worker.run_until(pin!(Wait(signal))).is_some());
        setter.join().unwrap();
        handle.shutdown();
        handle.finish_shutdown();
    });
}

#[test]
fn a_spawn_from_another_thread_reaches_a_loop_inside_block_on() {
    loom::model(|| {
        let (handle, mut worker) = current_thread();
        let signal = Arc::new(Signal::default());
        let (h, s) = (handle.clone(), signal.clone());
        let spawner = thread::spawn(move || {
            drop(h.spawn(async move { s.set() }));
        });
        assert!(worker.run_until(pin!(Wait(signal))).is_some());
        spawner.join().unwrap();
        handle.shutdown();
        handle.finish_shutdown();
    });
}
