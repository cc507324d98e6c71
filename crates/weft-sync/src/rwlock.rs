//! `RwLock`: many readers or one writer, on a [`RawSemaphore`] of
//! `MAX_READS` permits: a reader takes one, a writer takes them all.
//!
//! The semaphore is FIFO and hands permits to its queue front a few at a
//! time, so a queued writer collects the permits of departing readers while
//! readers that come after it queue behind it: neither side starves.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

mod owned;

pub use owned::{OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard};

use crate::raw_semaphore::{Acquire, RawSemaphore};

/// Concurrent readers (tokio's figure: `u32::MAX >> 3`).
const MAX_READS: usize = (u32::MAX >> 3) as usize;

/// An async reader-writer lock, fair (FIFO) between readers and writers.
///
/// Every `read` and `write` spends a unit of the task's cooperative budget.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let lock = weft::sync::RwLock::new(5);
///     {
///         let (r1, r2) = (lock.read().await, lock.read().await);
///         assert_eq!(*r1 + *r2, 10);
///     }
///     *lock.write().await += 1;
///     assert_eq!(*lock.read().await, 6);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct RwLock<T: ?Sized> {
    sem: RawSemaphore,
    data: UnsafeCell<T>,
}

// SAFETY: the semaphore hands out either one writer's `&mut T` or readers'
// `&T`s, never both; a writer moves `T` between threads, readers share it.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: as above, so shared access needs `T: Send + Sync`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

/// Shared access to an [`RwLock`]'s data; released on drop.
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    sem: &'a RawSemaphore,
    data: *const T,
    _marker: PhantomData<&'a T>,
}

/// A [`RwLockWriteGuard`] narrowed to a part of the data by
/// [`RwLockWriteGuard::map`]; released on drop.
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    sem: &'a RawSemaphore,
    data: *mut T,
    _marker: PhantomData<&'a mut T>,
}

// SAFETY: a mapped write guard is a `&mut T`.
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockMappedWriteGuard<'_, T> {}
// SAFETY: a mapped write guard is a `&mut T`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockMappedWriteGuard<'_, T> {}

/// Exclusive access to an [`RwLock`]'s data; released on drop.
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

// SAFETY: a read guard is a `&T`.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: a read guard is a `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}
// SAFETY: a write guard is a `&mut T`.
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockWriteGuard<'_, T> {}
// SAFETY: a write guard is a `&mut T`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T> RwLock<T> {
    /// A new, unlocked lock.
    ///
    /// ```
    /// assert_eq!(weft::sync::RwLock::new(1).into_inner(), 1);
    /// ```
    pub fn new(value: T) -> Self {
        RwLock {
            sem: RawSemaphore::new(MAX_READS),
            data: UnsafeCell::new(value),
        }
    }

    /// A new, unlocked lock, usable in a `static`.
    ///
    /// ```
    /// static L: weft::sync::RwLock<u8> = weft::sync::RwLock::const_new(0);
    /// assert_eq!(*L.try_read().unwrap(), 0);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> Self {
        RwLock {
            sem: RawSemaphore::new(MAX_READS),
            data: UnsafeCell::new(value),
        }
    }

    /// The data, taking the lock apart.
    ///
    /// ```
    /// assert_eq!(weft::sync::RwLock::new("a").into_inner(), "a");
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared access; queues behind any writer that waits.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let l = weft::sync::RwLock::new(3);
    ///     assert_eq!(*l.read().await, 3);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        Acquire::new(&self.sem, 1)
            .await
            .unwrap_or_else(|_| unreachable!("an RwLock's semaphore is never closed"));
        RwLockReadGuard::new(self)
    }

    /// Waits for exclusive access.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let l = weft::sync::RwLock::new(3);
    ///     *l.write().await = 4;
    ///     assert_eq!(*l.read().await, 4);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        Acquire::new(&self.sem, MAX_READS)
            .await
            .unwrap_or_else(|_| unreachable!("an RwLock's semaphore is never closed"));
        RwLockWriteGuard { lock: self }
    }

    /// Shared access now, if no writer holds or waits for the lock.
    ///
    /// ```
    /// let l = weft::sync::RwLock::new(0);
    /// let w = l.try_write().unwrap();
    /// assert!(l.try_read().is_err());
    /// drop(w);
    /// assert!(l.try_read().is_ok());
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, crate::TryLockError> {
        self.sem
            .try_acquire(1)
            .map(|()| RwLockReadGuard::new(self))
            .map_err(|_| crate::TryLockError(()))
    }

    /// Exclusive access now, if nobody holds or waits for the lock.
    ///
    /// ```
    /// let l = weft::sync::RwLock::new(0);
    /// let r = l.try_read().unwrap();
    /// assert!(l.try_write().is_err());
    /// drop(r);
    /// assert!(l.try_write().is_ok());
    /// ```
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, crate::TryLockError> {
        self.sem
            .try_acquire(MAX_READS)
            .map(|()| RwLockWriteGuard { lock: self })
            .map_err(|_| crate::TryLockError(()))
    }

    /// Blocks the thread for shared access: for plain threads.
    ///
    /// # Panics
    ///
    /// Inside an async context (a weft task or worker thread).
    ///
    /// ```
    /// let l = weft::sync::RwLock::new(1);
    /// assert_eq!(*l.blocking_read(), 1);
    /// ```
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        crate::blocking::block_on("RwLock::blocking_read", "read().await", self.read())
    }

    /// Blocks the thread for exclusive access: for plain threads.
    ///
    /// # Panics
    ///
    /// Inside an async context (a weft task or worker thread).
    ///
    /// ```
    /// let l = weft::sync::RwLock::new(1);
    /// *l.blocking_write() = 2;
    /// assert_eq!(l.into_inner(), 2);
    /// ```
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        crate::blocking::block_on("RwLock::blocking_write", "write().await", self.write())
    }

    /// The data, through `&mut self`: no locking needed.
    ///
    /// ```
    /// let mut l = weft::sync::RwLock::new(1);
    /// *l.get_mut() += 1;
    /// assert_eq!(l.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(g) => d.field("data", &&*g),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// The guard for a reader's permit of `lock`, already acquired.
    fn new(lock: &'a RwLock<T>) -> Self {
        RwLockReadGuard {
            sem: &lock.sem,
            data: lock.data.get(),
            _marker: PhantomData,
        }
    }

    /// Narrows the guard to a part of the data.
    ///
    /// ```
    /// use weft::sync::{RwLock, RwLockReadGuard};
    /// let l = RwLock::new((1, 2));
    /// let second = RwLockReadGuard::map(l.try_read().unwrap(), |t| &t.1);
    /// assert_eq!(*second, 2);
    /// assert!(l.try_write().is_err());
    /// ```
    pub fn map<U: ?Sized>(this: Self, f: impl FnOnce(&T) -> &U) -> RwLockReadGuard<'a, U> {
        let data = f(&*this) as *const U;
        let sem = this.sem;
        std::mem::forget(this);
        RwLockReadGuard {
            sem,
            data,
            _marker: PhantomData,
        }
    }

    /// Like [`map`](RwLockReadGuard::map), but `f` may decline, giving the
    /// guard back.
    ///
    /// ```
    /// use weft::sync::{RwLock, RwLockReadGuard};
    /// let l = RwLock::new(None::<u8>);
    /// assert!(RwLockReadGuard::try_map(l.try_read().unwrap(), |o| o.as_ref()).is_err());
    /// ```
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&T) -> Option<&U>,
    ) -> Result<RwLockReadGuard<'a, U>, Self> {
        match f(&*this) {
            Some(data) => {
                let data = data as *const U;
                let sem = this.sem;
                std::mem::forget(this);
                Ok(RwLockReadGuard {
                    sem,
                    data,
                    _marker: PhantomData,
                })
            }
            None => Err(this),
        }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: `data` points into the lock whose reader permit this
        // guard holds, which excludes every writer.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns the write guard into a read guard without letting a writer
    /// in between; queued readers may then join.
    ///
    /// ```
    /// let l = weft::sync::RwLock::new(1);
    /// let mut w = l.try_write().unwrap();
    /// *w = 2;
    /// let r = weft::sync::RwLockWriteGuard::downgrade(w);
    /// assert_eq!(*r, 2);
    /// assert!(l.try_read().is_ok());
    /// assert!(l.try_write().is_err());
    /// ```
    pub fn downgrade(this: Self) -> RwLockReadGuard<'a, T> {
        let lock = this.lock;
        std::mem::forget(this);
        // Keep one permit (a reader's), give back the rest.
        lock.sem.release(MAX_READS - 1);
        RwLockReadGuard::new(lock)
    }

    /// Narrows the guard to a part of the data.
    ///
    /// ```
    /// use weft::sync::{RwLock, RwLockWriteGuard};
    /// let l = RwLock::new((1, 2));
    /// let mut second = RwLockWriteGuard::map(l.try_write().unwrap(), |t| &mut t.1);
    /// *second = 5;
    /// assert!(l.try_read().is_err());
    /// drop(second);
    /// assert_eq!(*l.try_read().unwrap(), (1, 5));
    /// ```
    pub fn map<U: ?Sized>(mut this: Self, f: impl FnOnce(&mut T) -> &mut U) -> RwLockMappedWriteGuard<'a, U> {
        let data = f(&mut *this) as *mut U;
        let sem = &this.lock.sem;
        std::mem::forget(this);
        RwLockMappedWriteGuard {
            sem,
            data,
            _marker: PhantomData,
        }
    }

    /// Like [`map`](RwLockWriteGuard::map), but `f` may decline, giving the
    /// guard back.
    ///
    /// ```
    /// use weft::sync::{RwLock, RwLockWriteGuard};
    /// let l = RwLock::new(Some(1));
    /// let mut one = RwLockWriteGuard::try_map(l.try_write().unwrap(), |o| o.as_mut()).unwrap();
    /// *one += 1;
    /// drop(one);
    /// assert_eq!(*l.try_read().unwrap(), Some(2));
    /// ```
    pub fn try_map<U: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self> {
        match f(&mut *this) {
            Some(data) => {
                let data = data as *mut U;
                let sem = &this.lock.sem;
                std::mem::forget(this);
                Ok(RwLockMappedWriteGuard {
                    sem,
                    data,
                    _marker: PhantomData,
                })
            }
            None => Err(this),
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the writer holds every permit.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the writer holds every permit.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(MAX_READS);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: `data` points into the lock whose every permit this
        // guard holds.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes the access exclusive.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for RwLockMappedWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(MAX_READS);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
