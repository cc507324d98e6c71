//! The task's state word.
//!
//! One `AtomicUsize` holds every flag of a task and its reference count:
//!
//! | bit        | meaning                                                        |
//! |------------|----------------------------------------------------------------|
//! | `RUNNING`  | a thread is polling the future (or cancelling it); it owns the stage |
//! | `COMPLETE` | the stage holds the output (or it was consumed); the future is gone |
//! | `NOTIFIED` | a `Notified` for this task exists (in a queue or about to be)   |
//! | `JOIN_INTEREST` | the `JoinHandle` is alive and wants the output             |
//! | `JOIN_WAKER` | the join waker slot is initialised and owned by the runtime side |
//! | `CANCELLED` | the task was aborted; the next thread to run it cancels it     |
//! | `SHUTDOWN` | set with `CANCELLED` when the cause is the scheduler's shutdown, so the error says so |
//! | rest       | the reference count, in units of `REF_ONE`                     |
//!
//! # Invariants
//!
//! * **Never in two queues.** A `Notified` is only created by the transition
//!   that sets `NOTIFIED` while it was clear (or by the poll that cleared it
//!   and saw it set again). So at most one `Notified` exists per task.
//! * **Never polled by two threads.** Only the transition that sets
//!   `RUNNING` while both `RUNNING` and `COMPLETE` were clear grants the
//!   right to touch the future; it is released by clearing `RUNNING`.
//! * **Freed once.** Every handle (`Task`, `Notified`, `JoinHandle`,
//!   `AbortHandle`, each `Waker`) owns one reference; the allocation is freed
//!   by whoever takes the count to zero, and nobody touches it afterwards.
//! * **The join waker.** With `JOIN_WAKER` clear, only the `JoinHandle` may
//!   touch the waker slot (and only while `COMPLETE` is clear). With it set,
//!   only the runtime may, and only after setting `COMPLETE`. These are
//!   tokio's rules, and the reason for the dance in `join.rs`.

use crate::sync::{AtomicUsize, Ordering::*};

const RUNNING: usize = 1 << 0;
const COMPLETE: usize = 1 << 1;
const NOTIFIED: usize = 1 << 2;
const JOIN_INTEREST: usize = 1 << 3;
const JOIN_WAKER: usize = 1 << 4;
const CANCELLED: usize = 1 << 5;
const SHUTDOWN: usize = 1 << 6;
const LIFECYCLE: usize = RUNNING | COMPLETE;
const FLAGS: usize = (1 << 7) - 1;
const REF_ONE: usize = 1 << 7;
/// Past this many references we abort rather than risk overflow (as `Arc`).
const REF_MAX: usize = usize::MAX >> 8;

/// The state word.
pub(crate) struct State {
    val: AtomicUsize,
}

/// A copy of the state word, for inspecting and building the next value.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("shutdown", &self.is_shutdown())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("refs", &self.ref_count())
            .finish()
    }
}

/// Outcome of [`State::transition_to_running`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToRunning {
    /// The caller now owns the future and must poll it.
    Success,
    /// The caller now owns the future and must cancel it.
    Cancelled,
    /// The task is running elsewhere or complete; the `Notified`'s reference
    /// was dropped.
    Failed,
    /// As `Failed`, and that was the last reference: free the task.
    Dealloc,
}

/// Outcome of [`State::transition_to_idle`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToIdle {
    /// Idle; the `Notified`'s reference was dropped.
    Ok,
    /// Idle but woken during the poll: a reference was added for a new
    /// `Notified`, which the caller must submit; the caller then drops the
    /// poll's reference (held until the submit returns, so the task outlives
    /// the scheduler call that borrows its `S`).
    OkNotified,
    /// Idle and the `Notified`'s reference was the last: free the task.
    OkDealloc,
    /// Aborted during the poll: still running; the caller must cancel.
    Cancelled,
}

/// Outcome of the notify transitions.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToNotified {
    /// Nothing to submit.
    DoNothing,
    /// Submit a `Notified`; its reference is accounted for (the caller's
    /// own reference is kept, and outlives the submit).
    Submit,
    /// Nothing to submit, and the reference given up was the last: free.
    Dealloc,
}

/// Outcome of [`State::transition_to_join_handle_dropped`].
pub(crate) struct JoinHandleDrop {
    /// The task completed: the `JoinHandle` side drops the output.
    pub(crate) drop_output: bool,
    /// The `JoinHandle` side owns the join waker slot and must clear it.
    pub(crate) drop_waker: bool,
}

impl State {
    /// A new task: one `Notified`, one `JoinHandle` and `refs - 2` other
    /// owners (the owned-task list) — `refs` references in all.
    pub(crate) fn new(refs: usize) -> State {
        State {
            val: AtomicUsize::new(NOTIFIED | JOIN_INTEREST | (refs * REF_ONE)),
        }
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.val.load(Acquire))
    }

    /// One CAS loop: `f` returns the action and, if the word must change,
    /// its next value.
    fn fetch_update_action<T>(&self, mut f: impl FnMut(Snapshot) -> (T, Option<Snapshot>)) -> T {
        let mut curr = self.load();
        loop {
            let (action, next) = f(curr);
            let Some(next) = next else { return action };
            match self.val.compare_exchange_weak(curr.0, next.0, AcqRel, Acquire) {
                Ok(_) => return action,
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    fn fetch_update(&self, mut f: impl FnMut(Snapshot) -> Option<Snapshot>) -> Result<Snapshot, Snapshot> {
        let mut curr = self.load();
        loop {
            let Some(next) = f(curr) else { return Err(curr) };
            match self.val.compare_exchange_weak(curr.0, next.0, AcqRel, Acquire) {
                Ok(_) => return Ok(next),
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    /// Consumes a `Notified` to start a poll.
    pub(crate) fn transition_to_running(&self) -> ToRunning {
        self.fetch_update_action(|mut s| {
            debug_assert!(s.is_notified(), "polled a task that was not notified");
            if s.is_idle() {
                // Take the notification and mark the task running: the
                // `Notified`'s reference becomes the poll's.
                s.0 &= !NOTIFIED;
                s.0 |= RUNNING;
                let action = if s.is_cancelled() {
                    ToRunning::Cancelled
                } else {
                    ToRunning::Success
                };
                (action, Some(s))
            } else {
                // Running elsewhere (a shutdown took it) or complete: drop
                // the `Notified`'s reference and do nothing else.
                s.ref_dec();
                let action = if s.ref_count() == 0 {
                    ToRunning::Dealloc
                } else {
                    ToRunning::Failed
                };
                (action, Some(s))
            }
        })
    }

    /// Ends a poll that returned `Pending`.
    pub(crate) fn transition_to_idle(&self) -> ToIdle {
        self.fetch_update_action(|mut s| {
            debug_assert!(s.is_running());
            if s.is_cancelled() {
                // Aborted while we polled: we keep RUNNING and cancel.
                return (ToIdle::Cancelled, None);
            }
            s.0 &= !RUNNING;
            if s.is_notified() {
                // Woken during the poll: mark idle and make a reference for
                // the new `Notified` the caller submits. The poll's reference
                // is dropped only after the submit: once queued, the task can
                // be run and freed by another thread while the scheduler
                // (which lives in the task) is still handling the call.
                s.ref_inc();
                (ToIdle::OkNotified, Some(s))
            } else {
                // Mark idle and drop the poll's reference.
                s.ref_dec();
                let action = if s.ref_count() == 0 {
                    ToIdle::OkDealloc
                } else {
                    ToIdle::Ok
                };
                (action, Some(s))
            }
        })
    }

    /// Marks a running task complete: RUNNING off, COMPLETE on.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.val.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        Snapshot(prev.0 ^ (RUNNING | COMPLETE))
    }

    /// Completes a running task and drops `count` references in one step,
    /// when no join waker is set.
    ///
    /// `Ok(true)` if that was the last reference (free the task), `Ok(false)`
    /// otherwise; `Err(())` if a join waker is set, with nothing changed: the
    /// caller takes the slow path. If the `JoinHandle` is gone, `drop_output`
    /// runs (once) before the step: the stage is still ours (RUNNING), and
    /// interest, once dropped, never comes back. Without JOIN_INTEREST no
    /// join waker can be set, so after `drop_output` the step cannot fail.
    pub(crate) fn try_complete_and_release(
        &self,
        count: usize,
        mut drop_output: impl FnMut(),
    ) -> Result<bool, ()> {
        let mut dropped = false;
        let mut curr = self.load();
        loop {
            debug_assert!(curr.is_running() && !curr.is_complete());
            if curr.is_join_waker_set() {
                return Err(());
            }
            if !curr.is_join_interested() && !dropped {
                drop_output();
                dropped = true;
            }
            // Mark the task complete and drop our references.
            let next = (curr.0 ^ (RUNNING | COMPLETE)) - count * REF_ONE;
            match self.val.compare_exchange_weak(curr.0, next, AcqRel, Acquire) {
                Ok(_) => return Ok(curr.ref_count() == count),
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    /// Drops `count` references after completion; `true` if that freed the
    /// last one and the caller must deallocate.
    pub(crate) fn transition_to_terminal(&self, count: usize) -> bool {
        let prev = Snapshot(self.val.fetch_sub(count * REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= count, "task reference count underflow");
        prev.ref_count() == count
    }

    /// A wake that consumes a reference (`Waker::wake`).
    pub(crate) fn transition_to_notified_by_val(&self) -> ToNotified {
        self.fetch_update_action(|mut s| {
            if s.is_running() {
                // Mark notified; the polling thread reschedules it after the
                // poll. Drop the waker's reference (the poll holds one more).
                s.0 |= NOTIFIED;
                s.ref_dec();
                debug_assert!(s.ref_count() > 0);
                (ToNotified::DoNothing, Some(s))
            } else if s.is_complete() || s.is_notified() {
                // Already queued or finished: just drop the waker's reference.
                s.ref_dec();
                let action = if s.ref_count() == 0 {
                    ToNotified::Dealloc
                } else {
                    ToNotified::DoNothing
                };
                (action, Some(s))
            } else {
                // Idle: mark notified and make a reference for the new
                // `Notified`. The waker's reference is dropped after the
                // submit, so the task outlives the `schedule` call (as in
                // `transition_to_idle`).
                s.0 |= NOTIFIED;
                s.ref_inc();
                (ToNotified::Submit, Some(s))
            }
        })
    }

    /// A wake that keeps the caller's reference (`Waker::wake_by_ref`).
    pub(crate) fn transition_to_notified_by_ref(&self) -> ToNotified {
        self.fetch_update_action(|mut s| {
            if s.is_complete() || s.is_notified() {
                (ToNotified::DoNothing, None)
            } else if s.is_running() {
                // The polling thread reschedules it after the poll.
                s.0 |= NOTIFIED;
                (ToNotified::DoNothing, Some(s))
            } else {
                // Idle: mark notified and make a reference for the `Notified`.
                s.0 |= NOTIFIED;
                s.ref_inc();
                (ToNotified::Submit, Some(s))
            }
        })
    }

    /// `abort()`: mark cancelled and, if idle and not queued, notify so a
    /// scheduler thread drops the future.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> ToNotified {
        self.fetch_update_action(|mut s| {
            if s.is_cancelled() || s.is_complete() {
                // Already aborted or finished: abort does nothing.
                (ToNotified::DoNothing, None)
            } else if s.is_running() {
                // Takes effect when the current poll ends (`transition_to_idle`).
                s.0 |= CANCELLED | NOTIFIED;
                (ToNotified::DoNothing, Some(s))
            } else if s.is_notified() {
                // Already in a queue: cancelled when it is next run.
                s.0 |= CANCELLED;
                (ToNotified::DoNothing, Some(s))
            } else {
                // Idle: mark cancelled and notified; make a reference for the
                // `Notified` that will carry the cancellation.
                s.0 |= CANCELLED | NOTIFIED;
                s.ref_inc();
                (ToNotified::Submit, Some(s))
            }
        })
    }

    /// Shutdown: mark cancelled (by shutdown) and, if idle, take the task
    /// as running so the caller cancels it right here. `true` if the caller
    /// must cancel. A completed task is left alone.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        let mut took = false;
        let _ = self.fetch_update(|mut s| {
            took = false;
            if s.is_complete() {
                return None;
            }
            if s.is_idle() {
                s.0 |= RUNNING;
                took = true;
            }
            if !s.is_cancelled() {
                // An abort that came first keeps its cause.
                s.0 |= CANCELLED | SHUTDOWN;
            }
            Some(s)
        });
        took
    }

    /// The `JoinHandle` is being dropped: clear JOIN_INTEREST, and
    /// JOIN_WAKER too if the task is not complete.
    pub(crate) fn transition_to_join_handle_dropped(&self) -> JoinHandleDrop {
        self.fetch_update_action(|mut s| {
            debug_assert!(s.is_join_interested());
            let mut t = JoinHandleDrop {
                drop_output: false,
                drop_waker: false,
            };
            s.0 &= !JOIN_INTEREST;
            if s.is_complete() {
                // The output is ours to drop.
                t.drop_output = true;
            } else {
                // Take back the waker slot: the runtime never touches it
                // without JOIN_WAKER, and checks JOIN_INTEREST after waking.
                s.0 &= !JOIN_WAKER;
            }
            // With JOIN_WAKER clear, the waker slot is ours to clear.
            t.drop_waker = !s.is_join_waker_set();
            (t, Some(s))
        })
    }

    /// The `JoinHandle` stored a waker: set JOIN_WAKER unless complete.
    pub(crate) fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_join_interested() && !s.is_join_waker_set());
            if s.is_complete() {
                return None;
            }
            s.0 |= JOIN_WAKER;
            Some(s)
        })
    }

    /// The `JoinHandle` wants to replace its waker: clear JOIN_WAKER
    /// unless complete.
    pub(crate) fn unset_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_join_interested() && s.is_join_waker_set());
            if s.is_complete() {
                return None;
            }
            s.0 &= !JOIN_WAKER;
            Some(s)
        })
    }

    /// The runtime has called the join waker after completion: give the
    /// slot back. Returns the new state.
    pub(crate) fn unset_waker_after_complete(&self) -> Snapshot {
        let prev = Snapshot(self.val.fetch_and(!JOIN_WAKER, AcqRel));
        debug_assert!(prev.is_complete() && prev.is_join_waker_set());
        Snapshot(prev.0 & !JOIN_WAKER)
    }

    pub(crate) fn ref_inc(&self) {
        // Relaxed, as `Arc::clone`: a new reference is made from an
        // existing one, which already synchronises with the allocation.
        let prev = self.val.fetch_add(REF_ONE, Relaxed);
        if prev / REF_ONE > REF_MAX {
            std::process::abort();
        }
    }

    /// `true` if the caller's reference is the only one.
    ///
    /// Only a reference can make another, so if the count is one and the
    /// caller holds a reference, no other thread can change that. The
    /// acquire load orders every access made under the references dropped
    /// before (they were released with `AcqRel`) before the caller's.
    pub(crate) fn is_sole_reference(&self) -> bool {
        self.load().ref_count() == 1
    }

    /// Drops one reference; `true` if it was the last.
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = Snapshot(self.val.fetch_sub(REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= 1, "task reference count underflow");
        prev.ref_count() == 1
    }
}

impl Snapshot {
    pub(crate) fn is_idle(self) -> bool {
        self.0 & LIFECYCLE == 0
    }
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    /// Cancelled by the scheduler's shutdown rather than by an abort.
    pub(crate) fn is_shutdown(self) -> bool {
        self.0 & SHUTDOWN != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        (self.0 & !FLAGS) / REF_ONE
    }
    fn ref_inc(&mut self) {
        self.0 += REF_ONE;
    }
    fn ref_dec(&mut self) {
        debug_assert!(self.ref_count() > 0);
        self.0 -= REF_ONE;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn new_task_is_notified_with_join_interest() {
        let s = State::new(3).load();
        assert!(s.is_notified() && s.is_join_interested() && s.is_idle());
        assert_eq!(s.ref_count(), 3);
    }

    #[test]
    fn running_clears_notified() {
        let st = State::new(3);
        assert_eq!(st.transition_to_running(), ToRunning::Success);
        let s = st.load();
        assert!(s.is_running() && !s.is_notified());
        assert_eq!(s.ref_count(), 3);
    }

    #[test]
    fn second_run_fails_while_running() {
        let st = State::new(3);
        assert_eq!(st.transition_to_running(), ToRunning::Success);
        // A wake during the poll marks it notified and keeps the count.
        assert_eq!(st.transition_to_notified_by_ref(), ToNotified::DoNothing);
        assert!(st.load().is_notified());
        // A stale Notified must not run it concurrently.
        st.ref_inc();
        assert_eq!(st.transition_to_running(), ToRunning::Failed);
        assert_eq!(st.load().ref_count(), 3);
    }

    #[test]
    fn idle_after_wake_during_poll_reschedules() {
        let st = State::new(3);
        st.transition_to_running();
        st.transition_to_notified_by_ref();
        assert_eq!(st.transition_to_idle(), ToIdle::OkNotified);
        let s = st.load();
        assert!(s.is_notified() && !s.is_running());
        // One more for the new Notified; the caller drops the poll's after
        // submitting it.
        assert_eq!(s.ref_count(), 4);
    }

    #[test]
    fn idle_drops_the_poll_reference() {
        let st = State::new(3);
        st.transition_to_running();
        assert_eq!(st.transition_to_idle(), ToIdle::Ok);
        assert_eq!(st.load().ref_count(), 2);
    }

    #[test]
    fn wake_by_val_on_idle_submits_with_new_reference() {
        let st = State::new(2);
        st.transition_to_running();
        st.transition_to_idle(); // refs: 1 (join handle)
        st.ref_inc(); // a waker
        assert_eq!(st.transition_to_notified_by_val(), ToNotified::Submit);
        // One for the Notified; the waker's is dropped after the submit.
        assert_eq!(st.load().ref_count(), 3);
        assert!(!st.ref_dec());
        // A second wake while queued only drops its reference.
        st.ref_inc();
        assert_eq!(st.transition_to_notified_by_val(), ToNotified::DoNothing);
        assert_eq!(st.load().ref_count(), 2);
    }

    #[test]
    fn wake_after_complete_does_nothing() {
        let st = State::new(2);
        st.transition_to_running();
        st.transition_to_complete();
        assert_eq!(st.transition_to_notified_by_ref(), ToNotified::DoNothing);
        st.ref_inc();
        assert_eq!(st.transition_to_notified_by_val(), ToNotified::DoNothing);
    }

    #[test]
    fn last_waker_after_complete_deallocates() {
        let st = State::new(2);
        st.transition_to_running();
        st.transition_to_complete();
        assert!(!st.transition_to_terminal(1));
        // The JoinHandle is the last: its reference is one; make it a waker.
        assert_eq!(st.transition_to_notified_by_val(), ToNotified::Dealloc);
    }

    #[test]
    fn abort_idle_submits_once() {
        let st = State::new(2);
        st.transition_to_running();
        st.transition_to_idle();
        assert_eq!(st.transition_to_notified_and_cancel(), ToNotified::Submit);
        assert_eq!(st.transition_to_notified_and_cancel(), ToNotified::DoNothing);
        assert_eq!(st.transition_to_running(), ToRunning::Cancelled);
    }

    #[test]
    fn abort_while_running_cancels_at_idle() {
        let st = State::new(3);
        st.transition_to_running();
        assert_eq!(st.transition_to_notified_and_cancel(), ToNotified::DoNothing);
        assert_eq!(st.transition_to_idle(), ToIdle::Cancelled);
        assert!(st.load().is_running());
    }

    #[test]
    fn abort_after_complete_does_nothing() {
        let st = State::new(2);
        st.transition_to_running();
        st.transition_to_complete();
        assert_eq!(st.transition_to_notified_and_cancel(), ToNotified::DoNothing);
        assert!(!st.load().is_cancelled());
    }

    #[test]
    fn shutdown_takes_idle_task_but_not_running_one() {
        let st = State::new(3);
        assert!(st.transition_to_shutdown());
        assert!(st.load().is_running() && st.load().is_cancelled());
        let st = State::new(3);
        st.transition_to_running();
        assert!(!st.transition_to_shutdown());
        assert_eq!(st.transition_to_idle(), ToIdle::Cancelled);
    }

    #[test]
    fn join_waker_cannot_be_set_after_complete() {
        let st = State::new(2);
        assert!(st.set_join_waker().is_ok());
        assert!(st.unset_waker().is_ok());
        st.transition_to_running();
        st.transition_to_complete();
        assert!(st.set_join_waker().is_err());
    }

    #[test]
    fn join_handle_drop_before_complete_takes_waker() {
        let st = State::new(2);
        st.set_join_waker().unwrap();
        let t = st.transition_to_join_handle_dropped();
        assert!(!t.drop_output && t.drop_waker);
        assert!(!st.load().is_join_waker_set());
    }

    #[test]
    fn join_handle_drop_after_complete_drops_output() {
        let st = State::new(2);
        st.set_join_waker().unwrap();
        st.transition_to_running();
        st.transition_to_complete();
        // Runtime still holds the waker slot: the handle must not clear it.
        let t = st.transition_to_join_handle_dropped();
        assert!(t.drop_output && !t.drop_waker);
        let s = st.unset_waker_after_complete();
        assert!(!s.is_join_interested());
    }
}
