//! The calculator example as a newcomer runs it, once per `--binding` flag: each run must
//! print the session's result and close the service.

use std::process::Command;
use std::time::{Duration, Instant};

fn run(binding: &str) -> String {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_calculator"))
        .args(["--binding", binding])
        .output()
        .expect("run the calculator example");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "--binding {binding} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "--binding {binding} took {:?}",
        started.elapsed()
    );
    stdout
}

fn assert_session_ran(binding: &str) {
    let stdout = run(binding);
    assert!(
        stdout.contains("Equals()          -> 7.5 (session ended)"),
        "--binding {binding}:\n{stdout}"
    );
    assert!(
        stdout.contains("service closed"),
        "--binding {binding}:\n{stdout}"
    );
}

#[test]
fn runs_in_process() {
    assert_session_ran("memory");
}

#[test]
fn runs_over_net_tcp() {
    assert_session_ran("tcp");
}

#[test]
fn runs_over_net_tcp_with_a_reliable_session() {
    assert_session_ran("tcp-reliable");
}

#[test]
fn runs_over_http_with_a_reliable_session() {
    assert_session_ran("http-reliable");
}

#[test]
fn an_unknown_binding_is_refused_with_the_choices() {
    let output = Command::new(env!("CARGO_BIN_EXE_calculator"))
        .args(["--binding", "pigeon"])
        .output()
        .expect("run the calculator example");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tcp-reliable"), "{stderr}");
}
