//! The thread-local "current runtime".
//!
//! Set on every runtime thread for its whole life, and on any thread for the
//! duration of `block_on` or an `EnterGuard`. Nestable: entering saves the
//! previous handle and the guard restores it.

use std::cell::RefCell;

use super::Handle;

thread_local! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

/// The handle of the runtime entered on this thread, if any.
pub(crate) fn current() -> Option<Handle> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// Calls `f` with the current handle, without cloning it (a clone is an
/// atomic increment on a cache line every spawning thread shares).
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Handle>) -> R) -> R {
    let mut f = Some(f);
    match CURRENT.try_with(|c| match c.try_borrow() {
        Ok(h) => (f.take().expect("called once"))(h.as_ref()),
        Err(_) => (f.take().expect("called once"))(None),
    }) {
        Ok(r) => r,
        // The thread-local is being destroyed: no runtime.
        Err(_) => (f.take().expect("called once"))(None),
    }
}

/// Makes `handle` current until the guard drops.
///
/// Returned by [`Handle::enter`] and [`Runtime::enter`](crate::Runtime::enter).
#[must_use = "the runtime is only entered while the guard lives"]
#[derive(Debug)]
pub struct EnterGuard<'a> {
    prev: Option<Handle>,
    _reactor: weft_reactor::EnterGuard,
    _handle: std::marker::PhantomData<&'a Handle>,
    // Not Send: it must be dropped on the thread that entered.
    _not_send: std::marker::PhantomData<*const ()>,
}

pub(crate) fn enter(handle: &Handle) -> EnterGuard<'_> {
    let prev = CURRENT.with(|c| c.borrow_mut().replace(handle.clone()));
    EnterGuard {
        prev,
        _reactor: handle.inner.reactor.enter(),
        _handle: std::marker::PhantomData,
        _not_send: std::marker::PhantomData,
    }
}

impl Drop for EnterGuard<'_> {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
    }
}
