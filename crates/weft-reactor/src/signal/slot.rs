//! One signal's state: the protocol between the handler, the reactor's
//! dispatch and the listeners.
//!
//! A [`SignalSlot`] exists once per signal number for the whole process:
//!
//! * `pending`: set by the signal handler (`signal_hook::flag`), cleared by
//!   the dispatch that reports it;
//! * `generation`: bumped once by every dispatch that found `pending` set;
//!   a listener remembers the generation it last reported;
//! * `waiters`: one entry per listener, holding the waker of a listener
//!   that is waiting.
//!
//! # Protocol
//!
//! 1. **Delivery.** The handler stores `pending = true`, *then* writes a
//!    byte to the self-pipe (`registry.rs`). Nothing else runs in the
//!    handler: an atomic store and a `write(2)` are async-signal-safe.
//! 2. **Dispatch** (on the reactor, when the pipe is readable): drain the
//!    pipe, *then* for every slot `swap(pending, false)`; if it was set,
//!    bump `generation`, *then* lock `waiters` and take every waker; call
//!    them after the lock is released.
//! 3. **Listening.** A listener is ready when `generation` differs from the
//!    one it remembered; it then remembers the new one (so deliveries that
//!    came while it was not looking are reported once: coalesced, as the
//!    OS coalesces a signal that is already pending). Otherwise it locks
//!    `waiters`, *loads `generation` again under the lock*, and only then
//!    stores its waker and returns `Pending`.
//! 4. **Registration.** A new listener takes its slot entry and reads
//!    `generation` under the `waiters` lock: the deliveries dispatched
//!    before that point are not reported to it, every later one is.
//!
//! # Why no delivery is lost
//!
//! *Handler versus dispatch.* The byte is written after `pending` is set and
//! the pipe is drained before `pending` is swapped. So the dispatch that
//! drains a delivery's byte (or any later one) swaps after the store and
//! sees it; a dispatch whose swap came before the store leaves the byte
//! behind, and the pipe stays readable until the next dispatch. The swap is
//! a read-modify-write: a store that lands between a dispatch's read and
//! clear cannot be erased without a bump that follows it, and the bump is
//! made after the swap, so a listener that reported everything before the
//! store still finds a newer generation.
//!
//! *Listener versus dispatch.* Both lock `waiters`. If the dispatch locks
//! first, its bump (made before its lock) happens-before the listener's
//! lock, so the listener's second load sees it and returns `Ready`. If the
//! listener locks first, its waker is in place when the dispatch takes
//! them. Either way the listener runs again. The loom models in
//! `loom-tests/tests/reactor_signal.rs` check both races.

use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::sync::{lock, Arc, AtomicBool, AtomicUsize, Mutex, Ordering};
use crate::wake_list::WakeList;

/// One signal number's state (see the module docs).
#[doc(hidden)]
pub struct SignalSlot {
    /// Set by the handler, cleared by dispatch.
    pub(crate) pending: Arc<AtomicBool>,
    generation: AtomicUsize,
    waiters: Mutex<Slab<Option<Waker>>>,
}

impl Default for SignalSlot {
    fn default() -> Self {
        Self::new()
    }
}

impl SignalSlot {
    /// A slot with nothing pending and no listeners.
    pub fn new() -> Self {
        SignalSlot {
            pending: Arc::new(AtomicBool::new(false)),
            generation: AtomicUsize::new(0),
            waiters: Mutex::new(Slab::new()),
        }
    }

    /// What the signal handler does first (step 1); the real handler is
    /// `signal_hook::flag` on the same flag. For the loom models.
    pub fn record(&self) {
        self.pending.store(true, Ordering::SeqCst);
    }

    /// Step 2 for this slot: reports a pending delivery to every listener.
    /// Returns whether one was pending. The wakers go into `wakers`, to be
    /// called after the caller holds no lock.
    pub fn dispatch(&self, wakers: &mut WakeList) -> bool {
        // Clear the flag and learn whether it was set, in one step: a
        // delivery stored after this is left for the next dispatch.
        if !self.pending.swap(false, Ordering::SeqCst) {
            return false;
        }
        // Publish the delivery before looking for waiters (the lock below
        // orders this bump before any listener's re-check).
        self.generation.fetch_add(1, Ordering::SeqCst);
        let mut waiters = lock(&self.waiters);
        for (_, waiter) in waiters.iter_mut() {
            if let Some(w) = waiter.take() {
                wakers.push(w);
            }
        }
        true
    }

    /// Wakes every waiting listener without a delivery (the reactor shut
    /// down; listeners then see that and end).
    pub fn wake_all(&self, wakers: &mut WakeList) {
        let mut waiters = lock(&self.waiters);
        for (_, waiter) in waiters.iter_mut() {
            if let Some(w) = waiter.take() {
                wakers.push(w);
            }
        }
    }

    /// Number of live listeners.
    pub fn listeners(&self) -> usize {
        lock(&self.waiters).len()
    }
}

/// One listener's view of a slot: its entry and the generation it last
/// reported.
#[doc(hidden)]
pub struct Listener {
    slot: Arc<SignalSlot>,
    key: usize,
    seen: usize,
}

impl Listener {
    /// Registers a listener (step 4): it reports deliveries dispatched from
    /// now on.
    pub fn new(slot: Arc<SignalSlot>) -> Listener {
        let mut waiters = lock(&slot.waiters);
        let key = waiters.insert(None);
        // Read under the lock: a dispatch is either wholly before (its bump
        // is included here) or its waker sweep finds this entry.
        let seen = slot.generation.load(Ordering::SeqCst);
        drop(waiters);
        Listener { slot, key, seen }
    }

    fn take_new(seen: &mut usize, generation: usize) -> bool {
        if generation != *seen {
            *seen = generation;
            true
        } else {
            false
        }
    }

    /// Step 3: `Ready` once a delivery was dispatched since the last
    /// `Ready` (or since [`Listener::new`]).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // Fast path: no lock when a delivery is already there.
        if Self::take_new(&mut self.seen, self.slot.generation.load(Ordering::SeqCst)) {
            return Poll::Ready(());
        }
        let mut waiters = lock(&self.slot.waiters);
        // Load again under the lock: a dispatch that bumped after the load
        // above either locked before us (so we see its bump now) or will
        // lock after us (and take the waker stored below).
        if Self::take_new(&mut self.seen, self.slot.generation.load(Ordering::SeqCst)) {
            return Poll::Ready(());
        }
        let entry = &mut waiters[self.key];
        match entry {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *entry = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        lock(&self.slot.waiters).remove(self.key);
    }
}
