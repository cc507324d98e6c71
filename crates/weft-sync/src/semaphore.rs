//! `Semaphore`: a fair (FIFO) counting semaphore; see `raw_semaphore.rs`
//! for its rules.

use std::fmt;

use crate::raw_semaphore::{Acquire, RawSemaphore, TryAcquire};
use std::sync::Arc;

/// A counting semaphore: [`acquire`](Semaphore::acquire) waits for a
/// permit, dropping the permit gives it back.
///
/// Fair: waiters are served in the order they started waiting, and a
/// waiter asking for many permits is not overtaken by later small ones.
/// Dropping an acquire future that was waiting hands its place (and any
/// permits already assigned to it) on. Every acquire spends a unit of the
/// task's cooperative budget.
///
/// ```
/// use std::sync::Arc;
/// use weft::sync::Semaphore;
///
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let sem = Arc::new(Semaphore::new(2));
///     let a = sem.acquire().await.unwrap();
///     let _b = sem.acquire().await.unwrap();
///     assert!(sem.try_acquire().is_err());
///     drop(a);
///     assert_eq!(sem.available_permits(), 1);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Semaphore {
    raw: RawSemaphore,
}

/// A permit from a [`Semaphore`], given back on drop.
#[must_use = "dropping the permit gives it back at once"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    permits: u32,
}

/// A permit from an `Arc<Semaphore>`, given back on drop.
#[must_use = "dropping the permit gives it back at once"]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    permits: u32,
}

/// The semaphore was closed ([`Semaphore::close`]) before a permit came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquireError(());

/// Why [`Semaphore::try_acquire`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Not enough permits are free, or other acquirers are queued first.
    NoPermits,
}

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the semaphore was closed before a permit could be acquired")
    }
}
impl std::error::Error for AcquireError {}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("the semaphore is closed"),
            TryAcquireError::NoPermits => {
                f.write_str("no permits available now (or others are queued first)")
            }
        }
    }
}
impl std::error::Error for TryAcquireError {}

impl From<TryAcquire> for TryAcquireError {
    fn from(e: TryAcquire) -> Self {
        match e {
            TryAcquire::Closed => TryAcquireError::Closed,
            TryAcquire::NoPermits => TryAcquireError::NoPermits,
        }
    }
}

impl Semaphore {
    /// The most permits a semaphore can hold: `usize::MAX >> 3`.
    pub const MAX_PERMITS: usize = crate::raw_semaphore::MAX_PERMITS;

    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(3);
    /// assert_eq!(sem.available_permits(), 3);
    /// ```
    pub fn new(permits: usize) -> Self {
        Semaphore {
            raw: RawSemaphore::new(permits),
        }
    }

    /// A semaphore with `permits` permits, usable in a `static`.
    ///
    /// ```
    /// static LIMIT: weft::sync::Semaphore = weft::sync::Semaphore::const_new(8);
    /// assert_eq!(LIMIT.available_permits(), 8);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(permits: usize) -> Self {
        Semaphore {
            raw: RawSemaphore::new(permits),
        }
    }

    /// Free permits right now.
    ///
    /// ```
    /// assert_eq!(weft::sync::Semaphore::new(1).available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.raw.available_permits()
    }

    /// Adds `n` permits, waking queued acquirers in order.
    ///
    /// # Panics
    ///
    /// If the total would exceed [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(0);
    /// sem.add_permits(2);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, n: usize) {
        self.raw.release(n);
    }

    /// Removes up to `n` free permits for good; returns how many it removed.
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(3);
    /// assert_eq!(sem.forget_permits(5), 3);
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget_permits(&self, n: usize) -> usize {
        self.raw.forget_permits(n)
    }

    /// Waits for one permit.
    ///
    /// Fails only if the semaphore is closed. Cancel-safe in the sense that
    /// dropping the future never loses a permit, but it loses its place in
    /// the queue.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let sem = weft::sync::Semaphore::new(1);
    ///     let permit = sem.acquire().await.unwrap();
    ///     assert_eq!(permit.num_permits(), 1);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_many(1).await
    }

    /// Waits for `n` permits at once.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let sem = weft::sync::Semaphore::new(4);
    ///     let p = sem.acquire_many(3).await.unwrap();
    ///     assert_eq!(sem.available_permits(), 1);
    ///     drop(p);
    ///     assert_eq!(sem.available_permits(), 4);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        Acquire::new(&self.raw, n as usize)
            .await
            .map_err(|_| AcquireError(()))?;
        Ok(SemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Takes one permit if one is free and nobody is queued.
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(1);
    /// let p = sem.try_acquire().unwrap();
    /// assert_eq!(sem.try_acquire().unwrap_err(), weft::sync::TryAcquireError::NoPermits);
    /// drop(p);
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody is queued (zero
    /// permits always succeed, unless the semaphore is closed).
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(2);
    /// assert!(sem.try_acquire_many(3).is_err());
    /// assert!(sem.try_acquire_many(2).is_ok());
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.raw.try_acquire(n as usize)?;
        Ok(SemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Waits for one permit of an `Arc<Semaphore>`; the permit keeps the
    /// semaphore alive, so it can move into a spawned task.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let sem = Arc::new(weft::sync::Semaphore::new(1));
    ///     let permit = sem.clone().acquire_owned().await.unwrap();
    ///     weft::spawn(async move { drop(permit) }).await.unwrap();
    ///     assert_eq!(sem.available_permits(), 1);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// Waits for `n` permits of an `Arc<Semaphore>`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let sem = Arc::new(weft::sync::Semaphore::new(2));
    ///     let p = sem.clone().acquire_many_owned(2).await.unwrap();
    ///     assert_eq!(p.num_permits(), 2);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn acquire_many_owned(self: Arc<Self>, n: u32) -> Result<OwnedSemaphorePermit, AcquireError> {
        Acquire::new(&self.raw, n as usize)
            .await
            .map_err(|_| AcquireError(()))?;
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Takes one permit of an `Arc<Semaphore>` if one is free.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(weft::sync::Semaphore::new(1));
    /// let p = sem.clone().try_acquire_owned().unwrap();
    /// assert!(sem.clone().try_acquire_owned().is_err());
    /// drop(p);
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// Takes `n` permits of an `Arc<Semaphore>` if they are free.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(weft::sync::Semaphore::new(2));
    /// assert!(sem.clone().try_acquire_many_owned(2).is_ok());
    /// ```
    pub fn try_acquire_many_owned(self: Arc<Self>, n: u32) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.raw.try_acquire(n as usize)?;
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Closes the semaphore: queued and later acquires fail with
    /// [`AcquireError`]; permits already held stay valid.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let sem = weft::sync::Semaphore::new(1);
    ///     sem.close();
    ///     assert!(sem.acquire().await.is_err());
    ///     assert!(sem.is_closed());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn close(&self) {
        self.raw.close();
    }

    /// `true` once [`close`](Semaphore::close) was called.
    ///
    /// ```
    /// assert!(!weft::sync::Semaphore::new(1).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.raw.is_closed()
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .finish()
    }
}

impl<'a> SemaphorePermit<'a> {
    /// Keeps the permits out of the semaphore for good.
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(1);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(2);
    /// assert_eq!(sem.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }

    /// Adds `other`'s permits to this one.
    ///
    /// # Panics
    ///
    /// If the two come from different semaphores.
    ///
    /// ```
    /// let sem = weft::sync::Semaphore::new(2);
    /// let mut a = sem.try_acquire().unwrap();
    /// a.merge(sem.try_acquire().unwrap());
    /// assert_eq!(a.num_permits(), 2);
    /// ```
    pub fn merge(&mut self, mut other: SemaphorePermit<'a>) {
        assert!(
            std::ptr::eq(self.sem, other.sem),
            "SemaphorePermit::merge: the permits come from different semaphores"
        );
        self.permits += other.permits;
        other.permits = 0;
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.add_permits(self.permits as usize);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

impl OwnedSemaphorePermit {
    /// Keeps the permits out of the semaphore for good.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(weft::sync::Semaphore::new(1));
    /// sem.clone().try_acquire_owned().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(weft::sync::Semaphore::new(1));
    /// assert_eq!(sem.try_acquire_owned().unwrap().num_permits(), 1);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }

    /// The semaphore these permits came from.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(weft::sync::Semaphore::new(1));
    /// let p = sem.clone().try_acquire_owned().unwrap();
    /// assert!(Arc::ptr_eq(p.semaphore(), &sem));
    /// ```
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.sem
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.sem.add_permits(self.permits as usize);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}
