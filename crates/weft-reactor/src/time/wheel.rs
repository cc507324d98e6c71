//! The hierarchical timing wheel: O(1) insert and cancel, amortised O(1)
//! expiry.
//!
//! Six levels of 64 slots. A slot at level `l` covers `64^l` ticks (1 ms
//! each), so level 0 holds the next 64 ms one tick per slot, level 1 the next
//! 4 s in 64 ms slots, and so on up to level 5 (about 2.2 years per turn).
//! The layout and the level/slot arithmetic are tokio's.
//!
//! * **Insert**: the level is the highest 6-bit group in which `when` and
//!   the wheel's `elapsed` tick differ; the slot is `when`'s bits in that
//!   group. Constant time.
//! * **Cancel**: every slot is a doubly linked list threaded through a
//!   [`Slab`] by index, so removing an entry by its key unlinks it in
//!   constant time, with no `unsafe` (the links are indices, not pointers).
//! * **Expiry**: the next expiration is the first occupied slot of the lowest
//!   non-empty level (a `u64` bitmap per level finds it with one
//!   `trailing_zeros`). Expiring a level-0 slot fires its entries; expiring a
//!   higher slot re-inserts its entries, which cascade to lower levels. Each
//!   entry cascades at most five times.
//!
//! Entries whose deadline is reached are moved to a *pending* list and handed
//! out one at a time by [`Wheel::poll`], so the caller can fire them in
//! batches and drop its lock in between; a pending entry can still be
//! cancelled in O(1).
//!
//! The wheel is a plain data structure: the caller (the timer driver) holds
//! it under a lock and maps `Instant`s to ticks.

use slab::Slab;

const LEVELS: usize = 6;
const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
/// Entries further than this from `elapsed` go to the top level and are
/// re-inserted each time its slot comes round (never fired early).
pub(crate) const MAX_DURATION: u64 = (1 << (SLOT_BITS as usize * LEVELS)) - 1;
/// List index of the pending (expired, not yet handed out) list.
const PENDING: usize = LEVELS * SLOTS;

struct Node<T> {
    when: u64,
    list: usize,
    prev: Option<usize>,
    next: Option<usize>,
    value: T,
}

struct Expiration {
    level: usize,
    slot: usize,
    deadline: u64,
}

/// A timing wheel holding values of type `T`, keyed by slab index.
pub(crate) struct Wheel<T> {
    elapsed: u64,
    nodes: Slab<Node<T>>,
    /// Head of each slot's list, then the pending list at `PENDING`.
    heads: Vec<Option<usize>>,
    occupied: [u64; LEVELS],
}

fn slot_range(level: usize) -> u64 {
    1 << (SLOT_BITS as usize * level)
}

fn level_for(elapsed: u64, when: u64) -> usize {
    let mut masked = (elapsed ^ when) | (SLOTS as u64 - 1);
    if masked >= MAX_DURATION {
        masked = MAX_DURATION - 1;
    }
    let significant = 63 - masked.leading_zeros() as usize;
    significant / SLOT_BITS as usize
}

impl<T> Wheel<T> {
    pub(crate) fn new() -> Self {
        Wheel {
            elapsed: 0,
            nodes: Slab::new(),
            heads: vec![None; LEVELS * SLOTS + 1],
            occupied: [0; LEVELS],
        }
    }

    /// Number of entries (in slots or pending).
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Inserts `value` to fire at tick `when`. Returns `Err(value)` if `when`
    /// is not after [`elapsed`](Self::elapsed): the deadline has passed and
    /// the caller should treat the timer as fired.
    pub(crate) fn insert(&mut self, when: u64, value: T) -> Result<usize, T> {
        if when <= self.elapsed {
            return Err(value);
        }
        let key = self.nodes.insert(Node {
            when,
            list: 0,
            prev: None,
            next: None,
            value,
        });
        self.place(key);
        Ok(key)
    }

    /// Removes the entry `key` (in a slot or pending) in O(1).
    ///
    /// # Panics
    /// If `key` is not a live entry.
    pub(crate) fn remove(&mut self, key: usize) -> T {
        self.unlink(key);
        self.nodes.remove(key).value
    }

    /// Pops one entry whose deadline is at or before `now`, advancing the
    /// wheel as needed. Returns `None` when nothing more is due; the wheel's
    /// `elapsed` is then `now` (or more, if it already was).
    pub(crate) fn poll(&mut self, now: u64) -> Option<(usize, T)> {
        loop {
            if let Some(key) = self.heads[PENDING] {
                return Some((key, self.remove(key)));
            }
            match self.next_expiration() {
                Some(exp) if exp.deadline <= now => self.expire(exp),
                _ => {
                    self.elapsed = self.elapsed.max(now);
                    return None;
                }
            }
        }
    }

    /// The tick at which [`poll`](Self::poll) next has work: an entry to fire
    /// or a slot to cascade. `None` if the wheel is empty.
    pub(crate) fn next_expiration_tick(&self) -> Option<u64> {
        if self.heads[PENDING].is_some() {
            return Some(self.elapsed);
        }
        self.next_expiration().map(|e| e.deadline)
    }

    /// Removes and returns every entry, in no particular order.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        self.heads.iter_mut().for_each(|h| *h = None);
        self.occupied = [0; LEVELS];
        self.nodes.drain().map(|n| n.value).collect()
    }

    fn next_expiration(&self) -> Option<Expiration> {
        for level in 0..LEVELS {
            let occupied = self.occupied[level];
            if occupied == 0 {
                continue;
            }
            let slot_range = slot_range(level);
            let level_range = slot_range * SLOTS as u64;
            let now_slot = ((self.elapsed / slot_range) % SLOTS as u64) as u32;
            let zeros = occupied.rotate_right(now_slot).trailing_zeros();
            let slot = ((zeros + now_slot) as usize) % SLOTS;
            let level_start = self.elapsed & !(level_range - 1);
            let mut deadline = level_start + slot as u64 * slot_range;
            if deadline <= self.elapsed && level > 0 {
                // Only the top level wraps (entries beyond MAX_DURATION):
                // a slot "behind" us is one turn ahead.
                deadline += level_range;
            }
            return Some(Expiration {
                level,
                slot,
                deadline,
            });
        }
        None
    }

    fn expire(&mut self, exp: Expiration) {
        let list = exp.level * SLOTS + exp.slot;
        let mut cursor = self.heads[list].take();
        self.occupied[exp.level] &= !(1 << exp.slot);
        self.elapsed = self.elapsed.max(exp.deadline);
        while let Some(key) = cursor {
            cursor = self.nodes[key].next;
            let node = &mut self.nodes[key];
            node.prev = None;
            node.next = None;
            self.place(key);
        }
    }

    /// Links `key` into the list its deadline belongs to now: pending if due.
    fn place(&mut self, key: usize) {
        let when = self.nodes[key].when;
        let list = if when <= self.elapsed {
            PENDING
        } else {
            let level = level_for(self.elapsed, when);
            let slot = ((when >> (SLOT_BITS as usize * level)) as usize) % SLOTS;
            self.occupied[level] |= 1 << slot;
            level * SLOTS + slot
        };
        let old_head = self.heads[list].replace(key);
        let node = &mut self.nodes[key];
        node.list = list;
        node.prev = None;
        node.next = old_head;
        if let Some(h) = old_head {
            self.nodes[h].prev = Some(key);
        }
    }

    fn unlink(&mut self, key: usize) {
        let (list, prev, next) = {
            let n = &self.nodes[key];
            (n.list, n.prev, n.next)
        };
        match prev {
            Some(p) => self.nodes[p].next = next,
            None => self.heads[list] = next,
        }
        if let Some(n) = next {
            self.nodes[n].prev = prev;
        }
        if list != PENDING && self.heads[list].is_none() {
            self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn drain_until(wheel: &mut Wheel<u64>, now: u64) -> Vec<u64> {
        let mut out = Vec::new();
        while let Some((_, v)) = wheel.poll(now) {
            out.push(v);
        }
        out
    }

    #[test]
    fn entries_fire_at_their_tick_never_before() {
        let mut wheel = Wheel::new();
        let whens = [1u64, 2, 63, 64, 65, 100, 4095, 4096, 4097, 300_000, 20_000_000];
        for &w in &whens {
            wheel.insert(w, w).unwrap();
        }
        let mut fired = Vec::new();
        let mut now = 0;
        while wheel.len() > 0 {
            // Jump straight to the next tick with work, as the poller does.
            now = wheel.next_expiration_tick().unwrap().max(now);
            for v in drain_until(&mut wheel, now) {
                assert!(v <= now, "entry for {v} fired at {now}");
                assert_eq!(v, now, "entry for {v} fired late at {now}");
                fired.push(v);
            }
        }
        assert_eq!(fired, whens);
    }

    #[test]
    fn coarse_polling_fires_everything_due() {
        let mut wheel = Wheel::new();
        for w in 1..=5000u64 {
            wheel.insert(w * 7, w * 7).unwrap();
        }
        let mut count = 0;
        for now in (0..=35_333).step_by(333) {
            for v in drain_until(&mut wheel, now) {
                assert!(v <= now);
                count += 1;
            }
        }
        assert_eq!(count, 5000);
    }

    #[test]
    fn cancel_is_constant_time_unlink() {
        let mut wheel = Wheel::new();
        let a = wheel.insert(10, 10).unwrap();
        let b = wheel.insert(10, 11).unwrap();
        let c = wheel.insert(10, 12).unwrap();
        assert_eq!(wheel.remove(b), 11);
        assert_eq!(wheel.remove(a), 10);
        let got = drain_until(&mut wheel, 10);
        assert_eq!(got, vec![12]);
        let _ = c;
        assert_eq!(wheel.len(), 0);
        assert_eq!(wheel.next_expiration_tick(), None);
    }

    #[test]
    fn past_deadline_is_refused() {
        let mut wheel: Wheel<u8> = Wheel::new();
        assert!(drain_until_u8(&mut wheel, 50).is_empty());
        assert_eq!(wheel.insert(50, 1), Err(1));
        assert!(wheel.insert(51, 1).is_ok());
    }

    fn drain_until_u8(wheel: &mut Wheel<u8>, now: u64) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some((_, v)) = wheel.poll(now) {
            out.push(v);
        }
        out
    }

    #[test]
    fn far_future_entries_wrap_the_top_level_without_firing_early() {
        let mut wheel = Wheel::new();
        let far = MAX_DURATION * 2 + 12345;
        wheel.insert(far, far).unwrap();
        loop {
            let now = wheel.next_expiration_tick().unwrap();
            let got = drain_until(&mut wheel, now);
            if !got.is_empty() {
                assert_eq!(got, vec![far]);
                assert_eq!(now, far);
                break;
            }
        }
    }
}
