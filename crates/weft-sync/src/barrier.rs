//! `Barrier`: `n` tasks wait until all `n` have arrived.
//!
//! Under one mutex: the arrivals of the current round, the round number,
//! and a [`WaitList`] of waiting tasks. The `n`-th arrival starts a new
//! round and wakes everyone; a waiter is done once the round number moved
//! past the one it arrived in, so a wake that comes early or twice is
//! harmless.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::sync::{lock, Mutex};
use crate::wait_list::WaitList;

/// A barrier for `n` tasks: each [`wait`](Barrier::wait) returns once `n`
/// have called it, and one of them is told it is the leader.
///
/// Reusable: after a round completes, the next `n` waits form the next
/// round. Dropping a `wait` future does not take back its arrival.
///
/// ```
/// use std::sync::Arc;
/// use weft::sync::Barrier;
///
/// let rt = weft::Runtime::new()?;
/// let leaders = rt.block_on(async {
///     let barrier = Arc::new(Barrier::new(3));
///     let hs: Vec<_> = (0..3).map(|_| {
///         let b = barrier.clone();
///         weft::spawn(async move { b.wait().await.is_leader() })
///     }).collect();
///     let mut leaders = 0;
///     for h in hs { leaders += h.await.unwrap() as u32; }
///     leaders
/// });
/// assert_eq!(leaders, 1);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    arrived: usize,
    round: u64,
    waiters: WaitList<()>,
}

/// What [`Barrier::wait`] returns.
#[derive(Debug, Clone)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// `true` for exactly one waiter of each round (the last to arrive).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     assert!(weft::sync::Barrier::new(1).wait().await.is_leader());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier for `n` tasks (`0` behaves as `1`).
    ///
    /// ```
    /// let b = weft::sync::Barrier::new(4);
    /// # drop(b);
    /// ```
    pub fn new(n: usize) -> Self {
        Barrier {
            n: n.max(1),
            state: Mutex::new(State {
                arrived: 0,
                round: 0,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Arrives and waits for the rest of the round.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let b = Arc::new(weft::sync::Barrier::new(2));
    ///     let b2 = b.clone();
    ///     let other = weft::spawn(async move { b2.wait().await.is_leader() });
    ///     let me = b.wait().await.is_leader();
    ///     assert!(me ^ other.await.unwrap());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn wait(&self) -> BarrierWaitResult {
        let wakers;
        let round = {
            let mut s = lock(&self.state);
            s.arrived += 1;
            if s.arrived == self.n {
                s.arrived = 0;
                s.round += 1;
                wakers = s.waiters.drain(|_| ());
                None
            } else {
                wakers = crate::wait_list::Wakers::new();
                Some(s.round)
            }
        };
        let Some(round) = round else {
            wakers.wake_all();
            return BarrierWaitResult(true);
        };
        Wait {
            barrier: self,
            round,
            key: None,
        }
        .await;
        BarrierWaitResult(false)
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").field("n", &self.n).finish()
    }
}

/// Waits until the round moves past `round`.
struct Wait<'a> {
    barrier: &'a Barrier,
    round: u64,
    key: Option<usize>,
}

impl Future for Wait<'_> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut s = lock(&this.barrier.state);
        if s.round != this.round {
            if let Some(k) = this.key.take() {
                s.waiters.remove(k);
            }
            return Poll::Ready(());
        }
        match this.key {
            Some(k) => s.waiters.set_waker(k, cx),
            None => this.key = Some(s.waiters.push_back((), Some(cx.waker()))),
        }
        Poll::Pending
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            lock(&self.barrier.state).waiters.remove(k);
        }
    }
}
