//! The stage: the future while the task runs, its outcome after.
//!
//! A tagged union split in two: the [`Slot`] (a union of the future, the
//! output and a panic payload) sits at the end of the task cell, and its
//! [`Tag`] (one byte saying which field is live) sits in the header, in
//! bytes the header's alignment would otherwise leave as padding. An enum
//! would carry its tag beside the union, which for a small future doubles
//! the stage (an idle task's: 8 bytes here, 16 as an enum), and the same
//! bytes decide the task's malloc size class (see `BENCHMARKS.md`,
//! "Memory per idle task").
//!
//! The outcome is kept raw (`Aborted`, `ShutDown`, a panic payload) and
//! becomes a `JoinError` only when the `JoinHandle` reads it, with the id
//! from the header and the scheduler's name.
//!
//! Both halves belong to whoever owns the stage (the rules are in
//! `raw.rs`, "Who may touch what"); every method here is `unsafe` for that
//! reason alone, and its callers name the rule that gives them the stage.

use std::any::Any;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::ptr;
use std::task::{Context, Poll};

use crate::sync::UnsafeCell;

/// A panic payload.
pub(crate) type Payload = Box<dyn Any + Send + 'static>;

/// A stage's value, as moved into and out of a [`Slot`].
pub(crate) enum Stage<F: Future> {
    Running(F),
    Finished(F::Output),
    /// Cancelled by an abort.
    Aborted,
    /// Cancelled by the scheduler's shutdown.
    ShutDown,
    /// The future panicked (while polled or dropped), or dropping its
    /// output did. Boxed once more so the slot holds a thin pointer.
    Panicked(Box<Payload>),
    Consumed,
}

// The tag values; a field of `Data` is live only under its tag.
const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const ABORTED: u8 = 2;
const SHUT_DOWN: u8 = 3;
const PANICKED: u8 = 4;
const CONSUMED: u8 = 5;

/// Which field of the task's [`Slot`] is live; kept in the header.
pub(crate) struct Tag(UnsafeCell<u8>);

/// The stage's storage, at the end of the task cell.
pub(crate) struct Slot<F: Future>(UnsafeCell<Data<F>>);

union Data<F: Future> {
    future: ManuallyDrop<F>,
    output: ManuallyDrop<F::Output>,
    panic: ManuallyDrop<Box<Payload>>,
}

impl Tag {
    /// The tag of a slot made by [`Slot::new`].
    pub(crate) fn running() -> Tag {
        Tag(UnsafeCell::new(RUNNING))
    }

    /// # Safety
    ///
    /// The caller owns the stage.
    #[inline]
    unsafe fn get(&self) -> u8 {
        // SAFETY: forwarded: the stage's owner is the only accessor.
        self.0.with(|t| unsafe { *t })
    }

    /// # Safety
    ///
    /// The caller owns the stage.
    #[inline]
    unsafe fn set(&self, tag: u8) {
        // SAFETY: forwarded.
        self.0.with_mut(|t| unsafe { *t = tag })
    }

    /// Under loom: a tracked write, for `raw.rs::dealloc`.
    #[cfg(loom)]
    pub(crate) fn touch(&self) {
        self.0.with_mut(|_| ());
    }
}

impl<F: Future> Slot<F> {
    /// A slot holding `future`; its tag is [`Tag::running`].
    pub(crate) fn new(future: F) -> Slot<F> {
        Slot(UnsafeCell::new(Data {
            future: ManuallyDrop::new(future),
        }))
    }

    /// Moves the value out, leaving the slot `Consumed`.
    ///
    /// # Safety
    ///
    /// The caller owns the stage, and `tag` is this slot's.
    #[inline]
    pub(crate) unsafe fn take(&self, tag: &Tag) -> Stage<F> {
        // SAFETY: the caller owns both halves.
        let t = unsafe { tag.get() };
        // SAFETY: as above. The slot is marked empty before the value is
        // read out, and the value is read out only once.
        unsafe { tag.set(CONSUMED) };
        self.0.with_mut(|data| {
            // SAFETY: the tag said which field is live.
            unsafe {
                match t {
                    RUNNING => Stage::Running(ManuallyDrop::into_inner(ptr::read(&(*data).future))),
                    FINISHED => Stage::Finished(ManuallyDrop::into_inner(ptr::read(&(*data).output))),
                    ABORTED => Stage::Aborted,
                    SHUT_DOWN => Stage::ShutDown,
                    PANICKED => Stage::Panicked(ManuallyDrop::into_inner(ptr::read(&(*data).panic))),
                    _ => Stage::Consumed,
                }
            }
        })
    }

    /// Drops the value in place, leaving the slot `Consumed`. The slot is
    /// marked empty first, so if the drop panics it is still empty (and
    /// the value, dropped as far as it got, is never touched again).
    ///
    /// # Safety
    ///
    /// As [`take`](Self::take).
    #[inline]
    pub(crate) unsafe fn clear(&self, tag: &Tag) {
        // SAFETY: the caller owns both halves.
        let t = unsafe { tag.get() };
        // SAFETY: as above.
        unsafe { tag.set(CONSUMED) };
        self.0.with_mut(|data| {
            // SAFETY: the tag said which field is live; it is dropped once,
            // the tag now saying the slot is empty.
            unsafe {
                match t {
                    RUNNING => ManuallyDrop::drop(&mut (*data).future),
                    FINISHED => ManuallyDrop::drop(&mut (*data).output),
                    PANICKED => ManuallyDrop::drop(&mut (*data).panic),
                    _ => {}
                }
            }
        })
    }

    /// Stores `stage` in the slot, which must be empty.
    ///
    /// # Safety
    ///
    /// As [`take`](Self::take); and the slot holds nothing (its tag is
    /// `Consumed`: after [`take`](Self::take) or [`clear`](Self::clear)),
    /// so nothing is overwritten without being dropped.
    #[inline]
    pub(crate) unsafe fn store(&self, tag: &Tag, stage: Stage<F>) {
        let t = self.0.with_mut(|data| {
            // SAFETY: the slot is empty and ours: a plain write.
            unsafe {
                match stage {
                    Stage::Running(f) => {
                        ptr::write(
                            data,
                            Data {
                                future: ManuallyDrop::new(f),
                            },
                        );
                        RUNNING
                    }
                    Stage::Finished(v) => {
                        ptr::write(
                            data,
                            Data {
                                output: ManuallyDrop::new(v),
                            },
                        );
                        FINISHED
                    }
                    Stage::Panicked(p) => {
                        ptr::write(
                            data,
                            Data {
                                panic: ManuallyDrop::new(p),
                            },
                        );
                        PANICKED
                    }
                    Stage::Aborted => ABORTED,
                    Stage::ShutDown => SHUT_DOWN,
                    Stage::Consumed => CONSUMED,
                }
            }
        });
        // SAFETY: the caller owns the stage.
        unsafe { tag.set(t) };
    }

    /// Polls the future in place.
    ///
    /// # Safety
    ///
    /// As [`take`](Self::take), and the slot holds the future (`Running`).
    /// The slot never moves (the cell is boxed and freed in place), so the
    /// future stays pinned.
    #[inline]
    pub(crate) unsafe fn poll(&self, tag: &Tag, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: the caller owns the stage.
        let t = unsafe { tag.get() };
        assert!(t == RUNNING, "weft-task: polled a task whose future is gone");
        self.0.with_mut(|data| {
            // SAFETY: RUNNING: the future is the live field; pinned as above.
            let fut = unsafe { &mut *(*data).future };
            // SAFETY: as above.
            unsafe { Pin::new_unchecked(fut) }.poll(cx)
        })
    }

    /// The panic payload, if the slot holds one.
    ///
    /// # Safety
    ///
    /// As [`take`](Self::take), for as long as the reference is used.
    #[inline]
    pub(crate) unsafe fn panic_payload(&self, tag: &Tag) -> Option<&(dyn Any + Send)> {
        // SAFETY: the caller owns the stage.
        if unsafe { tag.get() } != PANICKED {
            return None;
        }
        // SAFETY: PANICKED: the payload is the live field, and stays while
        // the caller owns the stage and does not change it.
        Some(self.0.with(|data| unsafe { &***(*data).panic }))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A future that counts its drops.
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    impl Future for Counted {
        type Output = Counted;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Counted> {
            Poll::Ready(Counted(self.0.clone()))
        }
    }

    #[test]
    fn clear_drops_the_value_once_and_store_fills_the_slot() {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tag, slot) = (Tag::running(), Slot::new(Counted(drops.clone())));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        // SAFETY: this test owns the stage.
        unsafe {
            let Poll::Ready(out) = slot.poll(&tag, &mut cx) else {
                unreachable!()
            };
            slot.clear(&tag);
            assert_eq!(drops.load(Ordering::SeqCst), 1, "the future was dropped");
            slot.clear(&tag);
            assert_eq!(
                drops.load(Ordering::SeqCst),
                1,
                "clearing an empty slot drops nothing"
            );
            slot.store(&tag, Stage::Finished(out));
            assert!(matches!(slot.take(&tag), Stage::Finished(_)));
            assert_eq!(drops.load(Ordering::SeqCst), 2, "the output was dropped");
            assert!(matches!(slot.take(&tag), Stage::Consumed));
        }
    }

    #[test]
    fn a_panic_payload_is_readable_in_place() {
        let (tag, slot) = (Tag::running(), Slot::new(std::future::ready(())));
        // SAFETY: this test owns the stage.
        unsafe {
            assert!(slot.panic_payload(&tag).is_none());
            slot.clear(&tag);
            slot.store(&tag, Stage::Panicked(Box::new(Box::new("boom"))));
            let p = slot.panic_payload(&tag).expect("a payload");
            assert_eq!(p.downcast_ref::<&str>(), Some(&"boom"));
            assert!(matches!(slot.take(&tag), Stage::Panicked(_)));
        }
    }

    #[test]
    fn an_idle_future_stage_is_one_word() {
        async fn idle() {
            std::future::pending::<()>().await
        }
        fn size<F: Future>(_: &F) -> usize {
            std::mem::size_of::<Slot<F>>()
        }
        assert_eq!(size(&idle()), 8);
    }
}
