//! A minimal stand-in for the weft runtime: one thread parks in the reactor
//! in a loop, and futures run on the calling thread with a thread-park
//! waker, inside `Handle::enter` and a cooperative budget (as the real
//! executor polls tasks).
#![allow(dead_code)]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, JoinHandle, Thread};
use std::time::Duration;

use weft_executor::{coop, Driver};
use weft_reactor::{Handle, Reactor};

pub struct TestRuntime {
    reactor: Arc<Reactor>,
    pub handle: Handle,
    stop: Arc<AtomicBool>,
    driver_thread: Option<JoinHandle<()>>,
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl TestRuntime {
    pub fn new() -> TestRuntime {
        let reactor = Arc::new(Reactor::new().expect("reactor"));
        let handle = reactor.handle();
        let stop = Arc::new(AtomicBool::new(false));
        let driver_thread = {
            let reactor = reactor.clone();
            let stop = stop.clone();
            thread::Builder::new()
                .name("test-driver".into())
                .spawn(move || {
                    let _g = reactor.handle().enter();
                    while !stop.load(Ordering::SeqCst) {
                        reactor.park(None);
                    }
                })
                .unwrap()
        };
        TestRuntime {
            reactor,
            handle,
            stop,
            driver_thread: Some(driver_thread),
        }
    }

    pub fn reactor(&self) -> &Reactor {
        &self.reactor
    }

    /// Runs `fut` to completion on this thread.
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        block_on_with(&self.handle, fut)
    }

    /// Runs `f`'s future on a new thread (with the handle entered).
    pub fn spawn_thread<F, Fut>(&self, f: F) -> JoinHandle<Fut::Output>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future,
        Fut::Output: Send + 'static,
    {
        let handle = self.handle.clone();
        thread::spawn(move || block_on_with(&handle, f()))
    }

    /// Stops the driver thread, then shuts the reactor down.
    pub fn shutdown(mut self) {
        self.stop_driver();
        self.reactor.shutdown();
    }

    fn stop_driver(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.reactor.unpark();
        if let Some(t) = self.driver_thread.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for TestRuntime {
    fn drop(&mut self) {
        self.stop_driver();
    }
}

pub fn block_on_with<F: Future>(handle: &Handle, fut: F) -> F::Output {
    let _g = handle.enter();
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(v) = coop::budget(|| fut.as_mut().poll(&mut cx)) {
            return v;
        }
        thread::park();
    }
}

/// A generous bound for "this must finish": only a hang trips it.
pub const HANG: Duration = Duration::from_secs(60);
