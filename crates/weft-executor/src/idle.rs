//! Who is searching, who is asleep: the idle protocol.
//!
//! One atomic word counts the *searching* workers (looking for work to
//! steal) and the *unparked* ones (not asleep); a mutex-protected list
//! names the sleepers. The rules, tokio's:
//!
//! 1. **Wake only when nobody searches.** Whoever makes work available
//!    (pushes to the injector, or to a local queue others can steal from)
//!    calls [`Idle::worker_to_notify`]. It wakes a sleeper only if no worker
//!    is searching and some worker is asleep; the woken worker is counted as
//!    searching at once, so a burst of pushes wakes one worker, not all.
//! 2. **At most half search.** [`Idle::transition_worker_to_searching`]
//!    refuses when half the workers already search (contention on the
//!    stealers is the cost it avoids).
//! 3. **A searcher that finds work hands the baton on.** When the *last*
//!    searcher finds work ([`Idle::transition_worker_from_searching`] returns
//!    `true`), it wakes one more worker, which searches in turn.
//! 4. **The last searcher re-checks before sleeping.** A worker going to
//!    sleep first announces it ([`Idle::transition_worker_to_parked`]); if it
//!    was the last searcher, it then looks at every queue once more and
//!    wakes a worker if any is non-empty.
//!
//! # Why no wake-up is lost
//!
//! Take a push P and a worker W going to sleep. Every access to the counter
//! word is `SeqCst`, so all of them are ordered. The pusher pushes, then
//! reads the word. If it reads "nobody searching, someone asleep", it wakes
//! a sleeper (under the lock, so it cannot miss one that has announced).
//! Otherwise some worker S was searching at that read. S ends its search in
//! one of two ways: it finds work (possibly P's) and, if it was the last
//! searcher, wakes another (rule 3); or it parks, and if it was the last
//! searcher its decrement comes after the pusher's read in the total order,
//! so its re-check (rule 4) sees P's push. Either way someone looks at P's
//! work after it was pushed.
//!
//! The remaining case: the pusher reads "nobody searching, **nobody
//! asleep**", and wakes no one. Every worker is then awake and not
//! searching: polling a task, or in its loop between tasks, or on its way
//! to sleep but not yet announced. Take any such worker W. Before W can
//! sleep it looks for work in order (its LIFO slot and queue, the injector,
//! then a search), and its announcement to sleep comes after P's read in
//! the total order (W was counted awake at that read). If P pushed to W's
//! own queue (P is W's running task), W's `park` sees it in `has_tasks` and
//! does not sleep. If P pushed to the injector or to another worker's
//! queue, W either becomes a searcher, and then it is the case above (a
//! searcher that parks last re-checks every queue, one that finds work
//! passes the baton), or it is refused because half the workers already
//! search: those searchers began after P's read (nobody searched at it), so
//! each looks at the queues after P's push, and again the case above
//! applies. So the last worker to go to sleep has looked at P's work after
//! it was pushed.
//!
//! What this argument cannot cover is a worker that never gets back to its
//! loop: a poll that blocks, with work behind it in its queue and every
//! other worker busy. No wake-up is lost there; the work is stranded behind
//! a stuck thread. That is what automatic handoff is for (`monitor.rs`):
//! the monitor takes the stuck worker's core and gives it to a new thread,
//! which runs that queue.
//!
//! The loom models in `loom-tests` (`executor.rs`, `executor_handoff.rs`,
//! `executor_current_thread.rs`) check these cases.

use crate::sync::{lock, AtomicUsize, Mutex, Ordering::SeqCst};

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;

pub(crate) struct Idle {
    /// `searching | unparked << UNPARK_SHIFT`.
    state: AtomicUsize,
    sleepers: Mutex<Vec<usize>>,
    num_workers: usize,
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Idle {
        assert!(
            num_workers < SEARCH_MASK,
            "weft: at most {} worker threads",
            SEARCH_MASK - 1
        );
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    fn num_searching(s: usize) -> usize {
        s & SEARCH_MASK
    }

    fn num_unparked(s: usize) -> usize {
        s >> UNPARK_SHIFT
    }

    fn notify_should_wakeup(&self) -> bool {
        // A read-modify-write, so it takes part in the SeqCst order with the
        // decrements of the parking workers.
        let s = self.state.fetch_add(0, SeqCst);
        Self::num_searching(s) == 0 && Self::num_unparked(s) < self.num_workers
    }

    /// Rule 1: the worker to wake for new work, if one should be woken. It
    /// is already counted as unparked and searching.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.notify_should_wakeup() {
            return None;
        }
        let mut sleepers = lock(&self.sleepers);
        // Check again under the lock: another notifier may have beaten us.
        if !self.notify_should_wakeup() {
            return None;
        }
        let worker = sleepers.pop()?;
        // One more unparked, one more searching.
        self.state.fetch_add(1 | (1 << UNPARK_SHIFT), SeqCst);
        Some(worker)
    }

    /// Rule 4's announcement: `worker` goes to sleep. Returns `true` if it
    /// was the last searcher, in which case it must re-check every queue.
    pub(crate) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = lock(&self.sleepers);
        let dec = (1 << UNPARK_SHIFT) | usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(worker);
        is_searching && Self::num_searching(prev) == 1
    }

    /// Rule 2: may this worker start searching?
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let s = self.state.load(SeqCst);
        if 2 * Self::num_searching(s) >= self.num_workers {
            return false;
        }
        // Several workers may pass the check at once and exceed half by a
        // little: the limit only bounds contention, it guards no invariant.
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// Rule 3: a searcher found work. `true` if it was the last searcher:
    /// the caller must wake another worker.
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(Self::num_searching(prev) > 0);
        Self::num_searching(prev) == 1
    }

    /// Takes `worker` off the sleeper list because it found work of its own
    /// (tasks pushed to its queue while it parked). `true` if it was listed.
    pub(crate) fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = lock(&self.sleepers);
        match sleepers.iter().position(|&w| w == worker) {
            Some(i) => {
                sleepers.swap_remove(i);
                self.state.fetch_add(1 << UNPARK_SHIFT, SeqCst);
                true
            }
            None => false,
        }
    }

    /// `true` if `worker` is on the sleeper list (nobody has woken it).
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        lock(&self.sleepers).contains(&worker)
    }

    /// How many workers are not asleep now (for the monitor).
    pub(crate) fn num_unparked_now(&self) -> usize {
        Self::num_unparked(self.state.load(SeqCst))
    }

    /// How many workers are searching now (for metrics and tests).
    pub(crate) fn num_searching_now(&self) -> usize {
        Self::num_searching(self.state.load(SeqCst))
    }
}
