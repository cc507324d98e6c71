//! [`CoreCell`]: a worker's core (its queues), and who may touch it.
//!
//! A worker's core must be able to move to another thread *while the thread
//! that owns it is stuck inside a task's poll* (the handoff, `monitor.rs`).
//! So the core does not live on its thread's stack: it lives here, in the
//! shared state, and an atomic word says which *generation* of owner holds
//! it and what that owner is doing.
//!
//! # The word
//!
//! ```text
//!  bits 32..64  generation: bumped by every handoff
//!  bits  2..32  poll sequence number: bumped by every poll (the monitor
//!               compares words to see "the same poll, still running")
//!  bits  0..2   phase: LOOP, POLLING or PUSHING
//! ```
//!
//! # The ownership rule
//!
//! A thread holding generation `g` (the *owner*) may touch the core only
//!
//! 1. while the word is `(g, _, LOOP)`: the owner runs its scheduler loop;
//! 2. inside a *push window* during a poll: between a successful
//!    `(g, s, POLLING) → (g, s, PUSHING)` compare-exchange and its store
//!    back to `(g, s, POLLING)`. A wake or spawn made by the polled task on
//!    its own worker takes one to reach the queues.
//!
//! A *taker* (the monitor, or `block_in_place` on the owner's own thread)
//! takes the core with `(g, s, POLLING) → (g + 1, 0, LOOP)` and hands
//! generation `g + 1` to a new thread, which becomes the owner.
//!
//! # Why two threads never touch the core at once
//!
//! * The take only succeeds on a `POLLING` word: never during the owner's
//!   loop (the owner writes `POLLING` with a release store only after its
//!   last loop access, and the take's acquire reads that store, so those
//!   accesses happen before the new owner's), and never inside a push
//!   window (the word is `PUSHING`, the take's compare-exchange fails and
//!   the monitor tries again on its next scan; the window's release store
//!   back to `POLLING` is what a later take reads, so the window's accesses
//!   happen before the new owner's).
//! * After a take, every compare-exchange of the old owner expects
//!   generation `g` and fails: its poll's end, its push windows. It never
//!   touches the core again, and retires when its poll returns. (The
//!   generation would have to wrap around 2^32 handoffs while one thread
//!   stays stuck for an old owner to be confused.)
//! * The new owner gets generation `g + 1` through the take's
//!   compare-exchange (acquire-release) and a thread start or channel
//!   (happens-before), so it sees everything the old owner did.
//!
//! # Without a monitor
//!
//! With automatic handoff off, only the owner's own thread can take the core
//! (`block_in_place`), so polls need no atomics at all: the phase is kept in
//! the thread's context only, and a take publishes `(g + 1, 0, LOOP)` with a
//! release store before the new owner is started.
//!
//! The loom model `executor_handoff` runs this code: a wake from the polled
//! task racing the take, the old owner's poll ending as the new owner
//! starts, the driver moving while an unpark arrives.

use crate::sync::{AtomicU64, Ordering, UnsafeCell};

const PHASE_MASK: u64 = 0b11;
const LOOP: u64 = 0;
const POLLING: u64 = 1;
const PUSHING: u64 = 2;
const SEQ_SHIFT: u32 = 2;
const SEQ_MASK: u64 = (1 << 30) - 1;
const GEN_SHIFT: u32 = 32;

fn word(gen: u32, seq: u32, phase: u64) -> u64 {
    (u64::from(gen) << GEN_SHIFT) | ((u64::from(seq) & SEQ_MASK) << SEQ_SHIFT) | phase
}

/// What the monitor read of a core's word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Observed(u64);

impl Observed {
    /// The owner is inside a task's poll.
    pub(crate) fn is_polling(self) -> bool {
        matches!(self.0 & PHASE_MASK, POLLING | PUSHING)
    }

    /// The same poll as `other` (same owner, same sequence number).
    pub(crate) fn same_poll(self, other: Observed) -> bool {
        self.0 & !PHASE_MASK == other.0 & !PHASE_MASK
    }
}

/// A core and the word that says who may touch it; see the module docs.
pub(crate) struct CoreCell<T> {
    word: AtomicU64,
    value: UnsafeCell<T>,
}

// SAFETY: the core is only touched by the thread holding its current
// generation, in the phases the ownership rule allows (module docs); moving
// it between threads needs `T: Send`.
unsafe impl<T: Send> Sync for CoreCell<T> {}

impl<T> CoreCell<T> {
    /// Owned by generation 0, in its loop.
    pub(crate) fn new(value: T) -> Self {
        CoreCell {
            word: AtomicU64::new(word(0, 0, LOOP)),
            value: UnsafeCell::new(value),
        }
    }

    /// Runs `f` on the core.
    ///
    /// # Safety
    ///
    /// The caller holds the core's current generation and is in its loop
    /// phase (rule 1 of the module docs), and `f` does not reach this cell
    /// again (it runs no foreign code).
    pub(crate) unsafe fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY: forwarded from the caller: nobody else touches the core.
        self.value.with_mut(|v| f(unsafe { &mut *v }))
    }

    /// The owner (generation `gen`) starts poll number `seq`. Without a
    /// monitor, nothing is published.
    pub(crate) fn begin_poll(&self, gen: u32, seq: u32, monitored: bool) {
        if monitored {
            // Release: our loop's accesses happen before a taker's.
            self.word.store(word(gen, seq, POLLING), Ordering::Release);
        }
    }

    /// The owner's poll `seq` ended: `true` if it still owns the core (and
    /// is back in its loop), `false` if it was taken meanwhile.
    pub(crate) fn end_poll(&self, gen: u32, seq: u32, monitored: bool) -> bool {
        if !monitored {
            // Only our own thread could have taken it, and it would have
            // told our context (the caller checks that first).
            return true;
        }
        // Acquire: a push window of ours happened before, nothing else; the
        // take's own write is what a failure reads.
        self.word
            .compare_exchange(
                word(gen, seq, POLLING),
                word(gen, seq, LOOP),
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// A push window (rule 2): runs `f` on the core if generation `gen`,
    /// inside poll `seq`, still owns it; `None` if it was taken.
    pub(crate) fn push_window<R>(&self, gen: u32, seq: u32, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let polling = word(gen, seq, POLLING);
        self.word
            .compare_exchange(
                polling,
                word(gen, seq, PUSHING),
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .ok()?;
        // SAFETY: the window is open: a take cannot succeed until we store
        // `POLLING` back (module docs, rule 2).
        let out = self.value.with_mut(|v| f(unsafe { &mut *v }));
        // Release: this window's accesses happen before a later take's.
        self.word.store(polling, Ordering::Release);
        Some(out)
    }

    /// The monitor's look at the word.
    pub(crate) fn observe(&self) -> Observed {
        Observed(self.word.load(Ordering::Acquire))
    }

    /// Takes the core from an owner stuck in the poll `observed` saw:
    /// returns the new generation, or `None` if that poll ended (or is in a
    /// push window; try again later).
    pub(crate) fn take(&self, observed: Observed) -> Option<u32> {
        let polling = (observed.0 & !PHASE_MASK) | POLLING;
        let gen = (polling >> GEN_SHIFT) as u32;
        let next = gen.wrapping_add(1);
        // AcqRel: acquire the old owner's accesses, release to the new one.
        self.word
            .compare_exchange(polling, word(next, 0, LOOP), Ordering::AcqRel, Ordering::Relaxed)
            .ok()?;
        Some(next)
    }

    /// The owner's own thread gives the core away inside its poll
    /// (`block_in_place`); returns the new generation.
    pub(crate) fn give_away(&self, gen: u32, seq: u32, monitored: bool) -> Option<u32> {
        if monitored {
            return self.take(Observed(word(gen, seq, POLLING)));
        }
        let next = gen.wrapping_add(1);
        // Release: our accesses happen before the new owner's.
        self.word.store(word(next, 0, LOOP), Ordering::Release);
        Some(next)
    }

    /// The generation that owns the core now (for a new owner's check).
    pub(crate) fn generation(&self) -> u32 {
        (self.word.load(Ordering::Acquire) >> GEN_SHIFT) as u32
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_take_succeeds_only_on_a_polling_owner() {
        let cell = CoreCell::new(0u32);
        assert!(!cell.observe().is_polling());
        assert_eq!(cell.take(cell.observe()), None);
        cell.begin_poll(0, 1, true);
        let seen = cell.observe();
        assert!(seen.is_polling());
        assert_eq!(cell.take(seen), Some(1));
        assert_eq!(cell.generation(), 1);
    }

    #[test]
    fn the_old_owner_fails_every_step_after_a_take() {
        let cell = CoreCell::new(0u32);
        cell.begin_poll(0, 7, true);
        assert_eq!(cell.take(cell.observe()), Some(1));
        assert!(cell.push_window(0, 7, |v| *v += 1).is_none());
        assert!(!cell.end_poll(0, 7, true));
    }

    #[test]
    fn a_push_window_blocks_a_take_and_an_ended_poll_is_not_taken() {
        let cell = CoreCell::new(0u32);
        cell.begin_poll(0, 1, true);
        let seen = cell.observe();
        assert_eq!(
            cell.push_window(0, 1, |_| cell.take(cell.observe())),
            Some(None),
            "taken inside a push window"
        );
        assert!(cell.end_poll(0, 1, true));
        assert_eq!(cell.take(seen), None, "took a poll that had ended");
        cell.begin_poll(0, 2, true);
        assert!(!cell.observe().same_poll(seen));
    }
}
