//! Unhandled panics: asyncio's exception handler.
//!
//! A panic is *unhandled* when no `JoinHandle` will ever hand it to the
//! user: the task's handle was dropped before the panic (it is reported
//! when the task completes), or dropped afterwards without the output being
//! taken out (reported at that drop, so no race decides whether a panic is
//! seen), or the panic was in a loop callback. `weft-task` finds these and
//! calls the scheduler; the runtime gives each to the user's handler
//! ([`Builder::on_unhandled_panic`](crate::Builder::on_unhandled_panic)),
//! then applies the policy
//! ([`Builder::unhandled_panic`](crate::Builder::unhandled_panic)).
//!
//! With [`UnhandledPanic::ShutdownRuntime`] the first report is kept, the
//! scheduler shuts down (every task is cancelled), and every `block_on` in
//! progress, and every later one, panics with a message naming that task
//! and its panic.

use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll, Waker};

use weft_task::PanicReport;

use super::handle::Inner;

/// What the runtime does after an unhandled panic has gone to the handler
/// (if any); see [`Builder::unhandled_panic`](crate::Builder::unhandled_panic).
///
/// ```
/// use weft::runtime::UnhandledPanic;
/// let rt = weft::Builder::new_multi_thread()
///     .unhandled_panic(UnhandledPanic::Ignore)
///     .build()?;
/// # drop(rt);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnhandledPanic {
    /// Carry on: the panicking task is gone, everything else runs. The
    /// default (the std panic hook has printed the panic already).
    #[default]
    Ignore,
    /// Shut the runtime down: every task is cancelled, and `block_on` (the
    /// one in progress, and any later one) panics with a message that
    /// names the task and its panic. For programs where a panic anywhere
    /// means the state can no longer be trusted.
    ShutdownRuntime,
}

/// The handler given to
/// [`Builder::on_unhandled_panic`](crate::Builder::on_unhandled_panic).
pub(crate) type Handler = Arc<dyn Fn(&PanicReport) + Send + Sync + 'static>;

/// The runtime's side: the first fatal report, and the `block_on` calls
/// waiting to hear of it.
pub(crate) struct Fatal {
    /// The policy is `ShutdownRuntime`: `block_on` must watch.
    armed: bool,
    report: OnceLock<PanicReport>,
    /// Set by `wake`, after the scheduler was shut down: only then does
    /// `block_on` act on the report.
    announced: std::sync::atomic::AtomicBool,
    waiters: Mutex<Vec<Waker>>,
}

impl Fatal {
    pub(crate) fn new(policy: UnhandledPanic) -> Fatal {
        Fatal {
            armed: policy == UnhandledPanic::ShutdownRuntime,
            report: OnceLock::new(),
            announced: std::sync::atomic::AtomicBool::new(false),
            waiters: Mutex::new(Vec::new()),
        }
    }

    /// Records the first report; `true` if this was it. Wakes nobody yet:
    /// the scheduler must be shut down before `block_on` hears of it, or
    /// its caller could spawn onto a runtime that still runs tasks.
    fn set(&self, report: &PanicReport) -> bool {
        self.report.set(report.clone()).is_ok()
    }

    /// Wakes every `block_on` watching for the report.
    fn wake(&self) {
        self.announced.store(true, std::sync::atomic::Ordering::Release);
        let waiters = std::mem::take(&mut *self.waiters.lock().unwrap_or_else(|e| e.into_inner()));
        for waker in waiters {
            weft_task::foreign::contain("a block_on waker", || waker.wake());
        }
    }

    /// `Ready` with the report once the runtime was shut down by one;
    /// otherwise registers the caller's waker.
    pub(crate) fn poll(&self, cx: &Context<'_>) -> Poll<&PanicReport> {
        let announced = || {
            self.announced
                .load(std::sync::atomic::Ordering::Acquire)
                .then(|| self.report.get())
                .flatten()
        };
        if let Some(r) = announced() {
            return Poll::Ready(r);
        }
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = announced() {
            return Poll::Ready(r);
        }
        if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
            waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// A `block_on` future that panics once the runtime is shut down by an
/// unhandled panic (and is the future alone when the policy is `Ignore`).
pub(crate) struct Watched<'a, F> {
    fatal: Option<&'a Fatal>,
    future: std::pin::Pin<&'a mut F>,
}

impl<'a, F> Watched<'a, F> {
    pub(crate) fn new(fatal: &'a Fatal, future: std::pin::Pin<&'a mut F>) -> Self {
        Watched {
            fatal: fatal.armed.then_some(fatal),
            future,
        }
    }
}

impl<F: std::future::Future> std::future::Future for Watched<'_, F> {
    type Output = F::Output;

    #[track_caller]
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if let Some(fatal) = self.fatal {
            if let Poll::Ready(report) = fatal.poll(cx) {
                panic_with(report);
            }
        }
        self.future.as_mut().poll(cx)
    }
}

/// The panic `block_on` raises once the runtime was shut down by an
/// unhandled panic.
#[track_caller]
pub(crate) fn panic_with(report: &PanicReport) -> ! {
    let name = match report.task_name() {
        Some(n) => format!(" ({n:?})"),
        None => String::new(),
    };
    panic!(
        "the weft runtime was shut down because task {}{name}, spawned at {}, panicked: {}. \
         This runtime was built with `unhandled_panic(UnhandledPanic::ShutdownRuntime)`; \
         await the task's JoinHandle to handle its panic, or use UnhandledPanic::Ignore",
        report.task_id(),
        report.location(),
        report.message().unwrap_or("(a non-string payload)"),
    )
}

/// The executor's hook: the user's handler, then the policy.
pub(crate) fn hook(
    handler: Option<Handler>,
    policy: UnhandledPanic,
    runtime: Weak<Inner>,
) -> Option<Arc<weft_executor::UnhandledPanicHook>> {
    if handler.is_none() && policy == UnhandledPanic::Ignore {
        return None;
    }
    Some(Arc::new(move |report: &PanicReport| {
        if let Some(handler) = &handler {
            weft_task::foreign::contain("the unhandled-panic handler", || handler(report));
        }
        if policy == UnhandledPanic::ShutdownRuntime {
            if let Some(inner) = runtime.upgrade() {
                if inner.fatal.set(report) {
                    // Shut down first: once `block_on` panics, a spawn of
                    // its caller must find the runtime closed.
                    inner.exec.shutdown();
                    inner.fatal.wake();
                }
            }
        }
    }))
}
