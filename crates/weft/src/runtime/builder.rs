//! `Builder`: configure a runtime before starting it.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::Runtime;

pub(crate) type Callback = Arc<dyn Fn() + Send + Sync + 'static>;

/// Configures and builds a [`Runtime`].
///
/// ```
/// use std::time::Duration;
/// let rt = weft::Runtime::builder()
///     .worker_threads(2)
///     .max_blocking_threads(64)
///     .thread_keep_alive(Duration::from_secs(10))
///     .thread_name("app")
///     .thread_stack_size(2 * 1024 * 1024)
///     .on_thread_start(|| eprintln!("started {:?}", std::thread::current().name()))
///     .build()?;
/// assert_eq!(rt.block_on(async { 1 }), 1);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Builder {
    pub(crate) worker_threads: Option<usize>,
    pub(crate) thread_name: String,
    pub(crate) thread_stack_size: Option<usize>,
    pub(crate) on_thread_start: Option<Callback>,
    pub(crate) on_thread_stop: Option<Callback>,
    pub(crate) global_queue_interval: u32,
    pub(crate) event_interval: u32,
    pub(crate) max_blocking_threads: usize,
    pub(crate) thread_keep_alive: Duration,
}

impl Default for Builder {
    fn default() -> Self {
        let defaults = weft_executor::Config::default();
        Builder {
            worker_threads: None,
            thread_name: "weft".to_owned(),
            thread_stack_size: None,
            on_thread_start: None,
            on_thread_stop: None,
            global_queue_interval: defaults.global_queue_interval,
            event_interval: defaults.event_interval,
            max_blocking_threads: weft_blocking::DEFAULT_MAX_THREADS,
            thread_keep_alive: weft_blocking::DEFAULT_KEEP_ALIVE,
        }
    }
}

impl Builder {
    /// A builder with the defaults: one worker per CPU (`num_cpus::get()`,
    /// which honours cgroup quotas), threads named `weft-worker-N`.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// A builder for a multi-threaded runtime: the same as [`Builder::new`]
    /// (tokio's name for it).
    ///
    /// ```
    /// let rt = weft::Builder::new_multi_thread().worker_threads(2).build()?;
    /// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new_multi_thread() -> Builder {
        Builder::default()
    }

    /// Number of async worker threads.
    ///
    /// # Panics
    ///
    /// If `n` is 0: a runtime needs at least one worker.
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        assert!(
            n > 0,
            "worker_threads(0): a weft runtime needs at least one worker thread"
        );
        self.worker_threads = Some(n);
        self
    }

    /// Base name of the runtime's threads: workers are `NAME-worker-N`.
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.thread_name = name.into();
        self
    }

    /// Stack size of the runtime's threads, in bytes.
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Self {
        self.thread_stack_size = Some(bytes);
        self
    }

    /// Runs `f` on each runtime thread when it starts.
    pub fn on_thread_start(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Self {
        self.on_thread_start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on each runtime thread before it exits.
    pub fn on_thread_stop(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Self {
        self.on_thread_stop = Some(Arc::new(f));
        self
    }

    /// Ticks between two looks at the injector before the local queue
    /// (default 61, as tokio).
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    #[track_caller]
    pub fn global_queue_interval(&mut self, n: u32) -> &mut Self {
        assert!(n > 0, "global_queue_interval(0): the interval must be at least 1");
        self.global_queue_interval = n;
        self
    }

    /// Ticks between two non-blocking polls of I/O and timers by a busy
    /// worker (default 61, as tokio).
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    #[track_caller]
    pub fn event_interval(&mut self, n: u32) -> &mut Self {
        assert!(n > 0, "event_interval(0): the interval must be at least 1");
        self.event_interval = n;
        self
    }

    /// The most threads the blocking pool runs at once (default 512).
    ///
    /// Blocking closures start threads on demand up to this cap; past it,
    /// they wait in the pool's queue. The async workers are not counted.
    ///
    /// # Panics
    ///
    /// If `n` is 0: `spawn_blocking` needs at least one thread.
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        assert!(
            n > 0,
            "max_blocking_threads(0): the blocking pool needs at least one thread"
        );
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking thread waits for work before it exits
    /// (default 10 s).
    pub fn thread_keep_alive(&mut self, keep_alive: Duration) -> &mut Self {
        self.thread_keep_alive = keep_alive;
        self
    }

    /// Starts the runtime's threads.
    ///
    /// Errors if the OS refuses to start a thread; the threads already
    /// started are shut down.
    pub fn build(&mut self) -> io::Result<Runtime> {
        Runtime::start(self)
    }

    pub(crate) fn worker_name(&self, index: usize) -> String {
        format!("{}-worker-{index}", self.thread_name)
    }

    pub(crate) fn blocking_name(&self) -> Arc<dyn Fn() -> String + Send + Sync> {
        let base = self.thread_name.clone();
        let next = Arc::new(AtomicUsize::new(0));
        Arc::new(move || format!("{base}-blocking-{}", next.fetch_add(1, Ordering::Relaxed)))
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("worker_threads", &self.worker_threads)
            .field("thread_name", &self.thread_name)
            .field("thread_stack_size", &self.thread_stack_size)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("thread_keep_alive", &self.thread_keep_alive)
            .finish_non_exhaustive()
    }
}

/// A counter of live threads that can be waited on with a timeout.
#[derive(Default)]
pub(crate) struct Latch {
    live: std::sync::Mutex<usize>,
    changed: std::sync::Condvar,
}

impl Latch {
    pub(crate) fn add(&self) {
        *self.live.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    }

    pub(crate) fn done(&self) {
        *self.live.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.changed.notify_all();
    }

    /// Waits until no thread is live; `false` on timeout.
    pub(crate) fn wait(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        while *live > 0 {
            match deadline {
                None => live = self.changed.wait(live).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = std::time::Instant::now();
                    if now >= d {
                        return false;
                    }
                    live = self
                        .changed
                        .wait_timeout(live, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        true
    }
}

static RUNTIME_IDS: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn next_runtime_id() -> usize {
    RUNTIME_IDS.fetch_add(1, Ordering::Relaxed)
}
