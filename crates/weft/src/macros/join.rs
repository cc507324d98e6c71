/// Waits for every future and returns their outputs as a tuple, in the
/// order written.
///
/// ```
/// use std::time::Duration;
///
/// #[weft::main(flavor = "current_thread")]
/// async fn main() {
///     let slow = async {
///         weft::time::sleep(Duration::from_millis(10)).await;
///         "slow"
///     };
///     let fast = async { 1 };
///     let (a, b, c) = weft::join!(slow, fast, weft::spawn(async { 'c' }));
///     assert_eq!((a, b, c.unwrap()), ("slow", 1, 'c'));
/// }
/// ```
///
/// The futures run concurrently on the calling task (not in parallel:
/// [`crate::spawn`] them for that). Each is anything that implements
/// [`IntoFuture`](std::future::IntoFuture), need not be `Unpin` (it is
/// pinned on the stack) and is polled until it finishes, never after. Each
/// poll starts one future further on, so when the task's budget runs out
/// part-way, the futures at the end are not always the ones that wait. Any
/// number of futures; `join!()` is `()`.
#[macro_export]
macro_rules! join {
    ($($input:tt)*) => {
        $crate::__private::join_impl! { ($crate) $($input)* }
    };
}

/// Waits for every future, each giving a `Result`, and returns
/// `Ok` of their `Ok` values as a tuple, or the first `Err`.
///
/// On the first `Err`, the other futures are dropped at once, finished or
/// not, and `try_join!` returns that error. All the futures' error types
/// must be the same.
///
/// ```
/// use std::time::Duration;
///
/// async fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
///     s.parse()
/// }
///
/// #[weft::main(flavor = "current_thread")]
/// async fn main() {
///     let both = weft::try_join!(parse("4"), parse("2"));
///     assert_eq!(both, Ok((4, 2)));
///
///     let never = async {
///         weft::time::sleep(Duration::from_secs(3600)).await;
///         Ok(0)
///     };
///     // Returns at the first error without waiting for `never`.
///     assert!(weft::try_join!(never, parse("x")).is_err());
/// }
/// ```
///
/// Polling is as in [`join!`]; any number of futures, and `try_join!()` is
/// `Ok(())`.
#[macro_export]
macro_rules! try_join {
    ($($input:tt)*) => {
        $crate::__private::try_join_impl! { ($crate) $($input)* }
    };
}
