//! `OnceCell`: a value set once, by whichever task gets there first.
//!
//! The value lives in a `std::sync::OnceLock`; a one-permit
//! [`RawSemaphore`] picks the one initialiser at a time. The initialiser
//! that succeeds closes the semaphore, which wakes every queued task at
//! once (their acquire fails, and they read the value). An initialiser
//! that fails or is cancelled drops its permit, and the next in line tries.

use std::fmt;
use std::future::Future;
use std::sync::OnceLock;

use crate::raw_semaphore::{Acquire, RawSemaphore, TryAcquire};

/// A cell set at most once, with async initialisation.
///
/// ```
/// use weft::sync::OnceCell;
///
/// static CONFIG: OnceCell<String> = OnceCell::const_new();
///
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let v = CONFIG.get_or_init(|| async { "loaded".to_string() }).await;
///     assert_eq!(v, "loaded");
///     // A second initialiser does not run.
///     let v = CONFIG.get_or_init(|| async { unreachable!() }).await;
///     assert_eq!(v, "loaded");
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct OnceCell<T> {
    value: OnceLock<T>,
    init: RawSemaphore,
}

/// Why [`OnceCell::set`] gave the value back.
#[derive(Debug, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already holds a value.
    AlreadyInitializedError(T),
    /// Another task is initialising the cell right now.
    InitializingError(T),
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => f.write_str("the OnceCell already holds a value"),
            SetError::InitializingError(_) => {
                f.write_str("the OnceCell is being initialised by another task")
            }
        }
    }
}
impl<T: fmt::Debug> std::error::Error for SetError<T> {}

impl<T> SetError<T> {
    /// `true` for [`SetError::AlreadyInitializedError`].
    ///
    /// ```
    /// let c = weft::sync::OnceCell::new_with(Some(1));
    /// assert!(c.set(2).unwrap_err().is_already_init_err());
    /// ```
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// `true` for [`SetError::InitializingError`].
    ///
    /// ```
    /// let c = weft::sync::OnceCell::new_with(Some(1));
    /// assert!(!c.set(2).unwrap_err().is_initializing_err());
    /// ```
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }
}

impl<T> OnceCell<T> {
    /// An empty cell.
    ///
    /// ```
    /// let c = weft::sync::OnceCell::<u8>::new();
    /// assert!(c.get().is_none());
    /// ```
    pub fn new() -> Self {
        OnceCell {
            value: OnceLock::new(),
            init: RawSemaphore::new(1),
        }
    }

    /// An empty cell, usable in a `static`.
    ///
    /// ```
    /// static C: weft::sync::OnceCell<u8> = weft::sync::OnceCell::const_new();
    /// assert!(C.get().is_none());
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new() -> Self {
        OnceCell {
            value: OnceLock::new(),
            init: RawSemaphore::new(1),
        }
    }

    /// A cell holding `value`, if it is `Some`.
    ///
    /// ```
    /// assert_eq!(weft::sync::OnceCell::new_with(Some(3)).get(), Some(&3));
    /// ```
    pub fn new_with(value: Option<T>) -> Self {
        let cell = OnceCell::new();
        if let Some(v) = value {
            let _ = cell.value.set(v);
            cell.init.close();
        }
        cell
    }

    /// The value, if set.
    ///
    /// ```
    /// let c = weft::sync::OnceCell::new();
    /// c.set(1).unwrap();
    /// assert_eq!(c.get(), Some(&1));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// `true` once a value is set.
    ///
    /// ```
    /// assert!(!weft::sync::OnceCell::<()>::new().initialized());
    /// ```
    pub fn initialized(&self) -> bool {
        self.value.get().is_some()
    }

    /// Sets the value, unless one is set or being initialised.
    ///
    /// ```
    /// let c = weft::sync::OnceCell::new();
    /// assert!(c.set(1).is_ok());
    /// assert_eq!(c.set(2), Err(weft::sync::SetError::AlreadyInitializedError(2)));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        match self.init.try_acquire(1) {
            Ok(()) => {
                // We are the only initialiser: the value cannot be set.
                let r = self.value.set(value);
                self.init.close();
                r.map_err(SetError::AlreadyInitializedError)
            }
            Err(TryAcquire::Closed) => Err(SetError::AlreadyInitializedError(value)),
            Err(TryAcquire::NoPermits) => Err(SetError::InitializingError(value)),
        }
    }

    /// The value, running `f` to set it first if the cell is empty.
    ///
    /// Only one initialiser runs at a time; the others wait for its
    /// result. If it is cancelled, the next waiter runs its own `f`.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let c = weft::sync::OnceCell::new();
    ///     assert_eq!(*c.get_or_init(|| async { 7 }).await, 7);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn get_or_init<F, Fut>(&self, f: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        match self
            .get_or_try_init(|| async { Ok::<T, std::convert::Infallible>(f().await) })
            .await
        {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// The value, running the fallible `f` to set it first if the cell is
    /// empty; an `Err` leaves the cell empty for the next caller.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let c = weft::sync::OnceCell::<u8>::new();
    ///     assert!(c.get_or_try_init(|| async { Err("no") }).await.is_err());
    ///     assert_eq!(*c.get_or_try_init(|| async { Ok::<_, ()>(1) }).await.unwrap(), 1);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(v) = self.value.get() {
            return Ok(v);
        }
        if Acquire::new(&self.init, 1).await.is_err() {
            // Closed: someone set the value.
            return Ok(self.value.get().expect("a closed OnceCell holds a value"));
        }
        // Holding the permit: we are the one initialiser. It goes back if
        // `f` fails, panics or is cancelled.
        struct Permit<'a>(&'a RawSemaphore);
        impl Drop for Permit<'_> {
            fn drop(&mut self) {
                self.0.release(1);
            }
        }
        let permit = Permit(&self.init);
        let v = f().await?;
        let _ = self.value.set(v);
        std::mem::forget(permit);
        self.init.close();
        Ok(self.value.get().expect("just set"))
    }

    /// The value, taking the cell apart.
    ///
    /// ```
    /// assert_eq!(weft::sync::OnceCell::new_with(Some(1)).into_inner(), Some(1));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }

    /// Takes the value out, leaving the cell empty.
    ///
    /// ```
    /// let mut c = weft::sync::OnceCell::new_with(Some(1));
    /// assert_eq!(c.take(), Some(1));
    /// assert!(c.get().is_none());
    /// ```
    pub fn take(&mut self) -> Option<T> {
        std::mem::take(self).into_inner()
    }

    /// The value, through `&mut self`.
    ///
    /// ```
    /// let mut c = weft::sync::OnceCell::new_with(Some(1));
    /// *c.get_mut().unwrap() = 2;
    /// assert_eq!(c.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.value.get_mut()
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell").field("value", &self.get()).finish()
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    fn clone(&self) -> Self {
        OnceCell::new_with(self.get().cloned())
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> Self {
        OnceCell::new_with(Some(value))
    }
}
