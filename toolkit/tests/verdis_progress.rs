//! `verdis-progress`, as `ci/bench` drives it: step and log lines on stdin, plain lines on a
//! stderr that is not a terminal.

use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn steps_are_numbered_and_log_lines_pass_through() {
    // Each `+ TEXT` line becomes `LABEL: N/TOTAL TEXT`, any other line `LABEL: LINE`, in order.
    let mut child = Command::new(env!("CARGO_BIN_EXE_verdis-progress"))
        .args(["--label", "ci/bench", "--total", "2"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running verdis-progress");
    child.stdin.take().unwrap().write_all(b"building\n+ round 1: get\n+ round 1: set\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err, "ci/bench: building\nci/bench: 1/2 round 1: get\nci/bench: 2/2 round 1: set\n");
}

#[test]
fn a_bad_total_is_refused_naming_the_flag() {
    // A mistyped count stops the script at once, with the flag in the message.
    let out = Command::new(env!("CARGO_BIN_EXE_verdis-progress"))
        .args(["--label", "x", "--total", "many"])
        .output()
        .expect("running verdis-progress");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--total"));
}
