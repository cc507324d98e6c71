//! The fair, batch-acquiring semaphore under `Semaphore`, `Mutex`,
//! `RwLock`, `OnceCell` and the bounded `mpsc` channel.
//!
//! # State
//!
//! One atomic word holds the free permits (shifted left by two), a
//! `QUEUED` bit and a `CLOSED` bit. A mutex holds the [`WaitList`] of
//! acquirers. `QUEUED` is set exactly while the list is non-empty, and is
//! only set or cleared by a holder of the mutex.
//!
//! # Rules
//!
//! 1. **FIFO, with a fast path.** An acquire or release that finds
//!    `QUEUED` clear works on the word alone (one compare-and-swap): with
//!    nobody waiting, taking free permits or adding them cannot overtake
//!    anyone. Once `QUEUED` is set, `try_acquire` fails and `release` takes
//!    the mutex, so while anyone waits, the permits change only under the
//!    mutex. The front waiter may be given permits a few at a time
//!    (`assigned`) until it has all it asked for, so a large acquire (an
//!    `RwLock` writer) is not starved by a stream of small ones.
//! 2. **Queueing is one CAS.** An acquirer that cannot proceed takes the
//!    mutex and, in one CAS on the word, sets `QUEUED` (taking what is free
//!    if it becomes the front). A concurrent fast release either lands
//!    before that CAS (which then fails and retries, seeing the permits) or
//!    after it (it sees `QUEUED`, takes the mutex and hands its permits to
//!    the queue). No permit is left free while someone waits for it.
//! 3. **Hand-over is decided by the releaser.** A waiter whose request is
//!    complete is unlinked and marked `granted` under the mutex; its
//!    permits are then its own, whether or not its future ever runs again.
//! 4. **Cancellation gives back.** A future dropped while queued returns
//!    the permits it was assigned; one dropped after it was granted (rule
//!    3) but before it saw it returns all of them. Both go to the queue
//!    front first: a permit is never lost.
//! 5. **Close** sets `CLOSED`, wakes every queued waiter (they fail) and
//!    makes every later acquire fail; permits already held stay valid.
//!
//! Rule 2 and rule 4's second case are the races the loom models in
//! `loom-tests/tests/sync_semaphore.rs` check.

use std::task::{Context, Poll};

use crate::sync::{lock, AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::wait_list::{WaitList, Wakers};

/// The largest number of permits a semaphore can hold (tokio's limit, so
/// `usize::MAX >> 3`: sums of permits never overflow the shifted word).
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

/// Someone waits in the list.
const QUEUED: usize = 0b01;
/// `close` was called.
const CLOSED: usize = 0b10;
/// Permits start at this bit.
const SHIFT: u32 = 2;

#[derive(Debug)]
pub(crate) struct RawSemaphore {
    /// `permits << SHIFT | QUEUED | CLOSED`.
    word: AtomicUsize,
    waiters: Mutex<WaitList<Want>>,
}

#[derive(Debug)]
struct Want {
    needed: usize,
    assigned: usize,
    granted: bool,
}

/// The semaphore was closed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Closed;

/// Why a `try_acquire` failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TryAcquire {
    Closed,
    NoPermits,
}

fn permits(word: usize) -> usize {
    word >> SHIFT
}

impl RawSemaphore {
    #[cfg(not(loom))]
    pub(crate) const fn new(permits: usize) -> Self {
        assert!(
            permits <= MAX_PERMITS,
            "a weft::sync semaphore holds at most usize::MAX >> 3 permits"
        );
        RawSemaphore {
            word: AtomicUsize::new(permits << SHIFT),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new(permits: usize) -> Self {
        RawSemaphore {
            word: AtomicUsize::new(permits << SHIFT),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    pub(crate) fn available_permits(&self) -> usize {
        permits(self.word.load(Ordering::Acquire))
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.word.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Takes `n` permits now, if nobody is queued and they are free
    /// (rule 1).
    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquire> {
        let mut cur = self.word.load(Ordering::Acquire);
        loop {
            if cur & CLOSED != 0 {
                return Err(TryAcquire::Closed);
            }
            if n == 0 {
                // Zero permits take nothing from anyone queued (tokio's
                // answer too).
                return Ok(());
            }
            if cur & QUEUED != 0 || permits(cur) < n {
                return Err(TryAcquire::NoPermits);
            }
            match self.word.compare_exchange_weak(
                cur,
                cur - (n << SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => cur = actual,
            }
        }
    }

    /// Adds `n` permits, handing them to the queue front first.
    ///
    /// # Panics
    ///
    /// If the total would exceed [`MAX_PERMITS`].
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        // Rule 1: with nobody queued, one CAS.
        let mut cur = self.word.load(Ordering::Acquire);
        while cur & QUEUED == 0 {
            self.check_room(cur, n);
            match self.word.compare_exchange_weak(
                cur,
                cur + (n << SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
        let wakers = {
            let mut list = lock(&self.waiters);
            let cur = self.word.load(Ordering::Acquire);
            self.check_room(cur, n);
            self.word.fetch_add(n << SHIFT, Ordering::AcqRel);
            self.assign(&mut list)
        };
        wakers.wake_all();
    }

    fn check_room(&self, word: usize, n: usize) {
        assert!(
            permits(word) + n <= MAX_PERMITS,
            "weft::sync::Semaphore: adding {n} permits to {} exceeds the maximum of \
             usize::MAX >> 3",
            permits(word)
        );
    }

    /// Removes up to `n` free permits; returns how many were removed.
    pub(crate) fn forget_permits(&self, n: usize) -> usize {
        let mut cur = self.word.load(Ordering::Acquire);
        loop {
            let k = n.min(permits(cur));
            match self.word.compare_exchange_weak(
                cur,
                cur - (k << SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return k,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Closes the semaphore (rule 5).
    pub(crate) fn close(&self) {
        let wakers = {
            let mut list = lock(&self.waiters);
            self.word.fetch_or(CLOSED, Ordering::AcqRel);
            let mut returned = 0;
            let w = list.drain(|want| {
                returned += want.assigned;
                want.assigned = 0;
            });
            self.word.fetch_add(returned << SHIFT, Ordering::AcqRel);
            self.word.fetch_and(!QUEUED, Ordering::AcqRel);
            w
        };
        wakers.wake_all();
    }

    /// One poll of an acquire of `n` permits whose slot (if queued) is
    /// `*key`. On `Ready`, `*key` is `None` again.
    pub(crate) fn poll_acquire(
        &self,
        cx: &mut Context<'_>,
        n: usize,
        key: &mut Option<usize>,
    ) -> Poll<Result<(), Closed>> {
        let Some(k) = *key else {
            if n == 0 {
                // Nothing to wait for (tokio's `acquire_many(0)` too).
                return Poll::Ready(if self.is_closed() { Err(Closed) } else { Ok(()) });
            }
            // The fast path first (rule 1).
            match self.try_acquire(n) {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(TryAcquire::Closed) => return Poll::Ready(Err(Closed)),
                Err(TryAcquire::NoPermits) => {}
            }
            return self.queue(cx, n, key);
        };
        let mut list = lock(&self.waiters);
        if list.get(k).data.granted {
            // Rule 3: the releaser made them ours.
            list.remove(k);
            *key = None;
            return Poll::Ready(Ok(()));
        }
        if self.is_closed() {
            // Rule 5 (`close` already took back what was assigned).
            list.remove(k);
            *key = None;
            return Poll::Ready(Err(Closed));
        }
        list.set_waker(k, cx);
        Poll::Pending
    }

    /// The slow path of a first poll: queue (rule 2), unless the permits
    /// came free meanwhile.
    fn queue(&self, cx: &mut Context<'_>, n: usize, key: &mut Option<usize>) -> Poll<Result<(), Closed>> {
        let mut list = lock(&self.waiters);
        let mut cur = self.word.load(Ordering::Acquire);
        let assigned = loop {
            if cur & CLOSED != 0 {
                return Poll::Ready(Err(Closed));
            }
            let (next, assigned) = if cur & QUEUED != 0 {
                // Behind others: nothing is free for us (rule 1).
                break 0;
            } else if permits(cur) >= n {
                (cur - (n << SHIFT), None)
            } else {
                // We become the front: take what is free, and mark the
                // queue non-empty in the same CAS.
                ((cur - (permits(cur) << SHIFT)) | QUEUED, Some(permits(cur)))
            };
            match self
                .word
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => match assigned {
                    None => return Poll::Ready(Ok(())),
                    Some(a) => break a,
                },
                Err(actual) => cur = actual,
            }
        };
        let want = Want {
            needed: n,
            assigned,
            granted: false,
        };
        *key = Some(list.push_back(want, Some(cx.waker())));
        Poll::Pending
    }

    /// Drops the acquire queued at `key` (rule 4).
    pub(crate) fn cancel(&self, key: usize) {
        let wakers = {
            let mut list = lock(&self.waiters);
            let want = list.remove(key);
            // Granted (rule 3): it was assigned all it needed; queued: part
            // of it. Either way, what it was assigned goes back.
            self.word.fetch_add(want.assigned << SHIFT, Ordering::AcqRel);
            self.assign(&mut list)
        };
        wakers.wake_all();
    }

    /// Hands free permits to the queue front until they run out or the
    /// queue does (rules 1 and 3), clearing `QUEUED` once it is empty.
    /// Returns the wakers of the waiters it completed.
    fn assign(&self, list: &mut MutexGuard<'_, WaitList<Want>>) -> Wakers {
        let mut wakers = Wakers::new();
        while let Some(front) = list.front() {
            // With `QUEUED` set, only mutex holders change the permits.
            let free = permits(self.word.load(Ordering::Acquire));
            if free == 0 {
                return wakers;
            }
            let want = &mut list.get_mut(front).data;
            let give = (want.needed - want.assigned).min(free);
            want.assigned += give;
            self.word.fetch_sub(give << SHIFT, Ordering::AcqRel);
            if want.assigned < want.needed {
                return wakers;
            }
            want.granted = true;
            list.pop_front();
            if let Some(w) = list.take_waker(front) {
                wakers.push(w);
            }
        }
        self.word.fetch_and(!QUEUED, Ordering::AcqRel);
        wakers
    }
}

/// An acquire of `n` permits of a [`RawSemaphore`] as a future; dropping it
/// before it completes gives its permits back (rule 3).
#[derive(Debug)]
pub(crate) struct Acquire<'a> {
    sem: &'a RawSemaphore,
    n: usize,
    key: Option<usize>,
}

impl<'a> Acquire<'a> {
    pub(crate) fn new(sem: &'a RawSemaphore, n: usize) -> Self {
        Acquire { sem, n, key: None }
    }

    /// Leaves the queue now if this acquire waits in it (rule 4: what it
    /// was assigned or granted goes back, to the queue front first).
    /// Returns `true` if it was queued, so the caller can tell whoever
    /// waits for permits coming back (the bounded `mpsc` receiver).
    pub(crate) fn cancel(&mut self) -> bool {
        match self.key.take() {
            Some(k) => {
                self.sem.cancel(k);
                true
            }
            None => false,
        }
    }
}

impl std::future::Future for Acquire<'_> {
    type Output = Result<(), Closed>;
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        // Every acquire spends a unit of the task's budget.
        let Poll::Ready(guard) = weft_task::coop::poll_proceed(cx) else {
            return Poll::Pending;
        };
        let out = this.sem.poll_acquire(cx, this.n, &mut this.key);
        if out.is_ready() {
            guard.made_progress();
        }
        out
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.cancel();
    }
}
