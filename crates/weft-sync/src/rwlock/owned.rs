//! The `Arc<RwLock<T>>` guards: [`OwnedRwLockReadGuard`],
//! [`OwnedRwLockWriteGuard`] and [`OwnedRwLockMappedWriteGuard`]. Each
//! holds the same permits as its borrowed twin in `rwlock.rs` (one for a
//! reader, `MAX_READS` for a writer) and keeps the lock alive.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

use super::{RwLock, MAX_READS};
use crate::raw_semaphore::Acquire;
use std::sync::Arc;

/// Shared access to an `Arc<RwLock<T>>`'s data (or a part `U` of it, after
/// [`map`](OwnedRwLockReadGuard::map)); released on drop.
#[must_use = "dropping the guard releases the lock at once"]
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    data: *const U,
}

/// Exclusive access to an `Arc<RwLock<T>>`'s data; released on drop.
#[must_use = "dropping the guard releases the lock at once"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
}

/// An [`OwnedRwLockWriteGuard`] narrowed to a part `U` of the data by
/// [`OwnedRwLockWriteGuard::map`]; released on drop.
#[must_use = "dropping the guard releases the lock at once"]
pub struct OwnedRwLockMappedWriteGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    data: *mut U,
}

// SAFETY: a read guard is a `&U` plus a share of the lock.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Sync for OwnedRwLockReadGuard<T, U> {}
// SAFETY: a write guard is a `&mut T` plus a share of the lock.
unsafe impl<T: ?Sized + Send + Sync> Send for OwnedRwLockWriteGuard<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedRwLockWriteGuard<T> {}
// SAFETY: a mapped write guard is a `&mut U` plus a share of the lock.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Send for OwnedRwLockMappedWriteGuard<T, U> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedRwLockMappedWriteGuard<T, U> {}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared access, keeping the lock alive through the `Arc`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let l = Arc::new(weft::sync::RwLock::new(3));
    ///     let r = l.clone().read_owned().await;
    ///     assert_eq!(weft::spawn(async move { *r }).await.unwrap(), 3);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read_owned(self: Arc<Self>) -> OwnedRwLockReadGuard<T> {
        Acquire::new(&self.sem, 1)
            .await
            .unwrap_or_else(|_| unreachable!("an RwLock's semaphore is never closed"));
        OwnedRwLockReadGuard::new(self)
    }

    /// Waits for exclusive access, keeping the lock alive through the
    /// `Arc`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let l = Arc::new(weft::sync::RwLock::new(3));
    ///     let mut w = l.clone().write_owned().await;
    ///     weft::spawn(async move { *w += 1 }).await.unwrap();
    ///     assert_eq!(*l.read().await, 4);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write_owned(self: Arc<Self>) -> OwnedRwLockWriteGuard<T> {
        Acquire::new(&self.sem, MAX_READS)
            .await
            .unwrap_or_else(|_| unreachable!("an RwLock's semaphore is never closed"));
        OwnedRwLockWriteGuard { lock: self }
    }

    /// Shared access now, or `TryLockError` if a writer holds or waits for
    /// the lock.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let l = Arc::new(weft::sync::RwLock::new(1));
    /// let w = l.clone().try_write_owned().unwrap();
    /// assert!(l.clone().try_read_owned().is_err());
    /// drop(w);
    /// assert_eq!(*l.try_read_owned().unwrap(), 1);
    /// ```
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, crate::TryLockError> {
        match self.sem.try_acquire(1) {
            Ok(()) => Ok(OwnedRwLockReadGuard::new(self)),
            Err(_) => Err(crate::TryLockError(())),
        }
    }

    /// Exclusive access now, or `TryLockError` if anyone holds the lock.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let l = Arc::new(weft::sync::RwLock::new(1));
    /// let r = l.clone().try_read_owned().unwrap();
    /// assert!(l.clone().try_write_owned().is_err());
    /// drop(r);
    /// *l.try_write_owned().unwrap() = 2;
    /// ```
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, crate::TryLockError> {
        match self.sem.try_acquire(MAX_READS) {
            Ok(()) => Ok(OwnedRwLockWriteGuard { lock: self }),
            Err(_) => Err(crate::TryLockError(())),
        }
    }
}

impl<T: ?Sized> OwnedRwLockReadGuard<T> {
    /// The guard for a reader's permit of `lock`, already acquired.
    fn new(lock: Arc<RwLock<T>>) -> Self {
        let data = lock.data.get() as *const T;
        OwnedRwLockReadGuard { lock, data }
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
    /// Takes the `Arc` out without releasing the permit.
    fn into_lock(this: Self) -> Arc<RwLock<T>> {
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is
        // moved out exactly once; the permit moves with it.
        unsafe { std::ptr::read(&this.lock) }
    }

    /// Narrows the guard to a part of the data.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft::sync::{OwnedRwLockReadGuard, RwLock};
    /// let l = Arc::new(RwLock::new((1, 2)));
    /// let g = OwnedRwLockReadGuard::map(l.clone().try_read_owned().unwrap(), |t| &t.1);
    /// assert_eq!(*g, 2);
    /// assert!(l.try_write().is_err());
    /// ```
    pub fn map<V: ?Sized>(this: Self, f: impl FnOnce(&U) -> &V) -> OwnedRwLockReadGuard<T, V> {
        let data = f(&*this) as *const V;
        OwnedRwLockReadGuard {
            lock: Self::into_lock(this),
            data,
        }
    }

    /// Like [`map`](OwnedRwLockReadGuard::map), but `f` may decline,
    /// giving the guard back.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft::sync::{OwnedRwLockReadGuard, RwLock};
    /// let l = Arc::new(RwLock::new(Some(1)));
    /// let g = OwnedRwLockReadGuard::try_map(l.try_read_owned().unwrap(), |o| o.as_ref());
    /// assert_eq!(*g.unwrap(), 1);
    /// ```
    pub fn try_map<V: ?Sized>(
        this: Self,
        f: impl FnOnce(&U) -> Option<&V>,
    ) -> Result<OwnedRwLockReadGuard<T, V>, Self> {
        match f(&*this) {
            Some(data) => {
                let data = data as *const V;
                Ok(OwnedRwLockReadGuard {
                    lock: Self::into_lock(this),
                    data,
                })
            }
            None => Err(this),
        }
    }

    /// The lock this guard reads.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft::sync::{OwnedRwLockReadGuard, RwLock};
    /// let l = Arc::new(RwLock::new(0));
    /// let g = l.clone().try_read_owned().unwrap();
    /// assert!(Arc::ptr_eq(OwnedRwLockReadGuard::rwlock(&g), &l));
    /// ```
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// Takes the `Arc` out without releasing the permits.
    fn into_lock(this: Self) -> Arc<RwLock<T>> {
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is
        // moved out exactly once; the permits move with it.
        unsafe { std::ptr::read(&this.lock) }
    }

    /// Turns the write guard into a read guard without letting a writer
    /// in between.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft::sync::{OwnedRwLockWriteGuard, RwLock};
    /// let l = Arc::new(RwLock::new(1));
    /// let mut w = l.clone().try_write_owned().unwrap();
    /// *w = 2;
    /// let r = OwnedRwLockWriteGuard::downgrade(w);
    /// assert_eq!(*r, 2);
    /// assert!(l.try_read().is_ok());
    /// assert!(l.try_write().is_err());
    /// ```
    pub fn downgrade(this: Self) -> OwnedRwLockReadGuard<T> {
        let lock = Self::into_lock(this);
        // Keep one permit (a reader's), give back the rest.
        lock.sem.release(MAX_READS - 1);
        OwnedRwLockReadGuard::new(lock)
    }

    /// Narrows the guard to a part of the data.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft::sync::{OwnedRwLockWriteGuard, RwLock};
    /// let l = Arc::new(RwLock::new((1, 2)));
    /// let mut g = OwnedRwLockWriteGuard::map(l.clone().try_write_owned().unwrap(), |t| &mut t.0);
    /// *g = 7;
    /// drop(g);
    /// assert_eq!(*l.try_read().unwrap(), (7, 2));
    /// ```
    pub fn map<U: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> OwnedRwLockMappedWriteGuard<T, U> {
        let data = f(&mut *this) as *mut U;
        OwnedRwLockMappedWriteGuard {
            lock: Self::into_lock(this),
            data,
        }
    }

    /// Like [`map`](OwnedRwLockWriteGuard::map), but `f` may decline,
    /// giving the guard back.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft::sync::{OwnedRwLockWriteGuard, RwLock};
    /// let l = Arc::new(RwLock::new(None::<u8>));
    /// let g = OwnedRwLockWriteGuard::try_map(l.try_write_owned().unwrap(), |o| o.as_mut());
    /// assert!(g.is_err());
    /// ```
    pub fn try_map<U: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, U>, Self> {
        match f(&mut *this) {
            Some(data) => {
                let data = data as *mut U;
                Ok(OwnedRwLockMappedWriteGuard {
                    lock: Self::into_lock(this),
                    data,
                })
            }
            None => Err(this),
        }
    }

    /// The lock this guard writes.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft::sync::{OwnedRwLockWriteGuard, RwLock};
    /// let l = Arc::new(RwLock::new(0));
    /// let g = l.clone().try_write_owned().unwrap();
    /// assert!(Arc::ptr_eq(OwnedRwLockWriteGuard::rwlock(&g), &l));
    /// ```
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: `data` points into the lock whose reader permit this
        // guard holds (excluding writers); `lock` keeps it alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockReadGuard<T, U> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the writer holds every permit.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the writer holds every permit.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        self.lock.sem.release(MAX_READS);
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockMappedWriteGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: `data` points into the lock whose every permit this
        // guard holds; `lock` keeps it alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedRwLockMappedWriteGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`; `&mut self` makes the access exclusive.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockMappedWriteGuard<T, U> {
    fn drop(&mut self) {
        self.lock.sem.release(MAX_READS);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
