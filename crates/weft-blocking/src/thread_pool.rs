//! User-built pools for `run_in_executor`: a fixed number of threads and a
//! queue with a soft capacity.
//!
//! A [`ThreadPool`] is what asyncio calls an executor: the user builds one
//! (say, four threads for CPU-bound hashing), hands it closures, and awaits
//! their handles from async code. Unlike the runtime's elastic
//! [`BlockingPool`](crate::BlockingPool), its threads all start in
//! [`Builder::build`] and live until the pool is shut down.
//!
//! # Two ways in
//!
//! * [`ThreadPool::spawn`] always accepts the closure, past the capacity
//!   too. Like asyncio's `run_in_executor`, whose queue is unbounded, a
//!   producer faster than the pool then grows the queue without limit: each
//!   queued closure costs its own size plus one task allocation.
//! * [`ThreadPool::submit`] is the backpressured way: a future that waits
//!   while `queue_capacity` closures are queued, and resolves to the
//!   closure's `JoinHandle` once it is queued.
//!
//! # The backpressure protocol
//!
//! Under the pool's mutex: `queued` (the exact queue depth: a push
//! increments it, a worker taking a job decrements it), `busy`, `alive`, and
//! the waiter list, a `VecDeque` of `(key, Waker)`.
//!
//! * `Submit::poll`: room (`queued < capacity`) → push, done. No room →
//!   store the waker under its key (updating it in place if already
//!   there), `Pending`.
//! * A worker that takes a job and leaves room pops the *first* waiter and
//!   wakes it: one wake per freed slot, no polling, no herd.
//! * No lost wake-up: the room check and the registration happen under the
//!   lock the worker holds when it frees the slot, so a worker either sees
//!   the waiter or the waiter sees the room. A woken `Submit` that is
//!   dropped before it takes the slot passes the wake to the next waiter.
//! * Not strictly FIFO: a woken waiter can lose the slot to a newer
//!   `submit` or to `spawn`; it then waits again at the back of the list.
//!
//! The loom model `submit_waiting_for_room_is_woken_when_a_slot_frees`
//! (`loom-tests/tests/blocking.rs`) runs this code: the pool takes its
//! locks, threads and queue from the crate's `sync` shim.
//!
//! # Shutdown
//!
//! * Dropping the last `ThreadPool` clone (if neither method below was
//!   called) is asyncio's `executor.shutdown(wait=True)`: no new closures;
//!   the queued ones still run; then the threads are joined. This blocks
//!   the dropping thread, so drop a busy pool outside async code, or use
//!   the methods below. Dropped from one of its own threads, the pool joins
//!   the others only.
//! * [`ThreadPool::shutdown_now`] and [`ThreadPool::shutdown_timeout`]
//!   cancel the queued closures (their handles resolve to `Cancelled`),
//!   resolve pending `submit`s to cancelled handles, and (for the latter)
//!   wait for the running closures up to a timeout. Threads still running
//!   after it are detached, and the final drop does not wait for them.
//! * After any shutdown, `spawn` and `submit` give handles that resolve to
//!   `Cancelled`.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use weft_task::JoinHandle;

use crate::job::{job, PoolJob as Job, PoolSchedule};
use crate::sync::channel::{unbounded, Receiver, Sender};
use crate::sync::{
    current_thread_id, is_finished, lock, spawn_thread, wait_timeout, Condvar, JoinHandle as ThreadHandle,
    Mutex,
};

/// The default queue capacity per thread: [`Builder::queue_capacity`]
/// defaults to this times the thread count. 1024 closures per thread is
/// enough that a steady producer never waits on a pool that keeps up, and
/// small enough that a stalled pool pushes back long before memory runs
/// out.
pub const DEFAULT_QUEUE_CAPACITY_PER_THREAD: usize = 1024;

/// Configures a [`ThreadPool`]; from [`ThreadPool::builder`].
///
/// ```
/// let pool = weft::blocking::ThreadPool::builder()
///     .threads(2)
///     .name("cpu")
///     .queue_capacity(64)
///     .stack_size(4 << 20)
///     .build()?;
/// assert_eq!(pool.metrics().threads, 2);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    threads: Option<usize>,
    name: String,
    queue_capacity: Option<usize>,
    stack_size: Option<usize>,
}

impl Builder {
    /// The number of threads (default `num_cpus::get()`, which honours
    /// cgroup CPU quotas). Must be at least 1.
    ///
    /// ```
    /// let pool = weft::blocking::ThreadPool::builder().threads(3).build()?;
    /// assert_eq!(pool.metrics().threads, 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn threads(mut self, n: usize) -> Builder {
        self.threads = Some(n);
        self
    }

    /// The threads' name prefix: thread `i` is named `"{name}-{i}"`
    /// (default `"weft-pool"`).
    ///
    /// ```
    /// let rt = weft::Builder::new_current_thread().build().unwrap();
    /// let pool = weft::blocking::ThreadPool::builder().threads(1).name("cpu").build()?;
    /// let name = rt.block_on(pool.spawn(|| std::thread::current().name().map(String::from)));
    /// assert_eq!(name.unwrap().as_deref(), Some("cpu-0"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = name.into();
        self
    }

    /// How many queued closures make [`ThreadPool::submit`] wait (default
    /// [`DEFAULT_QUEUE_CAPACITY_PER_THREAD`] × threads). Must be at least 1.
    /// [`ThreadPool::spawn`] ignores it.
    ///
    /// ```
    /// let pool = weft::blocking::ThreadPool::builder().threads(1).queue_capacity(1).build()?;
    /// # drop(pool);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn queue_capacity(mut self, capacity: usize) -> Builder {
        self.queue_capacity = Some(capacity);
        self
    }

    /// Each thread's stack size in bytes (default: std's, 2 MiB unless
    /// `RUST_MIN_STACK` says otherwise).
    ///
    /// ```
    /// let pool = weft::blocking::ThreadPool::builder().threads(1).stack_size(8 << 20).build()?;
    /// # drop(pool);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// Starts the threads.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `threads(0)` or `queue_capacity(0)` was set; the
    /// OS's error if it refuses to start a thread (the threads already
    /// started are stopped and joined first).
    ///
    /// ```
    /// let err = weft::blocking::ThreadPool::builder().threads(0).build().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn build(self) -> io::Result<ThreadPool> {
        let threads = self.threads.unwrap_or_else(num_cpus::get);
        if threads == 0 {
            return Err(invalid(format!(
                "ThreadPool \"{}\": threads(0) gives a pool that can never run a closure; use threads(1) or more",
                self.name
            )));
        }
        let capacity = match self.queue_capacity {
            Some(0) => {
                return Err(invalid(format!(
                    "ThreadPool \"{}\": queue_capacity(0) would make every submit() wait forever; \
                     use queue_capacity(1) or more",
                    self.name
                )))
            }
            Some(k) => k,
            None => threads.saturating_mul(DEFAULT_QUEUE_CAPACITY_PER_THREAD),
        };
        let (tx, rx) = unbounded();
        let shared = Arc::new(Shared {
            threads,
            capacity,
            rx,
            state: Mutex::new(State {
                tx: Some(tx),
                cancel_queued: false,
                queued: 0,
                busy: 0,
                alive: threads,
                waiters: VecDeque::new(),
                next_key: 0,
            }),
            exited: Condvar::new(),
        });
        let mut handles = Vec::with_capacity(threads);
        for i in 0..threads {
            let worker = shared.clone();
            match spawn_thread(format!("{}-{i}", self.name), self.stack_size, move || {
                worker.run()
            }) {
                Ok(h) => handles.push(h),
                Err(e) => {
                    // Count the threads that never started out, then stop
                    // and join the ones that did.
                    lock(&shared.state).alive -= threads - i;
                    let pool = PoolHandle {
                        shared,
                        threads: Mutex::new(handles),
                        explicit_shutdown: false.into(),
                    };
                    drop(pool);
                    return Err(e);
                }
            }
        }
        Ok(ThreadPool {
            handle: Arc::new(PoolHandle {
                shared,
                threads: Mutex::new(handles),
                explicit_shutdown: false.into(),
            }),
        })
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// A fixed-size pool of threads for blocking or CPU-bound closures, for
/// `weft::run_in_executor`.
///
/// A cheap handle: clones share the pool (so it can be stored in many
/// tasks), and the pool shuts down when the last clone is dropped: queued
/// closures run first, then the threads are joined. See the
/// [module docs](self) for the shutdown choices.
///
/// ```
/// let rt = weft::Builder::new_current_thread().build().unwrap();
/// use weft::blocking::ThreadPool;
///
/// let cpu = ThreadPool::builder().threads(2).name("cpu").build()?;
/// let sum = cpu.spawn(|| (1..=100u64).sum::<u64>());
/// assert_eq!(rt.block_on(sum).unwrap(), 5050);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct ThreadPool {
    handle: Arc<PoolHandle>,
}

/// A snapshot of a [`ThreadPool`]'s counters.
///
/// ```
/// let pool = weft::blocking::ThreadPool::builder().threads(2).build()?;
/// let m = pool.metrics();
/// assert_eq!((m.threads, m.queue_depth), (2, 0));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThreadPoolMetrics {
    /// Threads the pool was built with.
    pub threads: usize,
    /// Threads still running (fewer than `threads` only after shutdown).
    pub threads_alive: usize,
    /// Threads running a closure.
    pub busy: usize,
    /// Closures queued and not yet taken by a thread.
    pub queue_depth: usize,
    /// The capacity `submit` waits on.
    pub queue_capacity: usize,
    /// `submit` futures waiting for room.
    pub waiting_submits: usize,
}

/// Joins the threads when the last `ThreadPool` clone goes. Threads hold
/// `Shared`, not this.
struct PoolHandle {
    shared: Arc<Shared>,
    threads: Mutex<Vec<ThreadHandle<()>>>,
    /// `shutdown_now`/`shutdown_timeout` was called: the drop does not wait.
    explicit_shutdown: std::sync::atomic::AtomicBool,
}

struct Shared {
    threads: usize,
    capacity: usize,
    rx: Receiver<Job>,
    state: Mutex<State>,
    /// Signalled when a thread exits.
    exited: Condvar,
}

struct State {
    /// `None` once closed.
    tx: Option<Sender<Job>>,
    /// Set by `shutdown_now`/`shutdown_timeout`: cancel what is received.
    cancel_queued: bool,
    queued: usize,
    busy: usize,
    alive: usize,
    waiters: VecDeque<(u64, Waker)>,
    next_key: u64,
}

impl ThreadPool {
    /// A [`Builder`] with the defaults.
    ///
    /// ```
    /// let pool = weft::blocking::ThreadPool::builder().build()?;
    /// assert_eq!(pool.metrics().threads, num_cpus::get());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn builder() -> Builder {
        Builder {
            threads: None,
            name: "weft-pool".to_string(),
            queue_capacity: None,
            stack_size: None,
        }
    }

    /// Queues `f`, past the capacity if need be; the handle resolves to its
    /// output (or `JoinError::Panic`, or `Cancelled` if the pool was shut
    /// down before a thread took it, or it was aborted before that).
    ///
    /// Never waits: the queue grows without bound if the producer outpaces
    /// the pool. Use [`submit`](Self::submit) for backpressure.
    ///
    /// ```
    /// let rt = weft::Builder::new_current_thread().build().unwrap();
    /// let pool = weft::blocking::ThreadPool::builder().threads(1).build()?;
    /// let h = pool.spawn(|| "done");
    /// assert_eq!(rt.block_on(h).unwrap(), "done");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (job, handle) = job(f, PoolSchedule);
        let mut state = lock(&self.handle.shared.state);
        if let Some(rejected) = state.push(job) {
            drop(state);
            rejected.shutdown();
        }
        handle
    }

    /// A future that waits until the queue has room, then queues `f` and
    /// resolves to its handle.
    ///
    /// It waits while `queue_capacity` closures are queued, and is woken
    /// when a thread takes one. If the pool is shut down meanwhile, it
    /// resolves at once to a handle that gives `Cancelled`. Dropping it
    /// before it resolves drops `f` unqueued.
    ///
    /// ```
    /// let rt = weft::Builder::new_current_thread().build().unwrap();
    /// let pool = weft::blocking::ThreadPool::builder().threads(1).queue_capacity(4).build()?;
    /// rt.block_on(async {
    ///     let handle = pool.submit(|| 2 + 2).await;
    ///     assert_eq!(handle.await.unwrap(), 4);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn submit<F, R>(&self, f: F) -> Submit<F>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        Submit {
            pool: self.clone(),
            f: Some(f),
            key: None,
        }
    }

    /// Shuts the pool down without waiting: queued closures are cancelled,
    /// running ones finish on their own (their threads are detached).
    ///
    /// ```
    /// let rt = weft::Builder::new_current_thread().build().unwrap();
    /// let pool = weft::blocking::ThreadPool::builder().threads(1).build()?;
    /// pool.shutdown_now();
    /// let h = pool.spawn(|| ());
    /// assert!(rt.block_on(h).unwrap_err().is_cancelled());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown_now(&self) {
        self.shutdown_timeout(Duration::ZERO);
    }

    /// Cancels the queued closures and waits up to `timeout` for the
    /// running ones. Returns `true` if every thread exited in time; threads
    /// still running a closure are detached. Called from one of the pool's
    /// threads, it does not wait for that thread.
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = weft::blocking::ThreadPool::builder().threads(2).build()?;
    /// assert!(pool.shutdown_timeout(Duration::from_secs(60)));
    /// assert_eq!(pool.metrics().threads_alive, 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown_timeout(&self, timeout: Duration) -> bool {
        let handle = &self.handle;
        handle
            .explicit_shutdown
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let shared = &handle.shared;
        let mut state = lock(&shared.state);
        let tx = state.tx.take();
        state.cancel_queued = true;
        let mut queued = Vec::new();
        while let Ok(job) = shared.rx.try_recv() {
            queued.push(job);
        }
        state.queued -= queued.len();
        let waiters = std::mem::take(&mut state.waiters);
        drop(state);
        // Disconnect: idle threads exit.
        drop(tx);
        queued.into_iter().for_each(Job::shutdown);
        // Pending submits see the pool closed and resolve.
        for (_, w) in waiters {
            weft_task::foreign::contain("a waker", move || w.wake());
        }

        let own = handle.is_own_thread();
        let deadline = Instant::now().checked_add(timeout);
        let mut state = lock(&shared.state);
        while state.alive > usize::from(own) {
            let now = Instant::now();
            let left = match deadline {
                Some(d) if now >= d => {
                    drop(state);
                    handle.join_threads(false);
                    return false;
                }
                Some(d) => d - now,
                None => Duration::from_secs(3600),
            };
            state = wait_timeout(&shared.exited, state, left);
        }
        drop(state);
        handle.join_threads(true);
        true
    }

    /// A snapshot of the pool's counters.
    ///
    /// ```
    /// let rt = weft::Builder::new_current_thread().build().unwrap();
    /// let pool = weft::blocking::ThreadPool::builder().threads(1).build()?;
    /// rt.block_on(pool.spawn(|| ())).unwrap();
    /// assert_eq!(pool.metrics().queue_depth, 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn metrics(&self) -> ThreadPoolMetrics {
        let shared = &self.handle.shared;
        let state = lock(&shared.state);
        ThreadPoolMetrics {
            threads: shared.threads,
            threads_alive: state.alive,
            busy: state.busy,
            queue_depth: state.queued,
            queue_capacity: shared.capacity,
            waiting_submits: state.waiters.len(),
        }
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("metrics", &self.metrics())
            .finish()
    }
}

impl PoolHandle {
    /// Joins the pool's threads but the caller's: all of them once every
    /// thread is counted out (`all_out`: each has left the pool's code, so
    /// the join returns as soon as it finishes exiting), else those that
    /// have finished. So no thread outlives the shutdown that waited for it.
    fn join_threads(&self, all_out: bool) {
        let me = current_thread_id();
        let mut threads = lock(&self.threads);
        let (done, left): (Vec<_>, Vec<_>) = threads
            .drain(..)
            .partition(|h| h.thread().id() != me && (all_out || is_finished(h)));
        *threads = left;
        drop(threads);
        for h in done {
            let _ = h.join();
        }
    }

    fn is_own_thread(&self) -> bool {
        let me = current_thread_id();
        lock(&self.threads).iter().any(|h| h.thread().id() == me)
    }
}

impl Drop for PoolHandle {
    /// The last clone: close, let the queue drain, join the threads (unless
    /// an explicit shutdown already chose not to wait).
    fn drop(&mut self) {
        let tx = lock(&self.shared.state).tx.take();
        drop(tx);
        if self.explicit_shutdown.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let me = current_thread_id();
        let threads = std::mem::take(&mut *lock(&self.threads));
        for h in threads {
            if h.thread().id() != me {
                // A worker never unwinds (a task's panic is caught).
                let _ = h.join();
            }
        }
    }
}

impl State {
    /// Queues `job`, or hands it back if the pool is closed.
    fn push(&mut self, job: Job) -> Option<Job> {
        let Some(tx) = &self.tx else {
            return Some(job);
        };
        // The receiver lives in `Shared`, which the caller holds.
        tx.send(job)
            .expect("weft-blocking: a ThreadPool's receiver is gone while the pool is alive");
        self.queued += 1;
        None
    }
}

impl Shared {
    /// A pool thread's body.
    fn run(&self) {
        struct Exit<'a>(&'a Shared);
        impl Drop for Exit<'_> {
            fn drop(&mut self) {
                lock(&self.0.state).alive -= 1;
                self.0.exited.notify_all();
            }
        }
        let _exit = Exit(self);
        // Ends when the pool is closed and the queue is empty.
        while let Ok(job) = self.rx.recv() {
            let mut state = lock(&self.state);
            state.queued -= 1;
            state.busy += 1;
            let cancel = state.cancel_queued;
            // A slot freed: wake the first waiting submit.
            let waiter = if state.queued < self.capacity {
                state.waiters.pop_front()
            } else {
                None
            };
            drop(state);
            if let Some((_, waker)) = waiter {
                // A foreign waker: a panic in it must not kill this thread.
                weft_task::foreign::contain("a waker", move || waker.wake());
            }
            if cancel {
                job.shutdown();
            } else {
                job.run();
            }
            lock(&self.state).busy -= 1;
        }
    }
}

/// The future returned by [`ThreadPool::submit`]: resolves to the closure's
/// [`JoinHandle`] once the closure is queued.
///
/// ```
/// let rt = weft::Builder::new_current_thread().build().unwrap();
/// let pool = weft::blocking::ThreadPool::builder().threads(1).build()?;
/// let submit: weft::blocking::Submit<_> = pool.submit(|| 1);
/// let handle = rt.block_on(submit);
/// assert_eq!(rt.block_on(handle).unwrap(), 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "a Submit does nothing until awaited"]
pub struct Submit<F> {
    pool: ThreadPool,
    f: Option<F>,
    /// Our key in the waiter list, once registered.
    key: Option<u64>,
}

// `f` is moved out, never pinned in place.
impl<F> Unpin for Submit<F> {}

impl<F, R> Future for Submit<F>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    type Output = JoinHandle<R>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<JoinHandle<R>> {
        let this = &mut *self;
        let shared = &this.pool.handle.shared;
        let mut state = lock(&shared.state);
        let registered = this
            .key
            .and_then(|key| state.waiters.iter().position(|(k, _)| *k == key));
        if state.tx.is_some() && state.queued >= shared.capacity {
            // No room: wait (in place if already in the list).
            match registered {
                Some(i) => state.waiters[i].1.clone_from(cx.waker()),
                None => {
                    let key = state.next_key;
                    state.next_key += 1;
                    state.waiters.push_back((key, cx.waker().clone()));
                    this.key = Some(key);
                }
            }
            return Poll::Pending;
        }
        // Room, or closed: leave the list, queue (or cancel) the closure.
        if let Some(i) = registered {
            state.waiters.remove(i);
        }
        this.key = None;
        let f = this
            .f
            .take()
            .expect("weft-blocking: Submit polled after it resolved");
        let (job, handle) = job(f, PoolSchedule);
        let rejected = state.push(job);
        drop(state);
        if let Some(job) = rejected {
            job.shutdown();
        }
        Poll::Ready(handle)
    }
}

impl<F> Drop for Submit<F> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let shared = &self.pool.handle.shared;
        let mut state = lock(&shared.state);
        if let Some(i) = state.waiters.iter().position(|(k, _)| *k == key) {
            // Still waiting: nobody owes us a wake.
            state.waiters.remove(i);
            return;
        }
        // We were woken for a slot we will not take: pass it on.
        let next = if state.queued < shared.capacity {
            state.waiters.pop_front()
        } else {
            None
        };
        drop(state);
        if let Some((_, waker)) = next {
            weft_task::foreign::contain("a waker", move || waker.wake());
        }
    }
}

impl<F> fmt::Debug for Submit<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Submit")
            .field("pool", &self.pool)
            .field("waiting", &self.key.is_some())
            .finish()
    }
}
