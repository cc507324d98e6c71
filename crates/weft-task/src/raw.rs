//! The task allocation and the type-erased operations on it.
//!
//! A task is one `Box<Cell<F, S>>`: the [`Header`] (state word, vtable, id,
//! spawn site, owned-list key, stage tag), the scheduler hook `S`, the join
//! waker slot and the stage (`stage.rs`: the future while it runs, its
//! outcome after). Every handle is a pointer to the header; the [`Vtable`]
//! recovers `F` and `S` for the operations that need them. This file is
//! where most of the crate's `unsafe` lives, with `stage.rs` and `waker.rs`
//! (and the tagged words of `meta.rs`'s `Site` and `list.rs`'s slots).
//! The layout is sized for malloc's 16-byte classes: an idle task's cell
//! is 72 bytes, an 80-byte chunk (`BENCHMARKS.md`, "Memory per idle task").
//!
//! # Who may touch what
//!
//! * The **stage** belongs to whoever holds `RUNNING` (poll, cancel). After
//!   `COMPLETE`, it belongs to the `JoinHandle` if `JOIN_INTEREST` was set
//!   at completion, otherwise to the completing thread.
//! * The **join waker** slot follows the `JOIN_WAKER` rules in `state.rs`.
//! * The **owned key** is written once, by `OwnedTasks::bind` under the
//!   shard's lock, before the task is reachable from anywhere but that
//!   shard; afterwards it is only read.
//! * The allocation is freed by whoever drops the last reference.

use std::future::Future;
use std::mem::{self, ManuallyDrop};
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use crate::error::JoinError;
use crate::meta::{Site, TaskMeta};
use crate::report::PanicReport;
use crate::stage::{Payload, Slot, Stage, Tag};
use crate::state::{State, ToIdle, ToNotified, ToRunning};
use crate::sync::UnsafeCell;
use crate::waker::waker_ref;
use crate::{Id, Schedule, Task};

/// The first field of every task allocation.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) id: Id,
    /// Where the task was spawned, and (boxed, for the tasks that have
    /// either) its name and debug-mode wake time.
    pub(crate) site: Site,
    /// This task's slot in its owner's shard (`list.rs`): written once,
    /// by `OwnedTasks::bind` under the shard's lock, before any handle to
    /// the task leaves the list; read by `OwnedTasks::remove`.
    pub(crate) owned_key: UnsafeCell<u32>,
    /// Made by `OwnedTasks::bind` (rather than `unowned`): completing
    /// calls `Schedule::release`.
    pub(crate) owned: bool,
    /// Which field of the cell's stage slot is live (`stage.rs`); belongs
    /// to the stage's owner, as the slot does.
    stage_tag: Tag,
}

/// The operations that need the concrete future and scheduler types.
pub(crate) struct Vtable {
    poll: unsafe fn(NonNull<Header>),
    schedule: unsafe fn(NonNull<Header>),
    dealloc: unsafe fn(NonNull<Header>),
    try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    drop_join_handle_slow: unsafe fn(NonNull<Header>),
    shutdown: unsafe fn(NonNull<Header>),
}

/// The whole task, in one allocation.
#[repr(C)]
struct Cell<F: Future, S> {
    header: Header,
    scheduler: S,
    join_waker: UnsafeCell<Option<Waker>>,
    stage: Slot<F>,
}

impl<F: Future, S> Drop for Cell<F, S> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: nobody else can reach the cell, so its stage
        // is ours.
        unsafe { self.stage.clear(&self.header.stage_tag) }
    }
}

/// A pointer to a task's header, with the type-erased operations.
///
/// A `RawTask` does not own a reference by itself; the handle types that
/// wrap it (`Task`, `Notified`, `JoinHandle`, `AbortHandle`, wakers) do.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

// SAFETY: a `RawTask` is only a pointer; the handles that own references are
// `Send`/`Sync` only when the task's future, output and scheduler allow it,
// and every shared access goes through the atomic state word.
unsafe impl Send for RawTask {}
// SAFETY: as above.
unsafe impl Sync for RawTask {}

impl RawTask {
    /// Allocates a task holding `refs` references (see `State::new`).
    ///
    /// `F` need not be `Send`: the safe constructors require it, and
    /// `OwnedTasks::bind_local`'s caller promises the thread rule instead.
    pub(crate) fn new<F, S>(future: F, scheduler: S, meta: TaskMeta, owned: bool, refs: usize) -> RawTask
    where
        F: Future + 'static,
        F::Output: 'static,
        S: Schedule,
    {
        let cell = Box::new(Cell {
            header: Header {
                state: State::new(refs),
                vtable: vtable::<F, S>(),
                id: meta.id,
                site: Site::of(&meta),
                owned_key: UnsafeCell::new(0),
                owned,
                stage_tag: Tag::running(),
            },
            scheduler,
            join_waker: UnsafeCell::new(None),
            stage: Slot::new(future),
        });
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        RawTask { ptr }
    }

    /// # Safety
    ///
    /// `ptr` must point to the header of a live task.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn header_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: every `RawTask` in use is backed by a reference that keeps
        // the allocation alive while the handle that holds it exists.
        unsafe { self.ptr.as_ref() }
    }

    pub(crate) fn state(&self) -> &State {
        &self.header().state
    }

    /// Runs the task: consumes a `Notified`'s reference.
    pub(crate) fn poll(self) {
        // SAFETY: the vtable matches the cell it was created with.
        unsafe { (self.header().vtable.poll)(self.ptr) }
    }

    /// Hands a `Notified` to the scheduler: consumes one reference.
    pub(crate) fn schedule(self) {
        // SAFETY: as above.
        unsafe { (self.header().vtable.schedule)(self.ptr) }
    }

    /// Cancels the task now if idle: consumes one reference.
    pub(crate) fn shutdown(self) {
        // SAFETY: as above.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
    }

    /// # Safety
    ///
    /// `dst` must point to a `Poll<Result<T, JoinError>>` where `T` is the
    /// task's output type, and the caller must be the `JoinHandle`.
    pub(crate) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.header().vtable.try_read_output)(self.ptr, dst, waker) }
    }

    /// Drops the `JoinHandle`'s interest and its reference.
    pub(crate) fn drop_join_handle_slow(self) {
        // SAFETY: the vtable matches the cell it was created with.
        unsafe { (self.header().vtable.drop_join_handle_slow)(self.ptr) }
    }

    pub(crate) fn ref_inc(self) {
        self.state().ref_inc();
    }

    /// Drops one reference, freeing the task if it was the last.
    pub(crate) fn drop_reference(self) {
        if self.state().ref_dec() {
            // SAFETY: that was the last reference: nobody else can reach
            // the task, and the vtable matches the cell.
            unsafe { (self.header().vtable.dealloc)(self.ptr) }
        }
    }

    /// `Waker::wake`: consumes the waker's reference.
    pub(crate) fn wake_by_val(self) {
        match self.state().transition_to_notified_by_val() {
            ToNotified::Submit => {
                // The transition made the Notified's reference; ours keeps
                // the task (and the scheduler in it) alive until `schedule`
                // returns, even if another thread runs and completes it first.
                self.schedule();
                self.drop_reference();
            }
            ToNotified::DoNothing => {}
            ToNotified::Dealloc => {
                // SAFETY: the transition dropped the last reference.
                unsafe { (self.header().vtable.dealloc)(self.ptr) }
            }
        }
    }

    /// `Waker::wake_by_ref`: keeps the caller's reference.
    pub(crate) fn wake_by_ref(self) {
        if self.state().transition_to_notified_by_ref() == ToNotified::Submit {
            self.schedule();
        }
    }

    /// `abort()`: cancels the task, scheduling it if it is idle.
    pub(crate) fn remote_abort(self) {
        if self.state().transition_to_notified_and_cancel() == ToNotified::Submit {
            self.schedule();
        }
    }
}

fn vtable<F, S>() -> &'static Vtable
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    &Vtable {
        poll: poll::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        try_read_output: try_read_output::<F, S>,
        drop_join_handle_slow: drop_join_handle_slow::<F, S>,
        shutdown: shutdown::<F, S>,
    }
}

/// # Safety
///
/// `ptr` must be the header of a live `Cell<F, S>`.
unsafe fn cell<'a, F: Future, S>(ptr: NonNull<Header>) -> &'a Cell<F, S> {
    // SAFETY: `Cell` is `repr(C)` with the header first, and the caller
    // guarantees the concrete types.
    unsafe { ptr.cast::<Cell<F, S>>().as_ref() }
}

unsafe fn poll<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: called through the vtable built for this cell, while the
    // `Notified`'s reference keeps it alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    match cell.header.state.transition_to_running() {
        ToRunning::Success => {
            let waker = waker_ref(ptr);
            let mut cx = Context::from_waker(&waker);
            let ready = crate::current::with_task(cell.header.id, || poll_future(cell, &mut cx));
            if ready.is_ready() {
                complete::<F, S>(ptr);
                return;
            }
            match cell.header.state.transition_to_idle() {
                ToIdle::Ok => {}
                ToIdle::OkNotified => {
                    // Woken during its own poll (a yield, or a wake from
                    // elsewhere while it ran): back of the queue.
                    // SAFETY: the transition added a reference for this Notified.
                    let task = unsafe { crate::Notified::from_raw(RawTask { ptr }) };
                    cell.scheduler.yield_now(task);
                    // Only now drop the poll's reference: until `yield_now`
                    // returned, another thread could have run the queued task
                    // to completion and freed it, `scheduler` included.
                    RawTask { ptr }.drop_reference();
                }
                ToIdle::OkDealloc => {
                    // SAFETY: the transition dropped the last reference.
                    unsafe { dealloc::<F, S>(ptr) }
                }
                ToIdle::Cancelled => {
                    cancel_task(cell);
                    complete::<F, S>(ptr);
                }
            }
        }
        ToRunning::Cancelled => {
            cancel_task(cell);
            complete::<F, S>(ptr);
        }
        ToRunning::Failed => {}
        // SAFETY: the transition dropped the last reference.
        ToRunning::Dealloc => unsafe { dealloc::<F, S>(ptr) },
    }
}

/// Polls the future once, catching a panic. On `Ready` (or a panic) the
/// future is dropped and the stage holds the result.
///
/// A panicking future is dropped *during* the unwind, before the panic is
/// caught (tokio's rule): its destructors see `std::thread::panicking()`,
/// and a `std::sync::MutexGuard` it holds poisons its mutex, exactly as if
/// the code had panicked on a plain thread. (A destructor that panics again
/// while unwinding aborts the process, as everywhere in Rust.)
fn poll_future<F: Future, S>(cell: &Cell<F, S>, cx: &mut Context<'_>) -> Poll<()> {
    /// Drops the future if the poll unwinds; forgotten if it returns.
    struct DropOnUnwind<'a, F: Future, S>(&'a Cell<F, S>);
    impl<F: Future, S> Drop for DropOnUnwind<'_, F, S> {
        fn drop(&mut self) {
            // SAFETY: we hold RUNNING (the poll's), so the stage is ours.
            unsafe { self.0.stage.clear(&self.0.header.stage_tag) }
        }
    }

    let polled = panic::catch_unwind(AssertUnwindSafe(|| {
        let guard = DropOnUnwind(cell);
        // SAFETY: we hold RUNNING, so the stage is ours, and it holds the
        // future: COMPLETE was clear, and only completing replaces it.
        let polled = unsafe { cell.stage.poll(&cell.header.stage_tag, cx) };
        mem::forget(guard);
        polled
    }));
    let finished = match polled {
        Ok(Poll::Pending) => return Poll::Pending,
        Ok(Poll::Ready(output)) => match drop_stage(cell) {
            Ok(()) => Stage::Finished(output),
            Err(payload) => {
                drop_payload(output);
                Stage::Panicked(Box::new(payload))
            }
        },
        // The future panicked and was dropped during the unwind.
        Err(payload) => Stage::Panicked(Box::new(payload)),
    };
    store_stage(cell, finished);
    Poll::Ready(())
}

/// Drops the future (or output) in the stage, catching a panic; the stage
/// is empty afterwards either way.
fn drop_stage<F: Future, S>(cell: &Cell<F, S>) -> Result<(), Payload> {
    // SAFETY: callers own the stage (they hold RUNNING, or the completion
    // rules give it to them).
    panic::catch_unwind(AssertUnwindSafe(|| unsafe {
        cell.stage.clear(&cell.header.stage_tag)
    }))
}

/// Stores the outcome in the (empty) stage.
fn store_stage<F: Future, S>(cell: &Cell<F, S>, outcome: Stage<F>) {
    // SAFETY: callers hold RUNNING and have just emptied the stage
    // (`drop_stage`, or the unwind's `DropOnUnwind`).
    unsafe { cell.stage.store(&cell.header.stage_tag, outcome) }
}

/// Drops an output that no `JoinHandle` will read, first reporting it to
/// the scheduler if it is a panic (an *unhandled* panic).
fn drop_unread_output<F: Future, S: Schedule>(cell: &Cell<F, S>) {
    report_if_panic(cell);
    let _ = drop_stage(cell);
}

#[inline]
fn report_if_panic<F: Future, S: Schedule>(cell: &Cell<F, S>) {
    // SAFETY: callers own the stage (the completion rules give it to them).
    if let Some(payload) = unsafe { cell.stage.panic_payload(&cell.header.stage_tag) } {
        report_panic(cell, payload);
    }
}

/// Hands an unread panic to the scheduler's handler. Out of line: panics
/// are rare, and every completion passes through `report_if_panic`.
#[cold]
#[inline(never)]
fn report_panic<F: Future, S: Schedule>(cell: &Cell<F, S>, payload: &(dyn std::any::Any + Send)) {
    let name = cell.header.site.extra().and_then(|e| e.name.clone());
    let report = PanicReport::new(cell.header.id, name, cell.header.site.location(), payload);
    crate::foreign::contain("an unhandled-panic handler", || {
        cell.scheduler.unhandled_panic(&report)
    });
}

fn drop_payload<T>(value: T) {
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(value)));
}

/// Drops the future of a task we hold RUNNING on, storing the cause of the
/// cancel that the state word records (an abort, or the scheduler's
/// shutdown), or the panic of the future's drop.
fn cancel_task<F: Future, S: Schedule>(cell: &Cell<F, S>) {
    let by_shutdown = cell.header.state.load().is_shutdown();
    let cancelled = match drop_stage(cell) {
        Ok(()) if by_shutdown => Stage::ShutDown,
        Ok(()) => Stage::Aborted,
        Err(payload) => Stage::Panicked(Box::new(payload)),
    };
    store_stage(cell, cancelled);
}

/// The stage holds the result: publish it, wake the joiner, release the
/// owned reference and the running one.
///
/// Takes the pointer rather than a `&Cell`: this may free the allocation,
/// which no reference argument may outlive.
fn complete<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller holds RUNNING and the poll's reference.
    let cell = unsafe { cell::<F, S>(ptr) };

    // Leave the owner's list. If the owner gives back its reference, that
    // is a second one to drop. (Before COMPLETE is published: we hold
    // RUNNING, so nothing else can poll or cancel the task meanwhile.)
    // SAFETY: the poll's reference keeps the task alive during the call, and
    // the `ManuallyDrop` keeps this borrowed `Task` from dropping a reference.
    let me = ManuallyDrop::new(unsafe { Task::<S>::from_raw(RawTask { ptr }) });
    let released = match cell.header.owned {
        // Never bound to a list: nothing to release.
        false => 1,
        true => match cell.scheduler.release(&me) {
            Some(task) => {
                mem::forget(task);
                2
            }
            None => 1,
        },
    };

    // Fast path: no joiner to wake. Publish COMPLETE and drop our
    // references in one step (dropping the output first if the JoinHandle
    // is gone).
    let fast = cell
        .header
        .state
        .try_complete_and_release(released, || drop_unread_output(cell));
    if let Ok(last) = fast {
        if last {
            // SAFETY: that was the last reference.
            unsafe { dealloc::<F, S>(ptr) }
        }
        return;
    }

    // A joiner is waiting: publish COMPLETE, wake it, then let go.
    let snapshot = cell.header.state.transition_to_complete();
    if !snapshot.is_join_interested() {
        // Nobody will read the output: it is ours to drop.
        drop_unread_output(cell);
    } else if snapshot.is_join_waker_set() {
        // JOIN_WAKER and COMPLETE are set: the waker slot is ours.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: the JOIN_WAKER rules give us the slot (state.rs).
            cell.join_waker.with(|w| match unsafe { &*w } {
                Some(waker) => waker.wake_by_ref(),
                None => unreachable!("weft-task: JOIN_WAKER set without a waker"),
            })
        }));
        // Hand the slot back; if the handle went away meanwhile, the waker
        // is ours to drop.
        let after = cell.header.state.unset_waker_after_complete();
        if !after.is_join_interested() {
            // SAFETY: JOIN_INTEREST is clear and the handle saw COMPLETE
            // with JOIN_WAKER set, so it left the slot to us.
            let old = cell.join_waker.with_mut(|w| unsafe { (*w).take() });
            drop_payload(old);
        }
    }
    if cell.header.state.transition_to_terminal(released) {
        // SAFETY: that was the last reference.
        unsafe { dealloc::<F, S>(ptr) }
    }
}

unsafe fn schedule<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: vtable call on a live cell; the caller's reference moves into
    // the Notified.
    let cell = unsafe { cell::<F, S>(ptr) };
    // SAFETY: the caller's reference (and NOTIFIED) pass to this Notified.
    let task = unsafe { crate::Notified::from_raw(RawTask { ptr }) };
    cell.scheduler.schedule(task);
}

unsafe fn shutdown<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: vtable call; the caller's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    if cell.header.state.transition_to_shutdown() {
        // It was idle and is now ours (RUNNING): drop the future here.
        // Our reference plays the part of the poll's.
        cancel_task(cell);
        complete::<F, S>(ptr);
    } else {
        // Running elsewhere (it will see CANCELLED when the poll ends) or
        // already complete: just drop our reference.
        RawTask { ptr }.drop_reference();
    }
}

unsafe fn try_read_output<F: Future, S: Schedule>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker) {
    // SAFETY: vtable call; the JoinHandle's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    if !can_read_output(cell, waker) {
        return;
    }
    // SAFETY: COMPLETE with JOIN_INTEREST: the stage is the JoinHandle's.
    let stage = unsafe { cell.stage.take(&cell.header.stage_tag) };
    let id = cell.header.id;
    let result = match stage {
        Stage::Finished(output) => Ok(output),
        Stage::Aborted => Err(JoinError::cancelled(id)),
        Stage::ShutDown => Err(JoinError::shutdown(id, S::NAME)),
        Stage::Panicked(payload) => Err(JoinError::panic(id, *payload)),
        Stage::Running(_) | Stage::Consumed => panic!(
            "a weft JoinHandle was polled after it returned its output; poll each JoinHandle to completion once"
        ),
    };
    let dst = dst.cast::<Poll<Result<F::Output, JoinError>>>();
    // SAFETY: the caller passes a pointer to this task's output slot.
    unsafe { *dst = Poll::Ready(result) };
}

/// `true` if the output can be read now; otherwise `waker` is stored (or
/// already was) so that completion wakes it.
fn can_read_output<F: Future, S>(cell: &Cell<F, S>, waker: &Waker) -> bool {
    let state = &cell.header.state;
    let snapshot = state.load();
    if snapshot.is_complete() {
        return true;
    }
    let stored = if !snapshot.is_join_waker_set() {
        // The slot is ours: store the waker, then publish it.
        set_join_waker(cell, waker.clone())
    } else {
        // A waker is stored. If it wakes the same task, nothing to do.
        // SAFETY: JOIN_WAKER is set and we are the JoinHandle: the runtime
        // only reads the slot, and only after COMPLETE; it never writes it
        // while JOIN_INTEREST is set.
        let same = cell
            .join_waker
            .with(|w| unsafe { (*w).as_ref() }.is_some_and(|w| w.will_wake(waker)));
        if same {
            return false;
        }
        // Take the slot back (fails if the task completed meanwhile), then
        // store the new waker.
        state
            .unset_waker()
            .map_err(drop)
            .and_then(|_| set_join_waker(cell, waker.clone()))
    };
    match stored {
        Ok(()) => false,
        Err(()) => true,
    }
}

/// Stores `waker` in the slot (which must be ours) and sets JOIN_WAKER.
/// `Err` if the task completed first; the slot is cleared again.
fn set_join_waker<F: Future, S>(cell: &Cell<F, S>, waker: Waker) -> Result<(), ()> {
    // SAFETY: JOIN_WAKER is clear and we are the JoinHandle: the slot is ours.
    cell.join_waker.with_mut(|w| unsafe { *w = Some(waker) });
    match cell.header.state.set_join_waker() {
        Ok(_) => Ok(()),
        Err(_) => {
            // Completed first: the slot is still ours; empty it.
            // SAFETY: as above, JOIN_WAKER was never set.
            let old = cell.join_waker.with_mut(|w| unsafe { (*w).take() });
            drop(old);
            Err(())
        }
    }
}

unsafe fn drop_join_handle_slow<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: vtable call; the JoinHandle's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    if cell.header.state.is_sole_reference() {
        // Ours is the only reference left: nobody else can reach the task,
        // or ever wake it. Free it without touching the state word; dropping
        // the cell drops whatever the stage holds (the output if it was not
        // taken, or a future nobody can wake) and the join waker.
        // An output never read is reported first if it is a panic.
        report_if_panic(cell);
        // SAFETY: sole reference, and the vtable matches the cell.
        unsafe { dealloc::<F, S>(ptr) };
        return;
    }
    let t = cell.header.state.transition_to_join_handle_dropped();
    if t.drop_output {
        // COMPLETE was set when we dropped interest: the output is ours.
        drop_unread_output(cell);
    }
    if t.drop_waker {
        // JOIN_WAKER is clear: the slot is ours.
        // SAFETY: the JOIN_WAKER rules (state.rs).
        let old = cell.join_waker.with_mut(|w| unsafe { (*w).take() });
        drop_payload(old);
    }
    RawTask { ptr }.drop_reference();
}

unsafe fn dealloc<F: Future, S>(ptr: NonNull<Header>) {
    // Under loom, freeing is made a tracked write to the cells every other
    // handle may have touched: a last reference dropped without an acquire
    // on the state word (a `fetch_sub` weaker than `AcqRel`) then shows up
    // as a causality violation, where the `Box` drop alone is invisible.
    #[cfg(loom)]
    {
        // SAFETY: the last reference is gone; the cell is still allocated.
        let cell = unsafe { cell::<F, S>(ptr) };
        cell.header.stage_tag.touch();
        cell.join_waker.with_mut(|_| ());
        cell.header.owned_key.with_mut(|_| ());
    }
    // SAFETY: the last reference is gone, so nobody else can reach the cell;
    // it was allocated as a `Box<Cell<F, S>>` in `RawTask::new`.
    let boxed = unsafe { Box::from_raw(ptr.cast::<Cell<F, S>>().as_ptr()) };
    // The stage may still hold a future (a task dropped without ever being
    // run or shut down) or an output; never unwind into the caller.
    drop_payload(boxed);
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A scheduler the size of the executor's `Handle` (one `Arc`).
    struct OneArc(#[allow(dead_code)] std::sync::Arc<()>);
    impl Schedule for OneArc {
        fn schedule(&self, _: crate::Notified<Self>) {}
        fn release(&self, _: &Task<Self>) -> Option<Task<Self>> {
            None
        }
    }

    fn cell_size<F: Future>(_: &F) -> usize {
        mem::size_of::<Cell<F, OneArc>>()
    }

    /// The layout this crate was sized for (see `BENCHMARKS.md`, "Memory
    /// per idle task"): a task waiting on a small future, on an executor
    /// whose scheduler is one pointer.
    #[test]
    fn an_idle_task_cell_is_72_bytes() {
        async fn idle() {
            std::future::pending::<()>().await
        }
        let fut = idle();
        assert_eq!(mem::size_of_val(&fut), 1);
        assert_eq!(cell_size(&fut), 72);
    }
}
