//! [`EventDriver`]: a test driver whose `park` wakes tasks on the parking
//! worker, as the reactor's does when it dispatches I/O events.
//!
//! `CondvarDriver` never wakes a task itself, so with it every wake comes
//! from a task or another thread. A real driver wakes tasks *inside*
//! `park`, on the worker thread that holds it: those wakes take the
//! worker-local path (the LIFO slot, no notification, since the worker is
//! parked and notifies once after the park). `EventDriver` does the same:
//! [`EventDriver::event`] gives a future that registers its waker with the
//! driver, and the next `park` (blocking or not: a maintenance tick polls
//! the driver with a zero timeout) wakes every registered waker and
//! returns. With nothing registered, `park` is `CondvarDriver`'s.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Mutex;
use weft_executor::{CondvarDriver, Driver};

/// A driver that delivers one "event" per registered waker at its next park.
#[derive(Default)]
pub struct EventDriver {
    inner: CondvarDriver,
    registered: Mutex<Vec<Waker>>,
    /// Parks that delivered events.
    deliveries: AtomicUsize,
}

impl EventDriver {
    /// A driver with nothing registered.
    pub fn new() -> StdArc<EventDriver> {
        StdArc::new(EventDriver::default())
    }

    /// A future that is `Pending` until this driver has delivered its event
    /// (at the first `park` after its first poll), then `Ready`.
    pub fn event(self: &StdArc<Self>) -> Event {
        Event {
            driver: self.clone(),
            registered: false,
        }
    }

    /// How many parks delivered events.
    pub fn deliveries(&self) -> usize {
        self.deliveries.load(SeqCst)
    }
}

impl Driver for EventDriver {
    fn park(&self, timeout: Option<Duration>) {
        let ready = std::mem::take(&mut *self.registered.lock().unwrap());
        if !ready.is_empty() {
            // Progress: the woken tasks are this worker's now. Return
            // without blocking, as the reactor does after a dispatch.
            self.deliveries.fetch_add(1, SeqCst);
            ready.into_iter().for_each(Waker::wake);
            return;
        }
        self.inner.park(timeout);
    }

    fn unpark(&self) {
        self.inner.unpark();
    }
}

/// See [`EventDriver::event`].
pub struct Event {
    driver: StdArc<EventDriver>,
    registered: bool,
}

impl Future for Event {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.registered {
            // Only the driver wakes this future, once it delivered.
            return Poll::Ready(());
        }
        self.registered = true;
        self.driver.registered.lock().unwrap().push(cx.waker().clone());
        // A worker parked in the driver must look at the new registration.
        self.driver.unpark();
        Poll::Pending
    }
}
