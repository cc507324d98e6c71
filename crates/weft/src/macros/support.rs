//! What the `select!` and `join!` expansions call at run time.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

thread_local! {
    /// xorshift32 state; 0 until first use seeds it.
    static SELECT_RNG: Cell<u32> = const { Cell::new(0) };
}

/// The branch an unbiased `select!` polls first this time: uniform enough
/// over `0..n` that no branch is favoured, and cheap (one thread-local
/// xorshift step; `select!` asks once per poll).
///
/// Seeded per thread from std's `RandomState`, whose keys are random per
/// process and differ per instance, so two threads, or two runs, do not
/// share an order.
pub fn select_start(n: usize) -> usize {
    debug_assert!(n > 0);
    let x = SELECT_RNG
        .try_with(|state| {
            let mut x = state.get();
            if x == 0 {
                x = seed();
            }
            // Marsaglia's xorshift32 (13, 17, 5): full period over the
            // non-zero u32s.
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            state.set(x);
            x
        })
        // The thread is exiting: any branch will do.
        .unwrap_or(0);
    // Lemire's multiply-shift: maps a u32 onto 0..n without a division.
    ((u64::from(x) * n as u64) >> 32) as usize
}

fn seed() -> u32 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0x5eed);
    let h = hasher.finish();
    // Never 0: xorshift would stay there.
    ((h >> 32) as u32 ^ h as u32) | 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_start_stays_in_range_and_reaches_every_branch() {
        for n in 1..10 {
            let mut seen = vec![false; n];
            for _ in 0..1000 {
                let i = select_start(n);
                assert!(i < n, "select_start({n}) gave {i}");
                seen[i] = true;
            }
            assert!(
                seen.iter().all(|&s| s),
                "select_start({n}) missed a branch: {seen:?}"
            );
        }
    }
}
