//! Memory per idle task: spawn N tasks that each wait forever, wait until
//! every one has been polled once, and report the growth of the process.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-rtbench cargo run --release -p weft-benches \
//!     --bin idle_memory -- weft 100000
//! ```
//!
//! The first argument picks the runtime (`weft`, `tokio` or `smol`), the
//! optional second the task count (default 100,000). Run one runtime per
//! process so each starts from a clean heap.
//!
//! Every runtime has 2 worker threads. Tasks are spawned from the main
//! thread (so they are allocated in the main thread's malloc arena), their
//! join handles dropped at once (detached); each task bumps a static counter
//! when first polled, then awaits `std::future::pending()`. Two figures are
//! printed:
//!
//! * **RSS**: resident set from `/proc/self/statm`, after minus before
//!   spawning, divided by N: what the OS sees, allocator slack included.
//! * **heap**: live bytes requested from the allocator (a counting
//!   `GlobalAlloc` around `System`), after minus before, divided by N: the
//!   runtime's own data structures, without allocator overhead.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};

/// Counts live heap bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Relaxed);
            LIVE.fetch_add(new_size, Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Tasks that have been polled at least once.
static POLLED: AtomicUsize = AtomicUsize::new(0);

/// The idle task: counts its first poll, then never completes.
async fn idle_task() {
    POLLED.fetch_add(1, Relaxed);
    std::future::pending::<()>().await
}

/// Resident bytes, from `/proc/self/statm` (second field, in pages).
fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .expect("statm has a resident field")
        .parse()
        .expect("resident pages");
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page as usize
}

fn wait_polled(n: usize) -> Duration {
    let start = Instant::now();
    while POLLED.load(Relaxed) < n {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "tasks not polled after 60 s"
        );
        thread::sleep(Duration::from_millis(1));
    }
    start.elapsed()
}

/// Spawns `n` idle tasks with `spawn`, waits for their first polls and
/// prints the figures. `warm` runs a task to completion first, so lazily
/// started runtime state is already there when "before" is taken.
fn measure(name: &str, n: usize, warm: impl FnOnce(), spawn: impl Fn()) {
    warm();
    thread::sleep(Duration::from_millis(100));
    let (rss0, heap0) = (rss_bytes(), LIVE.load(Relaxed));
    for _ in 0..n {
        spawn();
    }
    let waited = wait_polled(n);
    // Let the workers settle back to idle.
    thread::sleep(Duration::from_millis(100));
    let (rss1, heap1) = (rss_bytes(), LIVE.load(Relaxed));
    let rss = rss1.saturating_sub(rss0);
    let heap = heap1.saturating_sub(heap0);
    println!(
        "{name}: {n} idle tasks (all polled in {waited:?}): RSS +{} KiB = {:.0} B/task, heap +{} KiB = {:.0} B/task",
        rss / 1024,
        rss as f64 / n as f64,
        heap / 1024,
        heap as f64 / n as f64,
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| {
        eprintln!("usage: idle_memory <weft|tokio|smol> [tasks]");
        std::process::exit(2)
    });
    let n: usize = args.next().map_or(100_000, |s| s.parse().expect("task count"));
    match which.as_str() {
        "weft" => {
            let rt = weft::Runtime::builder().worker_threads(2).build().unwrap();
            measure(
                "weft",
                n,
                || rt.block_on(rt.spawn(async {})).unwrap(),
                || drop(rt.spawn(idle_task())),
            );
            // Skip the teardown of 100k tasks.
            std::process::exit(0);
        }
        "tokio" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            measure(
                "tokio",
                n,
                || rt.block_on(rt.spawn(async {})).unwrap(),
                || drop(rt.spawn(idle_task())),
            );
            std::process::exit(0);
        }
        "smol" => {
            let ex: &'static smol::Executor<'static> = Box::leak(Box::new(smol::Executor::new()));
            for _ in 0..2 {
                thread::spawn(move || smol::block_on(ex.run(std::future::pending::<()>())));
            }
            measure(
                "smol",
                n,
                || smol::block_on(ex.spawn(async {})),
                || ex.spawn(idle_task()).detach(),
            );
            std::process::exit(0);
        }
        other => {
            eprintln!("unknown runtime {other:?}: use weft, tokio or smol");
            std::process::exit(2)
        }
    }
}
