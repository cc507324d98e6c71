//! `select!`, `join!` and `try_join!`, and what their expansions call.
//!
//! # Why `macro_rules!` fronts over a proc-macro
//!
//! Each macro is a one-rule `macro_rules!` (here, so it is documented and
//! exported as `weft::select!` etc.) that hands its input to a parser in
//! `weft-macros` with `$crate` in front. Reasons, against tokio's all-
//! `macro_rules!` `select!` (a token-muncher with a proc-macro to count
//! branches):
//!
//! - `$crate` is only known to a `macro_rules!`; passing it on makes every
//!   path in the expansion name the user's weft, even renamed, and lets weft
//!   itself use the macros.
//! - No recursion: a muncher spends one level of `recursion_limit` per
//!   branch, which is what caps tokio's `select!` at 64 branches (with a
//!   `u64` mask). Here `select!`, `join!` and `try_join!` take any number.
//! - A malformed branch is reported at the token that is wrong ("expected
//!   `=>` after the future") instead of "no rules expected this token".
//! - A branch's pattern must be rewritten to be tried on a reference
//!   (the `pattern` module of `weft-macros` says why and how); that needs a
//!   real pattern parser.
//!
//! What the expansions call at run time lives in [`support`], reached by
//! the generated code as `weft::__private`: the branch-order generator and
//! the cooperative budget.

mod join;
mod select;
pub(crate) mod support;
