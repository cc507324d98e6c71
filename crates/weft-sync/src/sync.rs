//! The one place where locks, atomics and `Arc` come from: std normally,
//! loom under `cfg(loom)`, so the models in `loom-tests/tests/sync_*.rs`
//! check the real waiter lists.
//!
//! The data cells of `Mutex` and `RwLock` are plain `std::cell::UnsafeCell`
//! in both builds: who may touch them is decided by the semaphore, which is
//! what the models check.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A cell whose accesses loom tracks: `with` / `with_mut` hand out a raw
/// pointer, as `loom::cell::UnsafeCell` does (the oneshot's value and
/// waker cells, whose ownership its state word decides).
#[cfg(loom)]
#[allow(
    clippy::unsafe_removed_from_name,
    reason = "the std build's TrackedCell is a safe-API wrapper of the same name"
)]
pub(crate) use loom::cell::UnsafeCell as TrackedCell;

/// std build of [`TrackedCell`]: a plain `UnsafeCell` with loom's API.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct TrackedCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> TrackedCell<T> {
    pub(crate) const fn new(v: T) -> Self {
        TrackedCell(std::cell::UnsafeCell::new(v))
    }
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Locks `m`, ignoring poisoning: every critical section in this crate
/// leaves its data consistent before anything that can panic (wakers and
/// user code always run outside the lock).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Read-locks `l`, ignoring poisoning (a panicking `send_modify` closure
/// leaves a value the user wrote; the channel itself stays consistent).
pub(crate) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

/// Write-locks `l`, ignoring poisoning; see [`read`].
pub(crate) fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}
