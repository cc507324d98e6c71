//! The table of registered sources, keyed by mio `Token`.
//!
//! A `Token` is a slab index plus a *generation*:
//!
//! ```text
//!  bits 0..24          slab index (at most 2^24 - 1 live registrations)
//!  bits 24..usize::BITS generation (a counter bumped on every registration)
//! ```
//!
//! # Invariant: an event never reaches the wrong source
//!
//! The poller may hold events for a source that is being closed on another
//! thread: `Poll::poll` returned them, then the owner dropped its socket and
//! a new socket took the same slab slot. Looking up an event's token checks
//! the generation stored in the slot against the token's; a mismatch means
//! the event belongs to a previous owner and is dropped. The generation
//! wraps only after 2^40 registrations on 64-bit targets (2^8 on 32-bit
//! targets, where this guard is correspondingly weaker).
//!
//! The token `usize::MAX` is reserved for the reactor's `mio::Waker`; no
//! registration can produce it because index `2^24 - 1` is never handed out.

use std::io;
use std::sync::Arc;

use mio::Token;
use slab::Slab;

use super::scheduled_io::ScheduledIo;

const INDEX_BITS: u32 = 24;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
const GENERATION_MASK: usize = usize::MAX >> INDEX_BITS;

/// The token of the reactor's own `mio::Waker`.
pub(crate) const WAKE_TOKEN: Token = Token(usize::MAX);

struct Entry {
    generation: usize,
    io: Arc<ScheduledIo>,
}

/// Live registrations. Always used under the reactor's registration lock.
#[doc(hidden)]
pub struct RegistrationSet {
    slab: Slab<Entry>,
    next_generation: usize,
    is_shutdown: bool,
}

impl Default for RegistrationSet {
    fn default() -> Self {
        Self::new()
    }
}

// Under loom `loom_api` exports the type, and clippy asks for an `is_empty`
// nothing would use.
#[cfg_attr(loom, allow(clippy::len_without_is_empty))]
impl RegistrationSet {
    /// An empty set.
    pub fn new() -> Self {
        RegistrationSet {
            slab: Slab::new(),
            next_generation: 0,
            is_shutdown: false,
        }
    }

    /// Allocates a slot and returns its token and readiness state.
    pub fn allocate(&mut self) -> io::Result<(Token, Arc<ScheduledIo>)> {
        if self.is_shutdown {
            return Err(crate::shutdown_error());
        }
        let entry = self.slab.vacant_entry();
        let index = entry.key();
        if index >= INDEX_MASK {
            return Err(io::Error::other(
                "weft reactor: too many registered I/O sources (limit 2^24 - 1); \
                 close some sockets",
            ));
        }
        let generation = self.next_generation;
        self.next_generation = (self.next_generation + 1) & GENERATION_MASK;
        let io = Arc::new(ScheduledIo::new());
        entry.insert(Entry {
            generation,
            io: io.clone(),
        });
        Ok((Token(index | (generation << INDEX_BITS)), io))
    }

    /// The state registered under `token`, unless the slot is empty or now
    /// belongs to a newer registration.
    pub fn get(&self, token: Token) -> Option<&Arc<ScheduledIo>> {
        let entry = self.slab.get(token.0 & INDEX_MASK)?;
        (entry.generation == token.0 >> INDEX_BITS).then_some(&entry.io)
    }

    /// Frees the slot of `token` if it still belongs to it.
    pub fn remove(&mut self, token: Token) -> bool {
        if self.get(token).is_none() {
            return false;
        }
        self.slab.remove(token.0 & INDEX_MASK);
        true
    }

    /// Number of live registrations.
    pub fn len(&self) -> usize {
        self.slab.len()
    }

    /// Refuses every later registration and returns every live one, so the
    /// caller can wake them outside the lock.
    pub(crate) fn shutdown(&mut self) -> Vec<Arc<ScheduledIo>> {
        self.is_shutdown = true;
        self.slab.iter().map(|(_, e)| e.io.clone()).collect()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn stale_token_is_not_delivered_to_reused_slot() {
        let mut set = RegistrationSet::new();
        let (old, old_io) = set.allocate().unwrap();
        assert!(set.remove(old));
        let (new, new_io) = set.allocate().unwrap();
        // Same slot, different owner.
        assert_eq!(old.0 & INDEX_MASK, new.0 & INDEX_MASK);
        assert_ne!(old, new);
        assert!(
            set.get(old).is_none(),
            "event for closed source reached new owner"
        );
        assert!(Arc::ptr_eq(set.get(new).unwrap(), &new_io));
        assert!(!Arc::ptr_eq(&old_io, &new_io));
        // Removing with the stale token must not free the new owner's slot.
        assert!(!set.remove(old));
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn tokens_never_collide_with_the_waker_token() {
        let mut set = RegistrationSet::new();
        for _ in 0..1000 {
            let (t, _) = set.allocate().unwrap();
            assert_ne!(t, WAKE_TOKEN);
        }
    }

    #[test]
    fn allocation_after_shutdown_fails() {
        let mut set = RegistrationSet::new();
        let (_t, _) = set.allocate().unwrap();
        assert_eq!(set.shutdown().len(), 1);
        assert!(set.allocate().is_err());
    }
}
