//! The waiter list every primitive in this crate is built on: a FIFO of
//! waiting futures, kept in a slab and linked through the slab's indices,
//! always under its owner's mutex.
//!
//! # Protocol
//!
//! A waiting future owns one *slot*: it is given a key by [`WaitList::push_back`]
//! and is the only one that ever frees the slot ([`WaitList::remove`]), on
//! completion or on drop. The notifying side never frees a slot: it only
//! *unlinks* it from the queue ([`WaitList::pop_front`]) and writes the news
//! (permits handed over, "notified") into the slot's data. So a key held by a
//! future always names that future's own slot: the slab cannot reuse it
//! behind the future's back, and there is no ABA.
//!
//! Each primitive keeps this invariant: a slot is *linked* while its future
//! still waits, and unlinked once the notifier has decided its outcome. A
//! future dropped while linked just leaves the queue; a future dropped after
//! being unlinked has been handed something (a permit, a notification) that
//! it never observed, and its owner hands that on (`Semaphore` releases the
//! permits, `Notify` notifies the next waiter). That hand-on is what the loom
//! models in `loom-tests/tests/sync_*.rs` check.
//!
//! Wakers are taken out under the lock and called after it is released, so
//! no foreign code runs under any of this crate's locks.

use std::task::{Context, Waker};

use slab::Slab;

/// One waiting future.
#[derive(Debug)]
pub(crate) struct Node<T> {
    prev: Option<usize>,
    next: Option<usize>,
    linked: bool,
    waker: Option<Waker>,
    /// The primitive's per-waiter state (permits wanted, notified, ...).
    pub(crate) data: T,
}

/// A FIFO of waiters; see the module docs.
#[derive(Debug)]
pub(crate) struct WaitList<T> {
    slab: Slab<Node<T>>,
    head: Option<usize>,
    tail: Option<usize>,
}

impl<T> WaitList<T> {
    /// An empty list (no allocation until the first waiter).
    pub(crate) const fn new() -> Self {
        WaitList {
            slab: Slab::new(),
            head: None,
            tail: None,
        }
    }

    /// Links a new waiter at the back; returns its key.
    pub(crate) fn push_back(&mut self, data: T, waker: Option<&Waker>) -> usize {
        let key = self.slab.insert(Node {
            prev: self.tail,
            next: None,
            linked: true,
            waker: waker.cloned(),
            data,
        });
        match self.tail {
            Some(t) => self.slab[t].next = Some(key),
            None => self.head = Some(key),
        }
        self.tail = Some(key);
        key
    }

    /// The first linked waiter.
    pub(crate) fn front(&self) -> Option<usize> {
        self.head
    }

    /// Unlinks the first waiter and returns its key; its slot stays, for
    /// its future to read and free.
    pub(crate) fn pop_front(&mut self) -> Option<usize> {
        let key = self.head?;
        self.unlink(key);
        Some(key)
    }

    /// Unlinks the last waiter (the newest) and returns its key; its slot
    /// stays, as with [`pop_front`](Self::pop_front).
    pub(crate) fn pop_back(&mut self) -> Option<usize> {
        let key = self.tail?;
        self.unlink(key);
        Some(key)
    }

    /// Unlinks `key` if it is linked (a no-op otherwise).
    pub(crate) fn unlink(&mut self, key: usize) {
        let node = &mut self.slab[key];
        if !node.linked {
            return;
        }
        node.linked = false;
        let (prev, next) = (node.prev.take(), node.next.take());
        match prev {
            Some(p) => self.slab[p].next = next,
            None => self.head = next,
        }
        match next {
            Some(n) => self.slab[n].prev = prev,
            None => self.tail = prev,
        }
    }

    /// Unlinks (if needed) and frees `key`, returning its data. Only the
    /// future that owns the slot calls this.
    pub(crate) fn remove(&mut self, key: usize) -> T {
        self.unlink(key);
        self.slab.remove(key).data
    }

    /// `true` while `key` waits in the queue.
    pub(crate) fn is_linked(&self, key: usize) -> bool {
        self.slab[key].linked
    }

    /// The waiter's node.
    pub(crate) fn get(&self, key: usize) -> &Node<T> {
        &self.slab[key]
    }

    /// The waiter's node, mutably.
    pub(crate) fn get_mut(&mut self, key: usize) -> &mut Node<T> {
        &mut self.slab[key]
    }

    /// Stores `cx`'s waker for `key`, unless the one stored would wake the
    /// same task.
    pub(crate) fn set_waker(&mut self, key: usize, cx: &Context<'_>) {
        let slot = &mut self.slab[key].waker;
        match slot {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
    }

    /// Takes `key`'s waker, to be woken after the lock is released.
    pub(crate) fn take_waker(&mut self, key: usize) -> Option<Waker> {
        self.slab[key].waker.take()
    }

    /// Unlinks every waiter, calling `f` on each one's data, and returns
    /// their wakers.
    pub(crate) fn drain(&mut self, mut f: impl FnMut(&mut T)) -> Wakers {
        let mut wakers = Wakers::new();
        while let Some(key) = self.pop_front() {
            let node = &mut self.slab[key];
            f(&mut node.data);
            if let Some(w) = node.waker.take() {
                wakers.push(w);
            }
        }
        wakers
    }
}

/// Wakers taken out of a list under its lock, to be woken after it.
///
/// Most hand-overs wake one waiter, so the first waker is kept inline and
/// only a batch allocates.
#[derive(Default)]
pub(crate) struct Wakers {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl Wakers {
    pub(crate) const fn new() -> Self {
        Wakers {
            first: None,
            rest: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, w: Waker) {
        if self.first.is_none() {
            self.first = Some(w);
        } else {
            self.rest.push(w);
        }
    }

    /// Wakes them all. One waker's panic goes to the caller, as a direct
    /// wake would; in a batch, each is contained so the rest are still
    /// woken.
    pub(crate) fn wake_all(self) {
        let Some(first) = self.first else { return };
        if self.rest.is_empty() {
            first.wake();
            return;
        }
        for w in std::iter::once(first).chain(self.rest) {
            weft_task::foreign::contain("a waker woken by weft::sync", || w.wake());
        }
    }
}

impl<T> Node<T> {
    /// `true` while the waiter is in the queue.
    #[allow(dead_code)]
    pub(crate) fn is_linked(&self) -> bool {
        self.linked
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn pops_in_push_order_and_skips_unlinked() {
        let mut l = WaitList::new();
        let a = l.push_back('a', None);
        let b = l.push_back('b', None);
        let c = l.push_back('c', None);
        l.unlink(b);
        assert_eq!(l.pop_front(), Some(a));
        assert_eq!(l.pop_front(), Some(c));
        assert_eq!(l.pop_front(), None);
        assert_eq!(l.front(), None);
        // Slots stay until their owner frees them.
        assert_eq!(l.remove(a), 'a');
        assert_eq!(l.remove(b), 'b');
        assert_eq!(l.remove(c), 'c');
    }

    #[test]
    fn removing_the_middle_keeps_the_ends_linked() {
        let mut l = WaitList::new();
        let a = l.push_back(1, None);
        let b = l.push_back(2, None);
        let c = l.push_back(3, None);
        assert_eq!(l.remove(b), 2);
        assert_eq!(l.remove(c), 3);
        let d = l.push_back(4, None);
        assert_eq!(l.pop_front(), Some(a));
        assert_eq!(l.pop_front(), Some(d));
        assert_eq!(l.front(), None);
    }
}
