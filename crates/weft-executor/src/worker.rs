//! A worker: its core (local queue, LIFO slot), its run loop, and the
//! thread-local context that lets a wake on this thread reach its queue.
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
//! 6. and finally it parks (see `idle.rs` for the protocol, `park.rs` for
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
//! # The core's borrow
//!
//! The core lives in a `RefCell` in the thread's context. The loop borrows
//! it only around queue operations, never while a task runs or a
//! notification is dropped, so a wake from inside a task (or from the
//! driver, during a park) can push to the local queue. If the core is
//! borrowed anyway (a wake from a destructor run inside a queue operation,
//! which our code never does), the wake goes to the injector.

use std::cell::RefCell;
use std::rc::Rc;

use weft_task::{coop, Notified};

use crate::context::CONTEXT;
use crate::handle::{Handle, Worker};
use crate::queue::{Local, Stealer};

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

/// What only the worker's own thread touches.
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
    pub(crate) fn new() -> Core {
        Core {
            local: Local::new(),
            lifo: None,
            deferred: Vec::new(),
            lifo_polls: 0,
            tick: 0,
            is_searching: false,
            is_parked: false,
            rng: 0,
        }
    }

    pub(crate) fn stealer(&self) -> Stealer<Notified<Handle>> {
        self.local.stealer()
    }

    fn has_tasks(&self) -> bool {
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
}

/// The current thread's worker, if it is one; lives in the thread's
/// [`context`](crate::context).
pub(crate) struct WorkerContext {
    handle: Handle,
    index: usize,
    core: RefCell<Core>,
}

type Context = WorkerContext;

/// Schedules `task` on the current thread's worker if that is a worker of
/// `handle`'s executor; gives the task back otherwise.
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
            let mut core = cx.core.try_borrow_mut().ok()?;
            let task = task.take()?;
            let pushed_to_queue = match placement {
                Placement::Back => {
                    core.local.push(task);
                    true
                }
                Placement::Lifo => match core.lifo.replace(task) {
                    Some(prev) => {
                        core.local.push(prev);
                        true
                    }
                    None => false,
                },
                Placement::Defer => {
                    // Not stealable until released: nobody to notify.
                    core.deferred.push(task);
                    false
                }
            };
            // A parked worker is being woken by its driver: wakes come in
            // batches, so it notifies once after the park instead.
            Some(pushed_to_queue && !core.is_parked)
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
    CONTEXT
        .try_with(|cx| {
            let current = cx.worker.try_borrow().ok()?;
            let cx = current.as_ref()?;
            cx.handle.ptr_eq(handle).then_some(cx.index)
        })
        .ok()
        .flatten()
}

/// `true` if the current thread is a worker of any weft executor.
///
/// ```
/// assert!(!weft_executor::is_worker_thread());
/// ```
pub fn is_worker_thread() -> bool {
    CONTEXT
        .try_with(|cx| cx.worker.try_borrow().map(|c| c.is_some()).unwrap_or(true))
        .unwrap_or(false)
}

impl Worker {
    /// Runs the worker on the current thread until the executor shuts down.
    ///
    /// On shutdown it cancels every task of the executor (their futures are
    /// dropped on this thread or on another worker), drops what is left in
    /// its queues, and returns.
    ///
    /// # Panics
    ///
    /// If the current thread already runs a worker.
    pub fn run(self) {
        let Worker {
            handle,
            index,
            mut core,
        } = self;
        core.rng = 0x9E37_79B9 ^ (index as u32).wrapping_mul(0x85EB_CA6B) | 1;
        let cx = Rc::new(Context {
            handle,
            index,
            core: RefCell::new(core),
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
                // Dropping the core drops any task still queued; do it with
                // the context already cleared.
                drop(cx);
            }
        }
        let _reset = Reset;
        run_loop(&cx);
        shutdown_core(&cx);
    }
}

fn run_loop(cx: &Context) {
    let config = &cx.handle.shared.config;
    loop {
        if cx.handle.is_shutdown() {
            return;
        }
        let tick = {
            let mut core = cx.core.borrow_mut();
            core.tick = core.tick.wrapping_add(1);
            core.tick
        };
        if tick % config.event_interval == 0 {
            maintenance(cx);
        }
        if let Some(task) = next_task(cx, tick) {
            run_task(cx, task);
            continue;
        }
        if let Some(task) = steal_work(cx) {
            run_task(cx, task);
            continue;
        }
        if !cx.core.borrow().deferred.is_empty() {
            // Only yielded tasks are left: let the driver run before they
            // do (without blocking), then take them up again.
            cx.handle.shared.driver.poll_now();
            cx.core.borrow_mut().release_deferred();
            continue;
        }
        park(cx);
    }
}

fn run_task(cx: &Context, task: Notified<Handle>) {
    let last_searcher = {
        let mut core = cx.core.borrow_mut();
        if core.is_searching {
            core.is_searching = false;
            cx.handle.shared.idle.transition_worker_from_searching()
        } else {
            false
        }
    };
    if last_searcher {
        // Idle rule 3: we found work; let one more worker look for more.
        cx.handle.notify_parked();
    }
    cx.handle.shared.remotes[cx.index].counters.polls.inc();
    coop::budget(|| task.run());
}

fn next_task(cx: &Context, tick: u32) -> Option<Notified<Handle>> {
    let shared = &cx.handle.shared;
    let mut core = cx.core.borrow_mut();
    if tick % shared.config.global_queue_interval == 0 && !shared.injector.is_empty() {
        // Fairness tick: take our fair share of the injector, not one task.
        // With one task per tick, a worker whose local queue never empties
        // (busy yielders) would drain outside work at one task per 61 polls.
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
    if let Some(task) = core.local.pop() {
        return Some(task);
    }
    if shared.injector.is_empty() {
        return None;
    }
    // Our fair share of the injector, so the other workers get theirs.
    let n = (shared.injector.len() / shared.remotes.len() + 1).min(STEAL_LIMIT);
    shared.injector.steal_batch_and_pop(&core.local, n)
}

fn steal_work(cx: &Context) -> Option<Notified<Handle>> {
    let shared = &cx.handle.shared;
    let mut core = cx.core.borrow_mut();
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
}

fn maintenance(cx: &Context) {
    cx.handle.shared.driver.poll_now();
    let notify = {
        let mut core = cx.core.borrow_mut();
        core.release_deferred();
        core.should_notify_others()
    };
    if notify {
        cx.handle.notify_parked();
    }
}

fn park(cx: &Context) {
    let shared = &cx.handle.shared;
    let was_searching = {
        let mut core = cx.core.borrow_mut();
        if core.has_tasks() {
            return;
        }
        core.is_parked = true;
        std::mem::replace(&mut core.is_searching, false)
    };
    // Idle rule 4: announce, then (if we were the last searcher) re-check.
    if shared.idle.transition_worker_to_parked(cx.index, was_searching) {
        cx.handle.notify_if_work_pending();
    }
    shared.remotes[cx.index].counters.parks.inc();
    while !cx.handle.is_shutdown() {
        shared.remotes[cx.index].parker.park(&shared.driver);
        let has_tasks = cx.core.borrow().has_tasks();
        if has_tasks {
            // The driver woke tasks onto our own queue. If nobody took us
            // off the sleeper list, we do it, and we are not searching; if
            // a notifier did, it counted us as searching.
            let was_listed = shared.idle.unpark_worker_by_id(cx.index);
            cx.core.borrow_mut().is_searching = !was_listed;
            break;
        }
        if !shared.idle.is_parked(cx.index) {
            // A notifier woke us and counted us as searching.
            cx.core.borrow_mut().is_searching = true;
            break;
        }
        // Spurious, or the driver made progress that woke nothing here.
    }
    let notify = {
        let mut core = cx.core.borrow_mut();
        core.is_parked = false;
        core.should_notify_others()
    };
    if notify {
        cx.handle.notify_parked();
    }
}

fn shutdown_core(cx: &Context) {
    // Cancel every task of the executor; other workers do the same, and the
    // list hands each task to exactly one of us.
    cx.handle.shared.owned.close_and_shutdown_all();
    loop {
        let task = {
            let mut core = cx.core.borrow_mut();
            core.lifo
                .take()
                .or_else(|| core.local.pop())
                .or_else(|| core.deferred.pop())
        };
        match task {
            // Cancelled above: dropping the notification drops a reference.
            Some(task) => drop(task),
            None => break,
        }
    }
}
