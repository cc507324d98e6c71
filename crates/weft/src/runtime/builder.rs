//! `Builder`: configure a runtime before starting it.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::Runtime;

pub(crate) type Callback = Arc<dyn Fn() + Send + Sync + 'static>;

/// The default slow-poll threshold of debug mode: asyncio's
/// `slow_callback_duration` (100 ms).
pub const DEFAULT_SLOW_POLL_THRESHOLD: Duration = Duration::from_millis(100);

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
    pub(crate) handoff: Option<Duration>,
    pub(crate) debug: bool,
    pub(crate) slow_poll_threshold: Option<Duration>,
    pub(crate) on_slow_poll: Option<Arc<weft_executor::SlowPollHook>>,
    pub(crate) on_unhandled_panic: Option<super::unhandled::Handler>,
    pub(crate) unhandled_panic: super::UnhandledPanic,
    pub(crate) flavor: Flavor,
}

/// Which scheduler a [`Builder`] builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    MultiThread,
    CurrentThread,
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
            handoff: defaults.handoff,
            debug: false,
            slow_poll_threshold: None,
            on_slow_poll: None,
            on_unhandled_panic: None,
            unhandled_panic: super::UnhandledPanic::Ignore,
            flavor: Flavor::MultiThread,
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

    /// A builder for a current-thread runtime: asyncio's loop. Every task
    /// is polled on the thread that is inside
    /// [`block_on`](crate::Runtime::block_on) (or
    /// [`run_forever`](crate::Runtime::run_forever)); **while no thread is
    /// inside one, nothing runs**, and tasks spawned meanwhile wait. It has
    /// the same reactor, timers, blocking pool, cooperative budget and
    /// shutdown as the multi-thread runtime, and the only runtime where
    /// [`weft::task::spawn_local`](crate::task::spawn_local) works.
    /// `worker_threads` and `handoff` do not apply to it, and
    /// [`block_in_place`](crate::task::block_in_place) panics on it.
    ///
    /// ```
    /// let rt = weft::Builder::new_current_thread().build()?;
    /// let here = std::thread::current().id();
    /// let there = rt.block_on(async { weft::spawn(async { std::thread::current().id() }).await });
    /// assert_eq!(there.unwrap(), here);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new_current_thread() -> Builder {
        Builder {
            flavor: Flavor::CurrentThread,
            ..Builder::default()
        }
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
    /// A blocking closure goes to an idle pool thread if there is one;
    /// otherwise threads start on demand up to the CPU count, and past it,
    /// up to this cap, only while the pool's threads are all blocked (no
    /// closure finished for a millisecond). At the cap, closures wait in
    /// the pool's queue. The async workers are not counted.
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

    /// Automatic handoff: a worker stuck this long in one task's poll (a
    /// blocking call, a long computation without `.await`) has its queue,
    /// its LIFO slot and its turn at driving I/O and timers handed to
    /// another thread, so the other tasks, the timers and the sockets do not
    /// wait for it. The stuck thread finishes that one poll and retires.
    ///
    /// `None` switches it off (tasks queued behind a blocking poll then wait
    /// for it, as in other runtimes). Default:
    /// [`DEFAULT_HANDOFF`](crate::runtime::DEFAULT_HANDOFF), 10 ms.
    /// [`crate::task::block_in_place`] hands off at once, whatever this says.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = weft::Builder::new_multi_thread()
    ///     .worker_threads(2)
    ///     .handoff(Some(Duration::from_millis(5)))
    ///     .build()?;
    /// # drop(rt);
    /// let off = weft::Builder::new_multi_thread().handoff(None).build()?;
    /// # drop(off);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Panics
    ///
    /// If the threshold is zero.
    #[track_caller]
    pub fn handoff(&mut self, threshold: Option<Duration>) -> &mut Self {
        assert!(
            threshold != Some(Duration::ZERO),
            "handoff(Some(Duration::ZERO)): a zero threshold would hand off every poll; \
             use a threshold of a few milliseconds, or None to switch handoff off"
        );
        self.handoff = threshold;
        self
    }

    /// Debug mode (asyncio's `loop.set_debug`): polls that run, and tasks
    /// that wait to be polled, longer than the slow-poll threshold (default
    /// 100 ms, see [`slow_poll_threshold`](Self::slow_poll_threshold)) are
    /// reported, to [`on_slow_poll`](Self::on_slow_poll) or as one line on
    /// stderr naming the task, its name, where it was spawned and how long.
    ///
    /// Also switched on by the environment variable `WEFT_DEBUG=1` when the
    /// runtime is built. Costs two clock reads per poll and one per wake.
    pub fn debug(&mut self, on: bool) -> &mut Self {
        self.debug = on;
        self
    }

    /// The threshold of debug mode's reports; setting it turns the reports
    /// on without the rest of debug mode.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = weft::Runtime::builder().slow_poll_threshold(Duration::from_millis(50)).build()?;
    /// # drop(rt);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn slow_poll_threshold(&mut self, threshold: Duration) -> &mut Self {
        self.slow_poll_threshold = Some(threshold);
        self
    }

    /// Receives debug mode's reports instead of stderr; see
    /// [`SlowPoll`](crate::runtime::SlowPoll). A panic in it is contained.
    pub fn on_slow_poll(
        &mut self,
        f: impl Fn(&weft_executor::SlowPoll) + Send + Sync + 'static,
    ) -> &mut Self {
        self.on_slow_poll = Some(Arc::new(f));
        self
    }

    /// Receives every unhandled panic: a panic of a task whose
    /// `JoinHandle` was dropped (before the panic, or after it without the
    /// output being taken out), or of a loop callback (`call_soon`). A
    /// panic that an awaited `JoinHandle` returns is handled, and not
    /// reported. Runs on whichever thread found the panic; a panic in the
    /// handler is contained. See [`PanicReport`](crate::runtime::PanicReport).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// let rt = weft::Builder::new_multi_thread()
    ///     .worker_threads(1)
    ///     .on_unhandled_panic(move |report| log.lock().unwrap().push(report.task_name().map(str::to_owned)))
    ///     .build()?;
    /// rt.block_on(async {
    ///     let h = weft::task::Builder::new().name("doomed").spawn(async { panic!("boom") })?;
    ///     drop(h); // nobody will read the panic: it is unhandled
    ///     weft::time::sleep(std::time::Duration::from_millis(50)).await;
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// drop(rt);
    /// assert_eq!(*seen.lock().unwrap(), vec![Some("doomed".to_owned())]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn on_unhandled_panic(
        &mut self,
        f: impl Fn(&weft_task::PanicReport) + Send + Sync + 'static,
    ) -> &mut Self {
        self.on_unhandled_panic = Some(Arc::new(f));
        self
    }

    /// What the runtime does after an unhandled panic (after the handler
    /// of [`on_unhandled_panic`](Self::on_unhandled_panic), if any): carry
    /// on ([`UnhandledPanic::Ignore`](crate::runtime::UnhandledPanic::Ignore),
    /// the default) or shut down
    /// ([`ShutdownRuntime`](crate::runtime::UnhandledPanic::ShutdownRuntime)),
    /// making `block_on` panic with a message that names the task.
    pub fn unhandled_panic(&mut self, behavior: super::UnhandledPanic) -> &mut Self {
        self.unhandled_panic = behavior;
        self
    }

    pub(crate) fn debug_enabled(&self) -> bool {
        self.debug || std::env::var_os("WEFT_DEBUG").is_some_and(|v| v == "1")
    }

    /// Starts the runtime's threads.
    ///
    /// Errors if the OS refuses to start a thread; the threads already
    /// started are shut down.
    pub fn build(&mut self) -> io::Result<Runtime> {
        Runtime::start(self)
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

static RUNTIME_IDS: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn next_runtime_id() -> usize {
    RUNTIME_IDS.fetch_add(1, Ordering::Relaxed)
}
