//! [`Sleep`]: a future that completes at a deadline.
//!
//! A `Sleep` takes the current runtime's timer shard for the creating
//! thread when created if there is a runtime, and otherwise on its first
//! poll (so `block_on(sleep(d))` works even though `sleep(d)` is evaluated
//! before `block_on` enters the runtime). It arms its wheel entry on its
//! first poll: an unpolled `Sleep` costs nothing in the wheel.
//! [`Sleep::reset`] re-arms the same entry, in the same shard; drop cancels
//! it in O(1).
//!
//! It holds an `Arc` of its shard, not a reactor `Handle`: a handle clone
//! per timer would be an atomic increment and decrement of one reference
//! count that every worker creating timers shares. The shard is all it
//! needs to arm, cancel and wake the poller, wherever it is polled.

use crate::sync::Arc;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use weft_executor::coop;

use weft_executor::context::{self, NO_RUNTIME};

use super::entry::{Fired, Registered, Shard, TimerShared};
use crate::reactor::Inner;

const SHUT_DOWN: &str = "a weft timer was polled after its runtime shut down: a Sleep, Timeout \
     or Interval cannot outlive the Runtime that created it";

/// Waits until `duration` has elapsed.
///
/// # Panics
/// When first polled outside a runtime (no handle entered on the thread
/// that created or polls it).
///
/// ```
/// use std::time::Duration;
/// let rt = weft::Runtime::new()?;
/// rt.block_on(weft::time::sleep(Duration::from_millis(10)));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    let now = Instant::now();
    let deadline = now.checked_add(duration).unwrap_or_else(far_future);
    sleep_until(deadline)
}

/// Waits until `deadline`.
///
/// # Panics
/// When first polled outside a runtime (see [`sleep`]).
///
/// ```no_run
/// # async fn demo() {
/// use weft::time::{sleep_until, Duration, Instant};
/// sleep_until(Instant::now() + Duration::from_millis(10)).await;
/// # }
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        shard: current_shard(),
        deadline,
        entry: None,
    }
}

/// The calling thread's shard of the current runtime's timers, if a
/// runtime is entered.
fn current_shard() -> Option<Arc<Shard>> {
    context::with_entered(|e| Some(e?.driver::<Inner>()?.park.timers.local_shard().clone()))
}

/// About 30 years from now: what "sleep for Duration::MAX" means.
pub(crate) fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// Future returned by [`sleep`] and [`sleep_until`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct Sleep {
    /// The shard its timer lives in: taken at creation if a runtime is
    /// entered, else at first poll.
    shard: Option<Arc<Shard>>,
    deadline: Instant,
    /// `Some` once armed (first poll); cancelled on drop or reset.
    entry: Option<Arc<TimerShared>>,
}

impl Sleep {
    /// The instant at which this sleep completes.
    ///
    /// ```no_run
    /// # fn demo() {
    /// use weft::time::{sleep, Duration, Instant};
    /// let s = sleep(Duration::from_secs(1));
    /// assert!(s.deadline() > Instant::now());
    /// # }
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// `true` once the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline, whether or not the sleep has completed; the next
    /// poll waits for the new one. Reuses the same wheel entry.
    ///
    /// ```no_run
    /// # async fn demo() {
    /// use weft::time::{sleep, Duration, Instant};
    /// let mut s = Box::pin(sleep(Duration::from_secs(60)));
    /// s.as_mut().reset(Instant::now() + Duration::from_millis(5));
    /// s.await;
    /// # }
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        this.deadline = deadline;
        if let (Some(entry), Some(shard)) = (&this.entry, &this.shard) {
            shard.cancel(entry);
            // Re-armed lazily on the next poll: keep the allocation.
        }
    }

    pub(crate) fn reset_unpin(&mut self, deadline: Instant) {
        Pin::new(self).reset(deadline);
    }

    fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(coop::poll_proceed(cx));
        let shard = match &mut self.shard {
            Some(shard) => &*shard,
            none => none.insert(current_shard().unwrap_or_else(|| panic!("{NO_RUNTIME}"))),
        };
        let entry = self.entry.get_or_insert_with(|| Arc::new(TimerShared::new()));
        if entry.is_disarmed() {
            // First poll, or first after a reset: arm.
            if Instant::now() >= self.deadline {
                coop.made_progress();
                return Poll::Ready(());
            }
            match shard.register(entry, shard.deadline_tick(self.deadline)) {
                Registered::Armed { wake_poller } => {
                    if wake_poller {
                        shard.wake_poller();
                    }
                }
                Registered::Expired => {
                    coop.made_progress();
                    return Poll::Ready(());
                }
                Registered::Shutdown => panic!("{SHUT_DOWN}"),
            }
        }
        match entry.poll(cx) {
            Poll::Ready(Fired::Deadline) => {
                coop.made_progress();
                Poll::Ready(())
            }
            Poll::Ready(Fired::Shutdown) if Instant::now() >= self.deadline => {
                coop.made_progress();
                Poll::Ready(())
            }
            Poll::Ready(Fired::Shutdown) => panic!("{SHUT_DOWN}"),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().poll_elapsed(cx)
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let (Some(entry), Some(shard)) = (&self.entry, &self.shard) {
            // A fired (or never armed) timer is in no wheel: no lock to take.
            if entry.may_be_armed() {
                shard.cancel(entry);
            }
        }
    }
}
