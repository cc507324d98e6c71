//! A single-threaded FIFO scheduler for the tests.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use weft_task::{Id, JoinHandle, Notified, OwnedTasks, Schedule, Task};

#[derive(Default)]
pub struct Inner {
    pub queue: Mutex<VecDeque<Notified<Fifo>>>,
    pub yields: AtomicUsize,
    pub schedules: AtomicUsize,
    pub owned: Option<OwnedTasks<Fifo>>,
}

#[derive(Clone)]
pub struct Fifo(pub Arc<Inner>);

impl Fifo {
    pub fn new() -> Fifo {
        Fifo(Arc::new(Inner::default()))
    }

    pub fn with_owned() -> Fifo {
        Fifo(Arc::new(Inner {
            owned: Some(OwnedTasks::new(4)),
            ..Inner::default()
        }))
    }

    pub fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.0.owned {
            Some(list) => {
                let (join, notified) = list.bind(fut, self.clone(), Id::next());
                if let Some(n) = notified {
                    self.0.queue.lock().unwrap().push_back(n);
                }
                join
            }
            None => {
                let (task, join) = weft_task::unowned(fut, self.clone(), Id::next());
                task.schedule();
                join
            }
        }
    }

    /// Runs queued tasks until the queue is empty; returns how many ran.
    pub fn run_all(&self) -> usize {
        let mut n = 0;
        loop {
            let next = self.0.queue.lock().unwrap().pop_front();
            match next {
                Some(t) => {
                    t.run();
                    n += 1;
                }
                None => return n,
            }
        }
    }

    pub fn queued(&self) -> usize {
        self.0.queue.lock().unwrap().len()
    }
}

impl Schedule for Fifo {
    fn schedule(&self, task: Notified<Self>) {
        self.0.schedules.fetch_add(1, Ordering::SeqCst);
        self.0.queue.lock().unwrap().push_back(task);
    }

    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.0.owned.as_ref().and_then(|l| l.remove(task))
    }

    fn yield_now(&self, task: Notified<Self>) {
        self.0.yields.fetch_add(1, Ordering::SeqCst);
        self.0.queue.lock().unwrap().push_back(task);
    }
}

/// Polls a JoinHandle once with a no-op waker.
pub fn poll_once<T>(h: &mut JoinHandle<T>) -> Poll<Result<T, weft_task::JoinError>> {
    let mut cx = Context::from_waker(Waker::noop());
    Pin::new(h).poll(&mut cx)
}

/// Counts drops.
#[derive(Clone, Default)]
pub struct DropCount(pub Arc<AtomicUsize>);

impl DropCount {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }
}

pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future that stores its waker and completes when `ready` is set.
#[derive(Clone, Default)]
pub struct Gate {
    pub ready: Arc<Mutex<(bool, Option<Waker>)>>,
    pub polls: Arc<AtomicUsize>,
}

impl Gate {
    pub fn open(&self) {
        let w = {
            let mut g = self.ready.lock().unwrap();
            g.0 = true;
            g.1.take()
        };
        if let Some(w) = w {
            w.wake();
        }
    }
    pub fn waker(&self) -> Option<Waker> {
        self.ready.lock().unwrap().1.clone()
    }
    pub fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }
}

impl Future for Gate {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        let mut g = self.ready.lock().unwrap();
        if g.0 {
            Poll::Ready(())
        } else {
            g.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}
