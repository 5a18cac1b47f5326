//! Differential campaigns against real redis-server as a process, and the replay of every saved
//! regression file. Needs `redis-server` (7.0.15) on PATH or in `$REDIS_SERVER`.

mod support;

use verdis_conformance::campaign::{Campaign, Settings};
use verdis_conformance::{regression, Generator, Regression, Server, Target};

/// The workspace's `verdis-server` binary as a target.
fn verdis_server() -> Target {
    Target::Process(support::verdis_server_binary())
}

/// Runs `cases` sequences of `families` and returns the campaign (nothing saved).
fn campaign(subject: Target, families: &[&str], cases: u64, seed: u64, resp: u8) -> Campaign {
    let settings = Settings {
        families: families.iter().map(|f| f.to_string()).collect(),
        cases,
        seed,
        resp,
        regressions_dir: None,
        shrink_max: 5,
    };
    let generator = Generator::from_table(&settings.families).expect("generator");
    let oracle = Server::start(&Target::Redis).expect("redis-server (apt-get install redis-server)");
    let subject = Server::start(&subject).expect("subject");
    let mut c = Campaign::new(oracle, subject, resp).expect("campaign");
    c.run(&generator, &settings, |_, _| {}).expect("run");
    c
}

/// Every finding's transcript, for the failure message.
fn transcripts(c: &Campaign) -> String {
    let mut out = String::new();
    for f in &c.findings {
        out.push_str(&format!(
            "\n--- {} (shrunk {} -> {})\n{}",
            f.signature,
            f.original_len,
            f.shrunk.len(),
            f.transcript
        ));
    }
    for (name, s) in c.stats.iter().filter(|(_, s)| s.mismatches > 0) {
        out.push_str(&format!("\n{name}: {} of {} cases mismatched", s.mismatches, s.cases));
    }
    out
}

#[test]
fn redis_against_itself_is_fully_compatible_in_both_protocols() {
    // Proves the rules table absorbs every legitimate difference between two Redis processes
    // (hash order, random picks, cursors, time), over every family verdis implements.
    for resp in [2, 3] {
        let c = campaign(Target::Redis, &["all"], 150, 11, resp);
        assert_eq!(c.failed_sequences, 0, "RESP{resp}: {}", transcripts(&c));
        assert!(c.stats.values().map(|s| s.cases).sum::<u64>() > 1000);
    }
}

#[test]
fn verdis_server_matches_redis_per_family_and_mixed_in_both_protocols() {
    // Proves every implemented command of the string, generic-key, list, hash, set, sorted-set
    // and connection families of the verdis-server binary replies as Redis 7.0.15 does, byte for
    // byte (under the declared rules), and leaves the same keyspace: each family alone, then
    // mixed, in RESP2 and RESP3.
    let verdis = verdis_server();
    let mixed = &["strings", "keys", "lists", "hashes", "sets", "zsets", "connection"][..];
    let runs: [(&[&str], u8, u64, u64); 9] = [
        (&["strings"], 2, 21, 250),
        (&["keys"], 2, 22, 250),
        (&["lists"], 2, 23, 250),
        (&["hashes"], 2, 24, 250),
        (&["sets"], 2, 25, 250),
        (&["zsets"], 2, 26, 250),
        (&["connection"], 2, 27, 100),
        (mixed, 2, 28, 300),
        (mixed, 3, 29, 300),
    ];
    let mut failures = String::new();
    for (families, resp, seed, cases) in runs {
        let c = campaign(verdis.clone(), families, cases, seed, resp);
        if c.failed_sequences > 0 {
            failures.push_str(&format!("\n=== {families:?} RESP{resp} seed {seed}:{}", transcripts(&c)));
        }
    }
    assert!(failures.is_empty(), "verdis differs from Redis:{failures}");
}

#[test]
fn verdis_streams_match_redis_in_both_protocols() {
    // Proves every stream command (XADD ... XINFO; XREAD and XREADGROUP without BLOCK, XADD
    // with explicit and `ms-*` IDs) of the verdis-server binary replies as Redis 7.0.15 does
    // under the declared rules, and leaves the same keyspace, in RESP2 and RESP3.
    let verdis = verdis_server();
    let mut failures = String::new();
    for (resp, seed) in [(2, 41), (3, 42)] {
        let c = campaign(verdis.clone(), &["streams"], 250, seed, resp);
        if c.failed_sequences > 0 {
            failures.push_str(&format!("\n=== streams RESP{resp} seed {seed}:{}", transcripts(&c)));
        }
    }
    assert!(failures.is_empty(), "verdis differs from Redis:{failures}");
}

#[test]
fn verdis_linked_in_process_matches_redis_too() {
    // Proves the in-process backend (the tool's default when no binary is beside it) runs the
    // same server: a short campaign on it matches as well.
    let c = campaign(Target::VerdisInProcess, &["strings", "keys"], 100, 23, 2);
    assert_eq!(c.failed_sequences, 0, "verdis (in-process) differs from Redis:{}", transcripts(&c));
}

#[test]
fn every_saved_regression_replays_without_a_mismatch() {
    // Proves every mismatch ever found and saved under conformance/regressions stays fixed.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let files = regression::files_in(&dir).expect("regressions directory");
    assert!(!files.is_empty(), "{} holds no regression file", dir.display());
    let mut failures = Vec::new();
    let verdis = verdis_server();
    for resp in [2, 3] {
        let regs: Vec<_> = files
            .iter()
            .map(|p| (p, Regression::load(p).expect("valid regression file")))
            .filter(|(_, r)| r.resp == resp)
            .collect();
        if regs.is_empty() {
            continue;
        }
        let oracle = Server::start(&Target::Redis).expect("redis-server");
        let subject = Server::start(&verdis).expect("verdis");
        let mut c = Campaign::new(oracle, subject, resp).expect("campaign");
        for (path, reg) in regs {
            let outcome = c.replay(&reg);
            if outcome.signature().is_some() {
                failures.push(format!("{}:\n{}", path.display(), outcome.transcript()));
            }
        }
    }
    assert!(failures.is_empty(), "regressions mismatch:\n{}", failures.join("\n"));
}
