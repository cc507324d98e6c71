//! The current reactor of a thread.
//!
//! I/O objects and timers are created by free functions
//! (`TcpStream::connect`, `sleep`) that take no runtime argument, so they
//! find their reactor in the thread's one context
//! ([`weft_executor::context`]): the reactor keeps its handle in the
//! context's driver part. [`Handle::enter`] makes a bare reactor current
//! (a runtime enters all its parts at once); guards nest and must be dropped
//! in reverse order of creation.
//!
//! Code outside any runtime that calls [`Handle::current`] gets a panic with
//! weft's one "no runtime" message, which names the fix.

use std::sync::Arc;

use weft_executor::context::{self, Entered, NO_RUNTIME};

use crate::reactor::Inner;
use crate::Handle;

/// Makes a handle current until dropped; returned by [`Handle::enter`].
#[must_use = "the handle is current only while the guard lives"]
#[derive(Debug)]
pub struct EnterGuard {
    _guard: context::EnterGuard,
}

/// Returned by [`Handle::try_current`] outside a runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryCurrentError(());

impl std::fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(NO_RUNTIME)
    }
}

impl std::error::Error for TryCurrentError {}

impl Handle {
    /// The part of a runtime's [`Entered`] context that is this reactor.
    #[doc(hidden)]
    pub fn context_part(&self) -> Arc<dyn std::any::Any + Send + Sync> {
        self.inner.clone()
    }

    /// Makes this reactor the current one on this thread (with no
    /// scheduler) until the guard is dropped; the previous context comes
    /// back then. A runtime enters its reactor together with the rest of
    /// itself; this is for using a bare reactor.
    ///
    /// ```
    /// use weft_reactor::{Handle, Reactor};
    ///
    /// let reactor = Reactor::new()?;
    /// assert!(Handle::try_current().is_err());
    /// {
    ///     let _guard = reactor.handle().enter();
    ///     assert!(Handle::try_current().is_ok());
    /// }
    /// assert!(Handle::try_current().is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn enter(&self) -> EnterGuard {
        EnterGuard {
            _guard: context::enter(Entered {
                executor: None,
                driver: Some(self.context_part()),
                runtime: None,
            }),
        }
    }

    /// The current handle.
    ///
    /// # Panics
    ///
    /// Outside a runtime, with a message naming the fix.
    ///
    /// ```should_panic
    /// weft_reactor::Handle::current(); // no runtime here
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(h) => h,
            Err(_) => panic!("{NO_RUNTIME}"),
        }
    }

    /// The current handle, or an error outside a runtime.
    ///
    /// ```
    /// assert!(weft_reactor::Handle::try_current().is_err());
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::with_entered(|e| {
            let inner = e?.driver.clone()?.downcast::<Inner>().ok()?;
            Some(Handle { inner })
        })
        .ok_or(TryCurrentError(()))
    }
}
