//! The spawn paths, weft beside tokio and smol (2 workers each):
//!
//! * `spawn_in_task`: a task spawns 10,000 empty tasks and awaits their
//!   handles. Beside it, `floor`: the physical floor of a task on one core,
//!   a boxed closure allocated, pushed to a crossbeam-deque FIFO, popped,
//!   called and freed, 10,000 times. Divide by 10,000 for a task's cost.
//! * `spawn_remote_from_{1,4,8}`: 10,000 empty tasks spawned from 1, 4 or 8
//!   threads that are not the runtime's, all at once, each thread spawning
//!   its share and then joining its own handles. The threads live across
//!   iterations (they wait on a barrier), so thread creation is not timed.
//!
//! ```sh
//! cargo bench -p weft-benches --bench spawn -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use weft_benches::{Rt, Smol, Tokio, Weft};

/// Tasks per iteration of every workload.
const TASKS: usize = 10_000;

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// A task spawns [`TASKS`] empty tasks and awaits them all.
fn spawn_in_task<R: Rt>(g: &mut Group<'_>) {
    let rt = Arc::new(R::new());
    g.bench_function(R::NAME, |b| {
        b.iter(|| {
            let inner = rt.clone();
            let root = rt.spawn(async move {
                let handles: Vec<_> = (0..TASKS)
                    .map(|i| inner.spawn(async move { black_box(i) }))
                    .collect();
                for h in handles {
                    black_box(h.await);
                }
            });
            rt.block_on(root)
        })
    });
}

/// The physical floor of a task on one core: allocate a closure, push it,
/// pop it, call it, free it.
fn floor(g: &mut Group<'_>) {
    let queue = crossbeam_deque::Worker::<Box<dyn FnOnce() -> usize + Send>>::new_fifo();
    g.bench_function("floor", |b| {
        b.iter(|| {
            for i in 0..TASKS {
                queue.push(Box::new(move || black_box(i)));
            }
            while let Some(f) = queue.pop() {
                black_box(f());
            }
        })
    });
}

/// `threads` foreign threads, each spawning `TASKS / threads` empty tasks
/// at once and joining its own.
fn spawn_remote_from<R: Rt>(g: &mut Group<'_>, threads: usize) {
    let rt = Arc::new(R::new());
    let start = Arc::new(Barrier::new(threads + 1));
    let done = Arc::new(Barrier::new(threads + 1));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let per_thread = TASKS / threads;
    let spawners: Vec<_> = (0..threads)
        .map(|_| {
            let (rt, start, done, stop) = (rt.clone(), start.clone(), done.clone(), stop.clone());
            thread::spawn(move || {
                let mut handles = Vec::with_capacity(per_thread);
                loop {
                    start.wait();
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        return;
                    }
                    handles.extend((0..per_thread).map(|_| rt.spawn(async {})));
                    rt.block_on(async {
                        for h in handles.drain(..) {
                            h.await;
                        }
                    });
                    done.wait();
                }
            })
        })
        .collect();
    g.bench_function(R::NAME, |b| {
        b.iter(|| {
            start.wait();
            done.wait();
        })
    });
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    start.wait();
    for t in spawners {
        t.join().unwrap();
    }
}

fn spawn(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_in_task");
    g.sampling_mode(SamplingMode::Flat);
    floor(&mut g);
    spawn_in_task::<Weft>(&mut g);
    spawn_in_task::<Tokio>(&mut g);
    spawn_in_task::<Smol>(&mut g);
    g.finish();

    for threads in [1, 4, 8] {
        let mut g = c.benchmark_group(format!("spawn_remote_from_{threads}"));
        g.sampling_mode(SamplingMode::Flat);
        spawn_remote_from::<Weft>(&mut g, threads);
        spawn_remote_from::<Tokio>(&mut g, threads);
        spawn_remote_from::<Smol>(&mut g, threads);
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = spawn
}
criterion_main!(benches);
