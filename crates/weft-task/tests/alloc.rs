//! Spawning a task costs exactly one allocation.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> usize {
    ALLOCS.with(|c| c.get())
}

struct Nop;
impl weft_task::Schedule for Nop {
    fn schedule(&self, task: weft_task::Notified<Self>) {
        task.run()
    }
    fn release(&self, _: &weft_task::Task<Self>) -> Option<weft_task::Task<Self>> {
        None
    }
}

#[test]
fn spawning_costs_exactly_one_allocation() {
    let id = weft_task::Id::next();
    let fut = async { [0u8; 64] };
    let before = allocs();
    let (task, handle) = weft_task::unowned(fut, Nop, id);
    assert_eq!(allocs() - before, 1);
    task.run();
    let mut h = handle;
    let _ = common::poll_once(&mut h);
    assert_eq!(allocs() - before, 1, "running and joining allocate nothing");
}
