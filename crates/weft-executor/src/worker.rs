//! A worker: its core (local queue, LIFO slot, deferred list), its run
//! loop, and how a wake on a worker's thread reaches that worker's queue.
//!
//! # The run loop
//!
//! Each turn the worker takes one task and polls it under a fresh
//! cooperative budget. It looks, in order:
//!
//! 1. every `global_queue_interval` ticks, at the injector first (fairness
//!    for work from outside), taking its fair share of it as a batch;
//! 2. at the LIFO slot, unless it has already run `max_lifo_polls` tasks in
//!    a row from it, in which case that task goes to the back of the queue;
//! 3. at its local queue;
//! 4. at the injector, taking a batch (its fair share) into the local queue;
//! 5. as a searcher (if fewer than half the workers search), at the other
//!    workers' queues from a random start, stealing about half of the first
//!    non-empty one, then at the injector again;
//! 6. at its deferred tasks: it polls the driver without blocking, then
//!    moves them to its queue;
//! 7. and finally it parks (see `idle.rs` for the protocol, `park.rs` for
//!    the mechanism).
//!
//! Every `event_interval` ticks it also polls the driver without blocking,
//! so a busy runtime still sees I/O and timers.
//!
//! # Deferred tasks
//!
//! A task that yields with `coop::defer` (`yield_now`, a spent budget) is
//! not queued: it waits in the core's deferred list until the worker next
//! polls the driver (at the maintenance tick, or as soon as it has nothing
//! else to run), so a task yielding in a loop cannot keep the I/O and
//! timers it waits for from being seen. Deferred tasks count as the
//! worker's own: it never parks while it holds any.
//!
//! # Who owns the core
//!
//! The core does not belong to a thread: it lives in the shared state, in a
//! [`CoreCell`], and belongs to a *generation* of owner. The thread that
//! runs a [`Worker`] holds that generation. The rule (argued in
//! `core_cell.rs`):
//!
//! * in its loop, the owner touches the core freely;
//! * while it polls a task, it touches the core only through a *push
//!   window* (a wake or a spawn by the task it polls), which fails once the
//!   core has been taken;
//! * a poll that runs past the handoff threshold may have its core taken by
//!   the monitor (`monitor.rs`), which gives it, as a new generation, to a
//!   fresh thread that carries on as this worker. `block_in_place` does the
//!   same from inside the poll, at once;
//! * the thread whose core was taken finishes its one poll, sends whatever
//!   that poll still wakes or spawns to the injector, and retires:
//!   [`Worker::run`] returns. It never runs a second loop beside the new
//!   owner's.
//!
//! So at any moment exactly one thread runs worker `i`'s loop, and the
//! number of threads polling tasks from the queues is the number of workers
//! (plus, for a moment, threads finishing a stuck poll).
//!
//! The thread's [`WorkerContext`] (in the thread's one context) records the
//! generation it holds and whether it is in its loop, in a poll, or retired;
//! wakes from its own tasks consult it to reach the queues.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use weft_task::{coop, Notified};

use crate::context::CONTEXT;
use crate::core_cell::CoreCell;
use crate::handle::{Handle, Worker};
use crate::queue::{Local, Stealer};
use crate::slow::{SlowPoll, SlowPollKind};

/// The most a worker moves into its queue in one steal: about half of a
/// victim's queue, capped so a steal stays short.
const STEAL_LIMIT: usize = 128;

/// Where a task scheduled from its own worker goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// The LIFO slot: a task woken by the running one.
    Lifo,
    /// The back of the local queue: spawns, and tasks woken during their
    /// own poll.
    Back,
    /// Held back until the worker next polls the driver: tasks that yielded
    /// with `coop::defer` (`yield_now`, a spent budget).
    Defer,
}

/// A worker's queues and bookkeeping; moves between threads with its
/// owner generation (see the module docs).
pub(crate) struct Core {
    local: Local<Notified<Handle>>,
    lifo: Option<Notified<Handle>>,
    /// Tasks that yielded until the next driver poll, in yield order.
    deferred: Vec<Notified<Handle>>,
    lifo_polls: u32,
    tick: u32,
    is_searching: bool,
    is_parked: bool,
    rng: u32,
}

impl Core {
    pub(crate) fn new(index: usize) -> Core {
        Core {
            local: Local::new(),
            lifo: None,
            deferred: Vec::new(),
            lifo_polls: 0,
            tick: 0,
            is_searching: false,
            is_parked: false,
            rng: 0x9E37_79B9 ^ (index as u32).wrapping_mul(0x85EB_CA6B) | 1,
        }
    }

    pub(crate) fn stealer(&self) -> Stealer<Notified<Handle>> {
        self.local.stealer()
    }

    pub(crate) fn has_tasks(&self) -> bool {
        self.lifo.is_some() || !self.local.is_empty() || !self.deferred.is_empty()
    }

    /// The driver has just been polled: the deferred tasks may run, behind
    /// the ones already queued.
    fn release_deferred(&mut self) {
        for task in self.deferred.drain(..) {
            self.local.push(task);
        }
    }

    /// More than one task here and we are not searching: others could help.
    fn should_notify_others(&self) -> bool {
        !self.is_searching && usize::from(self.lifo.is_some()) + self.local.len() > 1
    }

    /// xorshift32: a cheap victim choice, different on every worker.
    fn next_random(&mut self) -> u32 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }

    fn push(&mut self, task: Notified<Handle>, placement: Placement) -> bool {
        match placement {
            Placement::Back => {
                self.local.push(task);
                true
            }
            Placement::Lifo => match self.lifo.replace(task) {
                Some(prev) => {
                    self.local.push(prev);
                    true
                }
                None => false,
            },
            Placement::Defer => {
                // Not stealable until released: nobody to notify.
                self.deferred.push(task);
                false
            }
        }
    }
}

/// What the owner thread of a worker is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// In its scheduler loop: it may touch the core freely.
    Loop,
    /// Inside a task's poll: only through push windows.
    Polling,
    /// Its core was taken (handoff, `block_in_place`): it is no worker.
    Retired,
}

/// The current thread's worker, if it runs one; lives in the thread's
/// [`context`](crate::context).
pub(crate) struct WorkerContext {
    pub(crate) handle: Handle,
    pub(crate) index: usize,
    /// The owner generation this thread holds.
    gen: Cell<u32>,
    /// The number of this thread's current (or last) poll.
    seq: Cell<u32>,
    phase: Cell<Phase>,
    /// Inside a core access: a reentrant one (a destructor run inside it,
    /// which our code never does) goes to the injector instead.
    busy: Cell<bool>,
}

impl WorkerContext {
    fn cell(&self) -> &CoreCell<Core> {
        &self.handle.shared.remotes[self.index].core
    }

    fn monitored(&self) -> bool {
        self.handle.shared.monitored
    }

    /// The owner's access to its core in its loop.
    fn core<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        debug_assert_eq!(
            self.phase.get(),
            Phase::Loop,
            "weft: core touched outside the loop"
        );
        debug_assert!(!self.busy.get(), "weft: reentrant core access");
        self.busy.set(true);
        // SAFETY: in `Phase::Loop` this thread holds the core's current
        // generation (it was given it, and only a take during a poll, which
        // moves us out of the loop, can end that) and no other thread
        // touches the core (core_cell.rs, rule 1). `f` is our own queue code.
        let out = unsafe { self.cell().with(f) };
        self.busy.set(false);
        out
    }

    /// Any access from this thread: directly in the loop, through a push
    /// window in a poll; `None` if this thread no longer owns the core (or
    /// is already inside an access).
    fn try_core<R>(&self, f: impl FnOnce(&mut Core) -> R) -> Option<R> {
        if self.busy.get() {
            return None;
        }
        match self.phase.get() {
            Phase::Loop => Some(self.core(f)),
            Phase::Retired => None,
            Phase::Polling if !self.monitored() => {
                self.busy.set(true);
                // SAFETY: without a monitor, only this thread can take the
                // core (`block_in_place`, which retires us first), so in a
                // poll that has not retired we still own it alone.
                let out = unsafe { self.cell().with(f) };
                self.busy.set(false);
                Some(out)
            }
            Phase::Polling => {
                self.busy.set(true);
                let out = self.cell().push_window(self.gen.get(), self.seq.get(), f);
                self.busy.set(false);
                if out.is_none() {
                    // Taken by the monitor: we only finish this poll.
                    self.phase.set(Phase::Retired);
                }
                out
            }
        }
    }
}

/// Schedules `task` on the current thread's worker if that is a worker of
/// `handle`'s executor that still owns its core; gives the task back
/// otherwise.
pub(crate) fn schedule_local(
    handle: &Handle,
    task: Notified<Handle>,
    placement: Placement,
) -> Result<(), Notified<Handle>> {
    let mut task = Some(task);
    let notify = CONTEXT
        .try_with(|cx| {
            let current = cx.worker.try_borrow().ok()?;
            let cx = current.as_ref()?;
            if !cx.handle.ptr_eq(handle) {
                return None;
            }
            cx.try_core(|core| {
                let pushed_to_queue = core.push(task.take().expect("pushed once"), placement);
                // A parked worker is being woken by its driver: wakes come in
                // batches, so it notifies once after the park instead.
                pushed_to_queue && !core.is_parked
            })
        })
        .ok()
        .flatten();
    match task {
        Some(task) => Err(task),
        None => {
            if notify == Some(true) {
                handle.notify_parked();
            }
            Ok(())
        }
    }
}

/// The index of the current thread's worker if it belongs to `handle`.
pub(crate) fn current_worker_of(handle: &Handle) -> Option<usize> {
    with_current(|cx| cx.handle.ptr_eq(handle).then_some(cx.index)).flatten()
}

fn with_current<R>(f: impl FnOnce(&WorkerContext) -> R) -> Option<R> {
    CONTEXT
        .try_with(|cx| {
            let current = cx.worker.try_borrow().ok()?;
            let cx = current.as_ref()?;
            (cx.phase.get() != Phase::Retired).then(|| f(cx))
        })
        .ok()
        .flatten()
}

/// `true` if the current thread runs a worker of any weft executor.
///
/// ```
/// assert!(!weft_executor::is_worker_thread());
/// ```
pub fn is_worker_thread() -> bool {
    with_current(|_| ()).is_some()
}

/// Runs a blocking `f` on a worker thread without stalling the worker's
/// tasks: the worker (its queues, its place in the idle and driver
/// protocol) is handed to another thread first, which carries on with them
/// while `f` runs here. When the task's poll returns, this thread retires.
///
/// Outside a worker (or in a worker's loop rather than a task's poll) it
/// just runs `f`. If no thread can be had for the worker (the OS refuses
/// one), `f` runs in place, as a plain blocking call would.
pub fn block_in_place<R>(f: impl FnOnce() -> R) -> R {
    let cx = CONTEXT
        .try_with(|c| c.worker.try_borrow().ok().and_then(|w| w.clone()))
        .ok()
        .flatten();
    if let Some(cx) = cx {
        if cx.handle.shared.config.current_thread {
            panic!(
                "block_in_place was called on a current-thread weft runtime: its one thread runs \
                 every task, so blocking it would stop them all. Run the blocking call on the \
                 blocking pool with `weft::spawn_blocking(f).await`, or build the runtime with \
                 `weft::Builder::new_multi_thread()`"
            );
        }
        if cx.phase.get() == Phase::Polling {
            hand_off_from_poll(&cx);
        }
    }
    f()
}

fn hand_off_from_poll(cx: &Rc<WorkerContext>) {
    let shared = &cx.handle.shared;
    let Some(thread) = shared.threads.get().and_then(|t| t.reserve()) else {
        return;
    };
    let Some(gen) = cx.cell().give_away(cx.gen.get(), cx.seq.get(), cx.monitored()) else {
        // The monitor took it first: we are retired already.
        cx.phase.set(Phase::Retired);
        return;
    };
    cx.phase.set(Phase::Retired);
    shared.handoffs.fetch_add(1, crate::sync::Ordering::Relaxed);
    // No longer a worker: `block_on` and friends work inside `f`.
    let _ = CONTEXT.try_with(|c| c.worker.borrow_mut().take());
    thread.start(Worker {
        handle: cx.handle.clone(),
        index: cx.index,
        gen,
    });
}

impl Worker {
    /// Runs the worker on the current thread until the executor shuts down,
    /// or until its core is handed to another thread (a poll that blocked
    /// past the handoff threshold, or `block_in_place`).
    ///
    /// On shutdown it cancels every task of the executor (their futures are
    /// dropped on this thread or on another worker), drops what is left in
    /// its queues, and returns. After a handoff it returns as soon as the
    /// stuck poll does.
    ///
    /// # Panics
    ///
    /// If the current thread already runs a worker.
    pub fn run(self) {
        let Worker { handle, index, gen } = self;
        debug_assert_eq!(handle.shared.remotes[index].core.generation(), gen);
        let cx = Rc::new(WorkerContext {
            handle,
            index,
            gen: Cell::new(gen),
            seq: Cell::new(0),
            phase: Cell::new(Phase::Loop),
            busy: Cell::new(false),
        });
        CONTEXT.with(|c| {
            let mut c = c.worker.borrow_mut();
            assert!(
                c.is_none(),
                "weft: this thread already runs a worker; run each Worker on its own thread"
            );
            *c = Some(cx.clone());
        });
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                let cx = CONTEXT.try_with(|c| c.worker.borrow_mut().take()).ok().flatten();
                drop(cx);
            }
        }
        let _reset = Reset;
        run_loop(&cx);
        if cx.phase.get() == Phase::Loop {
            shutdown_core(&cx);
        }
    }
}

impl Worker {
    /// Runs the worker's loop on the current thread until `future`
    /// completes, polling `future` here too whenever it is woken: a
    /// current-thread runtime's `block_on` ([`Config::current_thread`]).
    ///
    /// The worker stays the caller's between calls (nothing runs while no
    /// thread is inside one): keep it and pass it to the next `run_until`.
    /// `None` once the executor has shut down (this thread has then
    /// cancelled every task and emptied the queues); the caller may go on
    /// polling `future` by other means.
    ///
    /// [`Config::current_thread`]: crate::Config::current_thread
    ///
    /// # Panics
    ///
    /// If the current thread already runs a worker (a nested `block_on`).
    pub fn run_until<F: std::future::Future>(&mut self, future: std::pin::Pin<&mut F>) -> Option<F::Output> {
        let cx = Rc::new(WorkerContext {
            handle: self.handle.clone(),
            index: self.index,
            gen: Cell::new(self.gen),
            seq: Cell::new(0),
            phase: Cell::new(Phase::Loop),
            busy: Cell::new(false),
        });
        CONTEXT.with(|c| {
            let mut c = c.worker.borrow_mut();
            assert!(
                c.is_none(),
                "weft: block_on called inside a current-thread runtime's loop; use `.await`"
            );
            *c = Some(cx.clone());
        });
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                let cx = CONTEXT.try_with(|c| c.worker.borrow_mut().take()).ok().flatten();
                drop(cx);
            }
        }
        let _reset = Reset;
        let out = run_loop_until(&cx, future);
        if out.is_none() {
            shutdown_core(&cx);
        }
        out
    }
}

/// The waker of a current-thread loop's `block_on` future: marks it woken
/// and unparks the loop (which may be parked in the driver).
struct MainWake {
    woken: crate::sync::AtomicBool,
    handle: Handle,
    index: usize,
}

impl std::task::Wake for MainWake {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        if !self.woken.swap(true, crate::sync::Ordering::SeqCst) {
            let shared = &self.handle.shared;
            shared.remotes[self.index].parker.unpark(&shared.driver);
        }
    }
}

fn run_loop_until<F: std::future::Future>(
    cx: &WorkerContext,
    mut future: std::pin::Pin<&mut F>,
) -> Option<F::Output> {
    use crate::sync::Ordering::SeqCst;
    let config = &cx.handle.shared.config;
    let main = std::sync::Arc::new(MainWake {
        woken: crate::sync::AtomicBool::new(true),
        handle: cx.handle.clone(),
        index: cx.index,
    });
    let waker = std::task::Waker::from(main.clone());
    let mut main_cx = std::task::Context::from_waker(&waker);
    loop {
        if cx.handle.is_shutdown() {
            return None;
        }
        // A load first: the swap is a locked RMW, and this runs once a task.
        if main.woken.load(SeqCst) && main.woken.swap(false, SeqCst) {
            // Polled in the loop phase: its spawns and wakes go straight to
            // the queues.
            if let std::task::Poll::Ready(out) = coop::budget(|| future.as_mut().poll(&mut main_cx)) {
                return Some(out);
            }
            // On to a task: a future woken again during its own poll (one
            // that runs local tasks in batches) must not starve the queue.
        }
        let tick = cx.core(|core| {
            core.tick = core.tick.wrapping_add(1);
            core.tick
        });
        if tick % config.event_interval == 0 {
            maintenance(cx);
        }
        let task = match next_task(cx, tick) {
            Some(task) => Some(task),
            None => steal_work(cx),
        };
        if let Some(task) = task {
            let still_ours = run_task(cx, task);
            debug_assert!(still_ours, "weft: a current-thread loop is never handed off");
            continue;
        }
        if cx.core(|core| !core.deferred.is_empty()) {
            cx.handle.shared.driver.poll_now();
            cx.core(Core::release_deferred);
            continue;
        }
        park(cx, || main.woken.load(SeqCst));
    }
}

fn run_loop(cx: &WorkerContext) {
    let config = &cx.handle.shared.config;
    loop {
        if cx.handle.is_shutdown() {
            return;
        }
        let tick = cx.core(|core| {
            core.tick = core.tick.wrapping_add(1);
            core.tick
        });
        if tick % config.event_interval == 0 {
            maintenance(cx);
        }
        let task = match next_task(cx, tick) {
            Some(task) => Some(task),
            None => steal_work(cx),
        };
        if let Some(task) = task {
            if !run_task(cx, task) {
                // Handed off: the worker goes on on another thread.
                return;
            }
            continue;
        }
        if cx.core(|core| !core.deferred.is_empty()) {
            // Only yielded tasks are left: let the driver run before they
            // do (without blocking), then take them up again.
            cx.handle.shared.driver.poll_now();
            cx.core(Core::release_deferred);
            continue;
        }
        park(cx, || false);
    }
}

/// Polls one task; `false` if the core was taken meanwhile.
fn run_task(cx: &WorkerContext, task: Notified<Handle>) -> bool {
    let shared = &cx.handle.shared;
    let last_searcher = cx.core(|core| {
        if core.is_searching {
            core.is_searching = false;
            shared.idle.transition_worker_from_searching()
        } else {
            false
        }
    });
    if last_searcher {
        // Idle rule 3: we found work; let one more worker look for more.
        cx.handle.notify_parked();
    }
    shared.remotes[cx.index].counters.polls.inc();

    let seq = cx.seq.get().wrapping_add(1);
    cx.seq.set(seq);
    cx.phase.set(Phase::Polling);
    cx.cell().begin_poll(cx.gen.get(), seq, cx.monitored());
    match &shared.slow {
        None => coop::budget(|| task.run()),
        Some(slow) => slow.watch(task),
    }
    if cx.phase.get() == Phase::Retired {
        return false;
    }
    if cx.cell().end_poll(cx.gen.get(), seq, cx.monitored()) {
        cx.phase.set(Phase::Loop);
        true
    } else {
        cx.phase.set(Phase::Retired);
        false
    }
}

impl crate::slow::SlowWatch {
    /// Polls `task`, reporting it if it waited, or ran, too long.
    fn watch(&self, task: Notified<Handle>) {
        let started = Instant::now();
        if let Some(woken) = task.take_woken() {
            let waited = self.since_start(started).saturating_sub(woken);
            if waited >= self.threshold_nanos() {
                self.report(SlowPoll::new(
                    SlowPollKind::Starved,
                    task.id(),
                    task.name().cloned(),
                    task.location(),
                    std::time::Duration::from_nanos(waited),
                ));
            }
        }
        let (id, name, location) = (task.id(), task.name().cloned(), task.location());
        coop::budget(|| task.run());
        let ran = started.elapsed();
        if ran >= self.threshold() {
            self.report(SlowPoll::new(SlowPollKind::Poll, id, name, location, ran));
        }
    }
}

fn next_task(cx: &WorkerContext, tick: u32) -> Option<Notified<Handle>> {
    let shared = &cx.handle.shared;
    cx.core(|core| {
        if tick % shared.config.global_queue_interval == 0 && !shared.injector.is_empty() {
            // Fairness tick: take our fair share of the injector, not one
            // task. With one task per tick, a worker whose local queue never
            // empties (busy yielders) would drain outside work at one task
            // per 61 polls.
            let n = (shared.injector.len() / shared.remotes.len() + 1).min(STEAL_LIMIT);
            if let Some(task) = shared.injector.steal_batch_and_pop(&core.local, n) {
                core.lifo_polls = 0;
                return Some(task);
            }
        }
        if let Some(task) = core.lifo.take() {
            if core.lifo_polls < shared.config.max_lifo_polls {
                core.lifo_polls += 1;
                return Some(task);
            }
            // Starvation guard: the LIFO chain has had its turns.
            core.local.push(task);
        }
        core.lifo_polls = 0;
        if !shared.injector.is_empty() {
            // Outside work joins the back of our queue now, behind what we
            // hold, rather than at the next fairness tick: with long polls
            // queued (61 of 10 us each) that tick is far off, and each take
            // moves at most one injector block. Our own tasks keep their
            // place, so this only makes the two queues one FIFO sooner.
            let n = (shared.injector.len() / shared.remotes.len() + 1).min(STEAL_LIMIT);
            shared.injector.steal_batch(&core.local, n);
        }
        if let Some(task) = core.local.pop() {
            return Some(task);
        }
        if shared.injector.is_empty() {
            return None;
        }
        // Our fair share of the injector, so the other workers get theirs.
        let n = (shared.injector.len() / shared.remotes.len() + 1).min(STEAL_LIMIT);
        shared.injector.steal_batch_and_pop(&core.local, n)
    })
}

fn steal_work(cx: &WorkerContext) -> Option<Notified<Handle>> {
    let shared = &cx.handle.shared;
    cx.core(|core| {
        if !core.is_searching {
            if !shared.idle.transition_worker_to_searching() {
                return None;
            }
            core.is_searching = true;
        }
        let n = shared.remotes.len();
        let start = core.next_random() as usize % n;
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == cx.index {
                continue;
            }
            if let Some(task) = shared.remotes[victim]
                .stealer
                .steal_batch_and_pop(&core.local, STEAL_LIMIT)
            {
                shared.remotes[cx.index].counters.steals.inc();
                return Some(task);
            }
        }
        shared.injector.steal_batch_and_pop(&core.local, STEAL_LIMIT)
    })
}

fn maintenance(cx: &WorkerContext) {
    cx.handle.shared.driver.poll_now();
    let notify = cx.core(|core| {
        core.release_deferred();
        core.should_notify_others()
    });
    if notify {
        cx.handle.notify_parked();
    }
}

/// Parks until there is work, or until `wanted` says the caller has
/// something else to do (a current-thread loop's `block_on` future was
/// woken; its waker unparks us).
fn park(cx: &WorkerContext, wanted: impl Fn() -> bool) {
    let shared = &cx.handle.shared;
    let Some(was_searching) = cx.core(|core| {
        if core.has_tasks() || wanted() {
            return None;
        }
        core.is_parked = true;
        Some(std::mem::replace(&mut core.is_searching, false))
    }) else {
        return;
    };
    // Idle rule 4: announce, then (if we were the last searcher) re-check.
    if shared.idle.transition_worker_to_parked(cx.index, was_searching) {
        cx.handle.notify_if_work_pending();
    }
    shared.remotes[cx.index].counters.parks.inc();
    while !cx.handle.is_shutdown() {
        shared.remotes[cx.index].parker.park(&shared.driver);
        if cx.core(|core| core.has_tasks()) {
            // The driver woke tasks onto our own queue. If nobody took us
            // off the sleeper list, we do it, and we are not searching; if
            // a notifier did, it counted us as searching.
            let was_listed = shared.idle.unpark_worker_by_id(cx.index);
            cx.core(|core| core.is_searching = !was_listed);
            break;
        }
        if !shared.idle.is_parked(cx.index) {
            // A notifier woke us and counted us as searching.
            cx.core(|core| core.is_searching = true);
            break;
        }
        if wanted() {
            // Off the sleeper list ourselves, not searching.
            let was_listed = shared.idle.unpark_worker_by_id(cx.index);
            cx.core(|core| core.is_searching = !was_listed);
            break;
        }
        // Spurious, or the driver made progress that woke nothing here.
    }
    // We are unparked now: if the monitor sleeps for want of busy
    // workers, it watches again.
    shared.monitor_park.wake_if_sleeping();
    let notify = cx.core(|core| {
        core.is_parked = false;
        core.should_notify_others()
    });
    if notify {
        cx.handle.notify_parked();
    }
}

fn shutdown_core(cx: &WorkerContext) {
    // Cancel every task of the executor; other workers do the same, and the
    // list hands each task to exactly one of us.
    cx.handle.shared.owned.close_and_shutdown_all();
    loop {
        // Taken out, then dropped outside the access: a drop may free a
        // task, which is foreign code.
        let task = cx.core(|core| {
            core.lifo
                .take()
                .or_else(|| core.local.pop())
                .or_else(|| core.deferred.pop())
        });
        match task {
            // Cancelled above: dropping the notification drops a reference.
            Some(task) => drop(task),
            None => break,
        }
    }
}
