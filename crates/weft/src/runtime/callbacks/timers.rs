//! Timers on the loop: `call_later`, `call_at`, the heap and the timer
//! task (see the parent module's docs, "Timers").

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::sync::lock;
use super::Callback;
use crate::runtime::handle::{Handle, Inner};
use crate::time::{Instant, Sleep};

/// Below this many timers the heap is never compacted (see the parent
/// module's docs); asyncio uses 100, with the same one-half fraction.
pub(crate) const COMPACT_MIN_TIMERS: usize = 100;

/// The handle of a callback scheduled with [`Handle::call_later`] or
/// [`Handle::call_at`].
///
/// Dropping the handle does **not** cancel the timer.
///
/// ```
/// use std::time::Duration;
/// let rt = weft::Runtime::new()?;
/// let h = rt.handle().call_later(Duration::from_secs(3600), || unreachable!());
/// assert!(h.when() > rt.handle().time());
/// h.cancel();
/// assert!(h.cancelled());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TimerHandle {
    callback: Arc<Callback>,
    when: Instant,
    runtime: Weak<Inner>,
}

impl TimerHandle {
    /// Cancels the timer: if it has not started, it never runs, and its
    /// closure is dropped now. Its heap entry is removed lazily (see
    /// [`Handle::call_at`]).
    pub fn cancel(&self) {
        match self.runtime.upgrade() {
            Some(inner) => {
                let mut timers = lock(&inner.callbacks.timers);
                let first = !self.callback.cancelled.load(Ordering::Acquire);
                self.callback.cancelled.store(true, Ordering::Release);
                // Counted under the heap's lock, as the timer task counts
                // the tombstones it pops.
                if first && self.callback.in_heap.load(Ordering::Relaxed) {
                    timers.tombstones += 1;
                    timers.compact_if_sparse();
                }
                drop(timers);
                self.callback.cancel();
            }
            None => {
                self.callback.cancel();
            }
        }
    }

    /// `true` once [`cancel`](Self::cancel) has been called.
    pub fn cancelled(&self) -> bool {
        self.callback.is_cancelled()
    }

    /// When the timer is (or was) due: the deadline given to `call_at`, or
    /// `call_later`'s `now + delay`.
    pub fn when(&self) -> Instant {
        self.when
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("when", &self.when)
            .field("scheduled_at", &self.callback.location)
            .field("cancelled", &self.cancelled())
            .finish()
    }
}

/// The timer heap and the timer task's state, under one lock.
pub(super) struct Timers {
    heap: BinaryHeap<Scheduled>,
    next_seq: u64,
    /// Cancelled entries still in the heap.
    tombstones: usize,
    task: TimerTask,
    /// The runtime has shut down: `call_at` drops its closure at once.
    closed: bool,
}

pub(super) enum TimerTask {
    /// No timer task: the next `call_at` spawns one.
    Absent,
    /// The timer task exists; it sleeps until `until` (`None`: it has not
    /// polled yet) and is woken through `waker`.
    Running {
        until: Option<Instant>,
        waker: Option<Waker>,
    },
}

/// A heap entry. `BinaryHeap` is a max-heap: the order is reversed so that
/// the earliest (deadline, seq) is on top.
struct Scheduled {
    when: Instant,
    seq: u64,
    callback: Arc<Callback>,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.when, self.seq) == (other.when, other.seq)
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (other.when, other.seq).cmp(&(self.when, self.seq))
    }
}

impl Timers {
    pub(super) fn new() -> Timers {
        Timers {
            heap: BinaryHeap::new(),
            next_seq: 0,
            tombstones: 0,
            task: TimerTask::Absent,
            closed: false,
        }
    }

    /// Empties the heap for good (the runtime is shutting down) and returns
    /// the callbacks that were in it.
    pub(super) fn close(&mut self) -> Vec<Arc<Callback>> {
        self.closed = true;
        self.tombstones = 0;
        self.heap
            .drain()
            .map(|s| {
                s.callback.in_heap.store(false, Ordering::Relaxed);
                s.callback
            })
            .collect()
    }

    /// asyncio's rule: drop the tombstones all at once when they are more
    /// than half of a heap that is not small.
    fn compact_if_sparse(&mut self) {
        if self.heap.len() >= COMPACT_MIN_TIMERS && self.tombstones * 2 > self.heap.len() {
            self.heap.retain(|s| {
                let keep = !s.callback.is_cancelled();
                if !keep {
                    s.callback.in_heap.store(false, Ordering::Relaxed);
                }
                keep
            });
            self.tombstones = 0;
        }
    }
}

impl Handle {
    /// Schedules `f` to run on the loop once `delay` has passed; see
    /// [`call_at`](Handle::call_at).
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = weft::Runtime::new()?;
    /// let start = rt.handle().time();
    /// let handle = rt.handle().clone();
    /// let timer = rt.handle().call_later(Duration::from_millis(20), move || handle.stop());
    /// rt.run_forever();
    /// assert!(rt.handle().time() >= timer.when());
    /// assert!(timer.when() >= start + Duration::from_millis(20));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn call_later<F>(&self, delay: Duration, f: F) -> TimerHandle
    where
        F: FnOnce() + Send + 'static,
    {
        let when = self.time().checked_add(delay).unwrap_or_else(far_future);
        self.call_at(when, f)
    }

    /// Schedules `f` to run on the loop at `deadline`, asyncio's
    /// `loop.call_at`.
    ///
    /// It runs no earlier than `deadline` (a deadline in the past means
    /// soon); timers run in deadline order, and timers with equal deadlines
    /// in the order they were scheduled. When due, a timer joins the
    /// [`call_soon`](Handle::call_soon) queue, so it also runs one at a
    /// time with the other callbacks. Callable from any thread.
    ///
    /// [`TimerHandle::cancel`] drops the closure at once and leaves a small
    /// tombstone in the timer heap, removed lazily: when it reaches the
    /// top, or all at once when tombstones are more than half of a heap of
    /// at least 100 timers (asyncio's rule).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// let rt = weft::Runtime::new()?;
    /// let h = rt.handle();
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let now = h.time();
    /// for (i, ms) in [(2, 30), (1, 10)] {
    ///     let seen = seen.clone();
    ///     h.call_at(now + Duration::from_millis(ms), move || seen.lock().unwrap().push(i));
    /// }
    /// let stopper = h.clone();
    /// h.call_at(now + Duration::from_millis(40), move || stopper.stop());
    /// rt.run_forever();
    /// assert_eq!(*seen.lock().unwrap(), [1, 2]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn call_at<F>(&self, deadline: Instant, f: F) -> TimerHandle
    where
        F: FnOnce() + Send + 'static,
    {
        let callback = Callback::new(Box::new(f), Location::caller());
        let handle = TimerHandle {
            callback: callback.clone(),
            when: deadline,
            runtime: Arc::downgrade(&self.inner),
        };
        let mut timers = lock(&self.inner.callbacks.timers);
        if timers.closed {
            drop(timers);
            // The runtime has shut down: dropped, as a task spawned now is
            // cancelled at once.
            super::drop_closure(&callback);
            return handle;
        }
        let seq = timers.next_seq;
        timers.next_seq += 1;
        callback.in_heap.store(true, Ordering::Relaxed);
        timers.heap.push(Scheduled {
            when: deadline,
            seq,
            callback: callback.clone(),
        });
        let earliest = timers.heap.peek().is_some_and(|top| top.seq == seq);
        let mut wake = None;
        let mut spawn = false;
        match &mut timers.task {
            // Absent -> Running: this call starts the timer task.
            TimerTask::Absent => {
                timers.task = TimerTask::Running {
                    until: None,
                    waker: None,
                };
                spawn = true;
            }
            // The timer task sleeps past the new deadline: wake it to
            // sleep less. (`until == None`: it has not polled yet and will
            // see the heap when it does.)
            TimerTask::Running { until, waker } => {
                if earliest && until.is_some_and(|u| deadline < u) {
                    wake = waker.take();
                }
            }
        }
        drop(timers);
        if spawn {
            self.spawn(TimerTaskFuture {
                runtime: Arc::downgrade(&self.inner),
                sleep: None,
                done: false,
            });
        }
        if let Some(w) = wake {
            w.wake();
        }
        handle
    }

    /// The loop's clock, asyncio's `loop.time()`: the clock `call_at`
    /// deadlines and [`crate::time`] use, [`Instant::now`].
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// let t = rt.handle().time();
    /// assert!(rt.handle().time() >= t);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn time(&self) -> Instant {
        Instant::now()
    }
}

fn far_future() -> Instant {
    // About 30 years: far enough to mean "never", near enough not to
    // overflow `Instant` on any platform.
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// The timer task: sleeps until the earliest deadline, moves the due
/// callbacks into the callback queue, exits when the heap is empty.
struct TimerTaskFuture {
    runtime: Weak<Inner>,
    sleep: Option<Pin<Box<Sleep>>>,
    /// Returned `Ready` after setting `Absent`: the state is no longer
    /// this task's to reset (a new timer task may own it by now).
    done: bool,
}

impl Future for TimerTaskFuture {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(inner) = self.runtime.upgrade() else {
            return Poll::Ready(());
        };
        let handle = Handle { inner };
        loop {
            let next = {
                let now = Instant::now();
                let mut timers = lock(&handle.inner.callbacks.timers);
                // Move every due timer, in heap order, under the heap's
                // lock: a timer task started after this one exits cannot
                // move a later timer ahead of these.
                while timers.heap.peek().is_some_and(|top| top.when <= now) {
                    let Some(due) = timers.heap.pop() else { break };
                    due.callback.in_heap.store(false, Ordering::Relaxed);
                    if due.callback.is_cancelled() {
                        timers.tombstones = timers.tombstones.saturating_sub(1);
                        continue;
                    }
                    handle.schedule_callback(due.callback);
                }
                match timers.heap.peek().map(|top| top.when) {
                    // Running -> Absent: the next call_at starts a new task.
                    None => {
                        timers.task = TimerTask::Absent;
                        timers.tombstones = 0;
                        None
                    }
                    Some(when) => {
                        timers.task = TimerTask::Running {
                            until: Some(when),
                            waker: Some(cx.waker().clone()),
                        };
                        Some(when)
                    }
                }
            };
            let Some(when) = next else {
                self.done = true;
                return Poll::Ready(());
            };
            let sleep = match &mut self.sleep {
                Some(sleep) => {
                    if sleep.deadline() != when {
                        sleep.as_mut().reset(when);
                    }
                    sleep
                }
                None => self.sleep.insert(Box::pin(crate::time::sleep_until(when))),
            };
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl Drop for TimerTaskFuture {
    fn drop(&mut self) {
        // Dropped before it saw the heap empty (cancelled at shutdown, or
        // never run): Running -> Absent, so a later call_at starts a new
        // timer task rather than trusting this one.
        if self.done {
            return;
        }
        if let Some(inner) = self.runtime.upgrade() {
            lock(&inner.callbacks.timers).task = TimerTask::Absent;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Runtime;

    fn heap_counts(rt: &Runtime) -> (usize, usize) {
        let timers = lock(&rt.handle().inner.callbacks.timers);
        (timers.heap.len(), timers.tombstones)
    }

    #[test]
    fn cancelled_timers_are_compacted_once_they_are_most_of_the_heap() {
        let rt = Runtime::builder().worker_threads(1).build().unwrap();
        let h = rt.handle();
        let timers: Vec<_> = (0..200)
            .map(|_| h.call_later(Duration::from_secs(3600), || {}))
            .collect();
        for t in &timers[..100] {
            t.cancel();
        }
        // 100 of 200: not more than half yet.
        assert_eq!(heap_counts(&rt), (200, 100));
        timers[100].cancel();
        // The 101st makes them most of the heap: all go at once.
        assert_eq!(heap_counts(&rt), (99, 0));
        for t in &timers[101..150] {
            t.cancel();
        }
        assert_eq!(heap_counts(&rt), (99, 49));
        // Cancelling twice counts once.
        timers[149].cancel();
        assert_eq!(heap_counts(&rt), (99, 49));
    }

    #[test]
    fn the_timer_task_exits_when_the_heap_empties_and_a_new_one_starts_later() {
        let rt = Runtime::builder().worker_threads(1).build().unwrap();
        let h = rt.handle();
        let (tx, rx) = std::sync::mpsc::channel();
        let tx2 = tx.clone();
        h.call_later(Duration::from_millis(1), move || tx.send(1).unwrap());
        assert_eq!(rx.recv_timeout(Duration::from_secs(30)).unwrap(), 1);
        let start = std::time::Instant::now();
        while !matches!(lock(&h.inner.callbacks.timers).task, TimerTask::Absent) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the timer task never exited"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        h.call_later(Duration::from_millis(1), move || tx2.send(2).unwrap());
        assert_eq!(rx.recv_timeout(Duration::from_secs(30)).unwrap(), 2);
    }
}
