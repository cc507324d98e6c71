//! The task's `Waker`: one reference to the task, behind a `RawWakerVTable`.
//!
//! `clone` adds a reference, `drop` removes one, `wake` consumes one and
//! `wake_by_ref` keeps it. The scheduling decision is the state word's (see
//! `state.rs`): a wake while the task runs only sets `NOTIFIED`; a wake
//! after completion does nothing.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::raw::{Header, RawTask};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker for the task at `ptr` that does not own a reference: it is only
/// valid while the caller's reference is, and must never be dropped (a
/// clone of it is a real, counted waker).
pub(crate) fn waker_ref(ptr: NonNull<Header>) -> ManuallyDrop<Waker> {
    let raw = RawWaker::new(ptr.as_ptr() as *const (), &VTABLE);
    // SAFETY: the vtable's functions uphold the `RawWaker` contract for a
    // task header pointer, and `ManuallyDrop` keeps the uncounted waker from
    // dropping a reference it does not own.
    ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
}

/// # Safety
///
/// `ptr` must be a task header pointer carried by one of our wakers.
unsafe fn raw(ptr: *const ()) -> RawTask {
    // SAFETY: our wakers only ever carry non-null header pointers, and the
    // waker's reference keeps the task alive.
    unsafe { RawTask::from_raw(NonNull::new_unchecked(ptr as *mut Header)) }
}

unsafe fn clone(ptr: *const ()) -> RawWaker {
    // SAFETY: called by `Waker` with the pointer we gave it.
    unsafe { raw(ptr) }.ref_inc();
    RawWaker::new(ptr, &VTABLE)
}

unsafe fn wake(ptr: *const ()) {
    // SAFETY: as above; consumes the waker's reference.
    unsafe { raw(ptr) }.wake_by_val();
}

unsafe fn wake_by_ref(ptr: *const ()) {
    // SAFETY: as above.
    unsafe { raw(ptr) }.wake_by_ref();
}

unsafe fn drop_waker(ptr: *const ()) {
    // SAFETY: as above; drops the waker's reference.
    unsafe { raw(ptr) }.drop_reference();
}
