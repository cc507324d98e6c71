//! Fault injection: foreign code (wakers, hooks) that panics where the
//! runtime runs it. The panic is contained, the rest of the batch goes on,
//! and the thread that ran it lives.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use weft::io::{AsyncReadExt, AsyncWriteExt};
use weft::net::UnixStream;
use weft::Runtime;

/// Generous: only a hang takes this long.
const PATIENCE: Duration = Duration::from_secs(30);

struct PanickingWaker;

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("this waker panics (expected by the test)");
    }
}

fn panicking_waker() -> Waker {
    Waker::from(Arc::new(PanickingWaker))
}

/// Runs `body` on its own thread and fails the test if it has not finished
/// within [`PATIENCE`]: a runtime whose worker died cannot even run the
/// timers a `timeout` needs, so the test must not wait on the runtime.
fn within(what: &str, body: impl FnOnce() + Send + 'static) {
    let (tx, rx) = std::sync::mpsc::channel();
    let t = std::thread::spawn(move || {
        body();
        let _ = tx.send(());
    });
    match rx.recv_timeout(PATIENCE) {
        Ok(()) => t.join().unwrap(),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(t.join().unwrap_err())
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still waiting after {PATIENCE:?}"),
    }
}

fn one_worker() -> Runtime {
    Runtime::builder().worker_threads(1).build().unwrap()
}

/// Polls `fut` once, outside any task, with a waker that panics.
fn poll_with_panicking_waker<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    let waker = panicking_waker();
    Pin::new(fut).poll(&mut Context::from_waker(&waker))
}

/// The runtime still runs a task, on its (only) worker.
fn still_runs(rt: &Runtime) {
    let h = rt.spawn(async {
        weft::time::sleep(Duration::from_millis(1)).await;
        7
    });
    let out = rt.block_on(weft::time::timeout(PATIENCE, h));
    assert_eq!(out.expect("the runtime no longer runs tasks").unwrap(), 7);
}

#[test]
fn a_panicking_waker_fired_by_the_timer_wheel_does_not_lose_the_batch_or_the_worker() {
    within(
        "a panicking waker fired by the timer wheel does not lose the batch or the worker",
        || {
            let rt = one_worker();
            let deadline = Instant::now() + Duration::from_millis(30);
            let mut poisoned = {
                let _cx = rt.enter();
                Box::pin(weft::time::sleep_until(deadline))
            };
            assert!(poll_with_panicking_waker(&mut poisoned).is_pending());
            let fired = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..19)
                .map(|_| {
                    let fired = fired.clone();
                    rt.spawn(async move {
                        weft::time::sleep_until(deadline).await;
                        fired.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            rt.block_on(async {
                for t in tasks {
                    weft::time::timeout(PATIENCE, t)
                        .await
                        .expect("a timer of the same batch never fired")
                        .unwrap();
                }
            });
            assert_eq!(fired.load(Ordering::SeqCst), 19);
            assert!(poll_with_panicking_waker(&mut poisoned).is_ready());
            still_runs(&rt);
        },
    );
}

#[test]
fn a_panicking_waker_fired_by_the_io_dispatch_does_not_lose_the_batch_or_the_worker() {
    within(
        "a panicking waker fired by the io dispatch does not lose the batch or the worker",
        || {
            let rt = one_worker();
            let (mut poisoned_reader, mut poisoned_writer, writers, readers) = {
                let _cx = rt.enter();
                let (r, w) = UnixStream::pair().unwrap();
                let pairs: Vec<_> = (0..10).map(|_| UnixStream::pair().unwrap()).collect();
                let (readers, writers): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
                (r, w, writers, readers)
            };
            let mut buf = [0u8; 1];
            {
                let mut read = poisoned_reader.read(&mut buf);
                assert!(poll_with_panicking_waker(&mut read).is_pending());
            }
            let tasks: Vec<_> = readers
                .into_iter()
                .map(|mut r| {
                    rt.spawn(async move {
                        let mut b = [0u8; 1];
                        r.read_exact(&mut b).await.unwrap();
                        b[0]
                    })
                })
                .collect();
            rt.block_on(async {
                // Let every reader register before the data arrives.
                weft::time::sleep(Duration::from_millis(20)).await;
                poisoned_writer.write_all(b"x").await.unwrap();
                for mut w in writers {
                    w.write_all(b"y").await.unwrap();
                }
                for t in tasks {
                    let got = weft::time::timeout(PATIENCE, t)
                        .await
                        .expect("a socket of the same batch was never woken")
                        .unwrap();
                    assert_eq!(got, b'y');
                }
            });
            still_runs(&rt);
        },
    );
}

#[test]
fn a_panicking_waker_of_a_blocking_closure_does_not_kill_the_pool_thread() {
    within(
        "a panicking waker of a blocking closure does not kill the pool thread",
        || {
            let rt = one_worker();
            let mut h = rt.spawn_blocking(|| {
                std::thread::sleep(Duration::from_millis(20));
                1
            });
            assert!(poll_with_panicking_waker(&mut h).is_pending());
            // The closure completes and wakes the panicking waker on its thread.
            let deadline = Instant::now() + PATIENCE;
            while !h.is_finished() {
                assert!(Instant::now() < deadline, "the blocking closure never finished");
                std::thread::sleep(Duration::from_millis(1));
            }
            // The thread survives and, once idle again, takes the next closure.
            while rt.metrics().idle_blocking_threads() != 1 {
                assert!(Instant::now() < deadline, "the blocking thread never came back");
                std::thread::sleep(Duration::from_millis(1));
            }
            let started = rt.metrics().blocking().threads_started;
            let next = rt.block_on(rt.spawn_blocking(|| 2)).unwrap();
            assert_eq!(next, 2);
            assert_eq!(rt.metrics().blocking().threads_started, started);
        },
    );
}

#[test]
fn a_panicking_start_hook_does_not_stop_the_worker() {
    within("a panicking start hook does not stop the worker", || {
        let rt = Runtime::builder()
            .worker_threads(1)
            .on_thread_start(|| panic!("start hook panics (expected by the test)"))
            .build()
            .unwrap();
        still_runs(&rt);
        assert_eq!(rt.block_on(rt.spawn_blocking(|| 3)).unwrap(), 3);
    });
}

#[test]
fn a_panicking_stop_hook_does_not_hang_the_drop() {
    let rt = Runtime::builder()
        .worker_threads(2)
        .on_thread_stop(|| panic!("stop hook panics (expected by the test)"))
        .build()
        .unwrap();
    still_runs(&rt);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(rt);
        let _ = tx.send(());
    });
    rx.recv_timeout(PATIENCE).expect("dropping the runtime hung");
}

#[test]
fn a_task_woken_by_a_waker_that_panics_on_drop_still_runs() {
    within("a task woken by a waker that panics on drop still runs", || {
        struct PanicsOnDrop(Waker);
        impl Wake for PanicsOnDrop {
            fn wake(self: Arc<Self>) {
                self.0.wake_by_ref();
                // `self` drops here, after the real wake.
            }
        }
        impl Drop for PanicsOnDrop {
            fn drop(&mut self) {
                if !std::thread::panicking() {
                    panic!("waker drop panics (expected by the test)");
                }
            }
        }
        let rt = one_worker();
        let done = rt.block_on(rt.spawn(async {
            // Register a timer with a waker that wakes us, then panics when the
            // reactor drops it (the timer holds its last reference).
            let mut sleep = Box::pin(weft::time::sleep(Duration::from_millis(5)));
            let mut first = true;
            std::future::poll_fn(|cx| {
                if std::mem::take(&mut first) {
                    let waker = Waker::from(Arc::new(PanicsOnDrop(cx.waker().clone())));
                    return sleep.as_mut().poll(&mut Context::from_waker(&waker));
                }
                sleep.as_mut().poll(cx)
            })
            .await;
            true
        }));
        assert!(done.unwrap());
        still_runs(&rt);
    });
}
