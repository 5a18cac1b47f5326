//! Sessions over several connections against real redis-server: transactions, WATCH races,
//! pub/sub, keyspace notifications, and client tracking compared byte for byte; and a
//! planted bug (hash writes that never invalidate WATCH) found and shrunk.

use verdis_conformance::session::{self, Finding, Mix};
use verdis_conformance::{Server, Target};
use verdis_engine::plants::Plants;

/// Sessions the differential test runs.
const SESSIONS: u64 = 150;
/// Sessions the planted-bug test may need (a WATCH, another client's HSET of that key, EXEC).
const PLANTED_SESSIONS_MAX: u64 = 2000;

fn transcripts(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("\n--- shrunk {} -> {}\n{}", f.original_len, f.session.steps.len(), f.transcript()))
        .collect()
}

#[test]
fn sessions_match_redis() {
    // Proves verdis's multi-connection behaviour — what each command sends to every connection —
    // is byte-identical to Redis 7.0's over generated sessions.
    let oracle = Server::start(&Target::Redis).expect("redis-server (apt-get install redis-server)");
    let subject = Server::start(&Target::VerdisInProcess).expect("verdis");
    let findings = session::campaign(&oracle, &subject, 20_261_207, SESSIONS, Mix::All).expect("campaign");
    assert!(findings.is_empty(), "{} sessions differ:{}", findings.len(), transcripts(&findings));
}

#[test]
fn a_write_that_forgets_watch_is_found_and_shrunk() {
    // Proves the sessions catch a write kind that does not invalidate WATCH (planted: hash writes
    // report no modified key), and shrink it to a few steps that show it.
    let oracle = Server::start(&Target::Redis).expect("redis-server (apt-get install redis-server)");
    let planted = Plants { hash_writes_skip_touches: true, ..Plants::default() };
    let subject = Server::start_planted(planted).expect("verdis with the planted bug");
    // Without notifications or tracking in the mix, only WATCH can show the lost touches.
    let findings =
        session::campaign(&oracle, &subject, 20_261_207, PLANTED_SESSIONS_MAX, Mix::Transactions).expect("campaign");
    let has = |f: &Finding, name: &str| f.session.steps.iter().any(|s| s.argv[0].eq_ignore_ascii_case(name.as_bytes()));
    let finding = findings
        .iter()
        .find(|f| has(f, "WATCH") && has(f, "EXEC") && (has(f, "HSET") || has(f, "HDEL")))
        .unwrap_or_else(|| panic!("no finding shows the WATCH miss:{}", transcripts(&findings)));
    let steps = finding.session.steps.len();
    assert!(steps <= 8, "shrunk to {steps} steps:\n{}", finding.transcript());
}

#[test]
fn a_missed_watch_shows_in_the_exec_reply() {
    // Proves the runner sees the planted WATCH miss in the one session that shows it: Redis
    // answers the null array to EXEC, the subject runs the transaction.
    let oracle = Server::start(&Target::Redis).expect("redis-server (apt-get install redis-server)");
    let planted = Plants { hash_writes_skip_touches: true, ..Plants::default() };
    let subject = Server::start_planted(planted).expect("verdis with the planted bug");
    let step = |client: usize, line: &str| session::Step {
        client,
        argv: line.split(' ').map(|w| w.as_bytes().to_vec()).collect(),
    };
    let s = session::Session {
        resp: [2, 2, 3],
        steps: vec![
            step(1, "HSET a f v"),
            step(0, "WATCH a"),
            step(1, "HSET a f w"),
            step(0, "MULTI"),
            step(0, "EXEC"),
        ],
    };
    let mismatch = session::run(&oracle, &subject, &s).expect("run").expect("a mismatch");
    assert_eq!((mismatch.step, mismatch.client), (4, 0));
    assert_eq!(mismatch.oracle, b"*-1\r\n");
}
