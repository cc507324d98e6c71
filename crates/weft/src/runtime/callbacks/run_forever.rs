//! `run_forever` and `stop`.
//!
//! `run_forever` is `block_on` of a future that waits for the stop flag,
//! so on a current-thread runtime the caller's thread runs the loop
//! meanwhile. `stop()` sets the flag from anywhere; only a returning
//! `run_forever` clears it. So a stop made before `run_forever` is kept for
//! it (asyncio's rule), and several stops before it returns count as one.
//!
//! Once it sees the flag, `run_forever` queues a marker callback and waits
//! for it. The queue is FIFO, so the marker runs after every callback
//! already scheduled; and it ends the runner's turn, so a current-thread
//! loop returns before it runs any callback scheduled after the marker. On
//! a multi-thread runtime the workers go on with the other callbacks and
//! tasks; only the caller stops waiting.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::sync::lock;
use super::Callback;
use crate::runtime::{Handle, Runtime};

/// `run_forever`'s state.
pub(super) struct Stop {
    /// `stop()` was called and no `run_forever` has returned for it yet.
    requested: bool,
    /// A `run_forever` is in progress.
    running: bool,
    /// The waiting `run_forever`.
    waker: Option<Waker>,
}

impl Stop {
    pub(super) fn new() -> Stop {
        Stop {
            requested: false,
            running: false,
            waker: None,
        }
    }
}

impl Handle {
    /// Stops [`Runtime::run_forever`]: it returns once the callbacks
    /// already scheduled when it sees the stop have run.
    ///
    /// Callable from a task, a callback or any thread. A `stop()` made
    /// while no `run_forever` is running is kept: the next `run_forever`
    /// runs the callbacks already scheduled and returns (asyncio's rule).
    /// Several `stop()` calls before `run_forever` returns count as one.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.handle().stop();
    /// rt.run_forever(); // returns at once
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop(&self) {
        let waker = {
            let mut stop = lock(&self.inner.callbacks.stop);
            stop.requested = true;
            stop.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Runtime {
    /// Runs the loop until [`Handle::stop`] is called, asyncio's
    /// `loop.run_forever()`.
    ///
    /// The calling thread blocks meanwhile (on a current-thread runtime it
    /// is the thread that runs the tasks and callbacks). `stop()` may come
    /// from a task, a callback or any thread; `run_forever` then returns
    /// once the callbacks already scheduled when it saw the stop have run,
    /// and the runtime can be used again (`block_on`, another
    /// `run_forever`). A `stop()` made before `run_forever` is called makes
    /// it return as soon as those callbacks have run.
    ///
    /// # Panics
    ///
    /// If another `run_forever` of this runtime is running (on another
    /// thread), and where [`Runtime::block_on`] panics (on a worker thread).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// let handle = rt.handle().clone();
    /// rt.spawn(async move {
    ///     weft::task::yield_now().await;
    ///     handle.stop();
    /// });
    /// rt.run_forever();
    /// // And again: a stop made before run_forever is kept.
    /// rt.handle().stop();
    /// rt.run_forever();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn run_forever(&self) {
        let handle = self.handle();
        let already = {
            let mut stop = lock(&handle.inner.callbacks.stop);
            std::mem::replace(&mut stop.running, true)
        };
        if already {
            panic!(
                "Runtime::run_forever was called while another run_forever of runtime {} is \
                     running: a loop runs forever once at a time. Call Handle::stop() and wait for \
                     the first one to return, or use block_on",
                handle.inner.name
            );
        }
        let _running = RunningGuard(handle);
        self.block_on(async {
            StopRequested(handle).await;
            // asyncio's rule: the callbacks already scheduled run first. A
            // marker callback runs after every one queued before it.
            // It ends the runner's turn, so a current-thread loop returns
            // before it runs the callbacks scheduled meanwhile.
            let done = Arc::new(Signal::default());
            let marker = done.clone();
            let mut callback = Callback::new(Box::new(move || marker.set()), Location::caller());
            Arc::get_mut(&mut callback).expect("not shared yet").ends_turn = true;
            handle.schedule_callback(callback);
            SignalWait(&done).await;
        });
    }
}

/// Clears `running` and the stop request when `run_forever` returns or
/// unwinds.
struct RunningGuard<'a>(&'a Handle);

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        let mut stop = lock(&self.0.inner.callbacks.stop);
        stop.running = false;
        stop.requested = false;
        stop.waker = None;
    }
}

/// Ready once `stop()` has been called.
struct StopRequested<'a>(&'a Handle);

impl Future for StopRequested<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut stop = lock(&self.0.inner.callbacks.stop);
        if stop.requested {
            return Poll::Ready(());
        }
        stop.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// A one-shot flag with a waiter.
#[derive(Default)]
struct Signal {
    state: Mutex<(bool, Option<Waker>)>,
}

impl Signal {
    fn set(&self) {
        let waker = {
            let mut s = lock(&self.state);
            s.0 = true;
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

struct SignalWait<'a>(&'a Signal);

impl Future for SignalWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = lock(&self.0.state);
        if s.0 {
            return Poll::Ready(());
        }
        s.1 = Some(cx.waker().clone());
        Poll::Pending
    }
}
