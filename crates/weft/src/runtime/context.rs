//! The facade's view of the thread's one context
//! ([`weft_executor::context`]).
//!
//! A runtime thread (worker or blocking) has its runtime entered for its
//! whole life; any other thread has it entered while `block_on` runs or an
//! [`EnterGuard`] lives. Entering stores the runtime's three parts (the
//! scheduler, the reactor, this handle) in the context at once, so
//! `weft::spawn`, timers and sockets all see the same runtime. Guards nest
//! and must be dropped in reverse order (one dropped out of order panics).

use std::sync::Arc;

use weft_executor::context::{self, Entered};

use super::handle::Inner;
use super::Handle;

/// The handle of the runtime entered on this thread, if any.
pub(crate) fn current() -> Option<Handle> {
    context::with_entered(|e| {
        let inner = e?.runtime.clone()?.downcast::<Inner>().ok()?;
        Some(Handle { inner })
    })
}

/// Calls `f` with the current runtime, without cloning its handle (a clone
/// is an atomic increment on a cache line every spawning thread shares).
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Inner>) -> R) -> R {
    context::with_entered(|e| f(e.and_then(|e| e.runtime::<Inner>())))
}

/// Makes the runtime current until the guard drops.
///
/// Returned by [`Handle::enter`] and [`Runtime::enter`](crate::Runtime::enter).
/// `Sync` but not `Send`: drop it on the thread that entered, and drop
/// nested guards in the reverse order of their creation (a guard dropped
/// out of order panics, rather than leave the wrong runtime current).
#[must_use = "the runtime is only entered while the guard lives"]
#[derive(Debug)]
pub struct EnterGuard<'a> {
    _guard: context::EnterGuard,
    _handle: std::marker::PhantomData<&'a Handle>,
}

pub(crate) fn enter(handle: &Handle) -> EnterGuard<'_> {
    let inner = &handle.inner;
    let runtime: Arc<dyn std::any::Any + Send + Sync> = inner.clone();
    EnterGuard {
        _guard: context::enter(Entered {
            executor: Some(inner.exec.clone()),
            driver: Some(inner.reactor.context_part()),
            runtime: Some(runtime),
        }),
        _handle: std::marker::PhantomData,
    }
}
