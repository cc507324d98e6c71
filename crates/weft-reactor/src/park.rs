//! The parked/notified state machine in front of the blocking `mio::Poll`.
//!
//! [`Driver::unpark`](weft_executor::Driver::unpark) has token semantics: an
//! unpark with nobody parked makes the next park return at once. The mio
//! waker alone would give that (an eventfd stays readable until polled), but
//! calling it on every unpark is a syscall even when nobody sleeps. So a
//! three-state word decides when the syscall is needed:
//!
//! ```text
//!   EMPTY ──park──▶ PARKED ──poll returns──▶ EMPTY
//!     │               │
//!   unpark          unpark: swap to NOTIFIED, saw PARKED ⇒ wake the poll
//!     ▼               ▼
//!  NOTIFIED ◀─────────┘
//!     │
//!   park: consume the token, poll without blocking, back to EMPTY
//! ```
//!
//! # Why an unpark is never lost
//!
//! `unpark` swaps the word to `NOTIFIED` and calls the backend's wake only if
//! it saw `PARKED`. `park` moves `EMPTY → PARKED` with a compare-exchange
//! *before* it blocks.
//!
//! * If the unpark's swap comes before park's compare-exchange, the
//!   compare-exchange fails on `NOTIFIED`, and park returns without blocking.
//! * If it comes after, the unpark saw `PARKED` and calls wake. The backend's
//!   wake is *sticky* (the eventfd, or the model's flag, stays set until the
//!   next blocking call consumes it), so it does not matter whether the
//!   parked thread has reached the blocking call yet: that call returns.
//!
//! A wake that lands after the blocking call has returned leaves the backend
//! set, so the *next* park returns early: a spurious return, which the
//! [`Driver`](weft_executor::Driver) contract allows.
//!
//! The executor guarantees one parker at a time; a second concurrent park is
//! a bug and panics. The loom model `reactor_park` runs this exact code with a
//! mutex+condvar backend standing in for `mio::Poll`.

use std::time::Duration;

use crate::sync::{AtomicUsize, Ordering};

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

/// Parked/notified state of the one thread that may block in the poller.
#[doc(hidden)]
#[derive(Debug)]
pub struct Parker {
    state: AtomicUsize,
}

impl Default for Parker {
    fn default() -> Self {
        Self::new()
    }
}

impl Parker {
    /// Nobody parked, no token.
    pub fn new() -> Self {
        Parker {
            state: AtomicUsize::new(EMPTY),
        }
    }

    /// Blocks through `block`, unless a token is pending, in which case
    /// `block` is called with a zero timeout (so ready events are still
    /// processed) and the token is consumed.
    ///
    /// `block(timeout)` must return when the backend is woken, even if the
    /// wake happened before the call (see the module docs).
    pub fn park(&self, timeout: Option<Duration>, block: impl FnOnce(Option<Duration>)) {
        if timeout == Some(Duration::ZERO) {
            // Never blocks, so there is nothing to announce; a pending token
            // stays for the next blocking park.
            block(timeout);
            return;
        }
        // Announce the sleep before blocking.
        match self
            .state
            .compare_exchange(EMPTY, PARKED, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                // Consume the token and return without blocking.
                self.state.swap(EMPTY, Ordering::SeqCst);
                block(Some(Duration::ZERO));
                return;
            }
            Err(actual) => panic!(
                "weft reactor: two threads inside Driver::park at once (state {actual}); \
                 the executor must hold its park lock"
            ),
        }
        block(timeout);
        // Leave the parked state. A token that arrived while blocked is
        // consumed: its unpark already made (or will make) this park return.
        self.state.swap(EMPTY, Ordering::SeqCst);
    }

    /// Leaves a token; calls `wake` only if a thread is (about to be)
    /// blocked in [`park`](Self::park).
    pub fn unpark(&self, wake: impl FnOnce()) {
        if self.state.swap(NOTIFIED, Ordering::SeqCst) == PARKED {
            wake();
        }
    }

    /// `true` while a thread is inside the blocking part of `park`.
    pub fn is_parked(&self) -> bool {
        self.state.load(Ordering::SeqCst) == PARKED
    }
}
