//! The `Driver` trait: how an idle worker parks.
//!
//! The executor never blocks a worker on its own. An idle worker asks the
//! runtime's [`Driver`] to park it: the executor passes no timeout (block
//! until there is something to do) or a zero one (process what is ready,
//! without blocking); a driver with timers of its own (the reactor) bounds
//! a blocking park by its next timer itself. At most one worker at a time is inside
//! [`Driver::park`]; the executor guarantees this with a lock, so a driver may
//! assume a single parked thread (this is what lets the reactor hand one
//! `mio::Poll` to whichever worker is idle). Every other idle worker sleeps on
//! its own condvar.
//!
//! The executor ships [`CondvarDriver`], a driver with no I/O. The reactor
//! crate implements the same trait over `mio::Poll`.

use std::time::Duration;

use crate::sync::{lock, wait, wait_timeout, Condvar, Mutex};

/// What an idle worker blocks in.
///
/// # Contract
///
/// * `park(None)` blocks the calling thread until [`unpark`](Driver::unpark)
///   is called or the driver has made progress that may have woken a task
///   (an I/O event, an expired timer of its own). Spurious returns are
///   allowed; the executor re-checks its queues after every return. (The
///   executor passes only `None` or `Some(Duration::ZERO)`; another timeout
///   bounds the block, for drivers used on their own.)
/// * `park(Some(Duration::ZERO))` must not block: it processes whatever is
///   ready and returns. A busy runtime uses it to poll I/O every few ticks.
/// * `unpark` may be called from any thread, at any time. If no thread is
///   parked, the next call to `park` returns immediately (the token semantics
///   of [`std::thread::park`]), so an unpark is never lost.
/// * The executor never has two threads inside `park` at once.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use weft_executor::{CondvarDriver, Driver};
///
/// let driver = CondvarDriver::new();
/// driver.unpark();                  // nobody is parked: the token is kept
/// driver.park(None);                // so this returns at once
/// driver.park(Some(Duration::ZERO)); // never blocks
/// ```
pub trait Driver: Send + Sync + 'static {
    /// Blocks until unparked, the timeout elapses, or progress was made.
    fn park(&self, timeout: Option<Duration>);

    /// Wakes the thread parked in [`park`](Driver::park), or makes the next
    /// `park` return at once.
    fn unpark(&self);

    /// Called once when the runtime shuts down, after every worker has
    /// stopped. A driver wakes whatever still waits on it (an I/O driver
    /// wakes every registered resource so that its tasks observe shutdown).
    fn shutdown(&self) {}
}

/// A driver with no I/O: parks on a condvar.
///
/// The default for a runtime without a reactor, and the reference
/// implementation of the [`Driver`] contract.
#[derive(Debug)]
pub struct CondvarDriver {
    notified: Mutex<bool>,
    condvar: Condvar,
}

impl CondvarDriver {
    /// A driver with no pending unpark.
    pub fn new() -> Self {
        CondvarDriver {
            notified: Mutex::new(false),
            condvar: Condvar::new(),
        }
    }
}

impl Default for CondvarDriver {
    fn default() -> Self {
        Self::new()
    }
}

impl Driver for CondvarDriver {
    fn park(&self, timeout: Option<Duration>) {
        let mut notified = lock(&self.notified);
        if *notified {
            *notified = false;
            return;
        }
        match timeout {
            Some(d) if d.is_zero() => {}
            Some(d) => {
                let mut g = wait_timeout(&self.condvar, notified, d);
                *g = false;
            }
            None => {
                while !*notified {
                    notified = wait(&self.condvar, notified);
                }
                *notified = false;
            }
        }
    }

    fn unpark(&self) {
        *lock(&self.notified) = true;
        self.condvar.notify_one();
    }
}
