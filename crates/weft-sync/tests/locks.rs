//! weft::sync locks and signals as specifications: Mutex, RwLock,
//! Semaphore, Notify, Barrier, OnceCell.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use weft::sync::{Barrier, Mutex, Notify, OnceCell, RwLock, Semaphore, TryAcquireError};

fn rt() -> weft::Runtime {
    weft::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime")
}

fn poll_once<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls `f` once with the task's own waker, so it registers (queues) now;
/// panics if it completed instead.
async fn queue<F: Future>(mut f: Pin<&mut F>) {
    std::future::poll_fn(|cx| {
        assert!(f.as_mut().poll(cx).is_pending(), "did not have to wait");
        Poll::Ready(())
    })
    .await
}

/// Sleeps in 1 ms steps until `cond` holds (a slow machine only makes this
/// take longer; `within` turns a hang into a failure).
async fn until(cond: impl Fn() -> bool) {
    while !cond() {
        weft::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn within<F: Future>(what: &str, f: F) -> F::Output {
    match weft::time::timeout(Duration::from_secs(10), f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: still waiting after 10 s"),
    }
}

// ---------------------------------------------------------------- Mutex

#[test]
fn mutex_waiters_get_the_lock_in_order() {
    let m = Mutex::new(Vec::new());
    let held = m.try_lock().unwrap();
    let mut a = pin!(m.lock());
    let mut b = pin!(m.lock());
    let mut c = pin!(m.lock());
    for f in [a.as_mut(), b.as_mut(), c.as_mut()] {
        assert!(poll_once(f).is_pending());
    }
    drop(held);
    // Polled in reverse, still served in arrival order.
    assert!(poll_once(c.as_mut()).is_pending());
    assert!(poll_once(b.as_mut()).is_pending());
    let Poll::Ready(mut g) = poll_once(a.as_mut()) else {
        panic!("the first waiter did not get the lock")
    };
    g.push('a');
    drop(g);
    assert!(poll_once(c.as_mut()).is_pending());
    assert!(poll_once(b.as_mut()).is_ready());
    assert!(m.try_lock().is_err(), "try_lock jumped the queue");
}

#[test]
fn mutex_is_fifo_across_tasks() {
    let rt = weft::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let order = rt.block_on(async {
        let m = Arc::new(Mutex::new(Vec::new()));
        let held = m.clone().lock_owned().await;
        let mut hs = Vec::new();
        let queued = Arc::new(AtomicUsize::new(0));
        for i in 0..8 {
            let (m, q) = (m.clone(), queued.clone());
            hs.push(weft::spawn(async move {
                let mut lock = pin!(m.lock());
                queue(lock.as_mut()).await;
                q.fetch_add(1, Ordering::SeqCst);
                lock.await.push(i)
            }));
            // Task i has queued before task i + 1 starts.
            within(
                "the waiter to queue",
                until(|| queued.load(Ordering::SeqCst) == i + 1),
            )
            .await;
        }
        drop(held);
        for h in hs {
            within("lock", h).await.unwrap();
        }
        let v = m.lock().await.clone();
        v
    });
    assert_eq!(order, (0..8).collect::<Vec<_>>());
}

#[test]
fn mutex_cancelled_lock_hands_the_lock_on() {
    let m = Mutex::new(0);
    let held = m.try_lock().unwrap();
    let mut a = Box::pin(m.lock());
    let mut b = pin!(m.lock());
    assert!(poll_once(a.as_mut()).is_pending());
    assert!(poll_once(b.as_mut()).is_pending());
    drop(held); // handed to `a` ...
    drop(a); // ... which never saw it
    assert!(
        poll_once(b.as_mut()).is_ready(),
        "the lock was lost with the cancelled waiter"
    );
}

#[test]
fn mutex_guards_owned_and_mapped_unlock_on_drop() {
    let rt = rt();
    rt.block_on(async {
        let m = Arc::new(Mutex::new((0, String::new())));
        let mut g = m.clone().lock_owned().await;
        let h = weft::spawn(async move {
            g.0 += 1;
        });
        h.await.unwrap();
        let mut s = weft::sync::MutexGuard::map(m.lock().await, |t| &mut t.1);
        s.push('x');
        assert!(m.try_lock().is_err());
        drop(s);
        assert_eq!(*m.lock().await, (1, "x".to_string()));
    });
}

#[test]
fn mutex_blocking_lock_inside_a_task_panics() {
    let rt = rt();
    let err = rt
        .block_on(async {
            let m = Arc::new(Mutex::new(0));
            weft::spawn(async move { *m.blocking_lock() += 1 }).await
        })
        .unwrap_err();
    let payload = err.into_panic();
    let msg = payload.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("Mutex::blocking_lock"), "{msg}");
    assert!(msg.contains("lock().await"), "{msg}");
}

#[test]
fn mutex_blocking_lock_works_from_plain_threads() {
    let m = Arc::new(Mutex::new(0));
    let ts: Vec<_> = (0..4)
        .map(|_| {
            let m = m.clone();
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    *m.blocking_lock() += 1;
                }
            })
        })
        .collect();
    for t in ts {
        t.join().unwrap();
    }
    assert_eq!(*m.blocking_lock(), 4000);
}

// ---------------------------------------------------------------- RwLock

#[test]
fn rwlock_readers_share_and_a_writer_excludes() {
    let l = RwLock::new(0);
    let r1 = l.try_read().unwrap();
    let r2 = l.try_read().unwrap();
    assert!(l.try_write().is_err());
    drop((r1, r2));
    let w = l.try_write().unwrap();
    assert!(l.try_read().is_err());
    drop(w);
}

#[test]
fn rwlock_queued_writer_is_not_overtaken_by_later_readers() {
    let l = RwLock::new(0);
    let r = l.try_read().unwrap();
    let mut w = pin!(l.write());
    assert!(poll_once(w.as_mut()).is_pending());
    // A reader arriving after the writer queues behind it.
    assert!(l.try_read().is_err());
    let mut r2 = pin!(l.read());
    assert!(poll_once(r2.as_mut()).is_pending());
    drop(r);
    let Poll::Ready(mut g) = poll_once(w.as_mut()) else {
        panic!("the writer did not get the lock when the reader left")
    };
    *g = 1;
    assert!(poll_once(r2.as_mut()).is_pending());
    drop(g);
    let Poll::Ready(g) = poll_once(r2.as_mut()) else {
        panic!("the reader did not get the lock when the writer left")
    };
    assert_eq!(*g, 1);
}

// ---------------------------------------------------------------- Semaphore

#[test]
fn semaphore_serves_a_large_request_before_later_small_ones() {
    let sem = Semaphore::new(2);
    let held = sem.try_acquire_many(2).unwrap();
    let mut big = pin!(sem.acquire_many(2));
    let mut small = pin!(sem.acquire());
    assert!(poll_once(big.as_mut()).is_pending());
    assert!(poll_once(small.as_mut()).is_pending());
    drop(held);
    assert!(
        poll_once(small.as_mut()).is_pending(),
        "a later small acquire overtook"
    );
    let Poll::Ready(Ok(p)) = poll_once(big.as_mut()) else {
        panic!("the first waiter was not served")
    };
    assert_eq!(p.num_permits(), 2);
    drop(p);
    assert!(poll_once(small.as_mut()).is_ready());
}

#[test]
fn semaphore_is_fifo_across_tasks() {
    let rt = weft::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let order = rt.block_on(async {
        let sem = Arc::new(Semaphore::new(0));
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut hs = Vec::new();
        let queued = Arc::new(AtomicUsize::new(0));
        for i in 0..8 {
            let (sem, order, q) = (sem.clone(), order.clone(), queued.clone());
            hs.push(weft::spawn(async move {
                let mut acquire = pin!(sem.acquire());
                queue(acquire.as_mut()).await;
                q.fetch_add(1, Ordering::SeqCst);
                let _p = acquire.await.unwrap();
                order.lock().unwrap().push(i);
            }));
            // Task i has queued before task i + 1 starts.
            within(
                "the waiter to queue",
                until(|| queued.load(Ordering::SeqCst) == i + 1),
            )
            .await;
        }
        sem.add_permits(1);
        for h in hs {
            within("acquire", h).await.unwrap();
        }
        let v = order.lock().unwrap().clone();
        v
    });
    assert_eq!(order, (0..8).collect::<Vec<_>>());
}

#[test]
fn semaphore_cancelled_waiter_hands_assigned_permits_on() {
    let sem = Semaphore::new(1);
    // `a` wants 3, is assigned the 1 free permit and waits.
    let mut a = Box::pin(sem.acquire_many(3));
    let mut b = pin!(sem.acquire());
    assert!(poll_once(a.as_mut()).is_pending());
    assert!(poll_once(b.as_mut()).is_pending());
    assert_eq!(sem.available_permits(), 0);
    drop(a);
    assert!(poll_once(b.as_mut()).is_ready(), "the assigned permit was lost");
}

#[test]
fn semaphore_cancel_after_grant_returns_every_permit() {
    let sem = Semaphore::new(0);
    let mut a = Box::pin(sem.acquire_many(2));
    assert!(poll_once(a.as_mut()).is_pending());
    sem.add_permits(2); // granted to `a` ...
    assert_eq!(sem.available_permits(), 0);
    drop(a); // ... which is dropped unpolled
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn semaphore_close_fails_waiters_and_keeps_held_permits() {
    let rt = rt();
    rt.block_on(async {
        let sem = Arc::new(Semaphore::new(1));
        let held = sem.clone().acquire_owned().await.unwrap();
        let s2 = sem.clone();
        let waiter = weft::spawn(async move { s2.acquire().await.map(drop) });
        weft::time::sleep(Duration::from_millis(5)).await;
        sem.close();
        let err = within("acquire", waiter).await.unwrap().unwrap_err();
        assert!(err.to_string().contains("closed"), "{err}");
        assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
        assert_eq!(held.num_permits(), 1);
        drop(held);
        assert!(sem.acquire().await.is_err());
    });
}

#[test]
fn semaphore_try_acquire_of_zero_permits_succeeds_behind_a_queue_until_closed() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let mut waiter = pin!(sem.acquire());
    assert!(poll_once(waiter.as_mut()).is_pending());
    // Someone is queued: a real request waits its turn, zero permits do not.
    assert_eq!(sem.try_acquire_many(1).unwrap_err(), TryAcquireError::NoPermits);
    assert_eq!(sem.try_acquire_many(0).unwrap().num_permits(), 0);
    drop(held);
    assert!(matches!(poll_once(waiter.as_mut()), Poll::Ready(Ok(_))));
    sem.close();
    assert_eq!(sem.try_acquire_many(0).unwrap_err(), TryAcquireError::Closed);
}

#[test]
fn semaphore_forget_keeps_permits_out() {
    let sem = Semaphore::new(3);
    sem.try_acquire_many(2).unwrap().forget();
    assert_eq!(sem.available_permits(), 1);
    sem.add_permits(4);
    assert_eq!(sem.available_permits(), 5);
    assert_eq!(sem.forget_permits(10), 5);
}

#[test]
fn acquire_spends_the_cooperative_budget() {
    let sem = Semaphore::new(1000);
    let mut cx = Context::from_waker(Waker::noop());
    let got = weft_task::coop::budget(|| {
        let mut got = 0;
        loop {
            let mut f = pin!(sem.acquire());
            match f.as_mut().poll(&mut cx) {
                Poll::Ready(p) => p.unwrap().forget(),
                Poll::Pending => break got,
            }
            got += 1;
        }
    });
    assert_eq!(got, weft_task::coop::BUDGET as usize);
}

// ---------------------------------------------------------------- Notify

#[test]
fn notify_one_stores_a_single_permit() {
    let n = Notify::new();
    n.notify_one();
    n.notify_one();
    let mut first = pin!(n.notified());
    assert!(poll_once(first.as_mut()).is_ready());
    let mut second = pin!(n.notified());
    assert!(
        poll_once(second.as_mut()).is_pending(),
        "two notify_one stored two permits"
    );
    n.notify_one();
    assert!(poll_once(second.as_mut()).is_ready());
}

#[test]
fn notify_one_wakes_the_longest_waiting() {
    let n = Notify::new();
    let mut a = pin!(n.notified());
    let mut b = pin!(n.notified());
    assert!(poll_once(a.as_mut()).is_pending());
    assert!(poll_once(b.as_mut()).is_pending());
    n.notify_one();
    assert!(poll_once(b.as_mut()).is_pending());
    assert!(poll_once(a.as_mut()).is_ready());
}

#[test]
fn notify_waiters_wakes_all_existing_and_stores_nothing() {
    let n = Notify::new();
    let mut polled = pin!(n.notified());
    assert!(poll_once(polled.as_mut()).is_pending());
    let mut unpolled = pin!(n.notified());
    n.notify_waiters();
    assert!(poll_once(polled.as_mut()).is_ready());
    assert!(
        poll_once(unpolled.as_mut()).is_ready(),
        "a future created before was missed"
    );
    let mut later = pin!(n.notified());
    assert!(
        poll_once(later.as_mut()).is_pending(),
        "notify_waiters stored a permit"
    );
}

#[test]
fn notify_cancelled_waiter_passes_its_notification_on() {
    let n = Notify::new();
    let mut a = Box::pin(n.notified());
    let mut b = pin!(n.notified());
    assert!(poll_once(a.as_mut()).is_pending());
    assert!(poll_once(b.as_mut()).is_pending());
    n.notify_one(); // reaches `a` ...
    drop(a); // ... which never saw it
    assert!(poll_once(b.as_mut()).is_ready(), "the notification was lost");

    // With no other waiter, it goes back into the permit.
    let mut c = Box::pin(n.notified());
    assert!(poll_once(c.as_mut()).is_pending());
    n.notify_one();
    drop(c);
    let mut d = pin!(n.notified());
    assert!(poll_once(d.as_mut()).is_ready(), "the permit was lost");
}

#[test]
fn notify_wakes_a_task_on_another_thread() {
    let rt = rt();
    rt.block_on(async {
        let n = Arc::new(Notify::new());
        let n2 = n.clone();
        let h = weft::spawn(async move { n2.notified().await });
        weft::time::sleep(Duration::from_millis(5)).await;
        n.notify_one();
        within("notified", h).await.unwrap();
    });
}

// ---------------------------------------------------------------- Barrier

#[test]
fn barrier_releases_each_round_with_one_leader() {
    let rt = rt();
    rt.block_on(async {
        let b = Arc::new(Barrier::new(4));
        let passed = Arc::new(AtomicUsize::new(0));
        for _round in 0..3 {
            let hs: Vec<_> = (0..4)
                .map(|_| {
                    let (b, passed) = (b.clone(), passed.clone());
                    weft::spawn(async move {
                        let r = b.wait().await;
                        passed.fetch_add(1, Ordering::SeqCst);
                        r.is_leader()
                    })
                })
                .collect();
            let mut leaders = 0;
            for h in hs {
                leaders += within("barrier", h).await.unwrap() as u32;
            }
            assert_eq!(leaders, 1);
        }
        assert_eq!(passed.load(Ordering::SeqCst), 12);
    });
}

#[test]
fn barrier_holds_until_the_last_arrives() {
    let b = Barrier::new(2);
    let mut first = pin!(b.wait());
    assert!(poll_once(first.as_mut()).is_pending());
    assert!(poll_once(first.as_mut()).is_pending());
    let mut second = pin!(b.wait());
    let Poll::Ready(r) = poll_once(second.as_mut()) else {
        panic!("the last arrival waited")
    };
    assert!(r.is_leader());
    let Poll::Ready(r) = poll_once(first.as_mut()) else {
        panic!("the first arrival was not released")
    };
    assert!(!r.is_leader());
}

// ---------------------------------------------------------------- OnceCell

#[test]
fn once_cell_runs_one_initialiser() {
    let rt = rt();
    rt.block_on(async {
        let cell = Arc::new(OnceCell::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..8)
            .map(|i| {
                let (cell, runs) = (cell.clone(), runs.clone());
                weft::spawn(async move {
                    *cell
                        .get_or_init(|| async {
                            runs.fetch_add(1, Ordering::SeqCst);
                            weft::time::sleep(Duration::from_millis(5)).await;
                            i
                        })
                        .await
                })
            })
            .collect();
        let mut vals = Vec::new();
        for h in hs {
            vals.push(within("get_or_init", h).await.unwrap());
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(vals.iter().all(|v| *v == vals[0]));
    });
}

#[test]
fn once_cell_cancelled_or_failed_init_lets_the_next_one_run() {
    let rt = rt();
    rt.block_on(async {
        let cell = OnceCell::new();
        let slow = weft::time::timeout(
            Duration::from_millis(5),
            cell.get_or_init(std::future::pending::<u8>),
        );
        assert!(slow.await.is_err());
        assert!(cell.get_or_try_init(|| async { Err("no") }).await.is_err());
        assert!(cell.get().is_none());
        assert_eq!(*cell.get_or_init(|| async { 2 }).await, 2);
        assert!(cell.set(3).unwrap_err().is_already_init_err());
    });
}

#[test]
fn once_cell_set_during_init_says_so() {
    let cell = OnceCell::new();
    let mut init = pin!(cell.get_or_init(std::future::pending::<u8>));
    assert!(poll_once(init.as_mut()).is_pending());
    let err = cell.set(1).unwrap_err();
    assert!(err.is_initializing_err());
    assert!(err.to_string().contains("being initialised"), "{err}");
}

/// Polls `f` once inside the task; drops it if it is not ready (a
/// cancellation at a random point of the protocol).
async fn poll_once_or_cancel<F: Future>(f: F) -> Option<F::Output> {
    let mut f = pin!(f);
    match std::future::poll_fn(|cx| Poll::Ready(f.as_mut().poll(cx))).await {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

#[test]
fn semaphore_never_over_grants_under_contention_and_cancellation() {
    const PERMITS: usize = 3;
    let rt = rt();
    rt.block_on(async {
        let sem = Arc::new(Semaphore::new(PERMITS));
        let inside = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..16u32)
            .map(|t| {
                let (sem, inside) = (sem.clone(), inside.clone());
                weft::spawn(async move {
                    for i in 0..2_000u32 {
                        let k = 1 + (t + i) % PERMITS as u32;
                        let permit = if (t + i) % 5 == 0 {
                            // Sometimes give up at once, mid-queue.
                            match poll_once_or_cancel(sem.acquire_many(k)).await {
                                Some(p) => p.unwrap(),
                                None => continue,
                            }
                        } else {
                            sem.acquire_many(k).await.unwrap()
                        };
                        let now = inside.fetch_add(k as usize, Ordering::SeqCst) + k as usize;
                        assert!(now <= PERMITS, "{now} permits held of {PERMITS}");
                        if i % 7 == 0 {
                            weft::task::yield_now().await;
                        }
                        inside.fetch_sub(k as usize, Ordering::SeqCst);
                        drop(permit);
                    }
                })
            })
            .collect();
        for h in hs {
            within("stress task", h).await.unwrap();
        }
        assert_eq!(sem.available_permits(), PERMITS, "permits lost or made up");
    });
}

#[test]
fn rwlock_readers_never_see_a_writer_under_contention() {
    let rt = rt();
    rt.block_on(async {
        let lock = Arc::new(RwLock::new((0u64, 0u64)));
        let hs: Vec<_> = (0..8u32)
            .map(|t| {
                let lock = lock.clone();
                weft::spawn(async move {
                    for i in 0..1_000u32 {
                        if (t + i) % 4 == 0 {
                            let mut w = lock.write().await;
                            w.0 += 1;
                            weft::task::yield_now().await;
                            w.1 += 1;
                        } else {
                            let r = lock.read().await;
                            assert_eq!(r.0, r.1, "a reader saw a write half done");
                        }
                    }
                })
            })
            .collect();
        for h in hs {
            within("stress task", h).await.unwrap();
        }
        let g = lock.read().await;
        assert_eq!(g.0, 2_000);
    });
}

#[test]
fn notify_last_wakes_the_newest_waiter_first() {
    let n = Notify::new();
    let mut a = pin!(n.notified());
    let mut b = pin!(n.notified());
    let mut c = pin!(n.notified());
    assert!(poll_once(a.as_mut()).is_pending());
    assert!(poll_once(b.as_mut()).is_pending());
    assert!(poll_once(c.as_mut()).is_pending());
    n.notify_last();
    assert!(
        poll_once(c.as_mut()).is_ready(),
        "the newest waiter was not chosen"
    );
    assert!(poll_once(a.as_mut()).is_pending());
    assert!(poll_once(b.as_mut()).is_pending());
    n.notify_last();
    assert!(poll_once(b.as_mut()).is_ready());
    assert!(poll_once(a.as_mut()).is_pending());
}

#[test]
fn notify_last_with_no_waiter_stores_a_permit() {
    let n = Notify::new();
    n.notify_last();
    let mut a = pin!(n.notified());
    assert!(poll_once(a.as_mut()).is_ready());
}

#[test]
fn owned_mapped_mutex_guard_holds_the_lock_until_dropped() {
    use weft::sync::OwnedMutexGuard;
    let m = Arc::new(Mutex::new((1u8, String::from("a"))));
    let g = m.clone().try_lock_owned().unwrap();
    let mut s = OwnedMutexGuard::map(g, |t| &mut t.1);
    s.push('b');
    assert!(m.try_lock().is_err(), "the mapped guard released the lock");
    drop(s);
    assert_eq!(m.try_lock().unwrap().1, "ab");
    let g = m.clone().try_lock_owned().unwrap();
    let g = OwnedMutexGuard::try_map(g, |_| None::<&mut u8>).unwrap_err();
    assert!(m.try_lock().is_err(), "a declined try_map released the lock");
    drop(g);
    assert!(m.try_lock().is_ok());
}

#[test]
fn rwlock_owned_guards_exclude_as_the_borrowed_ones_do() {
    use weft::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard};
    let l = Arc::new(RwLock::new((1u8, 2u8)));
    let r1 = l.clone().try_read_owned().unwrap();
    let r2 = OwnedRwLockReadGuard::map(l.clone().try_read_owned().unwrap(), |t| &t.1);
    assert_eq!((r1.0, *r2), (1, 2));
    assert!(
        l.clone().try_write_owned().is_err(),
        "a writer got in beside readers"
    );
    drop((r1, r2));
    let w = l.clone().try_write_owned().unwrap();
    assert!(
        l.clone().try_read_owned().is_err(),
        "a reader got in beside a writer"
    );
    let mut first = OwnedRwLockWriteGuard::map(w, |t| &mut t.0);
    *first = 9;
    assert!(l.try_read().is_err(), "the mapped write guard released the lock");
    drop(first);
    let w = l.clone().try_write_owned().unwrap();
    let r = OwnedRwLockWriteGuard::downgrade(w);
    assert!(l.try_read().is_ok());
    assert!(l.try_write().is_err(), "a downgraded guard let a writer in");
    drop(r);
    assert_eq!(*l.try_read().unwrap(), (9, 2));
}

#[test]
fn rwlock_owned_write_waits_for_the_readers() {
    rt().block_on(async {
        let l = Arc::new(RwLock::new(0u32));
        let r = l.clone().read_owned().await;
        let l2 = l.clone();
        let writer = weft::spawn(async move {
            *l2.write_owned().await += 1;
        });
        weft::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(*r, 0);
        drop(r);
        within("write_owned", writer).await.unwrap();
        assert_eq!(*l.read().await, 1);
    });
}

#[test]
fn rwlock_mapped_guards_hold_their_permits() {
    use weft::sync::{RwLockReadGuard, RwLockWriteGuard};
    let l = RwLock::new((1u8, 2u8));
    let r = RwLockReadGuard::map(l.try_read().unwrap(), |t| &t.0);
    assert_eq!(*r, 1);
    assert!(l.try_write().is_err());
    drop(r);
    let r = RwLockReadGuard::try_map(l.try_read().unwrap(), |_| None::<&u8>).unwrap_err();
    assert!(
        l.try_write().is_err(),
        "a declined try_map released the read lock"
    );
    drop(r);
    let mut w = RwLockWriteGuard::map(l.try_write().unwrap(), |t| &mut t.1);
    *w = 5;
    assert!(l.try_read().is_err(), "the mapped write guard released the lock");
    drop(w);
    assert_eq!(*l.try_read().unwrap(), (1, 5));
}
