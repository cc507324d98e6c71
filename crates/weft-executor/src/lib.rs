//! weft's work-stealing scheduler.
#![deny(unsafe_op_in_unsafe_fn)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod driver;

pub use driver::{CondvarDriver, Driver};
/// The cooperative budget; defined in `weft-task` so that `JoinHandle` can
/// honour it, re-exported here for the resources built on the executor.
pub use weft_task::coop;
