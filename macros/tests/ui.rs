//! Compile-time checks as a user meets them.
//!
//! - `fail/`: invalid contracts; each `.stderr` shows the errors a user gets.
//! - `session/`: valid contracts used wrongly: a session mode the binding cannot carry, and the
//!   typestate client's order rules (non-initiating first, anything after terminating).
//! - `pass/`: valid contracts used as intended, which must compile.
//!
//! Regenerate snapshots with `TRYBUILD=overwrite cargo test -p indigo-macros --test ui`, then
//! read every diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.compile_fail("tests/ui/session/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
