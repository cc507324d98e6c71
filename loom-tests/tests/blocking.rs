//! Loom models of `weft-blocking`'s pool protocol, run against the real
//! code: under `cfg(loom)` its `sync` shim swaps in loom's mutex and
//! condvar and loom threads. A pool thread parks on its own slot's condvar;
//! its keep-alive is a deadline checked before each wait, and loom's timed
//! waits are untimed, so a pool built with a zero keep-alive
//! (`expiring_pool`) has every idle thread's keep-alive expire at once,
//! and loom explores that expiry against every spawn; with the default
//! keep-alive (`pool`) an idle thread parks until a handoff or the close.
//! Under loom the eager limit is `max_threads`, so the growth monitor never
//! starts (its 1 ms tick is a clock loom cannot model).
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     CARGO_TARGET_DIR=/work/target-loom-blocking \
//!     cargo test -p loom-tests --release --test blocking
//! ```
//!
//! Each model ends with `shutdown(None)` and checks that the counters are
//! back to zero: a thread miscounted, or one that never exits, fails it.
//! A lost job shows up as a deadlock (its handle is never woken).
//!
//! Awaiting a `JoinHandle` multiplies a model's size by ~30 (the
//! join-waker protocol's interleavings, already checked in `task.rs`), so
//! the models await only the handle whose resolution is the point. Each
//! prints its size; the bugs each was checked against are in
//! `loom-tests/README.md`.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Notify};
use loom::thread;
use weft_blocking::pool::__private::{accounting, Accounting};
use weft_blocking::{BlockingPool, PoolConfig};

/// Which ways a race went, across all of a model's iterations (std atomics:
/// they outlive the iterations). A model whose race can go two ways must see
/// both, or it did not check what it claims to.
struct Coverage([std::sync::atomic::AtomicUsize; 2]);

impl Coverage {
    const fn new() -> Coverage {
        Coverage([
            std::sync::atomic::AtomicUsize::new(0),
            std::sync::atomic::AtomicUsize::new(0),
        ])
    }

    fn saw(&self, which: bool) {
        self.0[which as usize].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn assert_both(&self, what: &str) {
        let [no, yes] = &self.0;
        let (no, yes) = (
            no.load(std::sync::atomic::Ordering::Relaxed),
            yes.load(std::sync::atomic::Ordering::Relaxed),
        );
        assert!(
            no > 0 && yes > 0,
            "loom explored {what} only one way (no: {no}, yes: {yes})"
        );
    }
}

/// Wakes a `block_on` caller through a loom `Notify` (sticky: a wake
/// before the wait is not lost; loom reports a deadlock if none comes).
struct NotifyWaker(Notify);

impl Wake for NotifyWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.notify();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.notify();
    }
}

/// Awaits a `JoinHandle` on a loom thread.
fn block_on<F: Future>(future: F) -> F::Output {
    let notify = std::sync::Arc::new(NotifyWaker(Notify::new()));
    let waker = Waker::from(notify.clone());
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return out;
        }
        notify.0.wait();
    }
}

/// Runs a loom model and prints how many executions it explored.
fn model(name: &str, f: impl Fn() + Sync + Send + 'static) {
    use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering::Relaxed};
    let runs = std::sync::Arc::new(StdAtomicUsize::new(0));
    let counter = runs.clone();
    let start = std::time::Instant::now();
    loom::model(move || {
        counter.fetch_add(1, Relaxed);
        f();
    });
    eprintln!(
        "{name}: {} executions in {:.1?}",
        runs.load(Relaxed),
        start.elapsed()
    );
}

/// A pool whose idle threads park until a handoff or the close (the
/// default keep-alive is a timed wait, untimed under loom).
fn pool(max_threads: usize) -> BlockingPool {
    BlockingPool::new(PoolConfig {
        max_threads,
        ..PoolConfig::default()
    })
}

/// A pool whose idle threads' keep-alive expires at once (under loom a
/// zero keep-alive never waits), so every interleaving of the expiry
/// against a spawn is a scheduling choice.
fn expiring_pool(max_threads: usize) -> BlockingPool {
    BlockingPool::new(PoolConfig {
        max_threads,
        keep_alive: std::time::Duration::ZERO,
        ..PoolConfig::default()
    })
}

/// Shuts the pool down and checks that every counter is back to zero;
/// returns how many threads were started.
fn shutdown_clean(pool: &BlockingPool) -> u64 {
    assert!(pool.shutdown(None), "shutdown(None) gave up");
    let a = accounting(pool);
    let zero = Accounting {
        workers: 0,
        idle: 0,
        queued: 0,
        threads: 0,
        threads_started: a.threads_started,
    };
    assert_eq!(a, zero);
    a.threads_started
}

/// (a) A new closure races an idle thread's keep-alive expiry: it runs
/// exactly once, whether the idle thread takes it or a new thread does.
#[test]
fn spawn_racing_keep_alive_expiry_runs_the_closure_exactly_once() {
    static REUSED: Coverage = Coverage::new();
    model("keep-alive race", || {
        // One thread at most: a second starts only once the first has
        // left, so the second closure meets the first thread in every
        // state: starting, busy, idle, timing out, gone.
        let pool = expiring_pool(1);
        let runs = Arc::new(AtomicUsize::new(0));

        let r = runs.clone();
        // Detached: waiting for it here would add the join protocol's
        // interleavings without adding states of the race.
        drop(pool.spawn_blocking(move || r.fetch_add(1, SeqCst)));
        let r = runs.clone();
        // A lost closure would leave this waiting forever: loom reports
        // that as a deadlock.
        block_on(pool.spawn_blocking(move || r.fetch_add(1, SeqCst))).unwrap();
        // With one thread at a time and a FIFO queue, the first closure
        // was taken, and finished, before the second.
        assert_eq!(runs.load(SeqCst), 2);
        let started = shutdown_clean(&pool);
        assert!((1..=2).contains(&started));
        REUSED.saw(started == 1);
    });
    REUSED.assert_both("whether the idle thread took the second closure");
}

/// (a2) A job handed to a thread parked on its slot: the spawner must wake
/// it (a parked thread with no wake-up waits forever: loom reports a
/// deadlock), and the close must wake it too, or `shutdown` waits forever.
/// The second spawn finds the thread busy (the job is queued) or parked
/// (the job is handed over); the model must see both.
#[test]
fn a_job_handed_to_a_parked_thread_wakes_it() {
    static HANDED: Coverage = Coverage::new();
    model("handoff to a parked thread", || {
        let pool = pool(1);
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        drop(pool.spawn_blocking(move || r.fetch_add(1, SeqCst)));
        // The only spawner: a thread idle now is idle at the spawn.
        HANDED.saw(accounting(&pool).idle == 1);
        let r = runs.clone();
        block_on(pool.spawn_blocking(move || r.fetch_add(1, SeqCst))).unwrap();
        assert_eq!(runs.load(SeqCst), 2);
        assert_eq!(shutdown_clean(&pool), 1, "a cap of 1 and no keep-alive expiry");
    });
    HANDED.assert_both("whether the second closure was handed to a parked thread");
}

/// (a3) Two jobs spawned in a row while the one thread (cap 1) may be
/// parked: the first may be handed to it, the second must then queue (the
/// slot has left `idle`), never be handed to the same slot on top of the
/// first (which would drop it: its flag is never set, a loom deadlock).
/// Flags, not handles, keep the model small.
#[test]
fn two_jobs_spawned_in_a_row_both_run() {
    model("two jobs in a row", || {
        let pool = pool(1);
        let warm = Arc::new(Flag::default());
        let w = warm.clone();
        drop(pool.spawn_blocking(move || w.set()));
        warm.wait();
        let (a, b) = (Arc::new(Flag::default()), Arc::new(Flag::default()));
        let (a2, b2) = (a.clone(), b.clone());
        drop(pool.spawn_blocking(move || a2.set()));
        drop(pool.spawn_blocking(move || b2.set()));
        a.wait();
        b.wait();
        assert_eq!(shutdown_clean(&pool), 1);
    });
}

/// (b) Shutdown races a spawn: the closure either runs (its handle gives
/// `Ok`) or is dropped unrun (`Cancelled`); exactly one, never both.
#[test]
fn shutdown_racing_spawn_runs_or_cancels_exactly_once() {
    static RAN: Coverage = Coverage::new();
    model("shutdown race", || {
        let pool = pool(2);
        let runs = Arc::new(AtomicUsize::new(0));

        let (p, r) = (pool.clone(), runs.clone());
        let spawner = thread::spawn(move || {
            p.spawn_blocking(move || {
                r.fetch_add(1, SeqCst);
            })
        });
        assert!(pool.shutdown(None));
        let handle = spawner.join().unwrap();
        match block_on(handle) {
            Ok(()) => {
                assert_eq!(runs.load(SeqCst), 1);
                RAN.saw(true);
            }
            Err(e) => {
                assert!(e.is_cancelled(), "{e}");
                assert_eq!(runs.load(SeqCst), 0, "a cancelled closure ran");
                RAN.saw(false);
            }
        }
        shutdown_clean(&pool);
    });
    RAN.assert_both("whether the closure ran before the shutdown");
}

/// (c) Two threads spawn at once into a pool capped at one thread: never
/// two threads in the job loop, never two closures at once. (Whether both
/// run or shutdown cancels one is not the question here: the handles are
/// dropped, which keeps the model small.)
#[test]
fn concurrent_spawns_never_exceed_the_cap() {
    static BOTH_RAN: Coverage = Coverage::new();
    model("cap", || {
        let pool = pool(1);
        let running = Arc::new(AtomicUsize::new(0));
        // Coverage only (a std counter adds no interleavings): read after
        // shutdown, which waits for the threads.
        let ran = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let closure = |running: Arc<AtomicUsize>, ran: std::sync::Arc<std::sync::atomic::AtomicUsize>| {
            move || {
                assert_eq!(
                    running.fetch_add(1, SeqCst),
                    0,
                    "two closures at once with max_threads 1"
                );
                running.fetch_sub(1, SeqCst);
                ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        };

        let (p, f) = (pool.clone(), closure(running.clone(), ran.clone()));
        let other = thread::spawn(move || drop(p.spawn_blocking(f)));
        drop(pool.spawn_blocking(closure(running, ran.clone())));
        let workers = accounting(&pool).workers;
        assert!(workers <= 1, "{workers} threads with max_threads 1");
        other.join().unwrap();
        assert!(shutdown_clean(&pool) <= 2);
        BOTH_RAN.saw(ran.load(std::sync::atomic::Ordering::Relaxed) == 2);
    });
    BOTH_RAN.assert_both("whether both closures ran before the shutdown");
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

/// Two jobs that can only finish together: each sets the other's flag and
/// waits on its own, so neither returns unless both run at once.
fn rendezvous() -> (impl FnOnce() + Send + 'static, impl FnOnce() + Send + 'static) {
    let a = Arc::new(Flag::default());
    let b = Arc::new(Flag::default());
    let (a2, b2) = (a.clone(), b.clone());
    (
        move || {
            b.set();
            a.wait();
        },
        move || {
            a2.set();
            b2.wait();
        },
    )
}

/// (d) Two jobs that can only finish together (each waits for the other),
/// with a cap of 2: the second job must get a thread of its own. A thread
/// that counted itself idle while still busy with the first job would be
/// claimed by the second, which would then wait behind the first forever
/// (loom: deadlock).
#[test]
fn two_concurrent_jobs_under_a_cap_of_two_each_get_a_thread() {
    model("two jobs, cap 2", || {
        let pool = pool(2);
        let (first, second) = rendezvous();
        let done = Arc::new(Flag::default());
        let d = done.clone();
        drop(pool.spawn_blocking(move || {
            first();
            d.set();
        }));
        drop(pool.spawn_blocking(second));
        done.wait();
        assert_eq!(shutdown_clean(&pool), 2, "two jobs at once need two threads");
    });
}

/// A pool whose first thread start is refused (the loom stand-in fails on
/// the name `FAIL_SPAWN`) and whose later starts succeed.
fn pool_whose_first_start_fails(max_threads: usize) -> BlockingPool {
    use weft_blocking::pool::__private::FAIL_SPAWN;
    // Per iteration (the pool is built inside the model), so a std atomic.
    let names = std::sync::atomic::AtomicUsize::new(0);
    BlockingPool::new(PoolConfig {
        max_threads,
        thread_name: std::sync::Arc::new(move || {
            if names.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0 {
                FAIL_SPAWN.to_string()
            } else {
                "loom-pool".to_string()
            }
        }),
        ..PoolConfig::default()
    })
}

/// (e) The first thread start fails while another spawner's start races
/// it. The job whose start failed is either taken by the other thread or,
/// if no thread is left in the pool, cancelled by the failing spawner:
/// its handle resolves either way (a job left queued with no thread is a
/// loom deadlock), and the accounting is back to zero.
#[test]
fn failed_thread_start_hands_the_job_over_or_cancels_it() {
    static CANCELLED: Coverage = Coverage::new();
    model("failed start", || {
        let pool = pool_whose_first_start_fails(2);
        let runs = Arc::new(AtomicUsize::new(0));
        let (p, r) = (pool.clone(), runs.clone());
        let other = thread::spawn(move || {
            drop(p.spawn_blocking(move || {
                r.fetch_add(1, SeqCst);
            }))
        });
        let r = runs.clone();
        let mine = pool.spawn_blocking(move || {
            r.fetch_add(1, SeqCst);
        });
        match block_on(mine) {
            Ok(()) => CANCELLED.saw(false),
            Err(e) => {
                assert!(e.is_cancelled(), "{e}");
                CANCELLED.saw(true);
            }
        }
        other.join().unwrap();
        let started = shutdown_clean(&pool);
        assert!(started <= 1, "{started} threads started, one start failed");
        assert!(runs.load(SeqCst) <= 2);
    });
    CANCELLED.assert_both("whether the failed start's job was cancelled");
}

/// (e2) The only thread start fails, with no thread in the pool: nobody
/// would ever take the job, so the failing spawner cancels it and the
/// handle resolves (a job left queued is a loom deadlock). A keep-alive
/// expiry of an earlier thread races the spawn, so the start can fail
/// with that thread alive (it takes the job) or gone (the job is
/// cancelled).
#[test]
fn failed_thread_start_with_no_thread_left_cancels_the_job() {
    use weft_blocking::pool::__private::FAIL_SPAWN;
    static CANCELLED: Coverage = Coverage::new();
    model("failed start, no thread left", || {
        // The second start fails: the first thread serves one job and may
        // or may not have left (keep-alive) when the second job comes.
        let names = std::sync::atomic::AtomicUsize::new(0);
        let pool = BlockingPool::new(PoolConfig {
            max_threads: 1,
            keep_alive: std::time::Duration::ZERO,
            thread_name: std::sync::Arc::new(move || {
                match names.fetch_add(1, std::sync::atomic::Ordering::Relaxed) {
                    1 => FAIL_SPAWN.to_string(),
                    _ => "loom-pool".to_string(),
                }
            }),
            ..PoolConfig::default()
        });
        let first = Arc::new(Flag::default());
        let f = first.clone();
        drop(pool.spawn_blocking(move || f.set()));
        first.wait();
        match block_on(pool.spawn_blocking(|| ())) {
            Ok(()) => CANCELLED.saw(false),
            Err(e) => {
                assert!(e.is_cancelled(), "{e}");
                CANCELLED.saw(true);
            }
        }
        assert!(shutdown_clean(&pool) <= 1);
    });
    CANCELLED.assert_both("whether the first thread had left");
}

/// (f) A panicking `on_thread_start` hook is contained: the thread still
/// takes the job, and the accounting is back to zero.
///
/// The contained panic is reported on stderr once per iteration, so the
/// model is kept small: the job is detached and signals a `Flag`, and the
/// model is bounded at one preemption (about 60 iterations instead of 370;
/// the hook runs before the job loop, so what a second preemption adds is
/// the job loop's interleavings, which the models above check).
#[test]
fn panicking_start_hook_still_serves_the_pool() {
    quiet_panics("loom model: start hook");
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = runs.clone();
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(1);
    builder.check(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let pool = BlockingPool::new(PoolConfig {
            max_threads: 1,
            on_thread_start: Some(std::sync::Arc::new(|| panic!("loom model: start hook"))),
            ..PoolConfig::default()
        });
        let ran = Arc::new(Flag::default());
        let r = ran.clone();
        drop(pool.spawn_blocking(move || r.set()));
        ran.wait();
        assert_eq!(shutdown_clean(&pool), 1);
    });
    eprintln!(
        "start hook panics: {} executions",
        runs.load(std::sync::atomic::Ordering::Relaxed)
    );
}

/// Keeps the panic hook from printing panics whose message contains
/// `what` (installed once, chained to the hook before it, never removed:
/// the loom runtime's own filter may sit before or after it).
fn quiet_panics(what: &'static str) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.to_string().contains(what) {
                prev(info);
            }
        }));
    });
}

/// (g) `ThreadPool::submit` backpressure: with one thread and a capacity of
/// one, a `submit` finds the queue full and waits; the worker frees the
/// slot when it takes the queued job, and must wake the waiting submit
/// then (its room check and the worker's wake are under one lock), or the
/// submit waits forever (loom: deadlock). The gate is opened from another
/// thread, so the free races the submit's registration.
#[test]
fn submit_waiting_for_room_is_woken_when_a_slot_frees() {
    use weft_blocking::ThreadPool;
    model("submit backpressure", || {
        let pool = ThreadPool::builder()
            .threads(1)
            .queue_capacity(1)
            .build()
            .unwrap();
        let gate = Arc::new(Flag::default());
        let ran = Arc::new(AtomicUsize::new(0));
        let g = gate.clone();
        drop(pool.spawn(move || g.wait()));
        let r = ran.clone();
        drop(pool.spawn(move || r.fetch_add(1, SeqCst)));
        let opener = thread::spawn(move || gate.set());
        let r = ran.clone();
        let handle = block_on(pool.submit(move || r.fetch_add(1, SeqCst)));
        opener.join().unwrap();
        drop(handle);
        // The last handle: the queue drains, the thread is joined.
        drop(pool);
        assert_eq!(ran.load(SeqCst), 2, "a queued closure did not run");
    });
}
