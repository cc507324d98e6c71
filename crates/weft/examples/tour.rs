//! A tour of weft: the asyncio article's event loop, on every core.
//!
//! Run it with `cargo run --release --example tour`.

use std::time::Instant;

use weft::Runtime;

/// asyncio's hello world: a coroutine, run until complete by the loop.
async fn hello() -> &'static str {
    println!("Hello ...");
    weft::task::yield_now().await;
    println!("... World!");
    "done"
}

fn main() -> std::io::Result<()> {
    let rt = Runtime::builder().thread_name("tour").build()?;
    let workers = rt.metrics().num_workers();
    println!("weft tour: {workers} worker threads");

    // 1. run_until_complete.
    println!("\n-- 1. hello world (Runtime::block_on is asyncio's run_until_complete)");
    let out = rt.block_on(hello());
    println!("hello() returned {out:?}");

    // 2. Many tasks, spread over the workers.
    println!("\n-- 2. spawn and join many tasks");
    const TASKS: u64 = 100_000;
    let t0 = Instant::now();
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..TASKS)
            .map(|i| {
                weft::spawn(async move {
                    weft::task::yield_now().await;
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.expect("task failed");
        }
        sum
    });
    let elapsed = t0.elapsed();
    assert_eq!(sum, TASKS * (TASKS - 1) / 2);
    let m = rt.metrics();
    let used = m.workers().iter().filter(|w| w.polls > 0).count();
    println!(
        "{TASKS} tasks spawned, yielded once and joined in {:.1} ms: {:.0} tasks/s",
        elapsed.as_secs_f64() * 1e3,
        TASKS as f64 / elapsed.as_secs_f64()
    );
    println!("workers used: {used} of {workers}");
    for (i, w) in m.workers().iter().enumerate() {
        println!("  worker {i}: {} polls, {} steals, {} parks", w.polls, w.steals, w.parks);
    }
    Ok(())
}
