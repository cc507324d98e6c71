//! `select!`, `join!` and `try_join!` over futures that are ready at once:
//! weft's macros beside tokio's, in one run.
//!
//! What is measured is the macros' own cost: pinning the futures, the
//! branch order (a random start unless `biased;`), polling, the pattern
//! check and the handler dispatch, and for weft the cooperative budget
//! (each finished `select!` spends a unit, and a spent budget makes it
//! yield; tokio's `select!` only checks its budget). The futures are
//! `std::future::ready` (and `std::future::pending` for branches that never
//! finish), so neither runtime's own resources are involved.
//!
//! Each iteration runs [`BATCH`] macro calls inside one `block_on` of a
//! current-thread runtime of each kind (`weft::Builder::new_current_thread`,
//! `tokio::runtime::Builder::new_current_thread`), built before the
//! function is measured. One group per workload, one function per runtime:
//!
//! * `select/4_ready`: four ready branches, random start;
//! * `select/4_ready_biased`: the same with `biased;`;
//! * `select/1_ready_3_pending`: three branches that never finish and one
//!   ready one (the ready one last, and `biased;`, so every call polls all
//!   four);
//! * `join/4_ready` and `try_join/4_ready`: four ready futures (`Ok`s for
//!   `try_join!`).
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-bench cargo bench -p weft-benches --bench macros
//! ```

use std::future::{pending, ready};
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Macro calls per iteration.
const BATCH: u64 = 1_000;

/// The workloads written once: `$rt` is the crate whose `select!`,
/// `join!` and `try_join!` they call, so both sides run the same tokens.
macro_rules! workloads {
    ($side:ident, $rt:ident) => {
        mod $side {
            use super::*;

            #[inline(never)]
            pub async fn select_4_ready() {
                for i in 0..BATCH {
                    let v = $rt::select! {
                        a = ready(i) => a,
                        b = ready(i + 1) => b,
                        c = ready(i + 2) => c,
                        d = ready(i + 3) => d,
                    };
                    black_box(v);
                }
            }

            #[inline(never)]
            pub async fn select_4_ready_biased() {
                for i in 0..BATCH {
                    let v = $rt::select! {
                        biased;
                        a = ready(i) => a,
                        b = ready(i + 1) => b,
                        c = ready(i + 2) => c,
                        d = ready(i + 3) => d,
                    };
                    black_box(v);
                }
            }

            #[inline(never)]
            pub async fn select_1_ready_3_pending() {
                for i in 0..BATCH {
                    let v = $rt::select! {
                        biased;
                        a = pending::<u64>() => a,
                        b = pending::<u64>() => b,
                        c = pending::<u64>() => c,
                        d = ready(i) => d,
                    };
                    black_box(v);
                }
            }

            #[inline(never)]
            pub async fn join_4_ready() {
                for i in 0..BATCH {
                    black_box($rt::join!(
                        ready(i),
                        ready(i + 1),
                        ready(i + 2),
                        ready(i + 3)
                    ));
                }
            }

            #[inline(never)]
            pub async fn try_join_4_ready() {
                for i in 0..BATCH {
                    let r: Result<_, ()> = $rt::try_join!(
                        ready(Ok(i)),
                        ready(Ok(i + 1)),
                        ready(Ok(i + 2)),
                        ready(Ok(i + 3))
                    );
                    black_box(r.expect("all Ok"));
                }
            }
        }
    };
}

workloads!(weft_side, weft);
workloads!(tokio_side, tokio);

fn bench(c: &mut Criterion) {
    let weft_rt = weft::Builder::new_current_thread().build().expect("weft runtime");
    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");

    macro_rules! group {
        ($name:literal, $f:ident) => {{
            let mut g = c.benchmark_group($name);
            g.throughput(Throughput::Elements(BATCH));
            g.bench_function("weft", |b| b.iter(|| weft_rt.block_on(weft_side::$f())));
            g.bench_function("tokio", |b| b.iter(|| tokio_rt.block_on(tokio_side::$f())));
            g.finish();
        }};
    }

    group!("select/4_ready", select_4_ready);
    group!("select/4_ready_biased", select_4_ready_biased);
    group!("select/1_ready_3_pending", select_1_ready_3_pending);
    group!("join/4_ready", join_4_ready);
    group!("try_join/4_ready", try_join_4_ready);
}

criterion_group!(benches, bench);
criterion_main!(benches);
