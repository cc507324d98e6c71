//! The current-thread runtime: every task on the thread inside `block_on`,
//! nothing running while no thread is inside, and the same timers, sockets,
//! blocking pool, budget and shutdown as the multi-thread runtime.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weft::io::{AsyncReadExt, AsyncWriteExt};

fn rt() -> weft::Runtime {
    weft::Builder::new_current_thread().build().expect("runtime")
}

#[test]
fn every_task_of_a_current_thread_runtime_runs_on_the_calling_thread() {
    let rt = rt();
    let here = std::thread::current().id();
    let ids = rt.block_on(async {
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                weft::spawn(async {
                    weft::task::yield_now().await;
                    std::thread::current().id()
                })
            })
            .collect();
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.unwrap());
        }
        ids
    });
    assert!(ids.iter().all(|id| *id == here));
    assert_eq!(rt.metrics().num_workers(), 1);
}

#[test]
fn nothing_runs_while_no_thread_is_inside_block_on() {
    let rt = rt();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let h = rt.spawn(async move { r.store(true, Ordering::SeqCst) });
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        !ran.load(Ordering::SeqCst),
        "a task ran with no thread inside block_on"
    );
    rt.block_on(h).unwrap();
    assert!(ran.load(Ordering::SeqCst));
}

#[test]
fn tasks_left_pending_go_on_at_the_next_block_on() {
    let rt = rt();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let h = rt.spawn(async move {
        for _ in 0..3 {
            weft::time::sleep(Duration::from_millis(5)).await;
            c.fetch_add(1, Ordering::SeqCst);
        }
    });
    rt.block_on(async { weft::time::sleep(Duration::from_millis(1)).await });
    rt.block_on(h).unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[test]
fn a_wake_from_another_thread_wakes_an_idle_loop() {
    let rt = rt();
    let out = rt.block_on(async {
        // The loop parks in the reactor; the blocking thread's completion
        // must wake it.
        weft::spawn_blocking(|| {
            std::thread::sleep(Duration::from_millis(30));
            7
        })
        .await
        .unwrap()
    });
    assert_eq!(out, 7);
    // A task spawned from a plain thread while the loop is parked.
    let handle = rt.handle().clone();
    let out = rt.block_on(async move {
        let t = std::thread::spawn(move || handle.spawn(async { 11 }));
        weft::time::sleep(Duration::from_millis(20)).await;
        t.join().unwrap().await.unwrap()
    });
    assert_eq!(out, 11);
}

#[test]
fn timers_and_sockets_work_on_a_current_thread_runtime() {
    let rt = rt();
    rt.block_on(async {
        let start = Instant::now();
        weft::time::sleep(Duration::from_millis(20)).await;
        assert!(start.elapsed() >= Duration::from_millis(20));

        let listener = weft::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = weft::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        });
        let mut c = weft::net::TcpStream::connect(addr).await.unwrap();
        c.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 5];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello");
        server.await.unwrap();
    });
}

#[test]
fn a_task_yielding_in_a_loop_does_not_hold_back_a_timer() {
    let rt = rt();
    rt.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let spinner = weft::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                weft::task::yield_now().await;
            }
        });
        let start = Instant::now();
        weft::time::sleep(Duration::from_millis(10)).await;
        let late = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        spinner.await.unwrap();
        // Generous: the bug (timers never polled) is a hang.
        assert!(late < Duration::from_secs(5), "{late:?}");
    });
}

#[test]
fn two_threads_in_block_on_at_once_both_finish() {
    let rt = Arc::new(rt());
    let rt2 = rt.clone();
    let other = std::thread::spawn(move || {
        rt2.block_on(async {
            let mut n = 0;
            for i in 0..50 {
                n += weft::spawn(async move { i }).await.unwrap();
                weft::time::sleep(Duration::from_millis(1)).await;
            }
            n
        })
    });
    let mine = rt.block_on(async {
        let mut n = 0;
        for i in 0..50 {
            n += weft::spawn(async move { i }).await.unwrap();
            weft::time::sleep(Duration::from_millis(1)).await;
        }
        n
    });
    assert_eq!(mine, 1225);
    assert_eq!(other.join().unwrap(), 1225);
}

#[test]
fn block_in_place_on_a_current_thread_runtime_panics_naming_spawn_blocking() {
    let rt = rt();
    let err = rt
        .block_on(rt.spawn(async { weft::task::block_in_place(|| 1) }))
        .unwrap_err();
    let msg = err.into_panic();
    let msg = msg
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| msg.downcast_ref::<&str>().copied())
        .expect("a message");
    assert!(
        msg.contains("current-thread") && msg.contains("spawn_blocking"),
        "{msg}"
    );
}

#[test]
fn block_on_inside_a_current_thread_task_panics() {
    let rt = Arc::new(rt());
    let rt2 = rt.clone();
    let err = rt
        .block_on(rt.spawn(async move { rt2.block_on(async { 1 }) }))
        .unwrap_err();
    assert!(err.is_panic());
}

struct Dropped(Arc<AtomicUsize>, std::thread::ThreadId);
impl Drop for Dropped {
    fn drop(&mut self) {
        assert_eq!(std::thread::current().id(), self.1, "dropped on another thread");
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn dropping_a_current_thread_runtime_drops_every_pending_future_on_its_thread() {
    let rt = rt();
    let dropped = Arc::new(AtomicUsize::new(0));
    let here = std::thread::current().id();
    for _ in 0..10 {
        let d = Dropped(dropped.clone(), here);
        rt.spawn(async move {
            let _d = d;
            std::future::pending::<()>().await
        });
    }
    rt.block_on(async { weft::time::sleep(Duration::from_millis(5)).await });
    for _ in 0..10 {
        let d = Dropped(dropped.clone(), here);
        rt.spawn(async move {
            let _d = d;
            std::future::pending::<()>().await
        });
    }
    drop(rt);
    assert_eq!(dropped.load(Ordering::SeqCst), 20);
}

#[test]
fn a_current_thread_runtime_can_run_again_after_block_on_returns() {
    let rt = rt();
    for i in 0..20u64 {
        let v = rt.block_on(async move { weft::spawn(async move { i * 2 }).await.unwrap() });
        assert_eq!(v, i * 2);
    }
}

#[test]
fn spawn_local_runs_futures_with_rc_state_on_the_calling_thread() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let rt = rt();
    let here = std::thread::current().id();
    let (sum, threads) = rt.block_on(async move {
        let state = Rc::new(RefCell::new(Vec::new()));
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let state = state.clone();
                weft::task::spawn_local(async move {
                    weft::time::sleep(Duration::from_millis(1)).await;
                    // Woken from the blocking pool's thread.
                    let v = weft::spawn_blocking(move || i * 2).await.unwrap();
                    state.borrow_mut().push(v);
                    std::thread::current().id()
                })
            })
            .collect();
        let mut threads = Vec::new();
        for t in tasks {
            threads.push(t.await.unwrap());
        }
        let sum: i32 = state.borrow().iter().sum();
        (sum, threads)
    });
    assert_eq!(sum, (0..50).map(|i| i * 2).sum());
    assert!(threads.iter().all(|t| *t == here));
}

#[test]
fn spawn_local_elsewhere_panics_saying_where_it_works() {
    let message = |r: std::thread::Result<()>| {
        let p = r.unwrap_err();
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap()
    };
    let plain = message(std::panic::catch_unwind(|| {
        drop(weft::task::spawn_local(async {}));
    }));
    assert!(plain.contains("new_current_thread"), "{plain}");
    let multi = weft::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let inside = message(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        multi.block_on(async { drop(weft::task::spawn_local(async {})) })
    })));
    assert!(inside.contains("current-thread runtime"), "{inside}");
}

#[test]
fn local_tasks_left_pending_go_on_at_the_next_block_on_and_drop_on_this_thread() {
    use std::rc::Rc;
    let rt = rt();
    let here = std::thread::current().id();
    let dropped = Arc::new(AtomicUsize::new(0));
    let progressed = Rc::new(std::cell::Cell::new(0));
    let p = progressed.clone();
    let d = Dropped(dropped.clone(), here);
    rt.block_on(async move {
        weft::task::spawn_local(async move {
            let _d = d;
            loop {
                weft::time::sleep(Duration::from_millis(2)).await;
                p.set(p.get() + 1);
            }
        });
    });
    let before = progressed.get();
    rt.block_on(async { weft::time::sleep(Duration::from_millis(30)).await });
    assert!(progressed.get() > before, "the local task did not run again");
    drop(rt);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}
