//! Loom models of the scheduler paths a real driver reaches: wakes inside
//! `park` on the parking worker, wakes into the LIFO slot from a running
//! task, and (with small tick intervals) the fairness and maintenance
//! ticks. The driver is `loom_tests::driver::EventDriver`, whose `park`
//! wakes tasks on the parking thread as the reactor's dispatch does.
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test -p loom-tests --release --test executor_driver
//! ```
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Waker};

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Mutex, Notify};
use loom::thread;

use loom_tests::driver::EventDriver;
use weft_executor::{block_on, Config, Driver, Handle, Worker};

fn executor(config: Config, driver: StdArc<dyn Driver>) -> (Handle, Vec<thread::JoinHandle<()>>) {
    let (handle, workers) = Handle::new(config, driver);
    let threads = workers
        .into_iter()
        .map(|w: Worker| thread::spawn(move || w.run()))
        .collect();
    (handle, threads)
}

fn one_worker() -> Config {
    Config {
        workers: 1,
        handoff: None,
        ..Config::default()
    }
}

fn stop(handle: Handle, threads: Vec<thread::JoinHandle<()>>) {
    handle.shutdown();
    for t in threads {
        t.join().unwrap();
    }
    handle.finish_shutdown();
}

/// A one-shot signal a task waits on; records the task's first poll so the
/// model can wait until the task is parked on it.
#[derive(Default)]
struct Signal {
    state: Mutex<(bool, Option<Waker>)>,
    polled: Flag,
}

impl Signal {
    fn set(&self) {
        let waker = {
            let mut s = self.state.lock().unwrap();
            s.0 = true;
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

struct Wait(Arc<Signal>);

impl Future for Wait {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let ready = {
            let mut s = self.0.state.lock().unwrap();
            if !s.0 {
                s.1 = Some(cx.waker().clone());
            }
            s.0
        };
        self.0.polled.set();
        if ready {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// A one-shot flag one thread waits on (loom's `Notify` may wake
/// spuriously, so the wait loops on the flag).
#[derive(Default)]
struct Flag {
    set: AtomicBool,
    notify: Notify,
}

impl Flag {
    fn set(&self) {
        self.set.store(true, SeqCst);
        self.notify.notify();
    }

    fn wait(&self) {
        while !self.set.load(SeqCst) {
            self.notify.wait();
        }
    }
}

/// Counts finished tasks and lets the model wait for all of them, without
/// awaiting `JoinHandle`s (each await multiplies the interleavings by the
/// join protocol's, already checked in `task.rs`).
struct Latch {
    left: AtomicUsize,
    done: Flag,
}

impl Latch {
    fn new(n: usize) -> Arc<Latch> {
        Arc::new(Latch {
            left: AtomicUsize::new(n),
            done: Flag::default(),
        })
    }

    fn count_down(&self) {
        if self.left.fetch_sub(1, SeqCst) == 1 {
            self.done.set();
        }
    }
}

/// (1) A task waits for an event the driver delivers in the worker's own
/// `park`: the wake lands in the parked worker's LIFO slot, and the worker
/// must see it there when the park returns, or it parks again with the
/// task stranded where no other worker can steal it.
#[test]
fn driver_wake_during_park_runs_on_the_parking_worker() {
    loom::model(|| {
        let driver = EventDriver::new();
        let (handle, threads) = executor(one_worker(), driver.clone());
        let join = handle.spawn(driver.event());
        block_on(join).unwrap();
        assert_eq!(driver.deliveries(), 1);
        stop(handle, threads);
    });
}

/// (2) A running task wakes two parked tasks: the first goes to the LIFO
/// slot, the second takes its place there and pushes the first to the
/// back of the local queue. Both run.
#[test]
fn two_wakes_into_the_lifo_slot_both_run() {
    loom::model(|| {
        let driver = EventDriver::new();
        let (handle, threads) = executor(one_worker(), driver);
        let (b, c) = (Arc::new(Signal::default()), Arc::new(Signal::default()));
        let latch = Latch::new(2);
        for signal in [&b, &c] {
            let (signal, latch) = (signal.clone(), latch.clone());
            drop(handle.spawn(async move {
                Wait(signal).await;
                latch.count_down();
            }));
        }
        // Both are parked on their signals before the waker task runs.
        b.polled.wait();
        c.polled.wait();
        drop(handle.spawn(async move {
            b.set();
            c.set();
        }));
        // A lost task leaves this waiting forever: a loom deadlock.
        latch.done.wait();
        stop(handle, threads);
    });
}

/// (3) Small tick intervals, so the every-Nth-tick paths run inside loom:
/// the fairness tick (injector first), the maintenance tick (a
/// non-blocking driver poll, which here delivers an event on a busy
/// worker) and the LIFO cap (one LIFO poll in a row). A ping-pong pair
/// wakes each other through the LIFO slot while a task spawned from
/// outside and a driver event wait: all four finish.
#[test]
fn small_tick_intervals_run_the_fairness_maintenance_and_lifo_cap_paths() {
    loom::model(|| {
        let driver = EventDriver::new();
        let config = Config {
            global_queue_interval: 2,
            event_interval: 2,
            max_lifo_polls: 1,
            ..one_worker()
        };
        let (handle, threads) = executor(config, driver.clone());
        let (ping, pong) = (Arc::new(Signal::default()), Arc::new(Signal::default()));
        let latch = Latch::new(4);
        {
            let (ping, pong, latch) = (ping.clone(), pong.clone(), latch.clone());
            drop(handle.spawn(async move {
                Wait(pong).await;
                ping.set();
                latch.count_down();
            }));
        }
        pong.polled.wait();
        let (h, l) = (handle.clone(), latch.clone());
        drop(handle.spawn(async move {
            // Woken from the worker: the pong task goes to the LIFO slot,
            // and so do we when it answers.
            pong.set();
            Wait(ping).await;
            // Spawned on the worker: the local queue.
            drop(h.spawn(async move { l.count_down() }));
        }));
        let (event, l) = (driver.event(), latch.clone());
        drop(handle.spawn(async move {
            event.await;
            l.count_down();
        }));
        let l = latch.clone();
        drop(handle.spawn(async move { l.count_down() }));
        latch.done.wait();
        stop(handle, threads);
    });
}
