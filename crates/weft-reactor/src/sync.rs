//! The one place where atomics and locks come from: std normally, loom under
//! `cfg(loom)`, so the loom models in `loom-tests/tests/reactor_*.rs` check
//! the real readiness and timer code.
//!
//! Only the concurrent protocols go through this shim (readiness state and
//! wakers, timer entries and the wheel lock, signal slots). The
//! `mio::Poll` itself and the thread-local context are plain std: loom never
//! runs them.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};

/// Locks `m`, ignoring poisoning: every critical section in this crate
/// leaves its data consistent before anything that can panic (wakers are
/// always called outside the lock).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
