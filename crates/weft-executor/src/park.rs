//! Parking a worker: in the driver if it is free, else on a condvar.
//!
//! Each worker has a [`Parker`]; all share one [`DriverSlot`]. A worker that
//! parks takes the driver if no one holds it (`try_lock`) and blocks inside
//! [`Driver::park`]; otherwise it sleeps on its own condvar. So at most one
//! thread is ever inside the driver, and an idle runtime always has one
//! worker waiting on I/O and timers while the rest sleep.
//!
//! The parker's state word makes unparks sticky: `unpark` swaps in
//! `NOTIFIED` and, depending on what it replaced, wakes the condvar or the
//! driver. A `park` that finds `NOTIFIED` returns at once. So an `unpark`
//! that lands before, during or after the `park` is never lost.

use std::time::Duration;

use crate::driver::Driver;
use std::sync::Arc;

use crate::sync::{lock, try_lock, wait, AtomicUsize, Condvar, Mutex, Ordering::SeqCst};

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

/// The runtime's driver and the lock that admits one parked worker into it.
///
/// The driver is behind a std `Arc` even under loom: it is not part of the
/// modelled protocol (its own locks are), and loom's `Arc` cannot hold a
/// trait object.
pub(crate) struct DriverSlot {
    lock: Mutex<()>,
    driver: Arc<dyn Driver>,
}

impl DriverSlot {
    pub(crate) fn new(driver: Arc<dyn Driver>) -> Self {
        DriverSlot {
            lock: Mutex::new(()),
            driver,
        }
    }

    /// Polls the driver without blocking, unless another worker is in it.
    pub(crate) fn poll_now(&self) {
        if let Some(_guard) = try_lock(&self.lock) {
            self.driver.park(Some(Duration::ZERO));
        }
    }

    pub(crate) fn driver(&self) -> &Arc<dyn Driver> {
        &self.driver
    }
}

/// One worker's parking spot.
pub(crate) struct Parker {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Self {
        Parker {
            state: AtomicUsize::new(EMPTY),
            mutex: Mutex::new(()),
            condvar: Condvar::new(),
        }
    }

    /// Blocks until [`unpark`](Parker::unpark), or until the driver made
    /// progress (I/O, timers) if this worker holds it. May return spuriously.
    pub(crate) fn park(&self, slot: &DriverSlot) {
        // An unpark already arrived: consume it.
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        if let Some(guard) = try_lock(&slot.lock) {
            self.park_driver(&*slot.driver);
            drop(guard);
        } else {
            self.park_condvar();
        }
    }

    fn park_driver(&self, driver: &dyn Driver) {
        // Announce that we wait in the driver, unless notified meanwhile.
        match self.state.compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.store(EMPTY, SeqCst);
                return;
            }
            Err(s) => unreachable!("weft: parker in state {s} while parking"),
        }
        driver.park(None);
        // Whether woken by unpark (NOTIFIED) or by the driver's own events
        // (still PARKED_DRIVER), we are awake now.
        match self.state.swap(EMPTY, SeqCst) {
            NOTIFIED | PARKED_DRIVER => {}
            s => unreachable!("weft: parker in state {s} after driver park"),
        }
    }

    fn park_condvar(&self) {
        let mut guard = lock(&self.mutex);
        // Announce that we sleep on the condvar, unless notified meanwhile.
        match self.state.compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.store(EMPTY, SeqCst);
                return;
            }
            Err(s) => unreachable!("weft: parker in state {s} while parking"),
        }
        loop {
            guard = wait(&self.condvar, guard);
            // Only an unpark ends the sleep; a spurious wake-up sleeps again.
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
        }
    }

    /// Wakes the worker, or makes its next `park` return at once.
    pub(crate) fn unpark(&self, slot: &DriverSlot) {
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_CONDVAR => {
                // Take the lock so the notify cannot fall between the
                // sleeper's state check and its wait.
                drop(lock(&self.mutex));
                self.condvar.notify_one();
            }
            PARKED_DRIVER => slot.driver.unpark(),
            s => unreachable!("weft: parker in state {s} while unparking"),
        }
    }
}
