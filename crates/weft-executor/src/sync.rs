//! The one place where atomics, locks and thread-locals come from: std
//! normally, loom under `cfg(loom)`, so the loom models check the real code.

#[cfg(not(loom))]
mod imp {
    pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};

    /// `std::cell::UnsafeCell` with loom's closure API, so every access is
    /// visible to loom's race detector in the models.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(std::cell::UnsafeCell::new(value))
        }

        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
    pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};
    pub(crate) use std::thread::{current as current_thread, park, Thread};
    pub(crate) use std::thread_local;

    pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn try_lock<T>(m: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
        match m.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    pub(crate) fn wait<'a, T>(c: &Condvar, g: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        c.wait(g).unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn wait_timeout<'a, T>(
        c: &Condvar,
        g: MutexGuard<'a, T>,
        d: std::time::Duration,
    ) -> MutexGuard<'a, T> {
        c.wait_timeout(g, d).unwrap_or_else(|e| e.into_inner()).0
    }
}

#[cfg(loom)]
mod imp {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
    pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
    pub(crate) use loom::thread::{current as current_thread, park, Thread};
    pub(crate) use loom::thread_local;

    pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap()
    }

    pub(crate) fn try_lock<T>(m: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
        m.try_lock().ok()
    }

    pub(crate) fn wait<'a, T>(c: &Condvar, g: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        c.wait(g).unwrap()
    }

    /// Loom has no clock: a timed wait is an untimed one that may also
    /// return spuriously, which every caller already tolerates.
    pub(crate) fn wait_timeout<'a, T>(
        c: &Condvar,
        g: MutexGuard<'a, T>,
        _d: std::time::Duration,
    ) -> MutexGuard<'a, T> {
        c.wait(g).unwrap()
    }
}

pub(crate) use imp::*;
