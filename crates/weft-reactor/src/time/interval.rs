//! [`Interval`]: ticks at a fixed period.
//!
//! The first tick completes at the start instant (at once, for
//! [`interval`]). Each later tick is scheduled one period after the previous
//! *scheduled* tick. When the task falls behind by more than a few
//! milliseconds, [`MissedTickBehavior`] decides what happens to the ticks it
//! missed.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;

use super::sleep::{far_future, sleep_until, Sleep};

/// `t + d`, saturating at about 30 years from now (what a period near
/// `Duration::MAX` means), as `sleep` does.
fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d).unwrap_or_else(far_future)
}

/// Lateness tolerated before a tick counts as missed (tokio's figure: timer
/// resolution plus scheduling jitter).
const MISSED_THRESHOLD: Duration = Duration::from_millis(5);

/// What an [`Interval`] does with ticks it could not deliver on time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Deliver the missed ticks back to back until caught up, then keep the
    /// original schedule.
    #[default]
    Burst,
    /// Deliver one tick now and schedule the next a full period from now.
    Delay,
    /// Drop the missed ticks: the next tick is the next multiple of the
    /// period on the original schedule.
    Skip,
}

impl MissedTickBehavior {
    fn next_timeout(self, scheduled: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => later(scheduled, period),
            MissedTickBehavior::Delay => later(now, period),
            MissedTickBehavior::Skip => {
                let late = now.saturating_duration_since(scheduled).as_nanos();
                let into_period = late % period.as_nanos();
                let rest = period.as_nanos() - into_period;
                later(now, Duration::from_nanos(u64::try_from(rest).unwrap_or(u64::MAX)))
            }
        }
    }
}

/// Ticks every `period`, starting now.
///
/// # Panics
/// If `period` is zero; when first polled outside a runtime.
///
/// ```no_run
/// # async fn demo() {
/// use std::time::Duration;
/// let mut every = weft::time::interval(Duration::from_millis(10));
/// every.tick().await; // at once
/// every.tick().await; // 10 ms later
/// # }
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
/// If `period` is zero; when first polled outside a runtime.
///
/// ```no_run
/// # async fn demo() {
/// use weft::time::{interval_at, Duration, Instant};
/// let mut every = interval_at(Instant::now() + Duration::from_millis(5), Duration::from_millis(10));
/// every.tick().await;
/// # }
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        period > Duration::ZERO,
        "weft::time::interval: period must be non-zero"
    );
    Interval {
        delay: sleep_until(start),
        period,
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// A stream of ticks; see [`interval`].
#[derive(Debug)]
pub struct Interval {
    delay: Sleep,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(Pin::new(&mut self.delay).poll(cx));
        let scheduled = self.delay.deadline();
        let now = Instant::now();
        let next = if now > later(scheduled, MISSED_THRESHOLD) {
            self.missed_tick_behavior
                .next_timeout(scheduled, now, self.period)
        } else {
            later(scheduled, self.period)
        };
        self.delay.reset_unpin(next);
        Poll::Ready(scheduled)
    }

    /// Restarts the schedule: the next tick is one period from now.
    pub fn reset(&mut self) {
        self.delay.reset_unpin(later(Instant::now(), self.period));
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The current missed-tick behaviour.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets the missed-tick behaviour.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn skip_lands_on_the_original_schedule() {
        let t0 = Instant::now();
        let p = Duration::from_millis(10);
        let now = t0 + Duration::from_millis(35);
        let next = MissedTickBehavior::Skip.next_timeout(t0, now, p);
        assert_eq!(next, t0 + Duration::from_millis(40));
        assert_eq!(MissedTickBehavior::Delay.next_timeout(t0, now, p), now + p);
        assert_eq!(MissedTickBehavior::Burst.next_timeout(t0, now, p), t0 + p);
    }
}

/// An endless stream of ticks: each item is the instant
/// [`tick`](Interval::tick) would return.
impl Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}
