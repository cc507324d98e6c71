//! Task core: create, run and join an empty task, weft-task beside
//! async-task.
//!
//! Both sides use the same structure and the same kind of queue: a
//! thread-local `RefCell<VecDeque>` that the schedule hook pushes to (a
//! zero-sized `Schedule` impl for weft, a zero-capture closure for
//! async-task). One iteration is a batch of [`BATCH`] tasks:
//!
//! 1. create each task and schedule it (it is pushed to the queue), keeping
//!    its handle in a preallocated `Vec`;
//! 2. pop and run every queued task;
//! 3. poll every handle once with a no-op waker and check it is `Ready`.
//!
//! So each task costs one allocation, one schedule, one run, one join and
//! the frees, on one thread: the uncontended fast paths.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-bench cargo bench -p weft-benches --bench task
//! ```

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Tasks per iteration.
const BATCH: usize = 1_000;

mod weft {
    use super::*;
    use weft_task::{Id, JoinHandle, Notified, Schedule, Task};

    thread_local! {
        static QUEUE: RefCell<VecDeque<Notified<LocalQueue>>> = RefCell::new(VecDeque::with_capacity(BATCH));
    }

    /// Pushes to the thread-local queue.
    pub struct LocalQueue;

    impl Schedule for LocalQueue {
        fn schedule(&self, task: Notified<Self>) {
            QUEUE.with(|q| q.borrow_mut().push_back(task));
        }

        fn release(&self, _: &Task<Self>) -> Option<Task<Self>> {
            None
        }
    }

    // Not inlined, on both sides, so a profiler can attribute the batch.
    #[inline(never)]
    pub fn batch(handles: &mut Vec<JoinHandle<()>>) {
        for _ in 0..BATCH {
            let (task, handle) = weft_task::unowned(async {}, LocalQueue, Id::next());
            task.schedule();
            handles.push(handle);
        }
        while let Some(task) = QUEUE.with(|q| q.borrow_mut().pop_front()) {
            task.run();
        }
        let mut cx = Context::from_waker(Waker::noop());
        for mut handle in handles.drain(..) {
            match Pin::new(&mut handle).poll(&mut cx) {
                Poll::Ready(out) => {
                    black_box(out).expect("empty task cannot fail");
                }
                Poll::Pending => unreachable!("task not finished"),
            }
        }
    }
}

mod async_task_side {
    use super::*;
    use async_task::{Runnable, Task};

    thread_local! {
        static QUEUE: RefCell<VecDeque<Runnable>> = RefCell::new(VecDeque::with_capacity(BATCH));
    }

    #[inline(never)]
    pub fn batch(handles: &mut Vec<Task<()>>) {
        for _ in 0..BATCH {
            let (runnable, task) =
                async_task::spawn(async {}, |r| QUEUE.with(|q| q.borrow_mut().push_back(r)));
            runnable.schedule();
            handles.push(task);
        }
        while let Some(runnable) = QUEUE.with(|q| q.borrow_mut().pop_front()) {
            runnable.run();
        }
        let mut cx = Context::from_waker(Waker::noop());
        for mut task in handles.drain(..) {
            match Pin::new(&mut task).poll(&mut cx) {
                Poll::Ready(out) => {
                    black_box(out);
                }
                Poll::Pending => unreachable!("task not finished"),
            }
        }
    }
}

fn spawn_run_join(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_run_join_empty");
    group.throughput(Throughput::Elements(BATCH as u64));

    let mut weft_handles = Vec::with_capacity(BATCH);
    group.bench_function("weft-task", |b| b.iter(|| weft::batch(&mut weft_handles)));

    let mut async_task_handles = Vec::with_capacity(BATCH);
    group.bench_function("async-task", |b| {
        b.iter(|| async_task_side::batch(&mut async_task_handles))
    });

    group.finish();
}

criterion_group!(benches, spawn_run_join);
criterion_main!(benches);
