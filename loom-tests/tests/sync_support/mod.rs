//! What the `sync_*` models share: a loom-aware `block_on`, a one-shot
//! poll, a coverage counter and a model runner that prints its size.
#![allow(dead_code)]

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering::Relaxed};
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::Notify;

/// Wakes a `block_on` caller through a loom `Notify` (sticky: a wake
/// before the wait is not lost; loom reports a deadlock if none comes).
struct NotifyWaker(Notify);

impl Wake for NotifyWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.notify();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.notify();
    }
}

/// Runs `future` to completion on a loom thread.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let notify = std::sync::Arc::new(NotifyWaker(Notify::new()));
    let waker = Waker::from(notify.clone());
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return out;
        }
        notify.0.wait();
    }
}

/// Polls `f` once with a waker that does nothing.
pub fn poll_once<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

/// Which ways a race went, across all of a model's iterations (std
/// atomics: they outlive the iterations). A model whose race can go two
/// ways must see both, or it did not check what it claims to.
pub struct Coverage([StdAtomicUsize; 2]);

impl Coverage {
    pub const fn new() -> Coverage {
        Coverage([StdAtomicUsize::new(0), StdAtomicUsize::new(0)])
    }

    pub fn saw(&self, which: bool) {
        self.0[which as usize].fetch_add(1, Relaxed);
    }

    pub fn assert_both(&self, what: &str) {
        let (no, yes) = (self.0[0].load(Relaxed), self.0[1].load(Relaxed));
        assert!(
            no > 0 && yes > 0,
            "loom explored {what} only one way (no: {no}, yes: {yes})"
        );
    }
}

/// Runs a loom model and prints how many executions it explored.
pub fn model(name: &str, f: impl Fn() + Sync + Send + 'static) {
    let runs = std::sync::Arc::new(StdAtomicUsize::new(0));
    let counter = runs.clone();
    let start = std::time::Instant::now();
    loom::model(move || {
        counter.fetch_add(1, Relaxed);
        f();
    });
    eprintln!(
        "{name}: {} executions in {:.1?}",
        runs.load(Relaxed),
        start.elapsed()
    );
}

/// A value that counts its drops, to check a sent value is dropped exactly
/// once whichever side ends up with it.
pub struct Counted(pub loom::sync::Arc<loom::sync::atomic::AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, loom::sync::atomic::Ordering::SeqCst);
    }
}
