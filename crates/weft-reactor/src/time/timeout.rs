//! [`Timeout`]: a future with a deadline.
//!
//! The inner future is polled first, so a future that is ready at the
//! deadline still wins. If polling it spent the task's last unit of
//! cooperative budget, the deadline is checked without budget (tokio's rule):
//! otherwise an always-ready inner future could postpone its own timeout
//! forever.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use weft_executor::coop;

use super::error::Elapsed;
use super::sleep::{far_future, sleep_until, Sleep};

/// Runs `future` for at most `duration`: `Ok(output)` if it finishes first,
/// `Err(Elapsed)` otherwise (the future is then dropped).
///
/// # Panics
/// When first polled outside a runtime.
///
/// ```no_run
/// # async fn demo() {
/// use std::time::Duration;
/// use weft::time::{sleep, timeout};
/// let r = timeout(Duration::from_millis(10), sleep(Duration::from_secs(5))).await;
/// assert!(r.is_err());
/// # }
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    let deadline = Instant::now().checked_add(duration).unwrap_or_else(far_future);
    timeout_at(deadline, future)
}

/// Runs `future` until `deadline` at most; see [`timeout`].
///
/// ```no_run
/// # async fn demo() {
/// use weft::time::{timeout_at, Duration, Instant};
/// let r = timeout_at(Instant::now() + Duration::from_secs(1), async { 7 }).await;
/// assert_eq!(r, Ok(7));
/// # }
/// ```
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        value: future,
        delay: sleep_until(deadline),
    }
}

pin_project_lite::pin_project! {
    /// Future returned by [`timeout`] and [`timeout_at`].
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct Timeout<F> {
        #[pin]
        value: F,
        delay: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The wrapped future.
    pub fn get_ref(&self) -> &F {
        &self.value
    }

    /// The wrapped future, mutably.
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.value
    }

    /// Unwraps the future, dropping the deadline.
    pub fn into_inner(self) -> F {
        self.value
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let had_budget = coop::has_budget_remaining();
        if let Poll::Ready(v) = this.value.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        let delay = Pin::new(this.delay);
        let elapsed = if had_budget && !coop::has_budget_remaining() {
            coop::unconstrained(|| delay.poll(cx))
        } else {
            delay.poll(cx)
        };
        elapsed.map(|()| Err(Elapsed::new()))
    }
}
