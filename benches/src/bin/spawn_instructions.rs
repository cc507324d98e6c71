//! Instructions per spawned task, for callgrind: not a timing.
//!
//! A task spawns 10,000 empty tasks and awaits their handles (the workload
//! of `benches/spawn.rs`'s `spawn_in_task`), `rounds` times. Run it under
//! callgrind twice, with 0 rounds and with N, and divide the difference in
//! instructions (`Ir`) by N * 10,000:
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-mem cargo build --release -p weft-benches --bin spawn_instructions
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     /work/target-mem/release/spawn_instructions current 20
//! ```
//!
//! The first argument is the flavour: `current` (a current-thread runtime:
//! every step on one thread, so the count is deterministic) or `multi` (2
//! workers: the count includes their searching and parking, so it moves
//! from run to run). Instruction counts see neither cache misses nor lock
//! contention: they say whether a change added work to the spawn path, not
//! how long it takes.

use std::hint::black_box;

const TASKS: usize = 10_000;

fn main() {
    let mut args = std::env::args().skip(1);
    let flavour = args.next().unwrap_or_else(|| {
        eprintln!("usage: spawn_instructions <current|multi> [rounds]");
        std::process::exit(2)
    });
    let rounds: usize = args.next().map_or(10, |s| s.parse().expect("round count"));
    let rt = match flavour.as_str() {
        "current" => weft::Builder::new_current_thread().build(),
        "multi" => weft::Builder::new_multi_thread().worker_threads(2).build(),
        other => {
            eprintln!("unknown flavour {other:?}: use current or multi");
            std::process::exit(2)
        }
    }
    .expect("build the runtime");
    // Warm up: the first spawn starts lazily created state.
    rt.block_on(async { weft::spawn(async {}).await.unwrap() });
    for _ in 0..rounds {
        rt.block_on(async {
            let root = weft::spawn(async {
                let handles: Vec<_> = (0..TASKS)
                    .map(|i| weft::spawn(async move { black_box(i) }))
                    .collect();
                for h in handles {
                    black_box(h.await.unwrap());
                }
            });
            root.await.unwrap()
        });
    }
}
