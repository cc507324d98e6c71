//! The callback queue: a FIFO of callbacks and the one bit that says
//! whether a runner is draining it.
//!
//! # Protocol
//!
//! The queue is one lock around two things: the callbacks waiting to run,
//! and the runner state, [`Runner::Idle`] or [`Runner::Scheduled`].
//! `Scheduled` means exactly one runner exists (spawned, queued, running or
//! yielding) that has not yet been told the queue is empty. Two rules:
//!
//! 1. **Push.** A push appends its callback and, in the same critical
//!    section, reads the state: `Idle` becomes `Scheduled` and the pusher
//!    starts a runner ([`Pushed::StartRunner`]); `Scheduled` is left alone
//!    ([`Pushed::RunnerActive`]).
//! 2. **Next.** The runner takes the front callback, or, finding none,
//!    sets `Idle` in the same critical section and exits ([`Option::None`]).
//!
//! # Why no callback is lost and none runs twice
//!
//! Every transition happens under the one lock, so pushes and `next` calls
//! are totally ordered. Take a push P. If P saw `Scheduled`, the runner
//! that exists has not gone idle yet: it goes idle only in a `next` that
//! finds the queue empty, and that `next` comes after P in the lock order,
//! so it cannot find the queue empty before it has taken P's callback. If
//! P saw `Idle`, no runner exists, and the one P starts takes everything
//! queued, P's callback included. A callback leaves the queue exactly once,
//! by `pop_front` under the lock, so it is handed to one runner, once.
//!
//! # Why one at a time
//!
//! A runner is started only on `Idle -> Scheduled`, and `Scheduled` is left
//! only by the runner itself. So at most one runner exists at any moment,
//! and it runs its callbacks in turn: FIFO order is the order in which the
//! pushes took the lock, which for pushes from one thread is program order.
//!
//! # Closing
//!
//! When the runtime shuts down, [`CallbackQueue::close`] hands back every
//! waiting callback (to be dropped, as the tasks' futures are) and makes
//! every later push hand its callback straight back ([`Pushed::Closed`]):
//! nothing is left queued in a runtime nobody will run, where a callback
//! that holds a `Handle` would keep the runtime's memory alive in a cycle.
//!
//! The loom model `loom-tests/tests/callbacks.rs` includes this very file
//! (through `#[path]`) with loom's `Mutex` behind `super::sync`.

use std::collections::VecDeque;

use super::sync::{lock, Mutex};

/// Callbacks waiting to run, and whether a runner is draining them.
pub(crate) struct CallbackQueue<C> {
    state: Mutex<State<C>>,
}

struct State<C> {
    waiting: VecDeque<C>,
    runner: Runner,
    closed: bool,
}

/// Whether a runner exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Runner {
    /// No runner: the next push starts one.
    Idle,
    /// One runner exists and will see every callback pushed before it
    /// goes idle.
    Scheduled,
}

/// What a push asks of its caller.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a push that returns StartRunner must start a runner, or the callback never runs"]
pub(crate) enum Pushed<C> {
    /// The queue was idle: the caller must start the runner.
    StartRunner,
    /// A runner exists and will take the callback.
    RunnerActive,
    /// The queue is closed: here is the callback back, never to run.
    Closed(C),
}

impl<C> CallbackQueue<C> {
    pub(crate) fn new() -> Self {
        CallbackQueue {
            state: Mutex::new(State {
                waiting: VecDeque::new(),
                runner: Runner::Idle,
                closed: false,
            }),
        }
    }

    /// Rule 1: appends `callback`; says whether the caller starts a runner.
    pub(crate) fn push(&self, callback: C) -> Pushed<C> {
        let mut s = lock(&self.state);
        if s.closed {
            return Pushed::Closed(callback);
        }
        s.waiting.push_back(callback);
        match s.runner {
            // Idle -> Scheduled: no runner exists; the caller starts one.
            Runner::Idle => {
                s.runner = Runner::Scheduled;
                Pushed::StartRunner
            }
            // A runner exists; it goes idle only after taking this one.
            Runner::Scheduled => Pushed::RunnerActive,
        }
    }

    /// Rule 2, called only by the runner: the next callback, or `None`
    /// once the queue is empty, in which case the runner has gone idle and
    /// must exit.
    pub(crate) fn next(&self) -> Option<C> {
        let mut s = lock(&self.state);
        debug_assert_eq!(s.runner, Runner::Scheduled, "only the runner takes callbacks");
        match s.waiting.pop_front() {
            Some(callback) => Some(callback),
            // Scheduled -> Idle, under the lock a racing push must take.
            None => {
                s.runner = Runner::Idle;
                None
            }
        }
    }

    /// The runner is gone without having seen the queue empty (its task
    /// was cancelled, the runtime shutting down): the next push starts a
    /// new one. What is queued stays queued.
    pub(crate) fn abandon(&self) {
        lock(&self.state).runner = Runner::Idle;
    }

    /// Closes the queue (the runtime is shutting down) and returns what was
    /// waiting; every later push gets its callback back.
    pub(crate) fn close(&self) -> VecDeque<C> {
        let mut s = lock(&self.state);
        s.closed = true;
        std::mem::take(&mut s.waiting)
    }
}
