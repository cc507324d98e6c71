//! Loom models of `weft-task`: the state word, wakers, the join protocol and
//! `OwnedTasks`, run against the real code (its `sync` shim switches to loom
//! atomics under `cfg(loom)`).
//!
//! Each model is small enough to exhaust with `LOOM_MAX_PREEMPTIONS=2`:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=/work/target-loom \
//!     cargo test -p loom-tests --release --test task
//! ```
//!
//! Bookkeeping (drop counters, poll counters) uses loom atomics, so loom
//! explores their interleavings too. Every task's scheduler `Sched` holds a
//! loom `Arc`, and so do the futures and outputs: a task allocation that is
//! never freed, or a future or output that is never dropped, is reported by
//! loom's leak check at the end of the iteration. The models also check
//! `Arc::strong_count` of the shared state, which counts the schedulers still
//! alive inside task allocations. Models whose race can end two ways also
//! check, across iterations, that loom reached both ends (`Coverage`).
//!
//! Models 7a-c (`Probe`) check that a task outlives the `Schedule` calls
//! that borrow the scheduler stored inside it; they failed before the fix
//! that keeps the caller's reference across `schedule`/`yield_now`.
#![cfg(loom)]

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Mutex, Notify};
use loom::thread;
use weft_task::{Id, JoinError, JoinHandle, Notified, OwnedTasks, Schedule, Task};

// ---------------------------------------------------------------------------
// A test scheduler: one FIFO queue and one owned-task list, shared by Arc.
// ---------------------------------------------------------------------------

struct Shared {
    queue: Mutex<VecDeque<Notified<Sched>>>,
    owned: OwnedTasks<Sched>,
    /// Calls to `yield_now`: tasks woken during their own poll.
    yields: AtomicUsize,
}

/// The scheduler stored in each task. Its `Arc` is dropped only when the task
/// allocation is freed, so `Arc::strong_count` tells how many allocations are
/// still alive, and loom reports any that leak.
#[derive(Clone)]
struct Sched(Arc<Shared>);

impl Sched {
    fn new() -> Sched {
        Sched(Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            owned: OwnedTasks::new(1),
            yields: AtomicUsize::new(0),
        }))
    }

    fn pop(&self) -> Option<Notified<Sched>> {
        self.0.queue.lock().unwrap().pop_front()
    }

    /// Runs queued tasks until the queue is empty.
    fn run_all(&self) {
        while let Some(task) = self.pop() {
            task.run();
        }
    }

    /// Task allocations still alive (the caller's `Sched` excluded).
    fn live_tasks(&self) -> usize {
        Arc::strong_count(&self.0) - 1
    }
}

impl Schedule for Sched {
    fn schedule(&self, task: Notified<Self>) {
        self.0.queue.lock().unwrap().push_back(task);
    }

    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.0.owned.remove(task)
    }

    fn yield_now(&self, task: Notified<Self>) {
        self.0.yields.fetch_add(1, SeqCst);
        self.schedule(task);
    }
}

/// Which ways a race went, counted across all of a model's iterations (std
/// atomics: they outlive the iterations). A model whose race can go two
/// ways must see both, or it did not check what it claims to.
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

// ---------------------------------------------------------------------------
// Bookkeeping: counters shared by the model's threads.
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Counters {
    polls: AtomicUsize,
    in_poll: AtomicBool,
    future_drops: AtomicUsize,
    output_drops: AtomicUsize,
}

/// An output value that counts its drops and holds a loom `Arc`, so an output
/// that is never dropped is a loom leak.
struct Output {
    value: usize,
    counters: Arc<Counters>,
}

impl Drop for Output {
    fn drop(&mut self) {
        self.counters.output_drops.fetch_add(1, SeqCst);
    }
}

/// What a `TestFuture` does on its first poll.
#[derive(Clone, Copy)]
enum FirstPoll {
    /// Return `Ready` at once.
    Ready,
    /// Wake itself (`wake_by_ref`) and return `Pending`: a yield.
    Yield,
    /// Store a clone of its waker in the slot and return `Pending`: the
    /// next poll, after someone wakes it, returns `Ready`.
    Park,
}

/// A future that counts polls (and asserts no two overlap), counts its drop,
/// and holds a loom `Arc` so a future that is never dropped is a loom leak.
struct TestFuture {
    first: FirstPoll,
    counters: Arc<Counters>,
    slot: Arc<Mutex<Option<Waker>>>,
}

impl TestFuture {
    fn new(first: FirstPoll, counters: &Arc<Counters>, slot: &Arc<Mutex<Option<Waker>>>) -> Self {
        TestFuture {
            first,
            counters: counters.clone(),
            slot: slot.clone(),
        }
    }
}

impl Future for TestFuture {
    type Output = Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        let c = &self.counters;
        assert!(
            !c.in_poll.swap(true, SeqCst),
            "task polled by two threads at once"
        );
        let n = c.polls.fetch_add(1, SeqCst) + 1;
        let out = if n > 1 {
            Poll::Ready(Output {
                value: 7,
                counters: c.clone(),
            })
        } else {
            match self.first {
                FirstPoll::Ready => Poll::Ready(Output {
                    value: 7,
                    counters: c.clone(),
                }),
                FirstPoll::Yield => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                FirstPoll::Park => {
                    *self.slot.lock().unwrap() = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        };
        c.in_poll.store(false, SeqCst);
        out
    }
}

impl Drop for TestFuture {
    fn drop(&mut self) {
        self.counters.future_drops.fetch_add(1, SeqCst);
    }
}

/// A waker for a `JoinHandle`'s poller: sets a flag and releases a loom
/// `Notify`, on which the poller blocks (loom reports a deadlock if the
/// join waker is never called).
struct FlagWaker {
    woken: AtomicBool,
    notify: Notify,
}

impl Wake for FlagWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.woken.store(true, SeqCst);
        self.notify.notify();
    }
}

fn poll_join(handle: &mut JoinHandle<Output>, waker: &Waker) -> Poll<Result<Output, JoinError>> {
    Pin::new(handle).poll(&mut Context::from_waker(waker))
}

/// The handle's result, which must be there (the task has completed).
fn join_now(mut handle: JoinHandle<Output>) -> Result<Output, JoinError> {
    assert!(handle.is_finished());
    match poll_join(&mut handle, Waker::noop()) {
        Poll::Ready(res) => res,
        Poll::Pending => panic!("JoinHandle pending after the task finished"),
    }
}

fn slot() -> Arc<Mutex<Option<Waker>>> {
    Arc::new(Mutex::new(None))
}

// ---------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------

/// Model 1. The task parks its waker on the first poll; another thread wakes
/// it (possibly while the first poll is still running) and then runs the
/// queue too. The task is polled exactly twice, never by two threads at once.
#[test]
fn wake_during_poll_repolls_once_never_concurrently() {
    static WOKEN_WHILE_RUNNING: Coverage = Coverage::new();
    loom::model(|| {
        let sched = Sched::new();
        let counters = Arc::new(Counters::default());
        let slot = slot();
        let fut = TestFuture::new(FirstPoll::Park, &counters, &slot);
        let (task, handle) = weft_task::unowned(fut, sched.clone(), Id::next());
        task.schedule();

        let waker_thread = {
            let (sched, slot) = (sched.clone(), slot.clone());
            thread::spawn(move || {
                let waker = loop {
                    if let Some(w) = slot.lock().unwrap().take() {
                        break w;
                    }
                    thread::yield_now();
                };
                waker.wake();
                sched.run_all();
            })
        };

        sched.run_all();
        waker_thread.join().unwrap();
        sched.run_all();

        assert_eq!(counters.polls.load(SeqCst), 2);
        assert_eq!(counters.future_drops.load(SeqCst), 1);
        assert_eq!(join_now(handle).unwrap().value, 7);
        assert_eq!(counters.output_drops.load(SeqCst), 1);
        assert_eq!(sched.live_tasks(), 0);
        WOKEN_WHILE_RUNNING.saw(sched.0.yields.load(SeqCst) == 1);
    });
    WOKEN_WHILE_RUNNING.assert_both("a wake landing during the poll");
}

/// Model 2. `abort` from another thread races the task's only poll (which
/// completes it). Exactly one outcome: the value, or `Cancelled` with no
/// poll. The future is dropped exactly once either way.
#[test]
fn abort_racing_completion_has_one_outcome() {
    static CANCELLED: Coverage = Coverage::new();
    loom::model(|| {
        let sched = Sched::new();
        let counters = Arc::new(Counters::default());
        let fut = TestFuture::new(FirstPoll::Ready, &counters, &slot());
        let (task, handle) = weft_task::unowned(fut, sched.clone(), Id::next());
        let abort = handle.abort_handle();

        let aborter = thread::spawn(move || abort.abort());
        task.run();
        aborter.join().unwrap();
        sched.run_all();

        let polls = counters.polls.load(SeqCst);
        match join_now(handle) {
            Ok(out) => {
                CANCELLED.saw(false);
                assert_eq!(out.value, 7);
                assert_eq!(polls, 1);
            }
            Err(e) => {
                CANCELLED.saw(true);
                assert!(e.is_cancelled(), "{e:?}");
                assert_eq!(polls, 0);
            }
        }
        assert_eq!(counters.future_drops.load(SeqCst), 1);
        assert_eq!(counters.output_drops.load(SeqCst), polls);
        assert_eq!(sched.live_tasks(), 0);
    });
    CANCELLED.assert_both("abort vs completion");
}

/// Model 2b. As model 2, with a task that yields once: the abort can also
/// land while the task sits idle in the queue after its first poll, or while
/// that poll runs (cancelled when it returns `Pending`).
#[test]
fn abort_racing_yielding_task_has_one_outcome() {
    static CANCELLED: Coverage = Coverage::new();
    loom::model(|| {
        let sched = Sched::new();
        let counters = Arc::new(Counters::default());
        let fut = TestFuture::new(FirstPoll::Yield, &counters, &slot());
        let (task, handle) = weft_task::unowned(fut, sched.clone(), Id::next());
        let abort = handle.abort_handle();

        let aborter = thread::spawn(move || abort.abort());
        task.run();
        sched.run_all();
        aborter.join().unwrap();
        sched.run_all();

        let polls = counters.polls.load(SeqCst);
        match join_now(handle) {
            Ok(out) => {
                CANCELLED.saw(false);
                assert_eq!(out.value, 7);
                assert_eq!(polls, 2);
            }
            Err(e) => {
                CANCELLED.saw(true);
                assert!(e.is_cancelled(), "{e:?}");
                assert!(polls <= 1);
            }
        }
        assert_eq!(counters.future_drops.load(SeqCst), 1);
        assert_eq!(counters.output_drops.load(SeqCst), (polls == 2) as usize);
        assert_eq!(sched.live_tasks(), 0);
    });
    CANCELLED.assert_both("abort vs completion");
}

/// Model 3. The `JoinHandle` is dropped on another thread while the task
/// completes. The output is dropped exactly once (by whichever side the
/// protocol gives it to), the future once, and the allocation is freed.
#[test]
fn join_handle_drop_racing_completion_drops_output_once() {
    loom::model(|| {
        let sched = Sched::new();
        let counters = Arc::new(Counters::default());
        let fut = TestFuture::new(FirstPoll::Ready, &counters, &slot());
        let (task, handle) = weft_task::unowned(fut, sched.clone(), Id::next());

        let dropper = thread::spawn(move || drop(handle));
        task.run();
        dropper.join().unwrap();

        assert_eq!(counters.polls.load(SeqCst), 1);
        assert_eq!(counters.future_drops.load(SeqCst), 1);
        assert_eq!(counters.output_drops.load(SeqCst), 1);
        assert_eq!(sched.live_tasks(), 0);
    });
}

/// Model 3b. As model 3, but the handle first registers a join waker (one
/// poll), so the drop also races the completion's join-waker wake and the
/// `JOIN_WAKER` hand-back.
#[test]
fn join_handle_drop_with_waker_racing_completion_drops_output_once() {
    loom::model(|| {
        let sched = Sched::new();
        let counters = Arc::new(Counters::default());
        let fut = TestFuture::new(FirstPoll::Ready, &counters, &slot());
        let (task, mut handle) = weft_task::unowned(fut, sched.clone(), Id::next());
        let flag = std::sync::Arc::new(FlagWaker {
            woken: AtomicBool::new(false),
            notify: Notify::new(),
        });
        let waker = Waker::from(flag.clone());
        assert!(poll_join(&mut handle, &waker).is_pending());
        drop(waker);

        let dropper = thread::spawn(move || drop(handle));
        task.run();
        dropper.join().unwrap();

        assert_eq!(counters.future_drops.load(SeqCst), 1);
        assert_eq!(counters.output_drops.load(SeqCst), 1);
        assert_eq!(sched.live_tasks(), 0);
        // The join waker (a std Arc) was dropped by one side or the other.
        assert_eq!(std::sync::Arc::strong_count(&flag), 1);
    });
}

/// Model 4. Another thread awaits the `JoinHandle` (polls it with a waker
/// and blocks until woken) while the task completes. The join waker fires,
/// or the poll sees `Ready`; the value arrives, once.
#[test]
fn join_handle_awaited_racing_completion_gets_value() {
    static PENDING_FIRST: Coverage = Coverage::new();
    loom::model(|| {
        let sched = Sched::new();
        let counters = Arc::new(Counters::default());
        let fut = TestFuture::new(FirstPoll::Ready, &counters, &slot());
        let (task, mut handle) = weft_task::unowned(fut, sched.clone(), Id::next());

        let flag = std::sync::Arc::new(FlagWaker {
            woken: AtomicBool::new(false),
            notify: Notify::new(),
        });
        let joiner = {
            let flag = flag.clone();
            thread::spawn(move || {
                let waker = Waker::from(flag.clone());
                let mut saw_pending = false;
                let out = loop {
                    match poll_join(&mut handle, &waker) {
                        Poll::Ready(res) => break res,
                        // Blocks until the join waker is called; loom reports
                        // a deadlock if it never is. (loom's `Notify` may
                        // also wake spuriously: then we just poll again.)
                        Poll::Pending => {
                            saw_pending = true;
                            flag.notify.wait();
                        }
                    }
                };
                drop(waker);
                drop(handle);
                (out.unwrap().value, saw_pending)
            })
        };
        task.run();
        let (value, saw_pending) = joiner.join().unwrap();
        assert_eq!(value, 7);
        PENDING_FIRST.saw(saw_pending);
        // A registered join waker is always called by the completion (even
        // if the joiner, woken spuriously, saw `Ready` first).
        assert!(!saw_pending || flag.woken.load(SeqCst));
        // ...and then dropped by whichever side the JOIN_WAKER rules say.
        assert_eq!(std::sync::Arc::strong_count(&flag), 1);

        assert_eq!(counters.polls.load(SeqCst), 1);
        assert_eq!(counters.future_drops.load(SeqCst), 1);
        assert_eq!(counters.output_drops.load(SeqCst), 1);
        assert_eq!(sched.live_tasks(), 0);
    });
    PENDING_FIRST.assert_both("the joiner's first poll before/after completion");
}

/// Model 5. The task parks its waker; two threads each clone it, wake by
/// reference and drop the clone, then run the queue; the main thread drops
/// the original waker and the `JoinHandle`, then runs the queue. The task is
/// polled twice, never concurrently, and freed exactly once.
#[test]
fn wakers_cloned_and_dropped_on_many_threads_free_once() {
    loom::model(|| {
        let sched = Sched::new();
        let counters = Arc::new(Counters::default());
        let slot = slot();
        let fut = TestFuture::new(FirstPoll::Park, &counters, &slot);
        let (task, handle) = weft_task::unowned(fut, sched.clone(), Id::next());
        task.run();
        assert_eq!(counters.polls.load(SeqCst), 1);
        let waker = Arc::new(slot.lock().unwrap().take().expect("waker parked"));

        let wakers: Vec<_> = (0..2)
            .map(|_| {
                let (sched, waker) = (sched.clone(), waker.clone());
                thread::spawn(move || {
                    let w = (*waker).clone();
                    drop(waker);
                    w.wake_by_ref();
                    drop(w);
                    sched.run_all();
                })
            })
            .collect();
        drop(waker);
        drop(handle);
        for t in wakers {
            t.join().unwrap();
        }
        sched.run_all();

        assert_eq!(counters.polls.load(SeqCst), 2);
        assert_eq!(counters.future_drops.load(SeqCst), 1);
        assert_eq!(counters.output_drops.load(SeqCst), 1);
        assert_eq!(sched.live_tasks(), 0);
    });
}

/// Model 6. `close_and_shutdown_all` races a `bind` (and the run of the
/// task it binds) on another thread. The task either runs to completion or
/// is cancelled; its future is dropped exactly once, and the list ends empty.
#[test]
fn owned_tasks_shutdown_racing_bind_runs_or_cancels() {
    static CANCELLED: Coverage = Coverage::new();
    loom::model(|| {
        let sched = Sched::new();
        let counters = Arc::new(Counters::default());
        let fut = TestFuture::new(FirstPoll::Yield, &counters, &slot());

        let binder = {
            let sched = sched.clone();
            thread::spawn(move || {
                let (handle, notified) = sched.0.owned.bind(fut, sched.clone(), Id::next());
                if let Some(n) = notified {
                    n.run();
                }
                sched.run_all();
                handle
            })
        };
        sched.0.owned.close_and_shutdown_all();
        let handle = binder.join().unwrap();
        sched.run_all();

        let polls = counters.polls.load(SeqCst);
        match join_now(handle) {
            Ok(out) => {
                CANCELLED.saw(false);
                assert_eq!(out.value, 7);
                assert_eq!(polls, 2);
            }
            Err(e) => {
                CANCELLED.saw(true);
                assert!(e.is_cancelled(), "{e:?}");
                assert!(polls <= 1);
            }
        }
        assert_eq!(counters.future_drops.load(SeqCst), 1);
        assert!(sched.0.owned.is_empty());
        assert!(sched.0.owned.is_closed());
        assert_eq!(sched.live_tasks(), 0);
    });
    CANCELLED.assert_both("shutdown vs bind and run");
}

// ---------------------------------------------------------------------------
// The scheduler outlives its own `schedule` call.
// ---------------------------------------------------------------------------

/// A scheduler that checks, after handing the task to the queue, that the
/// task (which owns `self`) is still alive. A real scheduler goes on using
/// `self` there: weft-executor's `schedule_remote` pushes to the injector and
/// then reads `self.shared` to check the shutdown flag and unpark a worker.
/// Exactly one `Probe` exists per model: the one inside the task, so its
/// drop means the task allocation was freed.
struct Probe(Arc<ProbeShared>);

struct ProbeShared {
    queue: Mutex<VecDeque<Notified<Probe>>>,
    probe_drops: AtomicUsize,
}

impl Probe {
    fn new() -> (Probe, Arc<ProbeShared>) {
        let shared = Arc::new(ProbeShared {
            queue: Mutex::new(VecDeque::new()),
            probe_drops: AtomicUsize::new(0),
        });
        (Probe(shared.clone()), shared)
    }
}

impl ProbeShared {
    /// Spins until a task is queued, then runs it.
    fn run_next(&self) {
        loop {
            let task = self.queue.lock().unwrap().pop_front();
            if let Some(task) = task {
                task.run();
                return;
            }
            thread::yield_now();
        }
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.0.probe_drops.fetch_add(1, SeqCst);
    }
}

impl Schedule for Probe {
    fn schedule(&self, task: Notified<Self>) {
        let shared = self.0.clone();
        shared.queue.lock().unwrap().push_back(task);
        assert_eq!(
            shared.probe_drops.load(SeqCst),
            0,
            "the task, and the scheduler `self` it owns, was freed while its schedule() call was still running"
        );
    }

    fn release(&self, _: &Task<Self>) -> Option<Task<Self>> {
        None
    }
}

/// Model 7a. `Waker::wake` (by value) on an idle, detached task, while
/// another thread runs the queue: the task must stay alive until the
/// `schedule` call that the wake makes has returned.
#[test]
fn wake_by_val_keeps_task_alive_during_schedule() {
    loom::model(|| {
        let (probe, shared) = Probe::new();
        let counters = Arc::new(Counters::default());
        let slot = slot();
        let fut = TestFuture::new(FirstPoll::Park, &counters, &slot);
        let (task, handle) = weft_task::unowned(fut, probe, Id::next());
        task.run();
        drop(handle);
        let waker = slot.lock().unwrap().take().expect("waker parked");

        let waker_thread = thread::spawn(move || waker.wake());
        shared.run_next();
        waker_thread.join().unwrap();

        assert_eq!(counters.polls.load(SeqCst), 2);
        assert_eq!(shared.probe_drops.load(SeqCst), 1);
    });
}

/// Model 7b. A task woken during its own poll (a yield) is requeued through
/// `yield_now` by the polling thread; another thread runs it to completion.
/// The task must stay alive until `yield_now` has returned.
#[test]
fn yield_keeps_task_alive_during_yield_now() {
    loom::model(|| {
        let (probe, shared) = Probe::new();
        let counters = Arc::new(Counters::default());
        let fut = TestFuture::new(FirstPoll::Yield, &counters, &slot());
        let (task, handle) = weft_task::unowned(fut, probe, Id::next());
        drop(handle);
        // Queued as a `Notified` only: no `UnownedTask` half keeps it alive.
        task.schedule();

        // Each thread runs one poll; either may get the first.
        let runner = {
            let shared = shared.clone();
            thread::spawn(move || shared.run_next())
        };
        shared.run_next();
        runner.join().unwrap();

        assert_eq!(counters.polls.load(SeqCst), 2);
        assert_eq!(shared.probe_drops.load(SeqCst), 1);
    });
}

/// Model 7c. `UnownedTask::schedule` on a detached task while another thread
/// runs the queue: the task must stay alive until `schedule` has returned.
#[test]
fn unowned_schedule_keeps_task_alive_during_schedule() {
    loom::model(|| {
        let (probe, shared) = Probe::new();
        let counters = Arc::new(Counters::default());
        let fut = TestFuture::new(FirstPoll::Ready, &counters, &slot());
        let (task, handle) = weft_task::unowned(fut, probe, Id::next());
        drop(handle);

        let runner = {
            let shared = shared.clone();
            thread::spawn(move || shared.run_next())
        };
        task.schedule();
        runner.join().unwrap();

        assert_eq!(counters.polls.load(SeqCst), 1);
        assert_eq!(shared.probe_drops.load(SeqCst), 1);
    });
}

// ---------------------------------------------------------------------------
// A task that never finishes: only the close can drop its future.
// ---------------------------------------------------------------------------

/// Pending on every poll, waking nobody; counts its drop.
struct PendingForever(Arc<Counters>);

impl Future for PendingForever {
    type Output = Output;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Output> {
        self.0.polls.fetch_add(1, SeqCst);
        Poll::Pending
    }
}

impl Drop for PendingForever {
    fn drop(&mut self) {
        self.0.future_drops.fetch_add(1, SeqCst);
    }
}

/// Model 8. `close_and_shutdown_all` races the `bind` (and first poll) of
/// a task that stays pending forever. A task that always completes cannot
/// tell "ran" from "cancelled"; this one can only end by being cancelled,
/// so once bind and close have both returned its future must have been
/// dropped exactly once, whether the bind came first (the drain cancels
/// it) or second (the bind sees the list closed).
#[test]
fn owned_tasks_close_racing_bind_cancels_a_pending_task() {
    static BOUND_FIRST: Coverage = Coverage::new();
    loom::model(|| {
        let sched = Sched::new();
        let counters = Arc::new(Counters::default());
        let fut = PendingForever(counters.clone());

        let binder = {
            let sched = sched.clone();
            thread::spawn(move || {
                let (handle, notified) = sched.0.owned.bind(fut, sched.clone(), Id::next());
                let bound = notified.is_some();
                if let Some(n) = notified {
                    n.run();
                }
                (handle, bound)
            })
        };
        sched.0.owned.close_and_shutdown_all();
        let (handle, bound) = binder.join().unwrap();
        BOUND_FIRST.saw(bound);

        assert_eq!(
            counters.future_drops.load(SeqCst),
            1,
            "a pending task outlived the close (bound first: {bound})"
        );
        assert!(sched.0.owned.is_empty(), "the closed list kept a task");
        match join_now(handle) {
            Ok(_) => panic!("a task that never completes gave an output"),
            Err(err) => assert!(err.is_cancelled(), "{err:?}"),
        }
        sched.run_all();
        assert_eq!(sched.live_tasks(), 0);
    });
    BOUND_FIRST.assert_both("whether the bind came before the close");
}

/// Model 2c. An abort races the poll of a task that parks (stores its
/// waker, which nobody calls). Only the abort can end it, wherever it
/// lands: before the poll (the run cancels), during it (the poll's end
/// cancels, since the abort cannot queue a running task), or after it (the
/// abort queues the idle task, whose run cancels). Either way the handle
/// resolves to `Cancelled` once the queue is drained.
#[test]
fn abort_racing_a_parking_poll_cancels_it() {
    loom::model(|| {
        let sched = Sched::new();
        let counters = Arc::new(Counters::default());
        let waker_slot = slot();
        let fut = TestFuture::new(FirstPoll::Park, &counters, &waker_slot);
        let (task, handle) = weft_task::unowned(fut, sched.clone(), Id::next());
        let abort = handle.abort_handle();

        let aborter = thread::spawn(move || abort.abort());
        task.run();
        aborter.join().unwrap();
        sched.run_all();

        match join_now(handle) {
            Ok(_) => panic!("a parked task that nobody woke completed"),
            Err(e) => assert!(e.is_cancelled(), "{e:?}"),
        }
        assert_eq!(counters.future_drops.load(SeqCst), 1);
        // The stored waker is the last reference (if the poll ran).
        drop(waker_slot.lock().unwrap().take());
        assert_eq!(sched.live_tasks(), 0);
    });
}

/// Model 9. A task's completion (its `remove`, which frees its slot onto
/// the shard's free list) races the `bind` of another task, which takes
/// the first vacant slot: the freed one if the completion came first, a
/// new one otherwise. Two tasks parked forever sit in the list around it;
/// whichever way the race goes, no slot may be handed out twice, so the
/// close that follows must find and cancel every parked task, each future
/// dropped exactly once.
#[test]
fn owned_tasks_completion_racing_a_bind_reuses_its_slot_once() {
    static REMOVED_FIRST: Coverage = Coverage::new();
    loom::model(|| {
        let sched = Sched::new();
        let (parked, late, done) = (
            Arc::new(Counters::default()),
            Arc::new(Counters::default()),
            Arc::new(Counters::default()),
        );
        // Slot 0: parked forever. Slot 1: the task that completes.
        let (parked_handle, first) =
            sched
                .0
                .owned
                .bind(PendingForever(parked.clone()), sched.clone(), Id::next());
        first.unwrap().run();
        let fut = TestFuture::new(FirstPoll::Ready, &done, &slot());
        let (completes, first) = sched.0.owned.bind(fut, sched.clone(), Id::next());
        let finished = Arc::new(AtomicBool::new(false));

        let runner = {
            let finished = finished.clone();
            let first = first.unwrap();
            thread::spawn(move || {
                first.run();
                finished.store(true, SeqCst);
            })
        };
        let removed_first = finished.load(SeqCst);
        let (late_handle, first) =
            sched
                .0
                .owned
                .bind(PendingForever(late.clone()), sched.clone(), Id::next());
        first.unwrap().run();
        runner.join().unwrap();
        REMOVED_FIRST.saw(removed_first);

        assert_eq!(sched.0.owned.len(), 2, "the two parked tasks are in the list");
        assert_eq!(join_now(completes).unwrap().value, 7);
        sched.0.owned.close_and_shutdown_all();
        assert_eq!(
            parked.future_drops.load(SeqCst),
            1,
            "the first parked task outlived the close"
        );
        assert_eq!(
            late.future_drops.load(SeqCst),
            1,
            "the late task outlived the close"
        );
        assert!(sched.0.owned.is_empty());
        for handle in [parked_handle, late_handle] {
            assert!(join_now(handle).is_err_and(|e| e.is_cancelled()));
        }
        sched.run_all();
        assert_eq!(sched.live_tasks(), 0);
    });
    REMOVED_FIRST.assert_both("whether the completion freed its slot before the bind");
}
