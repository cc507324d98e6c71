//! Compile-fail tests of the macros' misuse messages: each file in `ui/`
//! must fail to compile with exactly the errors in its `.stderr`, spans
//! included. The `.stderr` files are tied to the rustc that wrote them
//! (1.95): after a toolchain change, regenerate with
//! `TRYBUILD=overwrite cargo test -p weft --test macros_ui` and review the
//! diff.

#[test]
fn misuse_is_a_compile_error_at_the_offending_tokens() {
    // trybuild runs cargo on the files, with what `cargo test` puts in the
    // environment; a binary started by hand (CI's valgrind pass) has none
    // of it, and valgrind would not follow cargo anyway.
    if std::env::var_os("CARGO_MANIFEST_DIR").is_none() {
        eprintln!("skipped: the ui tests need `cargo test` (they run cargo themselves)");
        return;
    }
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
