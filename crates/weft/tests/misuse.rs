//! Misuse and the errors and panics it gets: each says what happened and
//! what to do. Several are tokio's own tests, in weft's terms.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use weft::runtime::Handle;
use weft::Runtime;

fn rt() -> Runtime {
    Runtime::builder().worker_threads(1).build().unwrap()
}

fn message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string payload>".to_owned()
    }
}

// tokio: rt_common::interleave_enter_different_rt
#[test]
#[should_panic(expected = "EnterGuard values dropped out of order")]
fn enter_guards_of_two_runtimes_dropped_out_of_order_panic() {
    let rt1 = rt();
    let rt2 = rt();
    let enter1 = rt1.enter();
    let enter2 = rt2.enter();
    drop(enter1);
    drop(enter2);
}

// tokio: rt_common::interleave_enter_same_rt
#[test]
#[should_panic(expected = "EnterGuard values dropped out of order")]
fn enter_guards_of_one_runtime_dropped_out_of_order_panic() {
    let rt1 = rt();
    let _enter1 = rt1.enter();
    let enter2 = rt1.enter();
    let enter3 = rt1.enter();
    drop(enter2);
    drop(enter3);
}

// tokio: rt_common::interleave_then_enter
#[test]
fn a_runtime_can_be_entered_after_an_out_of_order_panic() {
    let caught = panic::catch_unwind(|| {
        let rt1 = rt();
        let rt2 = rt();
        let enter1 = rt1.enter();
        let enter2 = rt2.enter();
        drop(enter1);
        drop(enter2);
    });
    assert!(caught.is_err());
    let rt3 = rt();
    let _enter = rt3.enter();
    assert!(Handle::current().ptr_eq(rt3.handle()));
}

#[test]
fn enter_guards_in_order_restore_the_outer_runtime() {
    let rt1 = rt();
    let rt2 = rt();
    let g1 = rt1.enter();
    {
        let _g2 = rt2.enter();
        assert!(Handle::current().ptr_eq(rt2.handle()));
    }
    assert!(Handle::current().ptr_eq(rt1.handle()));
    drop(g1);
    assert!(Handle::try_current().is_err());
}

#[test]
fn enter_guard_is_sync_but_not_send() {
    fn is_sync<T: Sync>(_: &T) {}
    let rt = rt();
    let guard = rt.enter();
    is_sync(&guard);
    // `!Send` is checked by the type: `EnterGuard` holds a `MutexGuard`
    // marker; a `fn is_send<T: Send>` call here would not compile.
}

#[test]
#[should_panic(expected = "rt.spawn_blocking")]
fn spawn_blocking_outside_a_runtime_names_rt_spawn_blocking() {
    drop(weft::spawn_blocking(|| ()));
}

#[test]
#[should_panic(expected = "rt.spawn(fut)")]
fn spawn_outside_a_runtime_names_rt_spawn() {
    drop(weft::spawn(async {}));
}

#[test]
fn spawn_on_a_shut_down_runtime_says_the_runtime_shut_down() {
    let rt = rt();
    let handle = rt.handle().clone();
    drop(rt);
    let err = weft_executor_block_on(handle.spawn(async { 1 })).unwrap_err();
    assert!(err.is_cancelled() && err.is_shutdown(), "{err:?}");
    assert!(err.to_string().contains("runtime has shut down"), "{err}");
}

#[test]
fn an_abort_is_told_apart_from_a_shutdown() {
    let rt = rt();
    let err = rt.block_on(async {
        let h = weft::spawn(std::future::pending::<()>());
        h.abort();
        h.await.unwrap_err()
    });
    assert!(err.is_cancelled() && !err.is_shutdown(), "{err:?}");
    assert!(err.to_string().contains("aborted"), "{err}");
}

#[test]
fn a_task_cancelled_by_the_runtime_shutting_down_says_so() {
    let rt = rt();
    let h = rt.spawn(std::future::pending::<()>());
    drop(rt);
    let err = weft_executor_block_on(h).unwrap_err();
    assert!(err.is_shutdown(), "{err:?}");
}

#[test]
fn spawn_blocking_on_a_shut_down_runtime_says_the_blocking_pool_shut_down() {
    let rt = rt();
    let handle = rt.handle().clone();
    drop(rt);
    let err = weft_executor_block_on(handle.spawn_blocking(|| 1)).unwrap_err();
    assert!(err.is_shutdown(), "{err:?}");
    assert!(err.to_string().contains("blocking pool has shut down"), "{err}");
}

#[test]
fn run_in_executor_and_submit_on_a_shut_down_pool_say_the_pool_shut_down() {
    let rt = rt();
    let pool = weft::blocking::ThreadPool::builder().threads(1).build().unwrap();
    pool.shutdown_now();
    rt.block_on(async {
        let err = weft::run_in_executor(&pool, || 1).await.unwrap_err();
        assert!(err.is_shutdown(), "{err:?}");
        assert!(err.to_string().contains("thread pool has shut down"), "{err}");
        let err = pool.submit(|| 1).await.await.unwrap_err();
        assert!(err.is_shutdown(), "{err:?}");
    });
}

#[test]
fn into_panic_on_a_cancelled_task_points_at_the_caller() {
    let location = Arc::new(Mutex::new(None));
    let seen = location.clone();
    let prev = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        *seen.lock().unwrap() = info.location().map(|l| l.file().to_owned());
    }));
    let err = weft::task::JoinError::cancelled(weft::task::Id::next());
    let caught = panic::catch_unwind(AssertUnwindSafe(|| err.into_panic()));
    panic::set_hook(prev);
    let msg = message(caught.unwrap_err());
    assert!(msg.contains("did not panic"), "{msg}");
    let file = location.lock().unwrap().clone().unwrap();
    assert!(file.ends_with("misuse.rs"), "the panic points at {file}");
}

// tokio: rt_common::panic_in_task. The future of a panicking task is
// dropped during the unwind, so its destructor sees the panic (and a
// `MutexGuard` it holds would be poisoned). A hand-written future, because
// an async block drops its own locals while unwinding anyway.
#[test]
fn a_panicking_task_drops_its_future_during_the_unwind() {
    struct Boom(Arc<Mutex<Option<bool>>>);
    impl std::future::Future for Boom {
        type Output = ();
        fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
            panic!("boom");
        }
    }
    impl Drop for Boom {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(std::thread::panicking());
        }
    }
    let rt = rt();
    let saw = Arc::new(Mutex::new(None));
    let err = rt.block_on(rt.spawn(Boom(saw.clone()))).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(
        *saw.lock().unwrap(),
        Some(true),
        "the future was dropped after the unwind"
    );
}

fn weft_executor_block_on<F: std::future::Future>(f: F) -> F::Output {
    // A plain thread's block_on, outside any runtime.
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let out = rt.block_on(async {
        weft::time::timeout(Duration::from_secs(30), f)
            .await
            .expect("the handle never resolved")
    });
    drop(rt);
    out
}
