//! The stock ticker example as a newcomer runs it: every subscriber gets its prices as
//! callbacks, the one over its limit is asked to sell, and the one that left is noticed.

use std::process::Command;

fn run(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_stock_ticker"))
        .args(args)
        .output()
        .expect("run the stock ticker example");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn assert_ticker_ran(stdout: &str) {
    for expected in [
        "bo: FABRIKAM at 108 (price #1)",
        "bo: FABRIKAM at 120.5 (price #6)",
        "cy: NWIND at 117.5 (price #6)",
        "ann: asked to sell CONTOSO at 107: yes",
        "publisher: subscriber 1 sells CONTOSO at 107",
        "publisher: subscriber 1 is gone (cannot send a callback: the client's session is Closed)",
        "ticker closed",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn runs_over_net_tcp() {
    assert_ticker_ran(&run(&[]));
}

#[test]
fn runs_over_a_reliable_session() {
    assert_ticker_ran(&run(&["--reliable"]));
}
