//! Compile-fail tests of the macros' misuse messages: each file in `ui/`
//! must fail to compile with exactly the errors in its `.stderr`, spans
//! included. The `.stderr` files are tied to the rustc that wrote them
//! (1.95): after a toolchain change, regenerate with
//! `TRYBUILD=overwrite cargo test -p weft --test macros_ui` and review the
//! diff.

#[test]
fn misuse_is_a_compile_error_at_the_offending_tokens() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
