//! weft's procedural macros, used through the `weft` crate:
//! `#[weft::main]`, `#[weft::test]`, and the parsers behind `weft::select!`,
//! `weft::join!` and `weft::try_join!` (which are `macro_rules!` fronts in
//! `weft` that hand their input here with `$crate`, so the expansion names
//! the user's `weft` whatever it is called).
//!
//! Depend on `weft`, not on this crate: every path the macros generate
//! starts at `::weft` (or the `crate = "path"` override).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod entry;
mod join;
mod pattern;
mod select;

use proc_macro::TokenStream;

/// Runs an `async fn main` on a weft runtime.
///
/// ```
/// #[weft::main]
/// async fn main() {
///     let task = weft::spawn(async { 6 * 7 });
///     assert_eq!(task.await.unwrap(), 42);
/// }
/// ```
///
/// expands to a plain `fn main` that builds a runtime with
/// `weft::Builder::new_multi_thread()` and blocks on the body. `main` may
/// return what a `main` may, such as `Result<(), E>`:
///
/// ```
/// #[weft::main(worker_threads = 2)]
/// async fn main() -> std::io::Result<()> {
///     let listener = weft::net::TcpListener::bind("127.0.0.1:0").await?;
///     println!("listening on {}", listener.local_addr()?);
///     Ok(())
/// }
/// ```
///
/// # Arguments
///
/// - `flavor = "multi_thread"` (the default) or `flavor = "current_thread"`:
///   `weft::Builder::new_multi_thread()` or
///   `weft::Builder::new_current_thread()`.
/// - `worker_threads = N`: the multi-thread runtime's worker count (default:
///   one per CPU). An error with `flavor = "current_thread"`.
/// - `crate = "path"`: where weft is, for a crate that renamed it or
///   re-exports it (`crate = "my_weft"`); default `::weft`.
///
/// ```
/// #[weft::main(flavor = "current_thread")]
/// async fn main() {
///     weft::task::yield_now().await;
/// }
/// ```
///
/// Misuse (a `fn` that is not `async`, an unknown argument, a value of the
/// wrong type, `worker_threads` with `current_thread`) is a compile error
/// pointing at the offending tokens.
///
/// # Panics
///
/// If the runtime cannot be built (the OS refused a thread or an I/O
/// poller), with the OS error.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Entry::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test on a runtime of its own.
///
/// ```
/// #[weft::test]
/// async fn adds() {
///     assert_eq!(weft::spawn(async { 1 + 1 }).await.unwrap(), 2);
/// }
///
/// #[weft::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn reads_config() -> Result<(), std::num::ParseIntError> {
///     let n: u32 = "42".parse()?;
///     assert_eq!(n, 42);
///     Ok(())
/// }
/// # fn main() {}
/// ```
///
/// The same arguments as [`macro@main`], with one difference: the default
/// flavor is `current_thread` (as tokio's), so each test gets a small
/// runtime of its own. The function becomes a `#[test]` (do not add one),
/// takes no arguments, and may return a `Result` as any test may; other
/// attributes such as `#[should_panic]` or `#[ignore]` stay on it.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Entry::Test, args.into(), item.into()).into()
}

/// The parser behind `weft::select!`; use that macro, not this.
#[doc(hidden)]
#[proc_macro]
pub fn select_impl(input: TokenStream) -> TokenStream {
    match syn::parse::<select::Select>(input) {
        Ok(select) => select.expand().into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The parser behind `weft::join!`; use that macro, not this.
#[doc(hidden)]
#[proc_macro]
pub fn join_impl(input: TokenStream) -> TokenStream {
    match syn::parse::<join::Join>(input) {
        Ok(join) => join.expand(false).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The parser behind `weft::try_join!`; use that macro, not this.
#[doc(hidden)]
#[proc_macro]
pub fn try_join_impl(input: TokenStream) -> TokenStream {
    match syn::parse::<join::Join>(input) {
        Ok(join) => join.expand(true).into(),
        Err(e) => e.to_compile_error().into(),
    }
}
