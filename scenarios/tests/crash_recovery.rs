//! Crash recovery on real processes: every case of `crash::cases()` (each persistence policy over
//! random kill points, right after an acknowledgement, during BGSAVE and during BGREWRITEAOF)
//! against verdis-server killed with SIGKILL; the `always` and RDB-only cases against real
//! redis-server too, which proves the checker expects what Redis does; and the planted cases,
//! which prove the checker reports a broken promise.
//!
//! `VERDIS_CRASH_ITERATIONS=N` runs each verdis case with N seeds (default 1, which keeps this
//! file around a minute in a debug build); e.g.
//! `VERDIS_CRASH_ITERATIONS=20 cargo test -p verdis-scenarios --test crash_recovery on_verdis`.
//! A failure prints the case, the seed, per-client sent/acked/recovered counts and both logs.

use verdis_scenarios::crash::{cases, find_case, planted_cases, run, Outcome};
use verdis_scenarios::process::ServerKind;

fn iterations() -> u64 {
    std::env::var("VERDIS_CRASH_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(1)
}

fn run_case(name: &str, kind: ServerKind, seed: u64) -> Outcome {
    let case = find_case(name).unwrap_or_else(|| panic!("no crash case named {name}"));
    let outcome = run(&case, kind, seed).unwrap_or_else(|e| panic!("{name} on {kind:?} seed {seed}: {e}"));
    eprintln!("{}", outcome.summary());
    outcome
}

/// Runs the case with every seed on `kind` and asserts it holds each time.
fn holds(name: &str, kind: ServerKind) {
    let seeds = if kind == ServerKind::Verdis { iterations() } else { 1 };
    for seed in 0..seeds {
        run_case(name, kind, seed).assert_holds();
    }
}

macro_rules! crash_tests {
    ($module:ident, $kind:expr, { $($test:ident => $case:literal),* $(,)? }) => {
        mod $module {
            /// The cases this module runs.
            pub const CASES: &[&str] = &[$($case),*];

            $(
                #[test]
                fn $test() {
                    super::holds($case, $kind);
                }
            )*
        }
    };
}

crash_tests!(on_verdis, verdis_scenarios::process::ServerKind::Verdis, {
    always_random => "always-random",
    always_after_ack => "always-after-ack",
    always_during_rewrite => "always-during-rewrite",
    everysec_random => "everysec-random",
    everysec_after_ack => "everysec-after-ack",
    everysec_during_rewrite => "everysec-during-rewrite",
    no_random => "no-random",
    no_during_rewrite => "no-during-rewrite",
    no_process_crash_random => "no-process-crash-random",
    no_process_crash_during_rewrite => "no-process-crash-during-rewrite",
    rdb_random => "rdb-random",
    rdb_after_ack => "rdb-after-ack",
    rdb_during_bgsave => "rdb-during-bgsave",
    rdb_save_points => "rdb-save-points",
    rdb_and_aof_random => "rdb-and-aof-random",
    rdb_and_aof_during_bgsave => "rdb-and-aof-during-bgsave",
    always_slow_fsync_during_rewrite => "always-slow-fsync-during-rewrite",
    always_slow_fsync_after_rewrite => "always-slow-fsync-after-rewrite",
    everysec_slow_fsync_at_start => "everysec-slow-fsync-at-start",
    everysec_slow_fsync_rewrite => "everysec-slow-fsync-rewrite",
    always_slow_fsync_rewrite => "always-slow-fsync-rewrite",
});

crash_tests!(on_redis, verdis_scenarios::process::ServerKind::Redis, {
    always_random => "always-random",
    always_after_ack => "always-after-ack",
    always_during_rewrite => "always-during-rewrite",
    rdb_random => "rdb-random",
    rdb_during_bgsave => "rdb-during-bgsave",
    rdb_save_points => "rdb-save-points",
    no_process_crash_random => "no-process-crash-random",
    no_process_crash_during_rewrite => "no-process-crash-during-rewrite",
    always_slow_fsync_during_rewrite => "always-slow-fsync-during-rewrite",
    always_slow_fsync_after_rewrite => "always-slow-fsync-after-rewrite",
    everysec_slow_fsync_at_start => "everysec-slow-fsync-at-start",
    everysec_slow_fsync_rewrite => "everysec-slow-fsync-rewrite",
    always_slow_fsync_rewrite => "always-slow-fsync-rewrite",
});

#[test]
fn every_case_is_run() {
    // Proves no case of `crash::cases()` is defined and never run: each has a test on verdis,
    // and the cases run on Redis are cases too (a typo there would panic only at run time).
    let names: Vec<&str> = cases().iter().map(|c| c.name).collect();
    let missing: Vec<&&str> = names.iter().filter(|n| !on_verdis::CASES.contains(n)).collect();
    assert!(missing.is_empty(), "crash cases with no test on verdis: {missing:?}");
    for name in on_verdis::CASES.iter().chain(on_redis::CASES) {
        assert!(names.contains(name), "{name} is not a case of crash::cases()");
    }
    let planted: Vec<&str> = planted_cases().iter().map(|c| c.name).collect();
    assert_eq!(planted, planted::CASES, "every planted case is run by the planted tests");
}

/// Proves the checker fails: each planted case breaks its expectation on purpose (an AOF tail
/// cut after the kill; an RDB-only server held to `always`), and must be reported — on real
/// Redis, so the failure is the setup's and not a verdis bug.
mod planted {
    use super::*;
    use verdis_scenarios::check::Violation;

    #[test]
    fn cut_aof_tail_loses_acknowledged_writes() {
        let outcome = run_case("planted-cut-aof-tail", ServerKind::Redis, 0);
        assert!(
            outcome.violations.iter().any(|v| matches!(v, Violation::LostAcked { .. })),
            "the checker missed the cut tail: {}\n{:?}",
            outcome.summary(),
            outcome.violations
        );
    }

    #[test]
    fn rdb_only_loses_writes_after_the_last_save() {
        let outcome = run_case("planted-rdb-held-to-always", ServerKind::Redis, 0);
        assert!(
            outcome.violations.iter().any(|v| matches!(v, Violation::LostAcked { .. })),
            "the checker missed the writes after the last save: {}\n{:?}",
            outcome.summary(),
            outcome.violations
        );
    }

    /// The planted cases, each run by the tests below.
    pub const CASES: &[&str] = &["planted-cut-aof-tail", "planted-rdb-held-to-always"];

    /// The `LostAcked` violations of `outcome`, as (client, op).
    fn lost_acked(outcome: &Outcome) -> Vec<(usize, u64)> {
        outcome
            .violations
            .iter()
            .filter_map(|v| match v {
                Violation::LostAcked { client, op, .. } => Some((*client, *op)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn cut_aof_tail_is_reported_as_exactly_the_ops_it_cut_on_verdis() {
        // Proves the checker names what the plant loses on verdis, not just that something broke:
        // for each client, the first op whose command the cut removed from the AOF is reported
        // lost when it had been acknowledged, and nothing else is reported.
        let outcome = run_case("planted-cut-aof-tail", ServerKind::Verdis, 0);
        let mut expected: Vec<(usize, u64)> = Vec::new();
        for &(client, op) in &outcome.cut_ops {
            if expected.iter().all(|(c, _)| *c != client) {
                expected.push((client, op));
            }
        }
        expected.retain(|&(client, op)| outcome.histories[client].ops[op as usize - 1].acked.is_some());
        expected.sort_unstable();
        assert!(!expected.is_empty(), "the cut removed no acknowledged op: {:?}", outcome.cut_ops);
        let mut reported = lost_acked(&outcome);
        reported.sort_unstable();
        assert_eq!(reported, expected, "{}\ncut: {:?}\n{:?}", outcome.summary(), outcome.cut_ops, outcome.violations);
        assert_eq!(outcome.violations.len(), reported.len(), "only LostAcked: {:?}", outcome.violations);
    }

    #[test]
    fn rdb_only_held_to_always_is_reported_as_lost_acknowledged_writes_on_verdis() {
        // Proves the RDB-only plant is reported on verdis as the loss it causes: the server dies
        // right after acknowledging client 0's op 1500, so client 0's acknowledged ops after the
        // last snapshot are lost, and the checker names the first of them (the op after what
        // was recovered); nothing but LostAcked is reported.
        let outcome = run_case("planted-rdb-held-to-always", ServerKind::Verdis, 0);
        let reported = lost_acked(&outcome);
        let recovered0 = outcome.recovered[0];
        assert!(
            reported.contains(&(0, recovered0 + 1)) && recovered0 < 1500,
            "client 0 acked op 1500 and recovered {recovered0}: {}\n{:?}",
            outcome.summary(),
            outcome.violations
        );
        assert_eq!(outcome.violations.len(), reported.len(), "only LostAcked: {:?}", outcome.violations);
    }
}

/// An old single-file appendonly.aof being upgraded into a manifest directory survives a kill at
/// any moment after the server answers PING. Redis persists the manifest before it moves the file
/// (and redoes the upgrade after a crash); a slow disk (each fsync 1 s longer) puts the kill
/// inside verdis's upgrade.
mod upgrade {
    use std::time::Duration;

    use verdis_scenarios::crash::Disk;
    use verdis_scenarios::process::{ServerKind, ServerProcess};

    /// Keys in the old file.
    const KEYS: usize = 100;

    fn old_aof_upgrade_survives_a_kill(kind: ServerKind) {
        let dir = tempfile::Builder::new().prefix("verdis-upgrade-").tempdir().expect("temp dir");
        let mut old = String::from("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n");
        for i in 0..KEYS {
            let key = format!("old:{i}");
            old.push_str(&format!("*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n$1\r\nv\r\n", key.len()));
        }
        std::fs::write(dir.path().join("appendonly.aof"), old).expect("write appendonly.aof");
        let args: Vec<String> = ["--save", "", "--appendonly", "yes"].map(String::from).to_vec();
        let wrapper = Disk::SlowFsync { delay: Duration::from_secs(1) }.wrapper().expect("strace");
        let mut first = ServerProcess::start_wrapped(kind, dir.path(), &args, "first.log", &wrapper).expect("start");
        let loaded: usize = redis::cmd("DBSIZE").query(&mut first.client().expect("client")).expect("DBSIZE");
        assert_eq!(loaded, KEYS, "{kind:?} loaded the old file; log:\n{}", first.log());
        first.kill9();
        let files = list_files(dir.path());
        let second = ServerProcess::start(kind, dir.path(), &args, "second.log").expect("restart");
        let reloaded: usize = redis::cmd("DBSIZE").query(&mut second.client().expect("client")).expect("DBSIZE");
        assert_eq!(
            reloaded,
            KEYS,
            "{kind:?} lost the old AOF's data to a kill during its upgrade; files after the kill: {files:?}; \
             logs:\n{}\n{}",
            first.log(),
            second.log()
        );
    }

    fn list_files(dir: &std::path::Path) -> Vec<String> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(list_files(&path));
            } else if path.extension().is_none_or(|e| e != "log") {
                out.push(path.strip_prefix(dir).unwrap_or(&path).display().to_string());
            }
        }
        out
    }

    #[test]
    fn on_verdis() {
        old_aof_upgrade_survives_a_kill(ServerKind::Verdis);
    }

    #[test]
    fn on_redis() {
        old_aof_upgrade_survives_a_kill(ServerKind::Redis);
    }
}
