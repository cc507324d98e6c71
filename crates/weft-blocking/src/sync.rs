//! The one place where the pool's locks, threads and queue come from: std
//! and crossbeam normally, loom under `cfg(loom)`, so the loom models in
//! `loom-tests/tests/blocking.rs` check the real accounting code.
//!
//! Under loom:
//!
//! * the `ThreadPool`'s queue is a loom-visible stand-in with the subset of
//!   `crossbeam_channel`'s interface it uses ([`channel`]); the blocking
//!   pool has its own queue under its mutex and needs no channel;
//! * a timed condvar wait is an untimed one (models never rely on a timeout
//!   elapsing). A blocking-pool thread's keep-alive is a deadline checked
//!   before each wait, so a zero keep-alive expires at once, without
//!   waiting: every interleaving of "the idle thread's keep-alive expires"
//!   against "a spawner hands it a job" is then a scheduling choice, which
//!   loom explores; any other keep-alive never expires under loom;
//! * threads are `loom::thread::spawn` (no names, no stack size). A start
//!   fails, as the OS may refuse one, when the pool's `thread_name` returns
//!   [`FAIL_SPAWN`], so the models reach the retract path;
//! * the thread pool (`thread_pool.rs`) builds under loom too: its workers
//!   block in the stand-in's `recv`.

#[cfg(not(loom))]
mod imp {
    pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
    pub(crate) use std::thread_local;

    pub(crate) mod channel {
        pub(crate) use crossbeam_channel::{unbounded, Receiver, Sender};
    }

    /// Locks, ignoring poisoning: no critical section in this crate calls
    /// code that can panic while the data is inconsistent.
    pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn wait_timeout<'a, T>(
        c: &Condvar,
        g: MutexGuard<'a, T>,
        d: std::time::Duration,
    ) -> MutexGuard<'a, T> {
        c.wait_timeout(g, d).unwrap_or_else(|e| e.into_inner()).0
    }

    pub(crate) fn wait<'a, T>(c: &Condvar, g: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        c.wait(g).unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) use std::thread::JoinHandle;

    /// Starts an OS thread.
    pub(crate) fn spawn_thread(
        name: String,
        stack_size: Option<usize>,
        body: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<JoinHandle<()>> {
        let mut builder = std::thread::Builder::new().name(name);
        if let Some(size) = stack_size {
            builder = builder.stack_size(size);
        }
        builder.spawn(body)
    }

    /// `true` once the thread has returned (so `join` will not block).
    pub(crate) fn is_finished(handle: &JoinHandle<()>) -> bool {
        handle.is_finished()
    }

    pub(crate) fn current_thread_id() -> std::thread::ThreadId {
        std::thread::current().id()
    }
}

#[cfg(loom)]
mod imp {
    pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
    pub(crate) use loom::thread_local;

    pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap()
    }

    /// Loom has no clock: a timed wait is an untimed one.
    pub(crate) fn wait_timeout<'a, T>(
        c: &Condvar,
        g: MutexGuard<'a, T>,
        _d: std::time::Duration,
    ) -> MutexGuard<'a, T> {
        c.wait(g).unwrap()
    }

    pub(crate) fn wait<'a, T>(c: &Condvar, g: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        c.wait(g).unwrap()
    }

    pub(crate) use loom::thread::JoinHandle;

    /// The thread name on which [`spawn_thread`] fails (see the module docs).
    pub const FAIL_SPAWN: &str = "loom: refuse to start this thread";

    /// Starts a loom thread, or fails like the OS refusing one if `name` is
    /// [`FAIL_SPAWN`]. Other names and stack sizes are ignored.
    pub(crate) fn spawn_thread(
        name: String,
        _stack_size: Option<usize>,
        body: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<JoinHandle<()>> {
        if name == FAIL_SPAWN {
            return Err(std::io::Error::other("loom model: thread start refused"));
        }
        Ok(loom::thread::spawn(body))
    }

    /// Loom's handles cannot tell: a handle is joined only once the pool
    /// has counted every thread out, and then `join` returns at once.
    pub(crate) fn is_finished(_handle: &JoinHandle<()>) -> bool {
        false
    }

    pub(crate) fn current_thread_id() -> loom::thread::ThreadId {
        loom::thread::current().id()
    }

    /// A loom-visible stand-in for the part of `crossbeam_channel` the
    /// pools use: one `Sender`, a shared `Receiver`, FIFO order, buffered
    /// messages delivered before disconnection is reported. `recv` blocks
    /// on a loom condvar (the thread pool's workers).
    pub(crate) mod channel {
        use std::collections::VecDeque;

        use loom::sync::{Arc, Condvar, Mutex};

        struct Chan<T> {
            items: VecDeque<T>,
            disconnected: bool,
        }

        struct Shared<T> {
            chan: Mutex<Chan<T>>,
            ready: Condvar,
        }

        pub(crate) struct Sender<T>(Arc<Shared<T>>);
        pub(crate) struct Receiver<T>(Arc<Shared<T>>);

        #[derive(Debug)]
        pub(crate) struct RecvError;

        #[derive(Debug)]
        pub(crate) struct SendError<T>(pub(crate) T);

        #[derive(Debug, PartialEq, Eq)]
        pub(crate) enum TryRecvError {
            Empty,
            Disconnected,
        }

        pub(crate) fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
            let shared = Arc::new(Shared {
                chan: Mutex::new(Chan {
                    items: VecDeque::new(),
                    disconnected: false,
                }),
                ready: Condvar::new(),
            });
            (Sender(shared.clone()), Receiver(shared))
        }

        impl<T> Sender<T> {
            pub(crate) fn send(&self, item: T) -> Result<(), SendError<T>> {
                self.0.chan.lock().unwrap().items.push_back(item);
                self.0.ready.notify_one();
                Ok(())
            }
        }

        impl<T> Drop for Sender<T> {
            fn drop(&mut self) {
                self.0.chan.lock().unwrap().disconnected = true;
                self.0.ready.notify_all();
            }
        }

        impl<T> Receiver<T> {
            /// Blocks until a message comes, or the queue is empty and
            /// disconnected.
            pub(crate) fn recv(&self) -> Result<T, RecvError> {
                let mut chan = self.0.chan.lock().unwrap();
                loop {
                    if let Some(item) = chan.items.pop_front() {
                        return Ok(item);
                    }
                    if chan.disconnected {
                        return Err(RecvError);
                    }
                    chan = self.0.ready.wait(chan).unwrap();
                }
            }

            pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
                let mut chan = self.0.chan.lock().unwrap();
                match chan.items.pop_front() {
                    Some(item) => Ok(item),
                    None if chan.disconnected => Err(TryRecvError::Disconnected),
                    None => Err(TryRecvError::Empty),
                }
            }
        }
    }
}

#[cfg(loom)]
pub use imp::FAIL_SPAWN;
pub(crate) use imp::*;
