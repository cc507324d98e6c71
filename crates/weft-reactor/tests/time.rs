//! Behaviour of timers over the real reactor.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use common::TestRuntime;
use futures_util::future::join_all;
use weft_reactor::time::{
    interval, interval_at, sleep, sleep_until, timeout, timeout_at, MissedTickBehavior,
};

#[test]
fn sleep_never_wakes_early() {
    let rt = TestRuntime::new();
    for ms in [0u64, 1, 2, 3, 5, 8, 13, 21] {
        let d = Duration::from_millis(ms);
        let start = Instant::now();
        rt.block_on(sleep(d));
        assert!(
            start.elapsed() >= d,
            "sleep({d:?}) woke after {:?}",
            start.elapsed()
        );
    }
    // Sub-millisecond deadlines are rounded up, not down.
    for us in [1u64, 250, 999, 1001, 1500] {
        let deadline = Instant::now() + Duration::from_micros(us);
        rt.block_on(sleep_until(deadline));
        assert!(Instant::now() >= deadline, "sleep_until woke before its deadline");
    }
}

#[test]
fn ten_thousand_concurrent_sleeps_all_complete() {
    let rt = TestRuntime::new();
    let done = AtomicUsize::new(0);
    let start = Instant::now();
    rt.block_on(join_all((0..10_000u64).map(|i| {
        let done = &done;
        async move {
            let d = Duration::from_millis(i % 200);
            sleep(d).await;
            assert!(start.elapsed() >= d);
            done.fetch_add(1, Ordering::Relaxed);
        }
    })));
    assert_eq!(done.load(Ordering::Relaxed), 10_000);
    assert_eq!(rt.handle.armed_timers(), 0);
}

#[test]
fn sleeps_from_other_threads_wake_the_parked_poller() {
    // The driver thread is parked with no deadline; a timer armed from
    // another thread must shorten that sleep.
    let rt = TestRuntime::new();
    std::thread::sleep(Duration::from_millis(20));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            rt.spawn_thread(move || async move {
                let d = Duration::from_millis(5 + i);
                let start = Instant::now();
                sleep(d).await;
                start.elapsed()
            })
        })
        .collect();
    for t in threads {
        let took = t.join().unwrap();
        assert!(took < common::HANG, "sleep hung for {took:?}");
    }
}

#[test]
fn timeout_elapses_for_a_slow_future() {
    let rt = TestRuntime::new();
    let start = Instant::now();
    let r = rt.block_on(timeout(
        Duration::from_millis(20),
        sleep(Duration::from_secs(600)),
    ));
    assert!(r.is_err());
    assert_eq!(r.unwrap_err().to_string(), "deadline has elapsed");
    assert!(start.elapsed() >= Duration::from_millis(20));
    assert_eq!(rt.handle.armed_timers(), 0, "the inner sleep was not cancelled");
    let io: std::io::Error = r.unwrap_err().into();
    assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
}

#[test]
fn timeout_passes_for_a_fast_future() {
    let rt = TestRuntime::new();
    let r = rt.block_on(timeout(Duration::from_secs(600), async {
        sleep(Duration::from_millis(5)).await;
        42
    }));
    assert_eq!(r, Ok(42));
    let r = rt.block_on(timeout_at(Instant::now() + Duration::from_secs(600), async { 7 }));
    assert_eq!(r, Ok(7));
    assert_eq!(
        rt.handle.armed_timers(),
        0,
        "the timeout's sleep was not cancelled"
    );
}

#[test]
fn dropping_a_sleep_cancels_it() {
    let rt = TestRuntime::new();
    let _g = rt.handle.enter();
    let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
    {
        let mut s = pin!(sleep(Duration::from_secs(3600)));
        assert!(s.as_mut().poll(&mut cx).is_pending());
        assert_eq!(rt.handle.armed_timers(), 1);
    }
    assert_eq!(rt.handle.armed_timers(), 0);
}

#[test]
fn reset_moves_the_deadline_both_ways() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let mut s = Box::pin(sleep(Duration::from_secs(3600)));
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        assert!(s.as_mut().poll(&mut cx).is_pending());
        let deadline = Instant::now() + Duration::from_millis(10);
        s.as_mut().reset(deadline);
        assert_eq!(s.deadline(), deadline);
        s.as_mut().await;
        assert!(Instant::now() >= deadline);
        // Reset after completion: waits again.
        s.as_mut().reset(Instant::now() + Duration::from_secs(3600));
        assert!(s.as_mut().poll(&mut cx).is_pending());
        let later = Instant::now() + Duration::from_millis(10);
        s.as_mut().reset(later);
        s.as_mut().await;
        assert!(Instant::now() >= later);
        assert_eq!(rt.handle.armed_timers(), 0);
    });
}

#[test]
fn interval_ticks_on_schedule_and_first_tick_is_immediate() {
    let rt = TestRuntime::new();
    rt.block_on(async {
        let period = Duration::from_millis(10);
        let start = Instant::now();
        let mut iv = interval(period);
        let first = iv.tick().await;
        assert!(first <= Instant::now());
        let mut prev = first;
        for _ in 0..5 {
            let t = iv.tick().await;
            assert_eq!(t - prev, period, "Burst keeps the original schedule");
            assert!(Instant::now() >= t);
            prev = t;
        }
        assert!(start.elapsed() >= period * 5);
    });
}

/// Lets an interval fall behind by `lag`, then records the next ticks'
/// scheduled instants relative to the start.
fn ticks_after_lag(rt: &TestRuntime, behavior: MissedTickBehavior) -> (Instant, Instant, Vec<Instant>) {
    rt.block_on(async {
        let period = Duration::from_millis(20);
        let start = Instant::now() + Duration::from_millis(1);
        let mut iv = interval_at(start, period);
        iv.set_missed_tick_behavior(behavior);
        assert_eq!(iv.missed_tick_behavior(), behavior);
        iv.tick().await; // the tick at `start`
                         // Miss a few ticks: block the thread (as a busy task would).
        std::thread::sleep(Duration::from_millis(75));
        let resumed = Instant::now();
        let mut ticks = Vec::new();
        for _ in 0..3 {
            ticks.push(iv.tick().await);
        }
        (start, resumed, ticks)
    })
}

#[test]
fn interval_burst_delivers_missed_ticks_back_to_back() {
    let rt = TestRuntime::new();
    let period = Duration::from_millis(20);
    let (start, _resumed, ticks) = ticks_after_lag(&rt, MissedTickBehavior::Burst);
    // Scheduled instants stay on the original grid, one period apart.
    assert_eq!(
        ticks,
        vec![start + period, start + period * 2, start + period * 3]
    );
}

#[test]
fn interval_delay_restarts_the_schedule_from_now() {
    let rt = TestRuntime::new();
    let period = Duration::from_millis(20);
    let (start, resumed, ticks) = ticks_after_lag(&rt, MissedTickBehavior::Delay);
    // The first late tick is delivered at once (its scheduled instant is the
    // missed one); the next ones are a full period after the late delivery.
    // (Only lower bounds: a loaded machine may make any tick later still.)
    assert!(ticks[0] >= start + period);
    assert!(
        ticks[1] >= resumed + period,
        "Delay: next tick not a period after the late one"
    );
    // Exactly one period later, unless this thread was itself late again.
    assert!(ticks[2] >= ticks[1] + period);
}

#[test]
fn interval_skip_drops_missed_ticks_and_stays_on_the_grid() {
    let rt = TestRuntime::new();
    let period = Duration::from_millis(20);
    let (start, resumed, ticks) = ticks_after_lag(&rt, MissedTickBehavior::Skip);
    assert!(ticks[0] >= start + period);
    let since_start = ticks[1] - start;
    assert_eq!(
        since_start.as_nanos() % period.as_nanos(),
        0,
        "Skip left the grid"
    );
    assert!(ticks[1] > resumed, "Skip delivered a missed tick");
    assert!(ticks[2] > ticks[1]);
    assert_eq!(
        (ticks[2] - start).as_nanos() % period.as_nanos(),
        0,
        "Skip left the grid"
    );
}

#[test]
#[should_panic(expected = "there is no weft runtime on this thread")]
fn sleep_polled_outside_a_runtime_names_the_fix() {
    let mut s = pin!(sleep(Duration::from_millis(1)));
    let _ = s
        .as_mut()
        .poll(&mut Context::from_waker(futures_util::task::noop_waker_ref()));
}

#[test]
fn a_pending_sleep_panics_after_shutdown_and_is_woken_by_it() {
    let rt = TestRuntime::new();
    let handle = rt.handle.clone();
    let woken = Arc::new(AtomicUsize::new(0));
    struct Count(Arc<AtomicUsize>);
    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let waker = Waker::from(Arc::new(Count(woken.clone())));
    let mut cx = Context::from_waker(&waker);
    let _g = handle.enter();
    let mut s = Box::pin(sleep(Duration::from_secs(3600)));
    assert!(s.as_mut().poll(&mut cx).is_pending());
    rt.shutdown();
    assert_eq!(woken.load(Ordering::SeqCst), 1, "shutdown did not wake the timer");
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.as_mut().poll(&mut cx)));
    let msg = *r.unwrap_err().downcast::<String>().unwrap();
    assert!(msg.contains("after its runtime shut down"), "{msg}");
    // A sleep that is already due still completes.
    let mut due = Box::pin(sleep(Duration::ZERO));
    assert_eq!(due.as_mut().poll(&mut cx), Poll::Ready(()));
}

#[test]
fn sleep_poll_consumes_budget() {
    let rt = TestRuntime::new();
    let _g = rt.handle.enter();
    let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
    weft_executor::coop::budget(|| {
        let mut n = 0;
        loop {
            let mut s = pin!(sleep(Duration::ZERO));
            match s.as_mut().poll(&mut cx) {
                Poll::Ready(()) => n += 1,
                Poll::Pending => break,
            }
        }
        assert_eq!(n, weft_executor::coop::BUDGET as usize);
    });
}

/// A `Sleep` created inside a runtime and polled on a thread that never
/// entered it still arms in its runtime's wheel (it reaches its reactor
/// through its shard) and completes.
#[test]
fn a_sleep_created_in_the_runtime_completes_when_polled_outside_it() {
    let rt = TestRuntime::new();
    let s = {
        let _g = rt.handle.enter();
        sleep(Duration::from_millis(20))
    };
    let start = Instant::now();
    let took = std::thread::spawn(move || {
        struct Unpark(std::thread::Thread);
        impl std::task::Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut s = pin!(s);
        while s.as_mut().poll(&mut cx).is_pending() {
            std::thread::park_timeout(common::HANG);
            assert!(start.elapsed() < common::HANG, "the sleep hung");
        }
        start.elapsed()
    })
    .join()
    .unwrap();
    assert!(took >= Duration::from_millis(20), "woke early, after {took:?}");
    assert_eq!(rt.handle.armed_timers(), 0);
}

/// A `Sleep` whose runtime was dropped, polled afterwards, panics with the
/// shutdown message instead of waiting for a wheel nobody will turn.
#[test]
fn a_sleep_polled_after_its_runtime_was_dropped_panics() {
    let rt = TestRuntime::new();
    let mut s = {
        let _g = rt.handle.enter();
        Box::pin(sleep(Duration::from_secs(3600)))
    };
    drop(rt);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        s.as_mut()
            .poll(&mut Context::from_waker(futures_util::task::noop_waker_ref()))
    }));
    let msg = *r.unwrap_err().downcast::<String>().unwrap();
    assert!(msg.contains("after its runtime shut down"), "{msg}");
}
