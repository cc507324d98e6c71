//! A task draining an always-ready channel does not hold back its
//! neighbours: every receive spends the cooperative budget.
//!
//! Without the budget, the drainer below never returns `Pending`: on a
//! 1-worker runtime the timer task waits for all 10 million items, which
//! takes seconds. With it, the drainer yields every 128 items and the 10 ms
//! timer fires within a few ms of its deadline and stops the drainer.
//!
//! The check does not depend on the machine's speed: with the bug the timer
//! cannot run before the drainer has taken all 10 million items, so the
//! drainer is never stopped early; with the budget it is, however slow the
//! machine (valgrind included). The lateness is printed, not asserted.
//!
//! Handoff is off: with it, the monitor would move the stuck worker's
//! queue to another thread after 10 ms and hide a missing budget.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ITEMS: u64 = 10_000_000;

fn one_worker() -> weft::Runtime {
    weft::Builder::new_multi_thread()
        .worker_threads(1)
        .handoff(None)
        .build()
        .expect("runtime")
}

#[test]
fn draining_an_always_ready_mpsc_does_not_hold_back_a_timer() {
    drain_beside_a_timer(one_worker());
}

/// The same on a current-thread runtime: there is no other thread at all.
#[test]
fn draining_an_always_ready_mpsc_on_a_current_thread_runtime_does_not_hold_back_a_timer() {
    drain_beside_a_timer(weft::Builder::new_current_thread().build().expect("runtime"));
}

fn drain_beside_a_timer(rt: weft::Runtime) {
    let late = rt.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let timer = {
            let stop = stop.clone();
            weft::spawn(async move {
                let start = Instant::now();
                weft::time::sleep(Duration::from_millis(10)).await;
                let elapsed = start.elapsed();
                stop.store(true, Ordering::SeqCst);
                elapsed
            })
        };
        let drainer = {
            let stop = stop.clone();
            weft::spawn(async move {
                let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
                let mut n = 0;
                while n < ITEMS && !stop.load(Ordering::SeqCst) {
                    // Always ready: the value is there before we ask.
                    tx.send(n).unwrap();
                    assert_eq!(rx.recv().await, Some(n));
                    n += 1;
                }
                n
            })
        };
        let elapsed = timer.await.unwrap();
        let drained = drainer.await.unwrap();
        (elapsed, drained)
    });
    let (elapsed, drained) = late;
    eprintln!("10 ms timer beside an always-ready mpsc: fired after {elapsed:?} ({drained} items drained)");
    assert!(
        drained < ITEMS,
        "a 10 ms timer fired after {elapsed:?}, only once the drainer had taken all {drained} items: it held the worker"
    );
}

#[test]
fn draining_a_full_bounded_mpsc_does_not_hold_back_a_timer() {
    let rt = one_worker();
    let elapsed = rt.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let timer = {
            let stop = stop.clone();
            weft::spawn(async move {
                let start = Instant::now();
                weft::time::sleep(Duration::from_millis(10)).await;
                stop.store(true, Ordering::SeqCst);
                start.elapsed()
            })
        };
        let drainer = weft::spawn(async move {
            let (tx, mut rx) = weft::sync::mpsc::channel(1);
            let mut n = 0;
            while n < ITEMS && !stop.load(Ordering::SeqCst) {
                tx.send(n).await.unwrap();
                rx.recv().await.unwrap();
                n += 1;
            }
            n
        });
        (timer.await.unwrap(), drainer.await.unwrap())
    });
    let (elapsed, drained) = elapsed;
    eprintln!("10 ms timer beside a full bounded mpsc: fired after {elapsed:?} ({drained} items drained)");
    assert!(
        drained < ITEMS,
        "a 10 ms timer fired after {elapsed:?}, only once the drainer had taken all {drained} items: it held the worker"
    );
}
