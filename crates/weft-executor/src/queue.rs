//! The run queues: a local FIFO per worker, its stealer, and the injector.
//!
//! Normally these are `crossbeam-deque`'s `Worker`, `Stealer` and
//! `Injector`. Under `cfg(loom)` they are a mutex-protected `VecDeque` with
//! the same interface: crossbeam proves its own deque, and loom cannot see
//! inside it; what the models check is our protocol around the queues.

#[cfg(not(loom))]
mod imp {
    use crossbeam_deque::{Steal, Worker};

    /// A worker's own queue: pushed and popped by its owner only.
    pub(crate) struct Local<T>(Worker<T>);

    /// Another worker's handle on a `Local`: takes from the front.
    pub(crate) struct Stealer<T>(crossbeam_deque::Stealer<T>);

    /// The queue for work from outside the workers.
    pub(crate) struct Injector<T>(crossbeam_deque::Injector<T>);

    fn retry<T>(mut f: impl FnMut() -> Steal<T>) -> Option<T> {
        loop {
            match f() {
                Steal::Success(t) => return Some(t),
                Steal::Empty => return None,
                Steal::Retry => std::hint::spin_loop(),
            }
        }
    }

    impl<T> Local<T> {
        pub(crate) fn new() -> Self {
            Local(Worker::new_fifo())
        }
        pub(crate) fn push(&self, t: T) {
            self.0.push(t)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            self.0.pop()
        }
        pub(crate) fn len(&self) -> usize {
            self.0.len()
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
        pub(crate) fn stealer(&self) -> Stealer<T> {
            Stealer(self.0.stealer())
        }
    }

    impl<T> Stealer<T> {
        /// Moves up to `limit` tasks (at most about half) into `dest` and
        /// pops one of them.
        pub(crate) fn steal_batch_and_pop(&self, dest: &Local<T>, limit: usize) -> Option<T> {
            retry(|| self.0.steal_batch_with_limit_and_pop(&dest.0, limit))
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
        pub(crate) fn len(&self) -> usize {
            self.0.len()
        }
    }

    impl<T> Injector<T> {
        pub(crate) fn new() -> Self {
            Injector(crossbeam_deque::Injector::new())
        }
        pub(crate) fn push(&self, t: T) {
            self.0.push(t)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            retry(|| self.0.steal())
        }
        pub(crate) fn steal_batch_and_pop(&self, dest: &Local<T>, limit: usize) -> Option<T> {
            retry(|| self.0.steal_batch_with_limit_and_pop(&dest.0, limit))
        }
        /// Moves up to `limit` tasks to the back of `dest` (fewer if the
        /// injector's current block ends first); `false` if it was empty.
        pub(crate) fn steal_batch(&self, dest: &Local<T>, limit: usize) -> bool {
            retry(|| self.0.steal_batch_with_limit(&dest.0, limit)).is_some()
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
        pub(crate) fn len(&self) -> usize {
            self.0.len()
        }
    }
}

#[cfg(loom)]
mod imp {
    use std::collections::VecDeque;

    use crate::sync::{lock, Arc, Mutex};

    pub(crate) struct Local<T>(Arc<Mutex<VecDeque<T>>>);
    pub(crate) struct Stealer<T>(Arc<Mutex<VecDeque<T>>>);
    pub(crate) struct Injector<T>(Mutex<VecDeque<T>>);

    fn steal_half<T>(src: &Mutex<VecDeque<T>>, dest: &Local<T>, limit: usize) -> Option<T> {
        let mut src = lock(src);
        let first = src.pop_front()?;
        let n = (src.len() / 2).min(limit.saturating_sub(1));
        let batch: Vec<T> = src.drain(..n).collect();
        drop(src);
        lock(&dest.0).extend(batch);
        Some(first)
    }

    impl<T> Local<T> {
        pub(crate) fn new() -> Self {
            Local(Arc::new(Mutex::new(VecDeque::new())))
        }
        pub(crate) fn push(&self, t: T) {
            lock(&self.0).push_back(t)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            lock(&self.0).pop_front()
        }
        pub(crate) fn len(&self) -> usize {
            lock(&self.0).len()
        }
        pub(crate) fn is_empty(&self) -> bool {
            lock(&self.0).is_empty()
        }
        pub(crate) fn stealer(&self) -> Stealer<T> {
            Stealer(self.0.clone())
        }
    }

    impl<T> Stealer<T> {
        pub(crate) fn steal_batch_and_pop(&self, dest: &Local<T>, limit: usize) -> Option<T> {
            steal_half(&self.0, dest, limit)
        }
        pub(crate) fn is_empty(&self) -> bool {
            lock(&self.0).is_empty()
        }
        pub(crate) fn len(&self) -> usize {
            lock(&self.0).len()
        }
    }

    impl<T> Injector<T> {
        pub(crate) fn new() -> Self {
            Injector(Mutex::new(VecDeque::new()))
        }
        pub(crate) fn push(&self, t: T) {
            lock(&self.0).push_back(t)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            lock(&self.0).pop_front()
        }
        pub(crate) fn steal_batch_and_pop(&self, dest: &Local<T>, limit: usize) -> Option<T> {
            steal_half(&self.0, dest, limit)
        }
        pub(crate) fn steal_batch(&self, dest: &Local<T>, limit: usize) -> bool {
            let mut src = lock(&self.0);
            let n = src.len().min(limit);
            let batch: Vec<T> = src.drain(..n).collect();
            drop(src);
            lock(&dest.0).extend(batch);
            n > 0
        }
        pub(crate) fn is_empty(&self) -> bool {
            lock(&self.0).is_empty()
        }
        pub(crate) fn len(&self) -> usize {
            lock(&self.0).len()
        }
    }
}

pub(crate) use imp::{Injector, Local, Stealer};
