//! Unhandled panics: exactly the panics no JoinHandle hands to the user
//! reach the handler, with the task's name and spawn site, and
//! `ShutdownRuntime` stops the runtime and makes `block_on` name the task.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use weft::runtime::{PanicReport, UnhandledPanic};

/// (task name, panic message, spawn site's file) of each report.
type Seen = Arc<Mutex<Vec<(Option<String>, Option<String>, String)>>>;

fn recording(b: &mut weft::Builder) -> (weft::Runtime, Seen) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let rt = b
        .on_unhandled_panic(move |r: &PanicReport| {
            log.lock().unwrap().push((
                r.task_name().map(str::to_owned),
                r.message().map(str::to_owned),
                r.location().file().to_owned(),
            ))
        })
        .build()
        .unwrap();
    (rt, seen)
}

fn flavours() -> Vec<weft::Builder> {
    let mut multi = weft::Builder::new_multi_thread();
    multi.worker_threads(2);
    vec![multi, weft::Builder::new_current_thread()]
}

#[test]
fn a_detached_task_panic_is_reported_with_its_name_and_spawn_site() {
    for mut b in flavours() {
        let (rt, seen) = recording(&mut b);
        rt.block_on(async {
            let h = weft::task::Builder::new()
                .name("doomed")
                .spawn(async { panic!("boom") })
                .unwrap();
            drop(h);
            // Wait for the report itself: a fixed sleep can end before the
            // task has even been polled on a slow machine (valgrind), and a
            // task cancelled unpolled at shutdown never panics. The
            // deadline only turns a lost report into a failure.
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while seen.lock().unwrap().is_empty() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the detached task's panic was never reported"
                );
                weft::time::sleep(Duration::from_millis(1)).await;
            }
        });
        drop(rt);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(
            seen[0],
            (
                Some("doomed".to_owned()),
                Some("boom".to_owned()),
                file!().to_owned()
            )
        );
    }
}

#[test]
fn a_panic_an_awaited_join_handle_returns_is_not_reported() {
    for mut b in flavours() {
        let (rt, seen) = recording(&mut b);
        let err = rt
            .block_on(rt.spawn(async { panic!("seen by the user") }))
            .unwrap_err();
        assert!(err.is_panic());
        drop(rt);
        assert!(seen.lock().unwrap().is_empty());
    }
}

#[test]
fn a_panic_whose_handle_is_dropped_unread_after_it_is_reported_at_the_drop() {
    for mut b in flavours() {
        let (rt, seen) = recording(&mut b);
        rt.block_on(async {
            let h = weft::spawn(async { panic!("late") });
            while !h.is_finished() {
                weft::time::sleep(Duration::from_millis(1)).await;
            }
            assert!(
                seen.lock().unwrap().is_empty(),
                "reported before anyone dropped the handle"
            );
            drop(h);
        });
        assert_eq!(seen.lock().unwrap().len(), 1);
        assert_eq!(seen.lock().unwrap()[0].1.as_deref(), Some("late"));
    }
}

#[test]
fn a_panicking_unhandled_panic_handler_is_contained() {
    let rt = weft::Builder::new_multi_thread()
        .worker_threads(1)
        .on_unhandled_panic(|_| panic!("the handler itself"))
        .build()
        .unwrap();
    let polled = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let p = polled.clone();
    let out = rt.block_on(async move {
        drop(weft::spawn(async move {
            p.store(true, std::sync::atomic::Ordering::SeqCst);
            panic!("first")
        }));
        // The only worker has run the panicking task (and so the handler)
        // before it takes the next one; wait for the poll itself, not a
        // fixed time, so a slow machine still tests the containment.
        while !polled.load(std::sync::atomic::Ordering::SeqCst) {
            weft::time::sleep(Duration::from_millis(1)).await;
        }
        weft::spawn(async { 5 }).await.unwrap()
    });
    assert_eq!(out, 5);
}

#[test]
fn shutdown_runtime_stops_the_runtime_and_block_on_names_the_task() {
    for mut b in flavours() {
        let rt = b
            .unhandled_panic(UnhandledPanic::ShutdownRuntime)
            .build()
            .unwrap();
        let rt = std::panic::AssertUnwindSafe(rt);
        let err = std::panic::catch_unwind(|| {
            rt.block_on(async {
                drop(
                    weft::task::Builder::new()
                        .name("fatal-one")
                        .spawn(async { panic!("kaboom") })
                        .unwrap(),
                );
                // Would wait forever: the shutdown must end it.
                std::future::pending::<()>().await
            })
        })
        .unwrap_err();
        let msg = err.downcast_ref::<String>().expect("a message");
        assert!(
            msg.contains("fatal-one") && msg.contains("kaboom") && msg.contains("ShutdownRuntime"),
            "{msg}"
        );
        // Later spawns are cancelled at once.
        let h = rt.spawn(async { 1 });
        let r = weft::Builder::new_current_thread().build().unwrap().block_on(h);
        assert!(r.unwrap_err().is_cancelled());
    }
}

#[test]
fn a_blocking_closure_whose_handle_was_dropped_reports_its_panic() {
    for mut b in flavours() {
        let (rt, seen) = recording(&mut b);
        rt.block_on(async {
            drop(weft::spawn_blocking(|| panic!("blocking boom")));
            // Handled: awaited.
            assert!(weft::spawn_blocking(|| panic!("seen"))
                .await
                .unwrap_err()
                .is_panic());
        });
        drop(rt);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].1.as_deref(), Some("blocking boom"));
    }
}
