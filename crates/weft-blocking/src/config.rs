//! [`PoolConfig`]: how a [`BlockingPool`](crate::BlockingPool) runs its
//! threads, and the defaults the runtime's `Builder` starts from.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The default [`PoolConfig::max_threads`]: tokio's figure, high enough for
/// blocking file and DNS calls in bulk, low enough not to exhaust the OS.
pub const DEFAULT_MAX_THREADS: usize = 512;

/// The default [`PoolConfig::keep_alive`]: tokio's figure. A thread costs a
/// stack and little else while it waits; ten seconds absorbs bursts without
/// starting threads over and over.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// How a [`BlockingPool`](crate::BlockingPool) runs its threads.
///
/// Start from `PoolConfig::default()` and set fields:
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use weft_blocking::PoolConfig;
///
/// let mut config = PoolConfig::default();
/// config.max_threads = 8;
/// config.keep_alive = Duration::from_millis(500);
/// config.thread_name = Arc::new(|| "io".to_string());
/// config.on_thread_start = Some(Arc::new(|| eprintln!("blocking thread up")));
/// ```
#[derive(Clone)]
pub struct PoolConfig {
    /// The most threads alive at once (default [`DEFAULT_MAX_THREADS`]).
    /// Past it, closures wait in the queue. Must be at least 1.
    pub max_threads: usize,
    /// How long a thread waits for a job before exiting (default
    /// [`DEFAULT_KEEP_ALIVE`]).
    pub keep_alive: Duration,
    /// Names each new thread (default `"weft-blocking-{n}"`, `n` counting
    /// from 0 per pool).
    pub thread_name: Arc<ThreadName>,
    /// The stack size of each thread; `None` is std's default (2 MiB unless
    /// `RUST_MIN_STACK` says otherwise).
    pub stack_size: Option<usize>,
    /// Called on each new thread before it takes jobs, inside `wrap`.
    pub on_thread_start: Option<Arc<ThreadHook>>,
    /// Called on each thread after its last job, inside `wrap`.
    pub on_thread_stop: Option<Arc<ThreadHook>>,
    /// Called on each new thread with the thread's whole body (start hook,
    /// job loop, stop hook) as argument, which it must call once: the facade
    /// uses it to enter its runtime context, so `Handle::current()` works in
    /// closures. If it returns without calling the body, the body runs
    /// after it, unwrapped.
    pub wrap: Option<Arc<ThreadWrap>>,
    /// Receives the panic of a closure whose `JoinHandle` was dropped
    /// unread (an unhandled panic); the runtime passes its handler.
    pub on_unhandled_panic: Option<Arc<UnhandledPanicHook>>,
}

/// [`PoolConfig::on_unhandled_panic`].
pub type UnhandledPanicHook = dyn Fn(&weft_task::PanicReport) + Send + Sync;

/// [`PoolConfig::thread_name`]: makes the name of each new thread.
pub type ThreadName = dyn Fn() -> String + Send + Sync;

/// [`PoolConfig::on_thread_start`] and [`PoolConfig::on_thread_stop`].
pub type ThreadHook = dyn Fn() + Send + Sync;

/// [`PoolConfig::wrap`]: runs a thread's body (its argument) inside, say, a
/// runtime context.
///
/// ```
/// use std::sync::Arc;
/// let wrap: Arc<weft_blocking::ThreadWrap> = Arc::new(|body: &mut dyn FnMut()| {
///     // enter a context here
///     body();
///     // and leave it here
/// });
/// let pool = weft_blocking::BlockingPool::new(weft_blocking::PoolConfig {
///     wrap: Some(wrap),
///     ..Default::default()
/// });
/// assert_eq!(weft_executor::block_on(pool.spawn_blocking(|| 1)).unwrap(), 1);
/// ```
pub type ThreadWrap = dyn Fn(&mut dyn FnMut()) + Send + Sync;

impl Default for PoolConfig {
    fn default() -> Self {
        // Not a protocol variable: a name counter, std even under loom.
        let next = Arc::new(AtomicUsize::new(0));
        PoolConfig {
            max_threads: DEFAULT_MAX_THREADS,
            keep_alive: DEFAULT_KEEP_ALIVE,
            thread_name: Arc::new(move || format!("weft-blocking-{}", next.fetch_add(1, Ordering::Relaxed))),
            stack_size: None,
            on_thread_start: None,
            on_thread_stop: None,
            wrap: None,
            on_unhandled_panic: None,
        }
    }
}

impl fmt::Debug for PoolConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolConfig")
            .field("max_threads", &self.max_threads)
            .field("keep_alive", &self.keep_alive)
            .field("stack_size", &self.stack_size)
            .field("on_thread_start", &self.on_thread_start.is_some())
            .field("on_thread_stop", &self.on_thread_stop.is_some())
            .field("wrap", &self.wrap.is_some())
            .finish_non_exhaustive()
    }
}
