//! Signals through the reactor. Signal handlers are process-wide state, so
//! these tests live in their own binary; each uses its own signal number,
//! so that their order does not matter, and they run one at a time.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use weft::signal::unix::{signal, SignalKind};

/// Every test holds this: a runtime of one test would otherwise dispatch
/// the deliveries another test is counting (every reactor with a listener
/// watches the one signal pipe).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Turns a hang into a failure; never a bound on speed.
const PATIENCE: Duration = Duration::from_secs(30);

fn raise(signum: i32) {
    // SAFETY: raise(3) has no memory-safety preconditions; a handler for
    // `signum` is installed before every call in this file.
    let rc = unsafe { libc::raise(signum) };
    assert_eq!(rc, 0, "raise({signum}) failed");
}

/// Polls `fut` once, so that whatever it registers on its first poll (a
/// `ctrl_c` listener) exists before the test goes on.
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> Option<F::Output> {
    poll_fn(|cx| {
        Poll::Ready(match Pin::new(&mut *fut).poll(cx) {
            Poll::Ready(v) => Some(v),
            Poll::Pending => None,
        })
    })
    .await
}

#[test]
fn ctrl_c_reaches_two_listeners() {
    let _s = serial();
    let rt = weft::Runtime::new().unwrap();
    rt.block_on(async {
        let mut a = Box::pin(weft::signal::ctrl_c());
        let mut b = Box::pin(weft::signal::ctrl_c());
        assert!(poll_once(&mut a).await.is_none(), "no Ctrl-C yet");
        assert!(poll_once(&mut b).await.is_none(), "no Ctrl-C yet");
        raise(libc::SIGINT);
        let both = async { (a.await, b.await) };
        let (ra, rb) = weft::time::timeout(PATIENCE, both)
            .await
            .expect("a listener never saw SIGINT");
        ra.unwrap();
        rb.unwrap();
    });
}

#[test]
fn sigusr1_reaches_two_listeners_once_per_delivery() {
    let _s = serial();
    let rt = weft::Runtime::new().unwrap();
    rt.block_on(async {
        let mut a = signal(SignalKind::user_defined1()).unwrap();
        let mut b = signal(SignalKind::user_defined1()).unwrap();
        for round in 0..3 {
            raise(libc::SIGUSR1);
            let both = async { (a.recv().await, b.recv().await) };
            let got = weft::time::timeout(PATIENCE, both)
                .await
                .unwrap_or_else(|_| panic!("round {round}: SIGUSR1 lost"));
            assert_eq!(got, (Some(()), Some(())));
            // Reported once: nothing more is waiting for either listener.
            assert!(poll_once(&mut Box::pin(a.recv())).await.is_none());
            assert!(poll_once(&mut Box::pin(b.recv())).await.is_none());
        }
    });
}

#[test]
fn listeners_on_two_runtimes_both_see_a_delivery() {
    let _s = serial();
    let rt1 = weft::Runtime::new().unwrap();
    let rt2 = weft::Runtime::new().unwrap();
    let mut a = rt1.block_on(async { signal(SignalKind::user_defined2()).unwrap() });
    let b = rt2.block_on(async { signal(SignalKind::user_defined2()).unwrap() });
    let other = rt2.spawn(async move {
        let mut b = b;
        weft::time::timeout(PATIENCE, b.recv()).await
    });
    raise(libc::SIGUSR2);
    rt1.block_on(async {
        assert_eq!(weft::time::timeout(PATIENCE, a.recv()).await, Ok(Some(())));
    });
    assert_eq!(rt2.block_on(other).unwrap(), Ok(Some(())));
}

#[test]
fn a_listener_dropped_while_another_waits_does_not_take_its_delivery() {
    let _s = serial();
    let rt = weft::Runtime::new().unwrap();
    let winch = SignalKind::window_change();
    rt.block_on(async {
        let mut keep = signal(winch).unwrap();
        let dropped = signal(winch).unwrap();
        drop(dropped);
        raise(winch.as_raw_value());
        assert_eq!(weft::time::timeout(PATIENCE, keep.recv()).await, Ok(Some(())));
    });
}

#[test]
fn uncatchable_signals_are_refused_naming_the_signal() {
    let _s = serial();
    let rt = weft::Runtime::new().unwrap();
    rt.block_on(async {
        let err = signal(SignalKind::from_raw(libc::SIGKILL)).unwrap_err();
        assert!(err.to_string().contains("signal 9"), "{err}");
    });
}

#[test]
fn recv_returns_none_after_the_runtime_shuts_down() {
    let _s = serial();
    let rt = weft::Runtime::new().unwrap();
    let mut quit = rt.block_on(async { signal(SignalKind::quit()).unwrap() });
    let waiter = rt.spawn(async move { quit.recv().await });
    drop(rt);
    // The task was cancelled with its runtime; a fresh listener from a
    // dead runtime reports the end at once.
    assert!(waiter.is_finished());
    let rt = weft::Runtime::new().unwrap();
    let mut quit = rt.block_on(async { signal(SignalKind::quit()).unwrap() });
    drop(rt);
    assert_eq!(weft_executor::block_on(quit.recv()), None);
}

#[test]
fn a_listener_created_after_a_dispatched_delivery_does_not_see_it() {
    let _s = serial();
    let rt = weft::Runtime::new().unwrap();
    let alarm = SignalKind::alarm();
    rt.block_on(async {
        let mut first = signal(alarm).unwrap();
        raise(alarm.as_raw_value());
        // `first` returning means the delivery was dispatched.
        assert_eq!(weft::time::timeout(PATIENCE, first.recv()).await, Ok(Some(())));
        let mut late = signal(alarm).unwrap();
        assert!(poll_once(&mut Box::pin(late.recv())).await.is_none());
        raise(alarm.as_raw_value());
        assert_eq!(weft::time::timeout(PATIENCE, late.recv()).await, Ok(Some(())));
    });
}

#[test]
fn after_the_last_listener_is_dropped_the_handler_stays_and_the_process_lives() {
    let _s = serial();
    // A real-time signal's default action terminates the process.
    let kind = SignalKind::from_raw(libc::SIGRTMIN() + 2);
    let rt = weft::Runtime::new().unwrap();
    rt.block_on(async {
        let mut only = signal(kind).unwrap();
        raise(kind.as_raw_value());
        assert_eq!(weft::time::timeout(PATIENCE, only.recv()).await, Ok(Some(())));
        drop(only);
        raise(kind.as_raw_value());
        // Still here: the delivery went to weft's handler and was dropped.
        weft::time::sleep(Duration::from_millis(20)).await;
    });
}

#[test]
fn deliveries_made_before_a_dispatch_are_coalesced_into_one() {
    let _s = serial();
    // One thread drives everything: no dispatch can run between the raises.
    let rt = weft::Builder::new_current_thread().build().unwrap();
    let kind = SignalKind::from_raw(libc::SIGRTMIN() + 3);
    rt.block_on(async {
        let mut sig = signal(kind).unwrap();
        raise(kind.as_raw_value());
        raise(kind.as_raw_value());
        raise(kind.as_raw_value());
        assert_eq!(weft::time::timeout(PATIENCE, sig.recv()).await, Ok(Some(())));
        // Let the reactor run again: nothing more is pending.
        weft::time::sleep(Duration::from_millis(10)).await;
        assert!(poll_once(&mut Box::pin(sig.recv())).await.is_none());
    });
}
