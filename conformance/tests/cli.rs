//! The `verdis-conform` command line: every subcommand's help, errors that name the bad flag, and
//! the JUnit report of a run with a planted fault. Needs `redis-server` on PATH.

use std::process::{Command, Output};
use std::sync::Arc;

use verdis_conformance::proxy::FaultProxy;
use verdis_conformance::resp::{Reply, Value};
use verdis_conformance::{Server, Target};

fn conform(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_verdis-conform")).args(args).output().expect("running verdis-conform")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The planted fault: GET of key `k1` answers its value with one byte appended.
fn corrupt_get_k1(argv: &[Vec<u8>], reply: &Reply) -> Option<Vec<u8>> {
    let is_get_k1 = argv.len() == 2 && argv[0].eq_ignore_ascii_case(b"get") && argv[1] == b"k1";
    match &reply.value {
        Value::Bulk(v) if is_get_k1 => Some(Value::Bulk([v.as_slice(), b"!"].concat()).encode()),
        _ => None,
    }
}

#[test]
fn every_subcommand_has_help_listing_its_flags() {
    // `--help` works with no subcommand and on each one, naming the flags the README documents.
    let cases: [(&[&str], &[&str]); 4] = [
        (&["--help"], &["run", "replay", "coverage"]),
        (
            &["run", "--help"],
            &[
                "--subject",
                "--oracle",
                "--families",
                "--cases",
                "--seed",
                "--resp",
                "--report-dir",
                "--regressions",
                "--shrink-max",
                "--junit",
            ],
        ),
        (&["replay", "--help"], &["--subject", "--oracle", "FILE"]),
        (&["coverage", "--help"], &["--subject", "--oracle"]),
    ];
    for (args, flags) in cases {
        let out = conform(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        let help = text(&out.stdout);
        for flag in flags {
            assert!(help.contains(flag), "{args:?} lacks {flag}:\n{help}");
        }
    }
}

#[test]
fn a_bad_value_or_flag_is_named_in_the_error() {
    // Each mistake is refused with exit code 2 (the run could not be made), naming the flag.
    let cases: [(&[&str], &str); 5] = [
        (&["run", "--resp", "4"], "--resp"),
        (&["run", "--cases", "many"], "--cases"),
        (&["run", "--subject", "bogus"], "--subject"),
        (&["coverage", "--oracle", "addr:nohost"], "--oracle"),
        (&["run", "--frobnicate"], "--frobnicate"),
    ];
    for (args, flag) in cases {
        let out = conform(args);
        assert_eq!(out.status.code(), Some(2), "{args:?} must be refused");
        let err = text(&out.stderr);
        assert!(err.contains(flag), "{args:?}: the error does not name {flag}:\n{err}");
    }
}

#[test]
fn run_junit_has_a_case_per_family_and_the_planted_mismatch() {
    // A run against a proxy that corrupts GET k1 exits 1; its JUnit report, read by a real XML
    // parser, has one case per family of report.json, and exactly the families whose matches fall
    // short fail — the string family among them, its failure holding the GET k1 transcript.
    let upstream = Server::start(&Target::Redis).expect("redis-server (apt-get install redis-server)");
    let proxy = FaultProxy::start(&upstream.addr, Arc::new(corrupt_get_k1)).expect("proxy");
    let dir = tempfile::tempdir().expect("tempdir");
    let junit = dir.path().join("conform.xml");
    let subject = format!("addr:{}", proxy.addr);
    let report_dir = dir.path().join("report");
    let out = conform(&[
        "run",
        "--subject",
        &subject,
        "--oracle",
        "redis",
        "--families",
        "strings,keys",
        "--cases",
        "300",
        "--seed",
        "7",
        "--shrink-max",
        "1",
        "--report-dir",
        report_dir.to_str().unwrap(),
        "--regressions",
        dir.path().join("regressions").to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "the planted fault must fail the run:\n{}", text(&out.stderr));

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap()).unwrap();
    let per_family = json["per_family"].as_object().expect("per_family in report.json");
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report is written");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(names, per_family.keys().map(String::as_str).collect::<Vec<_>>(), "{xml}");
    for case in &cases {
        let family = &per_family[case.attribute("name").unwrap()];
        let short = family["matches"] != family["cases"];
        let failure = case.children().find(|n| n.has_tag_name("failure"));
        assert_eq!(failure.is_some(), short, "{xml}");
    }
    let string = cases.iter().find(|c| c.attribute("name") == Some("string")).expect("a string case");
    let failure = string.children().find(|n| n.has_tag_name("failure")).expect("the string family fails");
    let body = failure.text().unwrap_or("");
    assert!(failure.attribute("message").unwrap().contains("cases mismatched"), "{xml}");
    assert!(body.contains("get: ") && body.contains("GET k1") && body.contains("mismatch:"), "{body}");
}
