//! `#[weft::main]`, `#[weft::test]`, `select!`, `join!` and `try_join!`,
//! as a user writes them. The compile errors of misuse are in
//! `macros_ui.rs` (trybuild).

use std::cell::Cell;
use std::future::{pending, ready, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use weft::runtime::Handle;

fn workers() -> usize {
    Handle::current().metrics().num_workers()
}

// ---- #[weft::test] and #[weft::main] -------------------------------------

/// Where a spawned task runs, beside the thread running the body.
async fn spawned_runs_here() -> bool {
    let here = std::thread::current().id();
    let there = weft::spawn(async { std::thread::current().id() }).await.unwrap();
    here == there
}

#[weft::test]
async fn test_runs_on_a_current_thread_runtime_by_default() {
    assert_eq!(workers(), 1);
    assert!(
        spawned_runs_here().await,
        "a spawned task ran off the test's thread"
    );
}

#[weft::test(flavor = "current_thread")]
async fn test_flavor_current_thread() {
    assert!(
        spawned_runs_here().await,
        "a spawned task ran off the test's thread"
    );
}

#[weft::test(flavor = "multi_thread", worker_threads = 3)]
async fn test_multi_thread_with_worker_threads() {
    assert_eq!(workers(), 3);
    assert!(
        !spawned_runs_here().await,
        "a spawned task ran on the test's thread"
    );
}

#[weft::test(flavor = "multi_thread")]
async fn test_multi_thread_defaults_to_the_runtime_default_worker_count() {
    let default = std::thread::spawn(|| weft::Runtime::new().unwrap().metrics().num_workers())
        .join()
        .unwrap();
    assert_eq!(workers(), default);
}

#[weft::test]
async fn test_returning_ok_passes() -> Result<(), Box<dyn std::error::Error>> {
    // `?` inside the body needs the return type to be inferred through the
    // expansion's async block.
    let n: u32 = "41".parse()?;
    weft::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(n + 1, 42);
    Ok(())
}

#[weft::test]
#[should_panic(expected = "a panic in a weft::test")]
async fn test_keeps_other_attributes() {
    weft::task::yield_now().await;
    panic!("a panic in a weft::test");
}

#[weft::main(worker_threads = 2)]
async fn main_with_two_workers() -> usize {
    workers()
}

#[weft::main]
async fn main_with_defaults() -> usize {
    workers()
}

#[weft::main(flavor = "current_thread")]
async fn main_current_thread() -> usize {
    workers()
}

#[weft::main]
async fn main_returning_err() -> Result<u8, String> {
    let n: u8 = "7".parse().map_err(|_| "unreachable".to_owned())?;
    weft::task::yield_now().await;
    Err(format!("from the body after {n}"))
}

#[test]
fn main_builds_the_configured_runtime() {
    assert_eq!(main_with_two_workers(), 2);
    assert_eq!(main_current_thread(), 1);
    let default = weft::Runtime::new().unwrap().metrics().num_workers();
    assert_eq!(main_with_defaults(), default);
}

#[test]
fn main_returns_the_body_s_result() {
    assert_eq!(main_returning_err(), Err("from the body after 7".to_owned()));
}

/// A stand-in for weft at another path: `crate = "fake_weft"` must build
/// its runtime through this `Builder`, not `::weft`'s.
mod fake_weft {
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub static BUILT: AtomicUsize = AtomicUsize::new(0);

    pub struct Builder;

    impl Builder {
        pub fn new_current_thread() -> weft::Builder {
            BUILT.fetch_add(1, Ordering::SeqCst);
            weft::Builder::new_current_thread()
        }

        pub fn new_multi_thread() -> weft::Builder {
            BUILT.fetch_add(1, Ordering::SeqCst);
            weft::Builder::new_multi_thread()
        }
    }
}

#[weft::main(crate = "fake_weft")]
async fn main_through_another_path() {}

#[weft::test(crate = "fake_weft")]
async fn test_crate_override_names_the_builder_path() {
    assert!(fake_weft::BUILT.load(Ordering::SeqCst) >= 1);
}

#[test]
fn main_crate_override_names_the_builder_path() {
    let before = fake_weft::BUILT.load(Ordering::SeqCst);
    main_through_another_path();
    assert!(fake_weft::BUILT.load(Ordering::SeqCst) > before);
}

// ---- select! ----------------------------------------------------------------

/// A future that fails the test if it is ever polled.
struct NeverPoll;

impl Future for NeverPoll {
    type Output = u32;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
        panic!("a disabled branch's future was polled")
    }
}

/// Ready with `value` after `polls` Pending polls (waking itself).
struct ReadyAfter {
    polls: usize,
    value: u32,
    done: bool,
}

fn ready_after(polls: usize, value: u32) -> ReadyAfter {
    ReadyAfter {
        polls,
        value,
        done: false,
    }
}

impl Future for ReadyAfter {
    type Output = u32;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        assert!(!self.done, "a finished future was polled again");
        if self.polls == 0 {
            self.done = true;
            return Poll::Ready(self.value);
        }
        self.polls -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[weft::test]
async fn select_runs_the_handler_of_the_first_to_finish() {
    let v = weft::select! {
        _ = pending::<()>() => unreachable!(),
        v = ready_after(3, 7) => v * 2,
    };
    assert_eq!(v, 14);
}

#[weft::test]
async fn select_biased_polls_top_to_bottom() {
    for _ in 0..100 {
        let winner = weft::select! {
            biased;
            _ = ready(()) => 0,
            _ = ready(()) => 1,
            _ = ready(()) => 2,
        };
        assert_eq!(winner, 0);
    }
}

#[weft::test]
async fn select_unbiased_start_is_roughly_random() {
    let mut wins = [0u32; 2];
    for _ in 0..1000 {
        let winner: usize = weft::select! {
            _ = ready(()) => 0,
            _ = ready(()) => 1,
        };
        wins[winner] += 1;
    }
    // Fair coin, 1000 tosses: below 300 has odds under 1e-35.
    assert!(wins[0] > 300 && wins[1] > 300, "{wins:?}");
}

#[weft::test]
async fn select_precondition_false_evaluates_the_future_but_never_polls_it() {
    let evaluated = Cell::new(0);
    let make = || {
        evaluated.set(evaluated.get() + 1);
        NeverPoll
    };
    let v = weft::select! {
        v = make(), if false => v,
        v = ready_after(1, 5) => v,
    };
    assert_eq!(v, 5);
    assert_eq!(evaluated.get(), 1);
}

#[weft::test]
async fn select_preconditions_are_evaluated_before_the_futures() {
    let order = std::cell::RefCell::new(Vec::new());
    let step = |s: &'static str| {
        order.borrow_mut().push(s);
        true
    };
    weft::select! {
        _ = async { step("future 0") }, if step("condition 0") => {}
        _ = async { step("future 1") }, if step("condition 1") => {}
    }
    let order = order.borrow();
    assert_eq!(&order[..2], ["condition 0", "condition 1"]);
}

#[weft::test]
async fn select_pattern_mismatch_disables_the_branch_and_the_others_go_on() {
    let v = weft::select! {
        biased;
        Some(v) = ready(None::<u32>) => v,
        Ok(v) = ready(Err::<u32, ()>(())) => v,
        v = ready_after(5, 9) => v + 1,
    };
    assert_eq!(v, 10);
}

#[weft::test]
async fn select_pattern_bindings_by_value_ref_and_mut() {
    let v = weft::select! {
        (mut a, ref b, Some(&c)) = ready((String::from("x"), 2u8, Some(&3u8))) => {
            a.push('y');
            format!("{a}{b}{c}")
        }
    };
    assert_eq!(v, "xy23");
}

#[weft::test]
async fn select_else_runs_when_every_branch_is_disabled() {
    let v = weft::select! {
        _ = NeverPoll, if false => 0,
        Some(v) = ready(None::<u32>) => v,
        else => 99,
    };
    assert_eq!(v, 99);
}

#[weft::test]
#[should_panic(expected = "every branch is disabled")]
async fn select_without_else_panics_when_every_branch_is_disabled() {
    let _: u32 = weft::select! {
        Some(v) = ready(None::<u32>) => v,
    };
}

struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[weft::test]
async fn select_drops_the_other_futures_before_the_handler_runs() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let mut buf = vec![1u8];
    weft::select! {
        _ = async move { let _flag = flag; pending::<()>().await } => unreachable!(),
        // The future borrows `buf`; the handler may use it again.
        n = async { buf.len() } => {
            assert!(dropped.load(Ordering::SeqCst), "the losing future is still alive");
            buf.push(n as u8);
        }
    }
    assert_eq!(buf, [1, 1]);
}

#[weft::test]
async fn select_handlers_run_in_the_surrounding_code() -> Result<(), String> {
    let mut seen = Vec::new();
    let mut i = 0u32;
    let last = loop {
        i += 1;
        weft::select! {
            v = ready(i) => {
                if v % 2 == 0 {
                    continue;
                }
                if v > 5 {
                    break v;
                }
                seen.push(v);
            }
        }
    };
    assert_eq!((seen, last), (vec![1, 3, 5], 7));

    async fn early() -> Result<u32, String> {
        weft::select! {
            r = ready(Err::<u32, String>("no".into())) => r?,
        };
        Ok(1)
    }
    assert_eq!(early().await, Err("no".to_owned()));

    let awaited = weft::select! {
        v = ready(1) => weft::spawn(async move { v + 1 }).await.map_err(|e| e.to_string())?,
    };
    assert_eq!(awaited, 2);
    Ok(())
}

#[weft::test]
async fn select_awaits_into_future_and_join_handles() {
    let mut h = weft::spawn(async {
        weft::time::sleep(Duration::from_millis(5)).await;
        3
    });
    let v = weft::select! {
        r = &mut h => r.unwrap(),
        _ = weft::time::sleep(Duration::from_secs(60)) => panic!("timer won"),
    };
    assert_eq!(v, 3);
}

#[weft::test]
async fn select_nests_in_handlers_and_futures() {
    let v = weft::select! {
        a = async {
            weft::select! {
                biased;
                x = ready(1) => x,
                _ = pending::<()>() => 0,
            }
        } => {
            weft::select! {
                y = ready(10) => a + y,
            }
        }
    };
    assert_eq!(v, 11);
}

macro_rules! seventy_branches {
    ($($n:literal)*) => {
        weft::select! {
            $( _ = pending::<u32>() => $n, )*
            v = ready_after(2, 70) => v,
        }
    };
}

#[weft::test]
async fn select_takes_more_than_sixty_four_branches() {
    let v = seventy_branches!(
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29
        30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56
        57 58 59 60 61 62 63 64 65 66 67 68
    );
    assert_eq!(v, 70);
}

#[test]
fn select_loop_over_always_ready_branches_lets_other_tasks_run() {
    // One worker and no handoff: if the loop never yields, the flag task
    // never runs and the loop ends by its count, not by the flag.
    let rt = weft::Builder::new_multi_thread()
        .worker_threads(1)
        .handoff(None)
        .build()
        .unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    let looper = {
        let flag = flag.clone();
        rt.spawn(async move {
            for i in 0..1_000_000u32 {
                if flag.load(Ordering::SeqCst) {
                    return Some(i);
                }
                weft::select! {
                    _ = ready(()) => {}
                    _ = ready(()) => {}
                }
            }
            None
        })
    };
    let setter = {
        let flag = flag.clone();
        rt.spawn(async move { flag.store(true, Ordering::SeqCst) })
    };
    let seen_after = rt.block_on(looper).unwrap();
    rt.block_on(setter).unwrap();
    assert!(
        seen_after.is_some(),
        "a select! loop over ready branches never yielded to its neighbour"
    );
}

#[weft::test]
async fn select_loop_in_a_current_thread_test_lets_spawned_tasks_run() {
    // The body and the task share the test's thread: the task runs only if
    // the body's select! loop yields.
    let flag = Arc::new(AtomicBool::new(false));
    let setter = {
        let flag = flag.clone();
        weft::spawn(async move { flag.store(true, Ordering::SeqCst) })
    };
    let mut seen_after = None;
    for i in 0..1_000_000u32 {
        if flag.load(Ordering::SeqCst) {
            seen_after = Some(i);
            break;
        }
        weft::select! {
            _ = ready(()) => {}
            _ = ready(()) => {}
        }
    }
    setter.await.unwrap();
    assert!(
        seen_after.is_some(),
        "a select! loop over ready branches never yielded to the spawned task"
    );
}

// ---- join! and try_join! ---------------------------------------------------------

#[weft::test]
async fn join_gives_outputs_in_written_order_whatever_order_they_finish() {
    let finished = std::cell::RefCell::new(Vec::new());
    // Finishes after `polls` polls: the order is set by poll counts, not
    // by the clock.
    let after = |polls: usize, v: &'static str| {
        let finished = &finished;
        async move {
            ready_after(polls, 0).await;
            finished.borrow_mut().push(v);
            v
        }
    };
    let out = weft::join!(after(6, "a"), after(0, "b"), after(3, "c"));
    assert_eq!(out, ("a", "b", "c"));
    assert_eq!(*finished.borrow(), ["b", "c", "a"]);
}

#[weft::test]
async fn join_runs_the_futures_concurrently() {
    // Each waits for the other: sequential awaiting would never finish.
    let a_ready = Cell::new(false);
    let b_ready = Cell::new(false);
    let wait_for = |mine: &'static str| {
        let (me, other) = if mine == "a" {
            (&a_ready, &b_ready)
        } else {
            (&b_ready, &a_ready)
        };
        async move {
            me.set(true);
            while !other.get() {
                weft::task::yield_now().await;
            }
            mine
        }
    };
    let out = weft::time::timeout(Duration::from_secs(30), async {
        weft::join!(wait_for("a"), wait_for("b"))
    })
    .await
    .expect("join! did not poll the futures concurrently");
    assert_eq!(out, ("a", "b"));
}

#[weft::test]
async fn join_never_polls_a_finished_future() {
    // ready_after asserts it is not polled after Ready.
    let out = weft::join!(ready_after(0, 1), ready_after(10, 2), ready_after(3, 3));
    assert_eq!(out, (1, 2, 3));
}

#[weft::test]
async fn join_of_nothing_is_unit_and_try_join_of_nothing_is_ok() {
    let () = weft::join!();
    let r: Result<(), String> = weft::try_join!();
    assert_eq!(r, Ok(()));
}

macro_rules! seventy_futures {
    ($($n:literal)*) => {
        weft::join!($(ready_after($n % 5, $n)),*)
    };
}

#[weft::test]
async fn join_takes_more_than_sixty_four_futures() {
    let out = seventy_futures!(
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29
        30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56
        57 58 59 60 61 62 63 64 65 66 67 68 69
    );
    assert_eq!((out.0, out.33, out.69), (0, 33, 69));
}

#[weft::test]
async fn try_join_gives_every_ok_in_order() {
    let out = weft::try_join!(
        async { Ok::<_, String>(1) },
        async {
            weft::time::sleep(Duration::from_millis(2)).await;
            Ok("two")
        },
        ready(Ok('3')),
    );
    assert_eq!(out, Ok((1, "two", '3')));
}

#[weft::test]
async fn try_join_returns_the_first_err_and_drops_the_rest() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let never = async move {
        let _flag = flag;
        pending::<()>().await;
        Ok::<u32, String>(0)
    };
    let fails = async {
        ready_after(3, 0).await;
        Err::<u32, String>("failed".into())
    };
    let out = weft::time::timeout(Duration::from_secs(30), async {
        weft::try_join!(never, fails, ready(Ok(1)))
    })
    .await
    .expect("try_join! waited for the pending future after an Err");
    assert_eq!(out, Err("failed".to_owned()));
    assert!(
        dropped.load(Ordering::SeqCst),
        "the pending future was not dropped"
    );
}
