//! The runtime's own threads: its workers, the threads that take over a
//! handed-off worker, the spares they retire to, and the monitor.
//!
//! # A thread's life
//!
//! A worker thread runs the start hook, enters the runtime, and runs its
//! [`Worker`] until the runtime shuts down or the worker is handed to
//! another thread (its poll blocked past the handoff threshold, or it called
//! `block_in_place`). A thread whose worker was handed off becomes a
//! *spare*: it waits up to the keep-alive (`Builder::thread_keep_alive`) to
//! be given another worker by a later handoff, and exits otherwise. So a
//! runtime whose tasks block now and then keeps a spare or two, and its
//! thread count does not grow over repeated episodes.
//!
//! A handoff [reserves](ThreadSource::reserve) a thread first (a spare, or a
//! new one, which starts as a spare), then takes the core, then starts the
//! reserved thread on it; a reservation dropped unused (the poll ended
//! first) puts the thread back among the spares.
//!
//! # Shutdown
//!
//! [`Threads::shutdown`] tells the spares to exit, waits (up to the
//! timeout) until every thread has left the runtime's code, and joins them:
//! dropping a runtime leaves no thread of it behind. A thread still stuck in
//! a poll after the timeout is left to finish on its own (it cannot be
//! interrupted); a later shutdown call joins it.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread;
use std::time::{Duration, Instant};

use weft_executor::{ReservedThread, ThreadSource, Worker};

use super::builder::Callback;
use super::handle::{Handle, Inner};

/// How a runtime names and sets up its threads.
pub(crate) struct ThreadConfig {
    pub(crate) name: String,
    pub(crate) stack_size: Option<usize>,
    pub(crate) on_start: Option<Callback>,
    pub(crate) on_stop: Option<Callback>,
    pub(crate) keep_alive: Duration,
}

/// The runtime's thread registry; cheap to clone.
#[derive(Clone)]
pub(crate) struct Threads {
    shared: Arc<Shared>,
}

struct Shared {
    runtime: Weak<Inner>,
    config: ThreadConfig,
    state: Mutex<State>,
    /// Signalled when a thread leaves the runtime's code.
    exited: Condvar,
}

struct State {
    /// Threads waiting for a worker, each on its own slot.
    spares: Vec<Arc<Slot>>,
    /// Every thread started and not joined yet.
    handles: Vec<thread::JoinHandle<()>>,
    /// Threads inside the runtime's code (started, not yet done).
    live: usize,
    /// Names the next thread: `NAME-worker-N`.
    next_index: usize,
    shutdown: bool,
}

/// One thread's mailbox: the worker it is given, or the order to exit.
struct Slot {
    next: Mutex<Next>,
    given: Condvar,
}

enum Next {
    Wait,
    Run(Worker),
    Exit,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Threads {
    pub(crate) fn new(runtime: Weak<Inner>, config: ThreadConfig) -> Threads {
        Threads {
            shared: Arc::new(Shared {
                runtime,
                config,
                state: Mutex::new(State {
                    spares: Vec::new(),
                    handles: Vec::new(),
                    live: 0,
                    next_index: 0,
                    shutdown: false,
                }),
                exited: Condvar::new(),
            }),
        }
    }

    /// Starts a thread that runs `worker` at once.
    pub(crate) fn start_worker(&self, worker: Worker) -> std::io::Result<()> {
        self.spawn(Next::Run(worker)).map(drop)
    }

    /// Starts a thread outside the worker machinery (the monitor), counted
    /// and joined like the others.
    pub(crate) fn start_helper(
        &self,
        name: &str,
        body: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<()> {
        let mut tb = thread::Builder::new().name(format!("{}-{name}", self.shared.config.name));
        if let Some(size) = self.shared.config.stack_size {
            tb = tb.stack_size(size);
        }
        let shared = self.shared.clone();
        let mut state = lock(&self.shared.state);
        state.live += 1;
        let spawned = tb.spawn(move || {
            let _out = CountOut(&shared);
            body();
        });
        match spawned {
            Ok(h) => {
                state.handles.push(h);
                Ok(())
            }
            Err(e) => {
                state.live -= 1;
                Err(e)
            }
        }
    }

    fn spawn(&self, first: Next) -> std::io::Result<Arc<Slot>> {
        let slot = Arc::new(Slot {
            next: Mutex::new(first),
            given: Condvar::new(),
        });
        let mut state = lock(&self.shared.state);
        if state.shutdown {
            return Err(std::io::Error::other("the weft runtime is shutting down"));
        }
        let index = state.next_index;
        state.next_index += 1;
        let mut tb = thread::Builder::new().name(format!("{}-worker-{index}", self.shared.config.name));
        if let Some(size) = self.shared.config.stack_size {
            tb = tb.stack_size(size);
        }
        let (shared, mine) = (self.shared.clone(), slot.clone());
        state.live += 1;
        match tb.spawn(move || thread_main(shared, mine)) {
            Ok(h) => {
                // Join the threads that have exited since (spares whose
                // keep-alive ran out), so the list stays short.
                let (done, live): (Vec<_>, Vec<_>) = state.handles.drain(..).partition(|h| h.is_finished());
                state.handles = live;
                state.handles.push(h);
                drop(state);
                for h in done {
                    let _ = h.join();
                }
                Ok(slot)
            }
            Err(e) => {
                state.live -= 1;
                Err(std::io::Error::new(
                    e.kind(),
                    format!("weft: could not start worker thread {index}: {e}"),
                ))
            }
        }
    }

    /// Stops the spares and waits up to `timeout` (`None`: for as long as
    /// it takes) for every thread to leave the runtime's code, then joins
    /// them (all but the caller's own). `false` on timeout: the threads
    /// still running are left to finish.
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let me = thread::current().id();
        let mut state = lock(&self.shared.state);
        state.shutdown = true;
        for spare in state.spares.drain(..) {
            *lock(&spare.next) = Next::Exit;
            spare.given.notify_one();
        }
        // The caller may be one of ours (a runtime dropped from its own
        // blocking pool, or from a task: it has been told not to wait).
        let own = usize::from(state.handles.iter().any(|h| h.thread().id() == me));
        let mut all_out = true;
        while state.live > own {
            match deadline {
                None => state = self.shared.exited.wait(state).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        all_out = false;
                        break;
                    }
                    state = self
                        .shared
                        .exited
                        .wait_timeout(state, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        let handles = std::mem::take(&mut state.handles);
        let mut kept = Vec::new();
        drop(state);
        for h in handles {
            if h.thread().id() != me && (all_out || h.is_finished()) {
                let _ = h.join();
            } else {
                kept.push(h);
            }
        }
        lock(&self.shared.state).handles.extend(kept);
        all_out
    }
}

/// Counts a thread out of the runtime's code on every exit path.
struct CountOut<'a>(&'a Shared);

impl Drop for CountOut<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).live -= 1;
        self.0.exited.notify_all();
    }
}

fn thread_main(shared: Arc<Shared>, slot: Arc<Slot>) {
    let _out = CountOut(&shared);
    let config = &shared.config;
    // The hooks are the user's: a panic in one is contained, and the thread
    // still runs its worker (whose queue would be lost otherwise).
    if let Some(f) = &config.on_start {
        weft_task::foreign::contain("an on_thread_start hook", || f());
    }
    if let Some(inner) = shared.runtime.upgrade() {
        let handle = Handle { inner };
        let _cx = handle.enter();
        while let Some(worker) = next_worker(&shared, &slot) {
            worker.run();
            if handle.inner.exec.is_shutdown() {
                break;
            }
            // Handed off: retire to the spares for the next handoff
            // (unless shutdown has begun: it has already told the spares).
            let mut state = lock(&shared.state);
            if state.shutdown {
                break;
            }
            state.spares.push(slot.clone());
        }
    }
    if let Some(f) = &config.on_stop {
        weft_task::foreign::contain("an on_thread_stop hook", || f());
    }
}

/// The worker this thread is given next; `None` to exit (shutdown, or the
/// keep-alive ran out with no worker given).
fn next_worker(shared: &Shared, slot: &Arc<Slot>) -> Option<Worker> {
    let mut next = lock(&slot.next);
    loop {
        match std::mem::replace(&mut *next, Next::Wait) {
            Next::Run(worker) => return Some(worker),
            Next::Exit => return None,
            Next::Wait => {}
        }
        let (guard, timed_out) = slot
            .given
            .wait_timeout(next, shared.config.keep_alive)
            .unwrap_or_else(|e| e.into_inner());
        next = guard;
        if timed_out.timed_out() && matches!(*next, Next::Wait) {
            // Leave, unless a handoff reserved us meanwhile (then it will
            // start us, or put us back: keep waiting).
            let mut state = lock(&shared.state);
            if let Some(i) = state.spares.iter().position(|s| Arc::ptr_eq(s, slot)) {
                state.spares.swap_remove(i);
                return None;
            }
        }
    }
}

impl ThreadSource for Threads {
    fn reserve(&self) -> Option<Box<dyn ReservedThread>> {
        let spare = {
            let mut state = lock(&self.shared.state);
            if state.shutdown {
                return None;
            }
            state.spares.pop()
        };
        let slot = match spare {
            Some(slot) => slot,
            None => self.spawn(Next::Wait).ok()?,
        };
        Some(Box::new(Reserved {
            threads: self.clone(),
            slot: Some(slot),
        }))
    }
}

/// A thread held for one handoff.
struct Reserved {
    threads: Threads,
    slot: Option<Arc<Slot>>,
}

impl ReservedThread for Reserved {
    fn start(mut self: Box<Self>, worker: Worker) {
        let slot = self.slot.take().expect("started once");
        *lock(&slot.next) = Next::Run(worker);
        slot.given.notify_one();
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            // Unused: back among the spares (or told to exit at shutdown).
            let mut state = lock(&self.threads.shared.state);
            if state.shutdown {
                drop(state);
                *lock(&slot.next) = Next::Exit;
                slot.given.notify_one();
            } else {
                state.spares.push(slot);
            }
        }
    }
}
