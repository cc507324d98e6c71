//! The current reactor of a thread.
//!
//! I/O objects and timers are created by free functions
//! (`TcpStream::connect`, `sleep`) that take no runtime argument, so they
//! find their reactor in a thread-local: [`Handle::enter`] sets it and
//! returns a guard that restores the previous one on drop. Guards nest; drop
//! them in reverse order of creation (they are `!Send`, so they cannot leave
//! the thread).
//!
//! The runtime enters its handle on every worker and blocking thread and
//! inside `block_on`; code outside any runtime that calls [`Handle::current`]
//! gets a panic that names the fix.

use std::cell::RefCell;
use std::marker::PhantomData;

use crate::Handle;

thread_local! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

const NO_RUNTIME: &str = "there is no weft reactor on this thread: this must be called from within \
     a weft runtime: inside Runtime::block_on, a spawned task, or after Handle::enter";

/// Makes a handle current until dropped; returned by [`Handle::enter`].
#[must_use = "the handle is current only while the guard lives"]
#[derive(Debug)]
pub struct EnterGuard {
    previous: Option<Handle>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
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
    /// Makes this handle the current one on this thread until the guard is
    /// dropped; the previous one (if any) comes back then.
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
        let previous = CURRENT.with(|c| c.borrow_mut().replace(self.clone()));
        EnterGuard {
            previous,
            _not_send: PhantomData,
        }
    }

    /// The current handle.
    ///
    /// # Panics
    ///
    /// Outside a runtime, with a message naming the fix: call it inside
    /// `Runtime::block_on`, a spawned task, or after [`Handle::enter`].
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
        CURRENT
            .try_with(|c| c.borrow().clone())
            .ok()
            .flatten()
            .ok_or(TryCurrentError(()))
    }
}
