//! [`PanicReport`]: a panic that no `JoinHandle` will ever hand to the user.

use std::any::Any;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use crate::Id;

/// A panic nobody will see through a `JoinHandle`: the task's handle was
/// dropped before the panic, or dropped afterwards without the result
/// being taken out, or the panic was in a loop callback (`call_soon`).
///
/// Given to the runtime's unhandled-panic handler
/// (`weft::Builder::on_unhandled_panic`), asyncio's exception handler.
///
/// ```
/// use weft::runtime::PanicReport;
/// use weft::task::Id;
/// let payload: Box<dyn std::any::Any + Send> = Box::new("boom");
/// let report = PanicReport::new(Id::next(), Some("fetch".into()), std::panic::Location::caller(), &*payload);
/// assert_eq!(report.message(), Some("boom"));
/// assert_eq!(report.task_name(), Some("fetch"));
/// ```
#[derive(Clone)]
pub struct PanicReport {
    id: Id,
    name: Option<Arc<str>>,
    location: &'static Location<'static>,
    message: Option<String>,
}

impl PanicReport {
    /// A report for the panic of task (or callback) `id`, named `name`,
    /// spawned (or scheduled) at `location`, with the panic's `payload`.
    pub fn new(
        id: Id,
        name: Option<Arc<str>>,
        location: &'static Location<'static>,
        payload: &(dyn Any + Send),
    ) -> PanicReport {
        PanicReport {
            id,
            name,
            location,
            message: crate::foreign::panic_message(payload).map(str::to_owned),
        }
    }

    /// The id of the task (or callback) that panicked.
    ///
    /// ```
    /// use weft::runtime::PanicReport;
    /// let id = weft::task::Id::next();
    /// let payload: Box<dyn std::any::Any + Send> = Box::new(String::from("boom"));
    /// let report = PanicReport::new(id, None, std::panic::Location::caller(), &*payload);
    /// assert_eq!(report.task_id(), id);
    /// assert_eq!(report.task_name(), None);
    /// assert_eq!(report.message(), Some("boom"));
    /// ```
    pub fn task_id(&self) -> Id {
        self.id
    }

    /// Its name, if it was given one (`weft::task::Builder::name`).
    pub fn task_name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where it was spawned (or the callback scheduled).
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// The panic's message, if its payload is a string.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

impl fmt::Display for PanicReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " ({name:?})")?;
        }
        write!(f, ", spawned at {}, panicked", self.location)?;
        match &self.message {
            Some(m) => write!(f, ": {m}"),
            None => write!(f, " with a non-string payload"),
        }
    }
}

impl fmt::Debug for PanicReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanicReport")
            .field("task_id", &self.id)
            .field("task_name", &self.name)
            .field("location", &self.location)
            .field("message", &self.message)
            .finish()
    }
}
