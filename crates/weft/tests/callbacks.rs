//! Callbacks on the loop (`call_soon`, `call_later`, `call_at`) and
//! `run_forever` / `stop`, as specifications.
//!
//! Ported from CPython's asyncio tests, in weft's terms (written anew; most
//! cases run on both runtime flavours):
//! - test_events.py: `test_call_soon` (order), `test_call_soon_threadsafe`
//!   (here every `call_soon` is thread-safe: several threads, and a parked
//!   loop woken from outside), `test_call_later` (deadline order, never
//!   early), `HandleTests.test_handle` (cancel), `test_callback_with_exception`
//!   (reported, the loop goes on), `TimerTests.test_when`,
//!   `TimerTests.test_timer_comparison` (equal deadlines keep scheduling
//!   order).
//! - test_base_events.py: `test_call_soon`, `test_call_later`,
//!   `test_call_later_negative_delays` (a past deadline runs soon),
//!   `test_time_and_call_at`, `test__run_once` (a cancelled timer never runs
//!   and does not hold up the live one), `test__run_once_cancelled_event_cleanup`
//!   (the unit test in `src/runtime/callbacks.rs`: tombstones compacted past
//!   half), `test__run_once_schedule_handle` (a callback scheduling
//!   callbacks), `test_default_exc_handler_callback` and
//!   `test_set_exc_handler_custom` (a panicking callback goes to the
//!   unhandled-panic handler), `test_run_once` (the `call_soon(stop);
//!   run_forever()` idiom), `test_run_forever_pre_stopped`,
//!   `test_single_selecter_event_callback_after_stopping` (run_forever again
//!   after a stop).
//!
//! Not applicable: `test_check_thread` (no thread check: `call_soon` is
//! thread-safe), `test_call_soon_non_callable` (the type system),
//! `test_run_forever_keyboard_interrupt`, the handle `repr`, `weakref`,
//! `hash` and source-traceback tests (a report names the call site
//! instead), `test_set_exc_handler_broken` (the runtime's handler
//! plumbing, not the loop's), and the `run_until_complete` tests
//! (`block_on`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use weft::runtime::Handle;
use weft::Runtime;

/// Long enough to turn a hang into a failure on a slow machine.
const HANG: Duration = Duration::from_secs(30);

/// Every flavour of runtime these behaviours must hold on.
fn runtimes() -> Vec<(&'static str, Runtime)> {
    vec![
        (
            "multi-thread",
            weft::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap(),
        ),
        (
            "current-thread",
            weft::Builder::new_current_thread().build().unwrap(),
        ),
    ]
}

/// `run_forever`, with a watchdog that stops it after [`HANG`] and fails
/// the test if it had to.
fn run_forever_or_fail(rt: &Runtime) {
    let handle = rt.handle().clone();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let fired = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let fired = fired.clone();
        thread::spawn(move || {
            if done_rx.recv_timeout(HANG).is_err() {
                fired.store(true, SeqCst);
                handle.stop();
            }
        })
    };
    rt.run_forever();
    let _ = done_tx.send(());
    watchdog.join().unwrap();
    assert!(!fired.load(SeqCst), "run_forever did not return within {HANG:?}");
}

type Seen = Arc<Mutex<Vec<usize>>>;

/// A shared list, and a maker of callbacks that push `i` onto it.
fn recorder() -> (Seen, impl Fn(usize) -> Box<dyn FnOnce() + Send>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    (seen, move |i| {
        let s = s.clone();
        Box::new(move || s.lock().unwrap().push(i))
    })
}

fn stop_cb(h: &Handle) -> impl FnOnce() + Send + 'static {
    let h = h.clone();
    move || h.stop()
}

#[test]
fn call_soon_runs_callbacks_in_the_order_scheduled() {
    for (flavour, rt) in runtimes() {
        let (seen, record) = recorder();
        for i in 0..200 {
            rt.handle().call_soon(record(i));
        }
        rt.handle().call_soon(stop_cb(rt.handle()));
        run_forever_or_fail(&rt);
        assert_eq!(*seen.lock().unwrap(), (0..200).collect::<Vec<_>>(), "{flavour}");
    }
}

#[test]
fn call_soon_from_several_threads_keeps_each_threads_order() {
    for (flavour, rt) in runtimes() {
        const THREADS: usize = 4;
        const EACH: usize = 500;
        let (seen, record) = recorder();
        let record = Arc::new(record);
        let start = Arc::new(Barrier::new(THREADS));
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let (h, record, start) = (rt.handle().clone(), record.clone(), start.clone());
                thread::spawn(move || {
                    start.wait();
                    for i in 0..EACH {
                        h.call_soon(record(t * EACH + i));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        rt.handle().call_soon(stop_cb(rt.handle()));
        run_forever_or_fail(&rt);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), THREADS * EACH, "{flavour}: every callback ran once");
        for t in 0..THREADS {
            let mine: Vec<usize> = seen.iter().copied().filter(|v| v / EACH == t).collect();
            let want: Vec<usize> = (t * EACH..(t + 1) * EACH).collect();
            assert_eq!(mine, want, "{flavour}: thread {t}'s callbacks out of order");
        }
    }
}

#[test]
fn callbacks_run_one_at_a_time() {
    for (flavour, rt) in runtimes() {
        let inside = Arc::new(AtomicBool::new(false));
        let overlaps = Arc::new(AtomicUsize::new(0));
        let ran = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let h = rt.handle().clone();
                let (inside, overlaps, ran) = (inside.clone(), overlaps.clone(), ran.clone());
                thread::spawn(move || {
                    for i in 0..100 {
                        let (inside, overlaps, ran) = (inside.clone(), overlaps.clone(), ran.clone());
                        h.call_soon(move || {
                            if inside.swap(true, SeqCst) {
                                overlaps.fetch_add(1, SeqCst);
                            }
                            if i % 10 == 0 {
                                // Long enough for another worker to start
                                // a second callback, if it could.
                                thread::sleep(Duration::from_micros(200));
                            }
                            inside.store(false, SeqCst);
                            ran.fetch_add(1, SeqCst);
                        });
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        rt.handle().call_soon(stop_cb(rt.handle()));
        run_forever_or_fail(&rt);
        assert_eq!(ran.load(SeqCst), 300, "{flavour}");
        assert_eq!(overlaps.load(SeqCst), 0, "{flavour}: two callbacks ran at once");
    }
}

#[test]
fn call_soon_from_another_thread_wakes_an_idle_runtime() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    // Let the workers park: nothing to do.
    thread::sleep(Duration::from_millis(50));
    let (tx, rx) = mpsc::channel();
    let h = rt.handle().clone();
    thread::spawn(move || {
        h.call_soon(move || tx.send(thread::current().name().map(str::to_owned)).unwrap());
    })
    .join()
    .unwrap();
    let ran_on = rx.recv_timeout(HANG).expect("the callback never ran");
    let name = ran_on.unwrap_or_default();
    assert!(name.contains("worker"), "ran on {name:?}, not a runtime worker");
}

#[test]
fn call_soon_from_another_thread_wakes_a_parked_current_thread_loop() {
    let rt = weft::Builder::new_current_thread().build().unwrap();
    let h = rt.handle().clone();
    let loop_thread = thread::current().id();
    let (tx, rx) = mpsc::channel();
    let scheduler = thread::spawn(move || {
        // The loop is parked in run_forever with nothing to do by now.
        thread::sleep(Duration::from_millis(30));
        let stopper = h.clone();
        h.call_soon(move || {
            tx.send(thread::current().id()).unwrap();
            stopper.stop();
        });
    });
    run_forever_or_fail(&rt);
    scheduler.join().unwrap();
    assert_eq!(rx.try_recv().unwrap(), loop_thread, "ran off the loop's thread");
}

#[test]
fn a_current_thread_loop_runs_nothing_while_nobody_is_inside_it() {
    let rt = weft::Builder::new_current_thread().build().unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    rt.handle().call_soon(move || r.store(true, SeqCst));
    thread::sleep(Duration::from_millis(20));
    assert!(!ran.load(SeqCst));
    rt.handle().stop();
    run_forever_or_fail(&rt);
    assert!(ran.load(SeqCst));
}

#[test]
fn call_soon_inside_a_callback_runs_after_those_already_scheduled() {
    for (flavour, rt) in runtimes() {
        let (seen, record) = recorder();
        let record = Arc::new(record);
        let h = rt.handle().clone();
        // Scheduled from inside one callback, so that none of them can run
        // before the others are queued (a multi-thread runtime starts at once).
        rt.handle().call_soon(move || {
            let (h2, r) = (h.clone(), record.clone());
            h.call_soon(move || {
                r(0)();
                let stopper = h2.clone();
                h2.call_soon(r(2));
                h2.call_soon(move || stopper.stop());
            });
            h.call_soon(record(1));
        });
        run_forever_or_fail(&rt);
        assert_eq!(*seen.lock().unwrap(), [0, 1, 2], "{flavour}");
    }
}

#[test]
fn a_cancelled_callback_never_runs() {
    for (flavour, rt) in runtimes() {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        // Keep the runner busy so the cancel lands before it is reached.
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        rt.handle().call_soon(move || {
            let _ = gate_rx.recv_timeout(HANG);
        });
        let h = rt.handle().call_soon(move || r.store(true, SeqCst));
        assert!(!h.cancelled());
        h.cancel();
        assert!(h.cancelled());
        gate_tx.send(()).unwrap();
        rt.handle().call_soon(stop_cb(rt.handle()));
        run_forever_or_fail(&rt);
        assert!(!ran.load(SeqCst), "{flavour}: a cancelled callback ran");
    }
}

struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn cancel_drops_the_closure_at_once() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let token = DropCount(drops.clone());
    let h = rt
        .handle()
        .call_later(Duration::from_secs(3600), move || drop(token));
    assert_eq!(drops.load(SeqCst), 0);
    h.cancel();
    assert_eq!(drops.load(SeqCst), 1, "the cancelled closure was kept");
}

#[test]
fn dropping_a_handle_does_not_cancel() {
    for (flavour, rt) in runtimes() {
        let (seen, record) = recorder();
        drop(rt.handle().call_soon(record(1)));
        drop(rt.handle().call_later(Duration::from_millis(1), record(2)));
        rt.handle()
            .call_later(Duration::from_millis(20), stop_cb(rt.handle()));
        run_forever_or_fail(&rt);
        assert_eq!(*seen.lock().unwrap(), [1, 2], "{flavour}");
    }
}

#[test]
fn call_later_runs_in_deadline_order() {
    for (flavour, rt) in runtimes() {
        let (seen, record) = recorder();
        let h = rt.handle();
        // Each deadline is `now + delay` at its own call; on a slow machine
        // the calls are far apart, so the order to expect is that of the
        // `when()`s, ties in scheduling order (at full speed: 0, 1, 2, 3).
        let mut whens: Vec<(weft::time::Instant, usize)> = [(3, 30), (1, 10), (2, 20), (0, 0)]
            .into_iter()
            .enumerate()
            .map(|(seq, (i, ms))| {
                let t = h.call_later(Duration::from_millis(ms), record(i));
                (t.when(), seq * 10 + i)
            })
            .collect();
        whens.sort();
        let want: Vec<usize> = whens.iter().map(|&(_, k)| k % 10).collect();
        h.call_later(Duration::from_millis(40), stop_cb(h));
        run_forever_or_fail(&rt);
        assert_eq!(*seen.lock().unwrap(), want, "{flavour}");
    }
}

#[test]
fn call_at_with_equal_deadlines_runs_in_scheduling_order() {
    for (flavour, rt) in runtimes() {
        let (seen, record) = recorder();
        let h = rt.handle();
        let at = h.time() + Duration::from_millis(10);
        for i in 0..50 {
            h.call_at(at, record(i));
        }
        h.call_at(at, stop_cb(h));
        run_forever_or_fail(&rt);
        assert_eq!(*seen.lock().unwrap(), (0..50).collect::<Vec<_>>(), "{flavour}");
    }
}

#[test]
fn timers_never_fire_before_their_deadline() {
    for (flavour, rt) in runtimes() {
        let h = rt.handle();
        let early = Arc::new(AtomicUsize::new(0));
        let ran = Arc::new(AtomicUsize::new(0));
        for ms in [1, 5, 10, 15, 25] {
            let (early, ran) = (early.clone(), ran.clone());
            // `when()` is at least this; the callback may run before
            // call_later has even returned.
            let not_before = weft::time::Instant::now() + Duration::from_millis(ms);
            let timer = h.call_later(Duration::from_millis(ms), move || {
                if weft::time::Instant::now() < not_before {
                    early.fetch_add(1, SeqCst);
                }
                ran.fetch_add(1, SeqCst);
            });
            assert!(timer.when() >= not_before);
        }
        h.call_later(Duration::from_millis(30), stop_cb(h));
        run_forever_or_fail(&rt);
        assert_eq!(ran.load(SeqCst), 5, "{flavour}");
        assert_eq!(early.load(SeqCst), 0, "{flavour}: a timer fired early");
    }
}

#[test]
fn a_deadline_in_the_past_runs_soon() {
    for (flavour, rt) in runtimes() {
        let (seen, record) = recorder();
        let h = rt.handle();
        let past = h.time() - Duration::from_millis(5);
        h.call_at(past, record(1));
        h.call_later(Duration::ZERO, record(2));
        h.call_later(Duration::from_millis(1), stop_cb(h));
        run_forever_or_fail(&rt);
        assert_eq!(*seen.lock().unwrap(), [1, 2], "{flavour}");
    }
}

#[test]
fn an_earlier_timer_wakes_the_sleeping_timer_task() {
    for (flavour, rt) in runtimes() {
        let h = rt.handle();
        h.call_later(Duration::from_secs(3600), || panic!("an hour has not passed"));
        // Let the timer task go to sleep for the hour.
        rt.block_on(weft::time::sleep(Duration::from_millis(20)));
        let (tx, rx) = mpsc::channel();
        h.call_later(Duration::from_millis(5), move || tx.send(()).unwrap());
        let done = rt.block_on(async move {
            let start = weft::time::Instant::now();
            loop {
                if rx.try_recv().is_ok() {
                    return true;
                }
                if start.elapsed() > HANG {
                    return false;
                }
                weft::time::sleep(Duration::from_millis(2)).await;
            }
        });
        assert!(done, "{flavour}: the 5 ms timer waited behind the 1 h one");
    }
}

#[test]
fn a_cancelled_timer_never_runs() {
    for (flavour, rt) in runtimes() {
        let (seen, record) = recorder();
        let h = rt.handle();
        // Delays far beyond the few microseconds the cancels take, even
        // under valgrind on a loaded machine: on a multi-thread runtime the
        // timers are live from the moment they are scheduled, and a cancel
        // that comes after its callback ran cannot undo it.
        let t1 = h.call_later(Duration::from_millis(300), record(1));
        h.call_later(Duration::from_millis(310), record(2));
        let t3 = h.call_later(Duration::from_millis(320), record(3));
        assert!(!t1.cancelled());
        t1.cancel();
        t3.cancel();
        assert!(t1.cancelled() && t3.cancelled());
        h.call_later(Duration::from_millis(400), stop_cb(h));
        run_forever_or_fail(&rt);
        assert_eq!(*seen.lock().unwrap(), [2], "{flavour}");
    }
}

#[test]
fn many_cancelled_timers_do_not_delay_the_live_ones() {
    for (flavour, rt) in runtimes() {
        let (seen, record) = recorder();
        let h = rt.handle();
        let dead: Vec<_> = (0..500)
            .map(|i| h.call_later(Duration::from_millis(1 + i % 7), || panic!("cancelled")))
            .collect();
        for t in &dead {
            t.cancel();
        }
        h.call_later(Duration::from_millis(10), record(1));
        h.call_later(Duration::from_millis(15), stop_cb(h));
        run_forever_or_fail(&rt);
        assert_eq!(*seen.lock().unwrap(), [1], "{flavour}");
    }
}

#[test]
fn timer_when_is_its_deadline() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let h = rt.handle();
    let at = h.time() + Duration::from_secs(60);
    let t = h.call_at(at, || {});
    assert_eq!(t.when(), at);
    let before = h.time();
    let t2 = h.call_later(Duration::from_secs(60), || {});
    assert!(t2.when() >= before + Duration::from_secs(60));
    assert!(t2.when() <= h.time() + Duration::from_secs(60));
    t.cancel();
    t2.cancel();
}

#[test]
fn a_panicking_callback_does_not_stop_later_ones() {
    for (flavour, rt) in runtimes() {
        let (seen, record) = recorder();
        let h = rt.handle();
        h.call_soon(record(1));
        h.call_soon(|| panic!("callback boom (expected by this test)"));
        h.call_soon(record(2));
        h.call_later(Duration::from_millis(1), || {
            panic!("timer boom (expected by this test)")
        });
        h.call_later(Duration::from_millis(5), record(3));
        h.call_later(Duration::from_millis(10), stop_cb(h));
        run_forever_or_fail(&rt);
        assert_eq!(*seen.lock().unwrap(), [1, 2, 3], "{flavour}");
        // The runtime still runs tasks.
        assert_eq!(rt.block_on(async { weft::spawn(async { 7 }).await.unwrap() }), 7);
    }
}

#[test]
fn run_forever_stopped_from_a_callback() {
    for (flavour, rt) in runtimes() {
        let (seen, record) = recorder();
        rt.handle().call_soon(record(1));
        rt.handle().call_soon(stop_cb(rt.handle()));
        // Scheduled before run_forever saw the stop: runs before it returns.
        rt.handle().call_soon(record(2));
        run_forever_or_fail(&rt);
        assert_eq!(*seen.lock().unwrap(), [1, 2], "{flavour}");
    }
}

#[test]
fn run_forever_stopped_from_a_task() {
    for (flavour, rt) in runtimes() {
        let h = rt.handle().clone();
        rt.spawn(async move {
            weft::time::sleep(Duration::from_millis(10)).await;
            h.stop();
        });
        run_forever_or_fail(&rt);
        let _ = flavour;
    }
}

#[test]
fn run_forever_stopped_from_another_thread() {
    for (flavour, rt) in runtimes() {
        let h = rt.handle().clone();
        let (running_tx, running_rx) = mpsc::channel();
        rt.handle().call_soon(move || running_tx.send(()).unwrap());
        let stopper = thread::spawn(move || {
            running_rx.recv_timeout(HANG).expect("the loop never ran");
            h.stop();
        });
        run_forever_or_fail(&rt);
        stopper.join().unwrap();
        let _ = flavour;
    }
}

#[test]
fn run_forever_runs_again_after_stop_and_block_on_still_works() {
    for (flavour, rt) in runtimes() {
        for round in 0..3 {
            let (seen, record) = recorder();
            rt.handle().call_soon(record(round));
            rt.handle().call_soon(stop_cb(rt.handle()));
            run_forever_or_fail(&rt);
            assert_eq!(*seen.lock().unwrap(), [round], "{flavour} round {round}");
            assert_eq!(
                rt.block_on(async { weft::spawn(async move { round }).await.unwrap() }),
                round
            );
        }
    }
}

#[test]
fn stop_before_run_forever_returns_after_the_callbacks_already_scheduled() {
    for (flavour, rt) in runtimes() {
        let (seen, record) = recorder();
        let record = Arc::new(record);
        for i in 0..10 {
            rt.handle().call_soon(record(i));
        }
        rt.handle().stop();
        run_forever_or_fail(&rt);
        assert_eq!(*seen.lock().unwrap(), (0..10).collect::<Vec<_>>(), "{flavour}");
    }
}

#[test]
fn stop_before_run_forever_leaves_the_callbacks_scheduled_meanwhile_for_later() {
    // asyncio's pre-stopped loop runs one iteration: the callbacks those
    // callbacks schedule wait. Exact on a current-thread loop, where
    // nothing runs once run_forever has returned.
    let rt = weft::Builder::new_current_thread().build().unwrap();
    let (seen, record) = recorder();
    let record = Arc::new(record);
    let (h, r) = (rt.handle().clone(), record.clone());
    rt.handle().call_soon(move || {
        r(1)();
        h.call_soon(r(2));
    });
    rt.handle().stop();
    run_forever_or_fail(&rt);
    assert_eq!(*seen.lock().unwrap(), [1]);
    rt.handle().stop();
    run_forever_or_fail(&rt);
    assert_eq!(*seen.lock().unwrap(), [1, 2]);
}

#[test]
fn a_panicking_callback_goes_to_the_unhandled_panic_handler_with_its_call_site() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let r = reports.clone();
    let rt = weft::Builder::new_multi_thread()
        .worker_threads(1)
        .on_unhandled_panic(move |p: &weft::runtime::PanicReport| {
            r.lock().unwrap().push((
                p.message().map(str::to_owned),
                p.location().line(),
                p.location().file().to_owned(),
            ))
        })
        .build()
        .unwrap();
    let h = rt.handle();
    let line = line!() + 1;
    h.call_soon(|| panic!("reported boom"));
    rt.handle().call_later(Duration::from_millis(1), || {});
    rt.handle().call_soon(stop_cb(rt.handle()));
    run_forever_or_fail(&rt);
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let (msg, at, file) = &reports[0];
    assert_eq!(msg.as_deref(), Some("reported boom"));
    assert_eq!(*at, line, "the report names where call_soon was called");
    assert!(file.ends_with("callbacks.rs"), "{file}");
}

#[test]
fn a_panicking_callback_with_shutdown_runtime_stops_the_runtime() {
    let rt = weft::Builder::new_multi_thread()
        .worker_threads(1)
        .unhandled_panic(weft::runtime::UnhandledPanic::ShutdownRuntime)
        .build()
        .unwrap();
    rt.handle()
        .call_soon(|| panic!("fatal boom (expected by this test)"));
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.run_forever()));
    let err = res.expect_err("run_forever went on after a fatal callback panic");
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(msg.contains("fatal boom"), "{msg}");
}

#[test]
fn stop_is_consumed_by_the_run_forever_it_stops() {
    for (flavour, rt) in runtimes() {
        rt.handle().stop();
        rt.handle().stop();
        run_forever_or_fail(&rt);
        // The two stops counted as one: this run waits for its own stop.
        let stopped = Arc::new(AtomicBool::new(false));
        let (h, s) = (rt.handle().clone(), stopped.clone());
        rt.handle().call_later(Duration::from_millis(20), move || {
            s.store(true, SeqCst);
            h.stop();
        });
        run_forever_or_fail(&rt);
        assert!(stopped.load(SeqCst), "{flavour}: returned before its stop");
    }
}

#[test]
fn run_forever_while_another_runs_panics() {
    // Current-thread: the callback below runs only once the first
    // run_forever is running it.
    let rt = Arc::new(weft::Builder::new_current_thread().build().unwrap());
    let (running_tx, running_rx) = mpsc::channel();
    rt.handle().call_soon(move || running_tx.send(()).unwrap());
    let first = {
        let rt = rt.clone();
        thread::spawn(move || run_forever_or_fail(&rt))
    };
    running_rx.recv_timeout(HANG).unwrap();
    let second = {
        let rt = rt.clone();
        thread::spawn(move || rt.run_forever())
    };
    let err = second.join().expect_err("a second run_forever ran");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("another run_forever"), "{msg}");
    rt.handle().stop();
    first.join().unwrap();
}

#[test]
fn time_is_the_loops_monotonic_clock() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let a = rt.handle().time();
    thread::sleep(Duration::from_millis(2));
    let b = rt.handle().time();
    assert!(b > a);
    assert!(weft::time::Instant::now() >= b);
}

#[test]
fn dropping_the_runtime_drops_the_callbacks_and_timers_that_never_ran() {
    // Nothing runs on a current-thread runtime nobody is inside.
    let rt = weft::Builder::new_current_thread().build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let (a, b) = (DropCount(drops.clone()), DropCount(drops.clone()));
    // Each holds a handle too: a cycle through the runtime, unless dropped.
    let (h1, h2) = (rt.handle().clone(), rt.handle().clone());
    rt.handle().call_soon(move || drop((a, h1)));
    rt.handle()
        .call_later(Duration::from_secs(3600), move || drop((b, h2)));
    assert_eq!(drops.load(SeqCst), 0);
    drop(rt);
    assert_eq!(drops.load(SeqCst), 2);
}

#[test]
fn a_callback_scheduled_after_shutdown_is_dropped_without_running() {
    for (flavour, rt) in runtimes() {
        let h = rt.handle().clone();
        drop(rt);
        let drops = Arc::new(AtomicUsize::new(0));
        let ran = Arc::new(AtomicBool::new(false));
        let (a, b) = (DropCount(drops.clone()), DropCount(drops.clone()));
        let (r1, r2) = (ran.clone(), ran.clone());
        h.call_soon(move || {
            drop(a);
            r1.store(true, SeqCst);
        });
        h.call_later(Duration::from_millis(1), move || {
            drop(b);
            r2.store(true, SeqCst);
        });
        assert_eq!(drops.load(SeqCst), 2, "{flavour}");
        assert!(!ran.load(SeqCst), "{flavour}");
    }
}
