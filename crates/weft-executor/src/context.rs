//! The one per-thread context: which runtime this thread has entered, and
//! which worker (if any) it runs.
//!
//! Every "where am I?" question in weft is answered here, from one
//! thread-local:
//!
//! * **the entered runtime** ([`Entered`]): set for the whole life of every
//!   runtime thread (workers, blocking threads) and, on any other thread,
//!   while `block_on` runs or an [`EnterGuard`] lives. `weft::spawn`,
//!   `weft::time::sleep`, `TcpStream::connect` and `Handle::current` all
//!   find their runtime through it. The layers above the executor store
//!   their own parts in it type-erased (the reactor its handle, the facade
//!   its handle) and take them back with a downcast, so the executor needs
//!   to know nothing of them;
//! * **the current worker**, used by the scheduler to put a wake or spawn
//!   from a worker on that worker's own queue (`worker.rs`).
//!
//! # Entering and leaving
//!
//! [`enter`] replaces the entered runtime and returns a guard that puts the
//! previous one back. Guards nest, and must be dropped in the reverse order
//! of their creation: each guard remembers the nesting depth it was made at,
//! and a guard dropped at any other depth panics (`EnterGuard`s dropped out
//! of order would otherwise silently restore a runtime that is no longer
//! entered). The guards are `!Send`, so they cannot leave their thread.
//!
//! Outside any runtime, the callers panic with [`NO_RUNTIME`], the one
//! message for that mistake.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc as StdArc;

use crate::handle::Handle;
use crate::sync::thread_local;
use crate::worker::WorkerContext;

/// The message of every "there is no runtime here" panic and error.
pub const NO_RUNTIME: &str = "there is no weft runtime on this thread: call this from inside \
    Runtime::block_on, a spawned task or a blocking closure, or enter a runtime first with \
    rt.enter() / handle.enter(); from a plain thread, use the runtime's handle directly \
    (rt.spawn(fut), rt.spawn_blocking(f), rt.handle().spawn(fut))";

/// What a thread has entered: a runtime, made of parts that each layer
/// stores and reads back.
#[derive(Clone)]
pub struct Entered {
    /// The scheduler, if the runtime has one (a bare reactor has none).
    pub executor: Option<Handle>,
    /// The I/O driver's handle (the reactor stores its `Handle` here).
    pub driver: Option<StdArc<dyn Any + Send + Sync>>,
    /// The facade's runtime handle.
    pub runtime: Option<StdArc<dyn Any + Send + Sync>>,
}

impl Entered {
    /// The driver part, if it is a `T`.
    pub fn driver<T: 'static>(&self) -> Option<&T> {
        self.driver.as_deref()?.downcast_ref()
    }

    /// The runtime part, if it is a `T`.
    pub fn runtime<T: 'static>(&self) -> Option<&T> {
        self.runtime.as_deref()?.downcast_ref()
    }
}

impl fmt::Debug for Entered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entered")
            .field("executor", &self.executor)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Context {
    entered: RefCell<Option<Entered>>,
    /// How many guards are alive on this thread.
    depth: Cell<usize>,
    pub(crate) worker: RefCell<Option<Rc<WorkerContext>>>,
}

thread_local! {
    // Not `const {}`: loom's `thread_local!` does not accept it.
    #[allow(clippy::missing_const_for_thread_local)]
    pub(crate) static CONTEXT: Context = Context {
        entered: RefCell::new(None),
        depth: Cell::new(0),
        worker: RefCell::new(None),
    };
}

/// Calls `f` with the entered runtime, without cloning it; `None` outside
/// a runtime (or while the thread is being torn down).
///
/// ```
/// assert!(weft_executor::context::with_entered(|e| e.is_none()));
/// ```
pub fn with_entered<R>(f: impl FnOnce(Option<&Entered>) -> R) -> R {
    let mut f = Some(f);
    let out = CONTEXT.try_with(|cx| match cx.entered.try_borrow() {
        Ok(e) => (f.take().expect("called once"))(e.as_ref()),
        // Borrowed mutably only inside `enter`/guard drop, which call no
        // user code: unreachable, but "no runtime" is the safe answer.
        Err(_) => (f.take().expect("called once"))(None),
    });
    match out {
        Ok(r) => r,
        Err(_) => (f.take().expect("called once"))(None),
    }
}

/// Makes `entered` this thread's runtime until the guard drops.
///
/// # Panics
///
/// When the guard is dropped out of order (see the module docs).
pub fn enter(entered: Entered) -> EnterGuard {
    CONTEXT.with(|cx| {
        let prev = cx.entered.borrow_mut().replace(entered);
        let depth = cx.depth.get() + 1;
        cx.depth.set(depth);
        EnterGuard {
            prev,
            depth,
            _not_send: PhantomData,
        }
    })
}

/// Restores the previously entered runtime when dropped; see [`enter`].
///
/// `Sync` but not `Send`: it must be dropped on the thread that made it.
#[must_use = "the runtime is entered only while the guard lives"]
pub struct EnterGuard {
    prev: Option<Entered>,
    depth: usize,
    // `!Send` and `Sync`, as tokio's guard.
    _not_send: PhantomData<std::sync::MutexGuard<'static, ()>>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _ = CONTEXT.try_with(|cx| {
            if cx.depth.get() != self.depth {
                if std::thread::panicking() {
                    // Already unwinding (perhaps from this very check on a
                    // guard dropped earlier): leave the context alone.
                    return;
                }
                panic!(
                    "weft: EnterGuard values dropped out of order: the guards returned by \
                     Runtime::enter and Handle::enter must be dropped in the reverse order \
                     they were created (this one was made at depth {}, the thread is at \
                     depth {})",
                    self.depth,
                    cx.depth.get()
                );
            }
            cx.depth.set(self.depth - 1);
            // Drop the runtime we leave after the borrow ends: its last
            // reference may go here, and its destructor may look at us.
            let left = cx.entered.replace(prev);
            drop(left);
        });
    }
}

impl fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").field("depth", &self.depth).finish()
    }
}
