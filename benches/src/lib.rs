//! Shared pieces of the benches: every runtime built the same way, with the
//! same number of workers, the small adapters that make their join handles
//! look alike, and [`Rt`], the one face of the three runtimes that a bench
//! needs to spawn and block on.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread;

/// Worker threads of every runtime in every bench.
pub const WORKERS: usize = 2;

/// A weft runtime with [`WORKERS`] workers.
pub fn weft_runtime() -> weft::Runtime {
    weft::Runtime::builder().worker_threads(WORKERS).build().unwrap()
}

/// A tokio multi-thread runtime with [`WORKERS`] workers and I/O and timers
/// enabled (as tokio's own benches build it).
pub fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .unwrap()
}

/// A join handle whose output is a `Result`, unwrapped.
pub struct Unwrap<H>(pub H);

impl<T, E: std::fmt::Debug, H: Future<Output = Result<T, E>> + Unpin> Future for Unwrap<H> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0).poll(cx).map(|r| r.unwrap())
    }
}

/// A `smol::Task` that detaches on drop, as weft's and tokio's handles do.
pub struct SmolJoin<T>(pub Option<smol::Task<T>>);

impl<T> Future for SmolJoin<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let task = self.0.as_mut().expect("polled after completion");
        let out = Pin::new(task).poll(cx);
        if out.is_ready() {
            self.0 = None;
        }
        out
    }
}

impl<T> Drop for SmolJoin<T> {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.detach();
        }
    }
}

/// smol's multi-threaded setup: one `smol::Executor` (leaked, like smol's
/// global one) run by [`WORKERS`] threads until dropped.
pub struct Smol {
    /// The executor the threads run.
    pub ex: &'static smol::Executor<'static>,
    stop: Option<smol::channel::Sender<()>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Smol {
    /// Starts the threads.
    pub fn start() -> Smol {
        let ex: &'static smol::Executor<'static> = Box::leak(Box::new(smol::Executor::new()));
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        let threads = (0..WORKERS)
            .map(|i| {
                let stopped = stopped.clone();
                thread::Builder::new()
                    .name(format!("smol-{i}"))
                    .spawn(move || {
                        smol::block_on(ex.run(async move {
                            // Ends when the sender is dropped.
                            let _ = stopped.recv().await;
                        }))
                    })
                    .unwrap()
            })
            .collect();
        Smol {
            ex,
            stop: Some(stop),
            threads,
        }
    }
}

impl Drop for Smol {
    fn drop(&mut self) {
        drop(self.stop.take());
        for t in self.threads.drain(..) {
            t.join().unwrap();
        }
    }
}

/// A runtime, seen from outside and from inside its tasks: weft ([`Weft`]),
/// tokio ([`Tokio`]) and smol ([`Smol`]), each with [`WORKERS`] workers.
pub trait Rt: Send + Sync + Sized + 'static {
    /// The name criterion shows.
    const NAME: &'static str;
    /// What a spawn returns: resolves to the task's output.
    type Join<T: Send + 'static>: Future<Output = T> + Send + Unpin + 'static;

    /// A runtime with [`WORKERS`] workers.
    fn new() -> Self;
    /// Runs `f` to completion on the calling thread (not a worker).
    fn block_on<F: Future>(&self, f: F) -> F::Output;
    /// Spawns from any thread, inside or outside the runtime.
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
}

/// weft's [`Rt`]: [`weft_runtime`].
pub struct Weft(pub weft::Runtime);

impl Rt for Weft {
    const NAME: &'static str = "weft";
    type Join<T: Send + 'static> = Unwrap<weft::task::JoinHandle<T>>;

    fn new() -> Self {
        Weft(weft_runtime())
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrap(self.0.spawn(f))
    }
}

/// tokio's [`Rt`]: [`tokio_runtime`].
pub struct Tokio(pub tokio::runtime::Runtime);

impl Rt for Tokio {
    const NAME: &'static str = "tokio";
    type Join<T: Send + 'static> = Unwrap<tokio::task::JoinHandle<T>>;

    fn new() -> Self {
        Tokio(tokio_runtime())
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        // `Handle::block_on`, so several threads can block at once.
        self.0.handle().block_on(f)
    }
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrap(self.0.spawn(f))
    }
}

impl Rt for Smol {
    const NAME: &'static str = "smol";
    type Join<T: Send + 'static> = SmolJoin<T>;

    fn new() -> Self {
        Smol::start()
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        smol::block_on(f)
    }
    fn spawn<F>(&self, f: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        SmolJoin(Some(self.ex.spawn(f)))
    }
}
