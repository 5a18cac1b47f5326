//! The `verdis-chaos` command line: every subcommand's help, errors that name the bad flag, the
//! documented invocations, and the campaign's JUnit report.

use std::collections::BTreeSet;
use std::process::{Command, Output};

fn chaos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_verdis-chaos")).args(args).output().expect("running verdis-chaos")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_subcommand_has_help_listing_its_flags() {
    // `--help` works on each subcommand and names the flags the READMEs document for it.
    let cases: [(&str, &[&str]); 4] = [
        ("sim", &["--seed", "--faults", "--steps", "--trace", "--plant", "--config"]),
        ("replay", &["--seed", "--faults", "--steps", "--liveness", "--tape"]),
        ("campaign", &["--seeds", "--jobs", "--steps", "--liveness", "--faults", "--junit"]),
        ("shrink", &["--seed", "--faults", "--steps"]),
    ];
    for (sub, flags) in cases {
        let out = chaos(&[sub, "--help"]);
        assert!(out.status.success(), "{sub} --help: {}", text(&out.stderr));
        let help = text(&out.stdout);
        for flag in flags {
            assert!(help.contains(flag), "{sub} --help lacks {flag}:\n{help}");
        }
    }
}

#[test]
fn a_bad_value_or_flag_is_named_in_the_error() {
    // Each mistake is refused (exit 2) with the flag it concerns in the message.
    let cases: [(&[&str], &str); 5] = [
        (&["sim", "--seed", "x"], "--seed"),
        (&["campaign", "--seeds", "1-2"], "--seeds"),
        (&["sim", "--seed", "1", "--plant", "no-such-bug"], "--plant"),
        (&["replay", "--seed", "1", "--faults", "bogus=1"], "--faults"),
        (&["sim", "--seed", "1", "--frobnicate"], "--frobnicate"),
    ];
    for (args, flag) in cases {
        let out = chaos(args);
        assert_eq!(out.status.code(), Some(2), "{args:?} must be refused");
        let err = text(&out.stderr);
        assert!(err.contains(flag), "{args:?}: the error does not name {flag}:\n{err}");
    }
}

#[test]
fn sim_prints_the_trace_hash_and_replay_reproduces_it() {
    // The README's `sim --seed N` and `replay --seed N` still run the same world.
    let hash = |out: &Output| text(&out.stdout).lines().find(|l| l.starts_with("trace hash")).map(str::to_string);
    let sim = chaos(&["sim", "--seed", "42", "--steps", "200"]);
    let replay = chaos(&["replay", "--seed", "42", "--steps", "200"]);
    assert!(sim.status.success() && replay.status.success(), "{}{}", text(&sim.stderr), text(&replay.stderr));
    assert!(hash(&sim).is_some(), "{}", text(&sim.stdout));
    assert_eq!(hash(&sim), hash(&replay));
}

#[test]
fn campaign_junit_has_a_case_per_seed_and_the_planted_failures() {
    // With a planted bug (GET serves expired values) the campaign fails; its JUnit report, read by
    // a real XML parser, has one case per seed, and exactly the seeds the summary lists as failing
    // carry a failure with the check, the model's verdict and the replay command. The plan pins
    // the workload it was written for (no transactions, no table commands), where seed 6 finds the bug.
    let dir = tempfile::tempdir().expect("tempdir");
    let junit = dir.path().join("chaos.xml");
    let out = chaos(&[
        "campaign",
        "--seeds",
        "0..12",
        "--steps",
        "1000",
        "--jobs",
        "1",
        "--faults",
        "none,persistence=none,keys=24,transactions=0,table_commands=0",
        "--config",
        "hz=1",
        "--plant",
        "get-skips-lazy-expiry",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "the planted bug must fail the campaign:\n{stdout}");
    let summary_failures: BTreeSet<String> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  seed "))
        .map(|l| format!("seed {}", l.split_whitespace().next().unwrap()))
        .collect();
    assert!(!summary_failures.is_empty(), "{stdout}");

    let xml = std::fs::read_to_string(&junit).expect("the JUnit report is written");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 12, "{xml}");
    let mut failed = BTreeSet::new();
    for case in &cases {
        let Some(failure) = case.children().find(|n| n.has_tag_name("failure")) else { continue };
        let name = case.attribute("name").unwrap();
        let body = failure.text().unwrap_or("");
        assert!(failure.attribute("message").unwrap().starts_with("[reply]"), "{xml}");
        assert!(body.contains("model says"), "{body}");
        let seed = name.strip_prefix("seed ").unwrap();
        assert!(body.contains(&format!("verdis-chaos replay --seed {seed} ")), "{body}");
        failed.insert(name.to_string());
    }
    assert_eq!(failed, summary_failures);
    let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
    assert_eq!(suite.attribute("failures"), Some(failed.len().to_string().as_str()));
}
