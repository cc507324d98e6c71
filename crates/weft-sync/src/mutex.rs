//! `Mutex`: an async mutex, a one-permit [`RawSemaphore`] beside the data.
//!
//! Holding the one permit is what gives a guard access to the cell; the
//! semaphore's rules (FIFO, cancellation gives back) are the mutex's.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::raw_semaphore::{Acquire, RawSemaphore};

/// An async mutual-exclusion lock: [`lock`](Mutex::lock) waits without
/// blocking the thread, and the guard may be held across `.await`.
///
/// Fair: waiters get the lock in the order they started waiting. Every
/// `lock` spends a unit of the task's cooperative budget. For data locked
/// briefly and never across an `.await`, `std::sync::Mutex` is faster.
///
/// ```
/// use std::sync::Arc;
/// use weft::sync::Mutex;
///
/// let rt = weft::Runtime::new()?;
/// let total = rt.block_on(async {
///     let count = Arc::new(Mutex::new(0));
///     let mut hs = Vec::new();
///     for _ in 0..10 {
///         let count = count.clone();
///         hs.push(weft::spawn(async move { *count.lock().await += 1 }));
///     }
///     for h in hs { h.await.unwrap(); }
///     let n = *count.lock().await;
///     n
/// });
/// assert_eq!(total, 10);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Mutex<T: ?Sized> {
    sem: RawSemaphore,
    data: UnsafeCell<T>,
}

// SAFETY: the semaphore's single permit makes every access to `data`
// exclusive, so sharing the mutex only ever moves `T` between threads.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above: `&Mutex<T>` gives `&mut T` to one holder at a time,
// which needs `T: Send`, not `T: Sync`.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// Exclusive access to a [`Mutex`]'s data; unlocks on drop.
#[must_use = "dropping the guard unlocks the mutex at once"]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
}

/// Exclusive access to an `Arc<Mutex<T>>`'s data; unlocks on drop.
#[must_use = "dropping the guard unlocks the mutex at once"]
pub struct OwnedMutexGuard<T: ?Sized> {
    lock: Arc<Mutex<T>>,
}

/// A [`MutexGuard`] narrowed to a part of the data by [`MutexGuard::map`].
#[must_use = "dropping the guard unlocks the mutex at once"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    sem: &'a RawSemaphore,
    data: *mut T,
    _marker: PhantomData<&'a mut T>,
}

/// An [`OwnedMutexGuard`] narrowed to a part of the data by
/// [`OwnedMutexGuard::map`]; keeps the mutex alive.
#[must_use = "dropping the guard unlocks the mutex at once"]
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<Mutex<T>>,
    data: *mut U,
}

// SAFETY: `data` points into the locked mutex `lock` keeps alive; the
// guard is a `&mut U` (and owns a share of the `Mutex<T>`).
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

// SAFETY: a guard is a `&mut T` with an unlock attached.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for OwnedMutexGuard<T> {}
// SAFETY: `data` points into a locked mutex; the guard is a `&mut T`.
unsafe impl<T: ?Sized + Send> Send for MappedMutexGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for MappedMutexGuard<'_, T> {}

/// [`Mutex::try_lock`] found the mutex locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryLockError(pub(crate) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the lock is held (or others are queued for it); try again or await it")
    }
}
impl std::error::Error for TryLockError {}

impl<T> Mutex<T> {
    /// A new, unlocked mutex.
    ///
    /// ```
    /// let m = weft::sync::Mutex::new(5);
    /// assert_eq!(m.into_inner(), 5);
    /// ```
    pub fn new(value: T) -> Self {
        Mutex {
            sem: RawSemaphore::new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// A new, unlocked mutex, usable in a `static`.
    ///
    /// ```
    /// static M: weft::sync::Mutex<u32> = weft::sync::Mutex::const_new(0);
    /// assert_eq!(*M.try_lock().unwrap(), 0);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> Self {
        Mutex {
            sem: RawSemaphore::new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// The data, taking the mutex apart.
    ///
    /// ```
    /// assert_eq!(weft::sync::Mutex::new("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock.
    ///
    /// Dropping the future while it waits gives up its place in the queue
    /// and never leaves the mutex locked.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let m = weft::sync::Mutex::new(vec![1]);
    ///     m.lock().await.push(2);
    ///     assert_eq!(*m.lock().await, [1, 2]);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        Acquire::new(&self.sem, 1)
            .await
            .unwrap_or_else(|_| unreachable!("a Mutex's semaphore is never closed"));
        MutexGuard { lock: self }
    }

    /// Takes the lock if it is free and nobody is queued for it.
    ///
    /// ```
    /// let m = weft::sync::Mutex::new(1);
    /// let g = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_err());
    /// drop(g);
    /// assert!(m.try_lock().is_ok());
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        self.sem
            .try_acquire(1)
            .map(|()| MutexGuard { lock: self })
            .map_err(|_| TryLockError(()))
    }

    /// Waits for the lock of an `Arc<Mutex<T>>`; the guard keeps the mutex
    /// alive, so it can move into a spawned task.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let m = Arc::new(weft::sync::Mutex::new(0));
    ///     let mut g = m.clone().lock_owned().await;
    ///     weft::spawn(async move { *g += 1 }).await.unwrap();
    ///     assert_eq!(*m.lock().await, 1);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        Acquire::new(&self.sem, 1)
            .await
            .unwrap_or_else(|_| unreachable!("a Mutex's semaphore is never closed"));
        OwnedMutexGuard { lock: self }
    }

    /// Takes the lock of an `Arc<Mutex<T>>` if it is free.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let m = Arc::new(weft::sync::Mutex::new(0));
    /// let g = m.clone().try_lock_owned().unwrap();
    /// assert!(m.clone().try_lock_owned().is_err());
    /// drop(g);
    /// ```
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        match self.sem.try_acquire(1) {
            Ok(()) => Ok(OwnedMutexGuard { lock: self }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Blocks the thread until the lock is free: for plain threads and
    /// blocking closures.
    ///
    /// # Panics
    ///
    /// Inside an async context (a weft task or worker thread), where it
    /// would stall the runtime: use `lock().await` there.
    ///
    /// ```
    /// let m = weft::sync::Mutex::new(1);
    /// *m.blocking_lock() += 1;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        crate::blocking::block_on("Mutex::blocking_lock", "lock().await", self.lock())
    }

    /// [`blocking_lock`](Mutex::blocking_lock) for an `Arc<Mutex<T>>`.
    ///
    /// # Panics
    ///
    /// Inside an async context, as `blocking_lock`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let m = Arc::new(weft::sync::Mutex::new(1));
    /// assert_eq!(*m.blocking_lock_owned(), 1);
    /// ```
    #[track_caller]
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        crate::blocking::block_on(
            "Mutex::blocking_lock_owned",
            "lock_owned().await",
            self.lock_owned(),
        )
    }

    /// The data, through `&mut self`: no locking needed.
    ///
    /// ```
    /// let mut m = weft::sync::Mutex::new(1);
    /// *m.get_mut() = 2;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(g) => d.field("data", &&*g),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Narrows the guard to a part of the data.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let m = weft::sync::Mutex::new((1, String::from("a")));
    ///     let mut s = weft::sync::MutexGuard::map(m.lock().await, |t| &mut t.1);
    ///     s.push('b');
    ///     drop(s);
    ///     assert_eq!(m.lock().await.1, "ab");
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn map<U: ?Sized>(this: Self, f: impl FnOnce(&mut T) -> &mut U) -> MappedMutexGuard<'a, U> {
        let lock = this.lock;
        // SAFETY: `this` holds the mutex's only permit, so no other
        // reference to the data exists; the permit moves to the new guard.
        let data = f(unsafe { &mut *lock.data.get() }) as *mut U;
        std::mem::forget(this);
        MappedMutexGuard {
            sem: &lock.sem,
            data,
            _marker: PhantomData,
        }
    }

    /// Like [`map`](MutexGuard::map), but `f` may decline, giving the guard
    /// back.
    ///
    /// ```
    /// let m = weft::sync::Mutex::new(Some(3));
    /// let g = m.try_lock().unwrap();
    /// let three = weft::sync::MutexGuard::try_map(g, |o| o.as_mut()).unwrap();
    /// assert_eq!(*three, 3);
    /// ```
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<MappedMutexGuard<'a, U>, Self> {
        let lock = this.lock;
        // SAFETY: as in `map`.
        match f(unsafe { &mut *lock.data.get() }) {
            Some(data) => {
                let data = data as *mut U;
                std::mem::forget(this);
                Ok(MappedMutexGuard {
                    sem: &lock.sem,
                    data,
                    _marker: PhantomData,
                })
            }
            None => Err(this),
        }
    }

    /// The mutex this guard locks.
    ///
    /// ```
    /// let m = weft::sync::Mutex::new(0);
    /// let g = m.try_lock().unwrap();
    /// assert!(std::ptr::eq(weft::sync::MutexGuard::mutex(&g), &m));
    /// ```
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.lock
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard locks.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let m = Arc::new(weft::sync::Mutex::new(0));
    /// let g = m.clone().try_lock_owned().unwrap();
    /// assert!(Arc::ptr_eq(weft::sync::OwnedMutexGuard::mutex(&g), &m));
    /// ```
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }

    /// Takes the `Arc` out of a guard without unlocking.
    fn into_lock(this: Self) -> Arc<Mutex<T>> {
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is
        // moved out exactly once; the permit moves with it.
        unsafe { std::ptr::read(&this.lock) }
    }

    /// Narrows the guard to a part of the data, keeping the mutex alive.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft::sync::{Mutex, OwnedMutexGuard};
    /// let m = Arc::new(Mutex::new((1, 2)));
    /// let mut second = OwnedMutexGuard::map(m.clone().try_lock_owned().unwrap(), |t| &mut t.1);
    /// *second = 5;
    /// assert!(m.try_lock().is_err());
    /// drop(second);
    /// assert_eq!(*m.try_lock().unwrap(), (1, 5));
    /// ```
    pub fn map<U: ?Sized>(mut this: Self, f: impl FnOnce(&mut T) -> &mut U) -> OwnedMappedMutexGuard<T, U> {
        let data = f(&mut *this) as *mut U;
        OwnedMappedMutexGuard {
            lock: OwnedMutexGuard::into_lock(this),
            data,
        }
    }

    /// Like [`map`](OwnedMutexGuard::map), but `f` may decline, giving the
    /// guard back.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft::sync::{Mutex, OwnedMutexGuard};
    /// let m = Arc::new(Mutex::new(None::<u8>));
    /// let g = m.clone().try_lock_owned().unwrap();
    /// let g = OwnedMutexGuard::try_map(g, |o| o.as_mut()).unwrap_err();
    /// assert!(g.is_none());
    /// ```
    pub fn try_map<U: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<OwnedMappedMutexGuard<T, U>, Self> {
        match f(&mut *this) {
            Some(data) => {
                let data = data as *mut U;
                Ok(OwnedMappedMutexGuard {
                    lock: OwnedMutexGuard::into_lock(this),
                    data,
                })
            }
            None => Err(this),
        }
    }
}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    /// The mutex this guard locks.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    /// let m = Arc::new(Mutex::new((0, 0)));
    /// let g = OwnedMutexGuard::map(m.clone().try_lock_owned().unwrap(), |t| &mut t.0);
    /// assert!(Arc::ptr_eq(OwnedMappedMutexGuard::mutex(&g), &m));
    /// ```
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: `data` points into the mutex whose permit this guard
        // holds, which `lock` keeps alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`; `&mut self` makes the access exclusive.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: `data` points into the mutex whose permit this guard holds.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: `data` points into the mutex whose permit this guard holds.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
