//! Running sequences on the oracle and the subject in lock step, comparing every reply and then
//! the whole keyspace, shrinking a mismatch to its fewest commands, and keeping the statistics a
//! report is made of.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::backend::Server;
use crate::compare::{check_picks, compare, escape, escape_clipped, shape, within, PickSource, Verdict};
use crate::error::ConformError;
use crate::gen::{Argv, Generator, KEY_POOL};
use crate::regression::{format_command, Regression};
use crate::resp::{Conn, Reply, Value};
use crate::rng::Rng;
use crate::rules::{command_name, rule_for_argv, Rule};

/// Most SCAN calls made to collect one full scan.
const SCAN_CALLS_MAX: usize = 10_000;
/// Most sequence runs one shrink may spend.
const SHRINK_RUNS_MAX: usize = 500;
/// Length an argument is cut to when shrinking tries a shorter value.
const SHRUNK_ARG_BYTES: usize = 16;
/// Slack added to the measured clock tolerance (`Rule::ClockMs`), in milliseconds. Zero: the
/// oracle, the subject and this runner read the same wall clock, and each truncates it to whole
/// milliseconds, so the millisecond boundaries the runner sees crossed while a command ran on
/// both sides bound every difference truncation can make. A server on another host (its own
/// clock) would need more.
const CLOCK_ROUNDING_MS: i64 = 0;
/// The key DUMP payloads are RESTOREd into to be checked (never generated: not in `KEY_POOL`).
const DUMP_SCRATCH_KEY: &[u8] = b"conform:dump-scratch";
/// RDB type bytes whose payload differs between two Redis processes holding the same value: a
/// set or a hash in a dict (the table's order is random per process) and streams (consumer
/// groups keep delivery times from each process's clock). Every other encoding (strings,
/// integers, listpacks, intsets, quicklists, skiplists) is deterministic and compared byte for
/// byte.
const DUMP_TYPES_UNORDERED: &[u8] = &[2, 4, 15, 19];
/// Most restarts of a dead server per side.
const RESTARTS_MAX: u32 = 20;
/// The oracle's version must start with this (the comparison is defined against Redis 7.0).
const ORACLE_VERSION_PREFIX: &str = "7.0.";
/// Name under which keyspace differences are counted.
pub const KEYSPACE: &str = "(keyspace)";

/// One side of the comparison: a server and a connection to it.
pub struct Side {
    /// The server.
    pub server: Server,
    conn: Conn,
    /// A second connection, for commands that must not run in the sequence's connection state
    /// (inside its MULTI, say); opened on first use.
    aside: Option<Conn>,
    resp: u8,
    /// Commands sent (for the commands/second figure).
    pub calls: u64,
    /// Time spent waiting for this side's replies.
    pub busy: Duration,
    /// Times the server was started again after it died.
    pub restarts: u32,
}

impl Side {
    /// Connects to `server`, switching to RESP3 when `resp` is 3.
    pub fn new(server: Server, resp: u8) -> Result<Side, ConformError> {
        let conn = server.connect()?;
        let mut side = Side { server, conn, aside: None, resp, calls: 0, busy: Duration::ZERO, restarts: 0 };
        side.hello()?;
        Ok(side)
    }

    fn hello(&mut self) -> Result<(), ConformError> {
        if self.resp == 3 {
            let reply = self.conn.call_str(&["HELLO", "3"])?;
            if reply.value.is_error() {
                return Err(ConformError::Unsupported(format!(
                    "{} refused HELLO 3: {}",
                    self.server.label,
                    escape(&reply.raw)
                )));
            }
        }
        Ok(())
    }

    /// A fresh connection (after the server closed it, or after a connection-state command).
    pub fn reconnect(&mut self) -> Result<(), ConformError> {
        self.conn = self.server.connect()?;
        self.hello()
    }

    /// Runs one command. A lost connection becomes a synthetic error reply (which will not match
    /// the oracle's) and the side reconnects.
    pub fn call(&mut self, argv: &[Vec<u8>]) -> Reply {
        let start = Instant::now();
        let result = self.conn.call(argv);
        self.busy += start.elapsed();
        self.calls += 1;
        match result {
            Ok(reply) => reply,
            Err(e) => {
                let alive = self.reconnect().is_ok() && self.conn.call_str(&["PING"]).is_ok();
                if !alive && self.restarts < RESTARTS_MAX {
                    // The server is gone (crashed or exited): start it again so the campaign, and
                    // the shrinking of the sequence that killed it, can go on.
                    self.restarts += 1;
                    if let Ok(server) = Server::start(&self.server.target) {
                        self.server = server;
                        let _ = self.reconnect();
                    }
                }
                Reply::from_value(Value::Error(format!("CONFORM connection failed: {e}").into_bytes()))
            }
        }
    }

    /// Runs one command on the second connection (opened again if the first try fails, as after
    /// a restart); its reply is of no interest.
    pub fn call_aside(&mut self, words: &[&str]) {
        for _ in 0..2 {
            if self.aside.is_none() {
                self.aside = self.server.connect().ok();
            }
            match self.aside.as_mut().map(|conn| conn.call_str(words)) {
                Some(Ok(_)) => return,
                _ => self.aside = None,
            }
        }
    }

    /// Runs one command given as words.
    pub fn call_str(&mut self, words: &[&str]) -> Reply {
        let argv: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        self.call(&argv)
    }
}

/// Which keyspace-inspection commands both sides implement (the oracle has them all; a young
/// subject may not).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    /// FLUSHALL resets between sequences.
    pub flushall: bool,
    /// DEL (the fallback reset).
    pub del: bool,
    /// KEYS lists the keyspace.
    pub keys: bool,
    /// TYPE.
    pub type_: bool,
    /// PTTL.
    pub pttl: bool,
    /// EXISTS (for RANDOMKEY's contract).
    pub exists: bool,
    /// SELECT (to check the other databases MOVE, COPY DB and SWAPDB write to).
    pub select: bool,
}

fn unknown_command(reply: &Reply) -> bool {
    matches!(&reply.value, Value::Error(e) if e.starts_with(b"ERR unknown command"))
}

impl Caps {
    /// Asks `side` which of the inspection commands it knows.
    pub fn probe(side: &mut Side) -> Caps {
        let mut knows = |words: &[&str]| !unknown_command(&side.call_str(words));
        Caps {
            keys: knows(&["KEYS", "conform-probe"]),
            type_: knows(&["TYPE", "conform-probe"]),
            pttl: knows(&["PTTL", "conform-probe"]),
            exists: knows(&["EXISTS", "conform-probe"]),
            select: knows(&["SELECT", "0"]),
            del: knows(&["DEL", "conform-probe"]),
            flushall: knows(&["FLUSHALL"]),
        }
    }

    /// What both have.
    pub fn both(&self, other: &Caps) -> Caps {
        Caps {
            flushall: self.flushall && other.flushall,
            del: self.del && other.del,
            keys: self.keys && other.keys,
            type_: self.type_ && other.type_,
            pttl: self.pttl && other.pttl,
            exists: self.exists && other.exists,
            select: self.select && other.select,
        }
    }

    /// The inspection commands missing, for the report.
    pub fn missing(&self) -> Vec<&'static str> {
        [
            (self.flushall, "FLUSHALL"),
            (self.del, "DEL"),
            (self.keys, "KEYS"),
            (self.type_, "TYPE"),
            (self.pttl, "PTTL"),
            (self.exists, "EXISTS"),
            (self.select, "SELECT"),
        ]
        .into_iter()
        .filter_map(|(has, name)| (!has).then_some(name))
        .collect()
    }
}

/// One command of a sequence, run on both sides.
#[derive(Clone, Debug)]
pub struct Step {
    /// The command.
    pub argv: Argv,
    /// The oracle's reply.
    pub oracle: Reply,
    /// The subject's reply.
    pub subject: Reply,
    /// How they compare.
    pub verdict: Verdict,
}

/// The result of one sequence.
#[derive(Clone, Debug)]
pub struct SeqOutcome {
    /// The commands run, up to and including the first mismatching one.
    pub steps: Vec<Step>,
    /// Keyspace differences after the sequence (when every reply matched).
    pub keyspace: Vec<String>,
}

impl SeqOutcome {
    /// The name of what mismatched first: a command, or `(keyspace)`; `None` when all matched.
    pub fn signature(&self) -> Option<String> {
        match self.steps.iter().find(|s| !s.verdict.is_match()) {
            Some(step) => Some(command_name(&step.argv)),
            None => (!self.keyspace.is_empty()).then(|| KEYSPACE.to_string()),
        }
    }

    /// A readable transcript: every command with both replies, and any keyspace difference.
    pub fn transcript(&self) -> String {
        let mut out = String::new();
        for (i, step) in self.steps.iter().enumerate() {
            let mark = if step.verdict.is_match() { "  " } else { "!!" };
            out.push_str(&format!("{mark} {:>2}. {}\n", i + 1, format_command(&step.argv)));
            out.push_str(&format!("       oracle:  {}\n", escape_clipped(&step.oracle.raw)));
            out.push_str(&format!("       subject: {}\n", escape_clipped(&step.subject.raw)));
            if let Verdict::Mismatch(why) = &step.verdict {
                out.push_str(&format!("       mismatch: {why}\n"));
            }
        }
        for diff in &self.keyspace {
            out.push_str(&format!("!! keyspace: {diff}\n"));
        }
        out
    }
}

/// Per-command counts.
#[derive(Clone, Debug, Default)]
pub struct CmdStats {
    /// Times run.
    pub cases: u64,
    /// Times matched.
    pub matches: u64,
    /// Times mismatched.
    pub mismatches: u64,
    /// Times the oracle answered with an error (how much of the generation hits error paths).
    pub oracle_errors: u64,
    /// The first mismatch, as a (shrunk when possible) transcript.
    pub first_example: Option<String>,
}

/// A mismatch found, shrunk and (optionally) saved.
#[derive(Clone, Debug)]
pub struct Finding {
    /// What mismatched (`command` or `(keyspace)`).
    pub signature: String,
    /// The sequence as generated.
    pub original_len: usize,
    /// The shrunk sequence.
    pub shrunk: Vec<Argv>,
    /// Its transcript.
    pub transcript: String,
    /// Where the regression file was written.
    pub saved: Option<PathBuf>,
}

/// The campaign's settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Families to generate from.
    pub families: Vec<String>,
    /// Number of sequences.
    pub cases: u64,
    /// The run's seed.
    pub seed: u64,
    /// RESP version (2 or 3).
    pub resp: u8,
    /// Where shrunk regressions are saved (none: not saved).
    pub regressions_dir: Option<PathBuf>,
    /// Most distinct mismatches shrunk per run.
    pub shrink_max: usize,
}

/// Two sides, their shared capabilities, and the statistics so far.
pub struct Campaign {
    /// The reference.
    pub oracle: Side,
    /// The server under test.
    pub subject: Side,
    /// Inspection commands both sides have.
    pub caps: Caps,
    /// Per-command counts.
    pub stats: BTreeMap<String, CmdStats>,
    /// Mismatches found and shrunk.
    pub findings: Vec<Finding>,
    /// Sequences run.
    pub sequences: u64,
    /// Sequences with a mismatch.
    pub failed_sequences: u64,
    /// The oracle's `redis_version` (checked to be 7.0.x).
    pub oracle_version: String,
    /// The most wall-clock millisecond boundaries crossed while one command of the current
    /// sequence ran on both sides (from sending it to the oracle to the subject's reply).
    clock_crossed_ms_max: i64,
}

impl Campaign {
    /// Connects to both servers and learns what inspection commands they share. Fails when the
    /// oracle is not Redis 7.0.x or the subject cannot be reset between sequences.
    pub fn new(oracle: Server, subject: Server, resp: u8) -> Result<Campaign, ConformError> {
        let mut oracle = Side::new(oracle, resp)?;
        let oracle_version = redis_version(&mut oracle)?;
        let mut subject = Side::new(subject, resp)?;
        let caps = Caps::probe(&mut oracle).both(&Caps::probe(&mut subject));
        if !caps.flushall && !caps.del {
            return Err(ConformError::Unsupported(format!(
                "{} implements neither FLUSHALL nor DEL, so its keyspace cannot be reset between sequences",
                subject.server.label
            )));
        }
        Ok(Campaign {
            oracle,
            subject,
            caps,
            stats: BTreeMap::new(),
            findings: Vec::new(),
            sequences: 0,
            failed_sequences: 0,
            oracle_version,
            clock_crossed_ms_max: 0,
        })
    }

    /// Empties both keyspaces.
    fn reset(&mut self) {
        for side in [&mut self.oracle, &mut self.subject] {
            if self.caps.flushall {
                side.call_str(&["FLUSHALL"]);
                continue;
            }
            let mut keys: BTreeSet<Vec<u8>> = KEY_POOL.iter().map(|k| k.to_vec()).collect();
            if self.caps.keys {
                if let Some(items) = side.call_str(&["KEYS", "*"]).value.elements() {
                    keys.extend(items.iter().filter_map(|v| v.bytes().map(<[u8]>::to_vec)));
                }
            }
            let mut argv = vec![b"DEL".to_vec()];
            argv.extend(keys);
            side.call(&argv);
        }
    }

    /// Runs one sequence from an empty keyspace: every reply is compared; the sequence stops at
    /// the first mismatch (the two states have diverged); when all match, the keyspaces are.
    pub fn run_sequence(&mut self, seq: &[Argv]) -> SeqOutcome {
        self.reset();
        self.clock_crossed_ms_max = 0;
        let mut steps = Vec::with_capacity(seq.len());
        let mut connection_state_changed = false;
        for argv in seq {
            connection_state_changed |= changes_connection(argv);
            let step = self.step(argv);
            let matched = step.verdict.is_match();
            steps.push(step);
            if !matched {
                break;
            }
        }
        if connection_state_changed {
            let _ = self.oracle.reconnect();
            let _ = self.subject.reconnect();
        }
        let mut keyspace = Vec::new();
        if steps.iter().all(|s| s.verdict.is_match()) {
            keyspace = self.keyspace_diff();
            if self.caps.select {
                for db in databases_written(seq) {
                    let select = [b"SELECT".to_vec(), db.to_string().into_bytes()];
                    self.oracle.call(&select);
                    self.subject.call(&select);
                    keyspace.extend(self.keyspace_diff().into_iter().map(|d| format!("db {db}: {d}")));
                    self.oracle.call_str(&["SELECT", "0"]);
                    self.subject.call_str(&["SELECT", "0"]);
                }
            }
        }
        SeqOutcome { steps, keyspace }
    }

    /// Runs one command on the oracle, then on the subject, counting the wall-clock millisecond
    /// boundaries crossed from the first send to the second reply: whatever either server reads
    /// from its clock for this command lies in that window.
    fn call_both(&mut self, argv: &[Vec<u8>]) -> (Reply, Reply) {
        let wall_ms = || SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
        let before = wall_ms();
        let oracle = self.oracle.call(argv);
        let subject = self.subject.call(argv);
        self.clock_crossed_ms_max = self.clock_crossed_ms_max.max(wall_ms() - before);
        (oracle, subject)
    }

    /// The tolerance on milliseconds read from the clocks: an expiry set at one command and read
    /// at another differs between the sides by at most the boundaries crossed during one of
    /// them (both sides truncate to whole milliseconds, the oracle always runs first).
    pub fn clock_tolerance_ms(&self) -> i64 {
        self.clock_crossed_ms_max + CLOCK_ROUNDING_MS
    }

    /// Runs one command on both sides and compares under its rule.
    fn step(&mut self, argv: &[Vec<u8>]) -> Step {
        match rule_for_argv(argv) {
            Rule::ScanAll(cursor_at) => self.scan_step(argv, cursor_at),
            Rule::SetPop => self.set_pop_step(argv),
            Rule::RandomPick => self.random_pick_step(argv),
            Rule::DumpPayload => self.dump_step(argv),
            Rule::ClockMs => self.clock_step(argv),
            Rule::ExactAfterOracleReset(reset) => {
                self.oracle.call_aside(reset);
                let (oracle, subject) = self.call_both(argv);
                let verdict = compare(Rule::Exact, &oracle, &subject);
                Step { argv: argv.to_vec(), oracle, subject, verdict }
            }
            Rule::KeyspaceMember => {
                let (oracle, subject) = self.call_both(argv);
                let verdict = match (&oracle.value, &subject.value) {
                    (Value::Bulk(a), Value::Bulk(b)) if self.caps.exists => {
                        let exists = |side: &mut Side, key: &[u8]| {
                            side.call(&[b"EXISTS".to_vec(), key.to_vec()]).value == Value::Int(1)
                        };
                        let (a_ok, b_ok) = (exists(&mut self.oracle, a), exists(&mut self.subject, b));
                        if a_ok && b_ok {
                            Verdict::Match
                        } else {
                            Verdict::Mismatch(format!("not a key of its keyspace (oracle {a_ok}, subject {b_ok})"))
                        }
                    }
                    _ => compare(Rule::Exact, &oracle, &subject),
                };
                Step { argv: argv.to_vec(), oracle, subject, verdict }
            }
            rule => {
                let (oracle, subject) = self.call_both(argv);
                let verdict = compare(rule, &oracle, &subject);
                Step { argv: argv.to_vec(), oracle, subject, verdict }
            }
        }
    }

    /// PTTL, PEXPIRETIME: exact, or integers within the measured clock tolerance.
    fn clock_step(&mut self, argv: &[Vec<u8>]) -> Step {
        let (oracle, subject) = self.call_both(argv);
        let tolerance = self.clock_tolerance_ms();
        let verdict = match compare(Rule::Exact, &oracle, &subject) {
            Verdict::Mismatch(_) if within(&oracle.value, &subject.value, tolerance) => Verdict::Match,
            Verdict::Mismatch(_) if !oracle.value.is_error() && !subject.value.is_error() => {
                Verdict::Mismatch(format!("more than {tolerance} ms apart (the clock boundaries crossed while run)"))
            }
            verdict => verdict,
        };
        Step { argv: argv.to_vec(), oracle, subject, verdict }
    }

    /// SRANDMEMBER, HRANDFIELD, ZRANDMEMBER: the same shape (null exactly), then both sides'
    /// picks checked against the key as the oracle lists it. The pick changes nothing, so the
    /// oracle's key is the key both sides picked from.
    fn random_pick_step(&mut self, argv: &[Vec<u8>]) -> Step {
        let (oracle, subject) = self.call_both(argv);
        let mut verdict = compare(Rule::SameShape, &oracle, &subject);
        let source = PickSource::of(&command_name(argv));
        if let (Verdict::Match, Some(source)) = (&verdict, source) {
            // The same bytes as Redis's are right (and cover the replies that are not picks:
            // null, errors, QUEUED inside MULTI).
            if oracle.raw != subject.raw {
                let mut read: Argv = vec![source.reader()[0].as_bytes().to_vec(), argv[1].clone()];
                read.extend(source.reader()[1..].iter().map(|w| w.as_bytes().to_vec()));
                let content = self.oracle.call(&read).value;
                for (side, reply) in [("oracle", &oracle), ("subject", &subject)] {
                    if let Err(why) = check_picks(source, argv, &content, &reply.value) {
                        verdict = Verdict::Mismatch(format!("{side}: {why}"));
                        break;
                    }
                }
            }
        }
        Step { argv: argv.to_vec(), oracle, subject, verdict }
    }

    /// DUMP: each side RESTOREs the other's payload into a scratch key, which must then read as
    /// the dumped key reads on that side (so Redis itself judges verdis's payload, and verdis
    /// loads Redis's); deterministic encodings must also be the same bytes.
    fn dump_step(&mut self, argv: &[Vec<u8>]) -> Step {
        let (oracle, subject) = self.call_both(argv);
        let (Value::Bulk(oracle_payload), Value::Bulk(subject_payload)) = (&oracle.value, &subject.value) else {
            let verdict = compare(Rule::Exact, &oracle, &subject);
            return Step { argv: argv.to_vec(), oracle, subject, verdict };
        };
        let ordered = oracle_payload.first().is_some_and(|ty| !DUMP_TYPES_UNORDERED.contains(ty));
        let mut verdict = if ordered && oracle_payload != subject_payload {
            Verdict::Mismatch(format!(
                "payloads of RDB type {} differ (that encoding is deterministic)",
                oracle_payload[0]
            ))
        } else {
            Verdict::Match
        };
        let key = &argv[1];
        for (name, side, payload) in
            [("oracle", &mut self.oracle, subject_payload), ("subject", &mut self.subject, oracle_payload)]
        {
            let restore =
                [b"RESTORE".to_vec(), DUMP_SCRATCH_KEY.to_vec(), b"0".to_vec(), payload.clone(), b"REPLACE".to_vec()];
            let restored = side.call(&restore);
            let problem = if restored.value != Value::Simple(b"OK".to_vec()) {
                Some(format!("RESTORE of the other side's payload answered {}", escape_clipped(&restored.raw)))
            } else {
                let (dumped, scratch) = (read_value(side, key), read_value(side, DUMP_SCRATCH_KEY));
                (dumped != scratch)
                    .then(|| format!("the other side's payload RESTOREs as {scratch}, the key reads {dumped}"))
            };
            side.call(&[b"DEL".to_vec(), DUMP_SCRATCH_KEY.to_vec()]);
            if let (Some(problem), true) = (problem, verdict.is_match()) {
                verdict = Verdict::Mismatch(format!("{name}: {problem}"));
            }
        }
        Step { argv: argv.to_vec(), oracle, subject, verdict }
    }

    /// SPOP: both sides pick at random. Each side's picks must be distinct (a set holds each
    /// member once) and, on the subject, no longer members. When the picks differ, the oracle
    /// (real Redis, which has SADD and SREM) puts its own picks back and removes the subject's;
    /// SREM's count proves the subject picked members, and the two sets are equal again.
    fn set_pop_step(&mut self, argv: &[Vec<u8>]) -> Step {
        let (oracle, subject) = self.call_both(argv);
        let picks = |v: &Value| -> Option<Vec<Vec<u8>>> {
            match v {
                Value::Bulk(b) => Some(vec![b.clone()]),
                v if v.is_null() => Some(Vec::new()),
                v => v.elements()?.iter().map(|i| i.bytes().map(<[u8]>::to_vec)).collect(),
            }
        };
        let repeated = |picks: &[Vec<u8>]| {
            let mut sorted = picks.to_vec();
            sorted.sort();
            sorted.windows(2).find(|w| w[0] == w[1]).map(|w| w[0].clone())
        };
        let verdict = match (picks(&oracle.value), picks(&subject.value)) {
            _ if oracle.value.is_error() || subject.value.is_error() => compare(Rule::Exact, &oracle, &subject),
            _ if shape(&oracle.value) != shape(&subject.value) => Verdict::Mismatch("different reply shape".into()),
            (Some(a), Some(b)) => match (repeated(&a), repeated(&b)) {
                (Some(twice), _) => Verdict::Mismatch(format!("the oracle popped {} twice", escape(&twice))),
                (_, Some(twice)) => Verdict::Mismatch(format!("the subject popped {} twice", escape(&twice))),
                _ => self.set_pop_follow(&argv[1], a, b),
            },
            _ => compare(Rule::Exact, &oracle, &subject),
        };
        Step { argv: argv.to_vec(), oracle, subject, verdict }
    }

    /// After an SPOP with distinct picks `a` (oracle) and `b` (subject): checks the subject's
    /// picks are gone from its set, and makes the oracle's set follow the subject's picks.
    fn set_pop_follow(&mut self, key: &[u8], a: Vec<Vec<u8>>, b: Vec<Vec<u8>>) -> Verdict {
        for member in &b {
            let still = self.subject.call(&[b"SISMEMBER".to_vec(), key.to_vec(), member.clone()]);
            if still.value != Value::Int(0) {
                return Verdict::Mismatch(format!(
                    "the subject popped {} but SISMEMBER then answered {}",
                    escape(member),
                    escape(&still.raw)
                ));
            }
        }
        if BTreeSet::from_iter(&a) == BTreeSet::from_iter(&b) {
            return Verdict::Match;
        }
        let mut sadd = vec![b"SADD".to_vec(), key.to_vec()];
        sadd.extend(a);
        self.oracle.call(&sadd);
        let mut srem = vec![b"SREM".to_vec(), key.to_vec()];
        srem.extend(b.iter().cloned());
        match self.oracle.call(&srem).value {
            Value::Int(n) if n as usize == b.len() => Verdict::Match,
            other => Verdict::Mismatch(format!(
                "the subject popped elements that were not members (oracle SREM answered {})",
                escape(&other.encode())
            )),
        }
    }

    /// A cursor command: from cursor 0 (when the given cursor is a valid number) to the end,
    /// comparing the set of elements each side returned.
    fn scan_step(&mut self, argv: &[Vec<u8>], cursor_at: usize) -> Step {
        let mut argv = argv.to_vec();
        // Redis reads the cursor with strtoul, which also takes a sign and leading blanks: any
        // cursor it accepts starts a scan whose results depend on the table's layout.
        let accepted = |c: &[u8]| {
            std::str::from_utf8(c).is_ok_and(|s| s.trim_start().trim_start_matches(['+', '-']).parse::<u64>().is_ok())
        };
        if argv.get(cursor_at).is_some_and(|c| accepted(c)) {
            argv[cursor_at] = b"0".to_vec();
        }
        let (oracle, oracle_set) = full_scan(&mut self.oracle, &argv, cursor_at);
        let (subject, subject_set) = full_scan(&mut self.subject, &argv, cursor_at);
        let verdict = match (oracle_set, subject_set) {
            (Some(a), Some(b)) if a == b => Verdict::Match,
            (Some(a), Some(b)) => Verdict::Mismatch(format!(
                "full scan collected different elements: oracle {{{}}}, subject {{{}}}",
                a.iter().map(|e| escape(e)).collect::<Vec<_>>().join(", "),
                b.iter().map(|e| escape(e)).collect::<Vec<_>>().join(", ")
            )),
            _ => compare(Rule::Exact, &oracle, &subject),
        };
        Step { argv, oracle, subject, verdict }
    }

    /// Differences between the two keyspaces of the selected database: key lists (KEYS *), and
    /// per key (the pool and any listed key) its TYPE, its value (GET, LRANGE, SMEMBERS, HGETALL,
    /// ZRANGE, XRANGE by type), and its PTTL within tolerance.
    pub fn keyspace_diff(&mut self) -> Vec<String> {
        let mut diffs = Vec::new();
        let mut keys: BTreeSet<Vec<u8>> = KEY_POOL.iter().map(|k| k.to_vec()).collect();
        if self.caps.keys {
            let a = sorted_elements(&self.oracle.call_str(&["KEYS", "*"]));
            let b = sorted_elements(&self.subject.call_str(&["KEYS", "*"]));
            if a != b {
                diffs.push(format!("KEYS * differs: oracle {}, subject {}", show_list(&a), show_list(&b)));
            }
            keys.extend(a.into_iter().chain(b));
        }
        for key in keys {
            let shown = escape(&key);
            // Without TYPE every key is read as a string (a WRONGTYPE error compares too).
            let mut type_name = b"string".to_vec();
            if self.caps.type_ {
                let argv = vec![b"TYPE".to_vec(), key.clone()];
                let (a, b) = (self.oracle.call(&argv), self.subject.call(&argv));
                if a.raw != b.raw {
                    diffs.push(format!("TYPE {shown}: oracle {}, subject {}", escape(&a.raw), escape(&b.raw)));
                    continue;
                }
                type_name = a.value.bytes().unwrap_or_default().to_vec();
            }
            if let Some((words, rule)) = value_reader(&type_name) {
                let mut argv = vec![words[0].as_bytes().to_vec(), key.clone()];
                argv.extend(words[1..].iter().map(|w| w.as_bytes().to_vec()));
                let (a, b) = (self.oracle.call(&argv), self.subject.call(&argv));
                // A subject that can make the type but not yet read it is not a keyspace difference.
                if !unknown_command(&b) && !compare(rule, &a, &b).is_match() {
                    let read = format_command(&argv);
                    diffs.push(format!(
                        "{read}: oracle {}, subject {}",
                        escape_clipped(&a.raw),
                        escape_clipped(&b.raw)
                    ));
                }
            }
            if self.caps.pttl {
                let argv = vec![b"PTTL".to_vec(), key.clone()];
                let (a, b) = self.call_both(&argv);
                let tolerance = self.clock_tolerance_ms();
                if !within(&a.value, &b.value, tolerance) {
                    diffs.push(format!(
                        "PTTL {shown}: oracle {}, subject {} (more than {tolerance} ms apart)",
                        escape(&a.raw),
                        escape(&b.raw)
                    ));
                }
            }
        }
        diffs
    }

    /// Records a sequence's outcome in the statistics.
    fn record(&mut self, outcome: &SeqOutcome) {
        self.sequences += 1;
        for step in &outcome.steps {
            let stats = self.stats.entry(command_name(&step.argv)).or_default();
            stats.cases += 1;
            stats.oracle_errors += u64::from(step.oracle.value.is_error());
            if step.verdict.is_match() {
                stats.matches += 1;
            } else {
                stats.mismatches += 1;
            }
        }
        if outcome.steps.iter().all(|s| s.verdict.is_match()) {
            let stats = self.stats.entry(KEYSPACE.to_string()).or_default();
            stats.cases += 1;
            if outcome.keyspace.is_empty() {
                stats.matches += 1;
            } else {
                stats.mismatches += 1;
            }
        }
        if outcome.signature().is_some() {
            self.failed_sequences += 1;
        }
    }

    /// True when `seq` still shows a mismatch with this signature.
    fn still_fails(&mut self, seq: &[Argv], signature: &str) -> bool {
        self.run_sequence(seq).signature().as_deref() == Some(signature)
    }

    /// Delta debugging (ddmin): the fewest commands of `seq` that still show the mismatch
    /// `signature`, then the fewest and shortest arguments, within `SHRINK_RUNS_MAX` runs.
    pub fn shrink(&mut self, seq: &[Argv], signature: &str) -> Vec<Argv> {
        let mut seq = seq.to_vec();
        let mut runs = 0;
        // Everything after the first mismatching command is irrelevant to it.
        let first = self.run_sequence(&seq);
        runs += 1;
        if first.keyspace.is_empty() && first.steps.len() < seq.len() {
            seq.truncate(first.steps.len());
        }
        let mut granularity = 2;
        while seq.len() >= 2 && runs < SHRINK_RUNS_MAX {
            let chunk = seq.len().div_ceil(granularity);
            let mut reduced = false;
            for start in (0..seq.len()).step_by(chunk) {
                if runs >= SHRINK_RUNS_MAX {
                    break;
                }
                let mut candidate = seq[..start].to_vec();
                candidate.extend_from_slice(&seq[(start + chunk).min(seq.len())..]);
                runs += 1;
                if !candidate.is_empty() && self.still_fails(&candidate, signature) {
                    seq = candidate;
                    granularity = (granularity - 1).max(2);
                    reduced = true;
                    break;
                }
            }
            if !reduced {
                if granularity >= seq.len() {
                    break;
                }
                granularity = (granularity * 2).min(seq.len());
            }
        }
        // Then each command's arguments, last first: drop one, or cut a long one short.
        for i in 0..seq.len() {
            let mut j = seq[i].len();
            while j > 1 && runs < SHRINK_RUNS_MAX {
                j -= 1;
                let mut candidate = seq.clone();
                candidate[i].remove(j);
                runs += 1;
                if self.still_fails(&candidate, signature) {
                    seq = candidate;
                    continue;
                }
                if seq[i][j].len() > SHRUNK_ARG_BYTES {
                    let mut candidate = seq.clone();
                    candidate[i][j].truncate(SHRUNK_ARG_BYTES);
                    runs += 1;
                    if self.still_fails(&candidate, signature) {
                        seq = candidate;
                    }
                }
            }
        }
        seq
    }

    /// Runs the campaign: `settings.cases` sequences from `generator`, calling `progress` after
    /// each; shrinks and saves the first mismatch of each signature (up to `shrink_max`).
    pub fn run(
        &mut self,
        generator: &Generator,
        settings: &Settings,
        mut progress: impl FnMut(u64, &Campaign),
    ) -> Result<(), ConformError> {
        for index in 0..settings.cases {
            let seq = generator.sequence(&mut Rng::for_sequence(settings.seed, index));
            let outcome = self.run_sequence(&seq);
            self.record(&outcome);
            if let Some(signature) = outcome.signature() {
                let known = self.findings.iter().any(|f| f.signature == signature);
                if !known && self.findings.len() < settings.shrink_max {
                    self.add_finding(&seq, &outcome, &signature, settings, index)?;
                } else if let Some(stats) = self.stats.get_mut(&signature) {
                    stats.first_example.get_or_insert_with(|| outcome.transcript());
                }
            }
            progress(index + 1, self);
        }
        Ok(())
    }

    fn add_finding(
        &mut self,
        seq: &[Argv],
        found: &SeqOutcome,
        signature: &str,
        settings: &Settings,
        index: u64,
    ) -> Result<(), ConformError> {
        let shrunk = self.shrink(seq, signature);
        let outcome = self.run_sequence(&shrunk);
        if outcome.signature().as_deref() != Some(signature) {
            // Timing-dependent: the mismatch did not come back. Keep the original transcript and
            // save nothing (a regression file must reproduce).
            let transcript = format!("(did not reproduce when re-run; as found:)\n{}", found.transcript());
            if let Some(stats) = self.stats.get_mut(signature) {
                stats.first_example.get_or_insert_with(|| transcript.clone());
            }
            self.findings.push(Finding {
                signature: signature.to_string(),
                original_len: seq.len(),
                shrunk: seq.to_vec(),
                transcript,
                saved: None,
            });
            return Ok(());
        }
        let transcript = outcome.transcript();
        let saved = match &settings.regressions_dir {
            Some(dir) => {
                let mut comments = vec![
                    format!("verdis-conform: {signature} mismatch, seed {} sequence {index}", settings.seed),
                    format!("shrunk from {} to {} commands; transcript when found:", seq.len(), shrunk.len()),
                ];
                comments.extend(transcript.lines().map(str::to_string));
                let reg = Regression { resp: settings.resp, commands: shrunk.clone(), comments };
                let name = format!("{}-{}-{index}", signature.replace(['|', '(', ')'], ""), settings.seed);
                Some(reg.save(dir, &name)?)
            }
            None => None,
        };
        if let Some(stats) = self.stats.get_mut(signature) {
            stats.first_example.get_or_insert_with(|| transcript.clone());
        }
        self.findings.push(Finding {
            signature: signature.to_string(),
            original_len: seq.len(),
            shrunk,
            transcript,
            saved,
        });
        Ok(())
    }

    /// Replays a regression: the outcome of its commands.
    pub fn replay(&mut self, reg: &Regression) -> SeqOutcome {
        self.run_sequence(&reg.commands)
    }
}

/// The `redis_version` of INFO server, refused unless it is 7.0.x: every rule and every expected
/// reply is Redis 7.0's, so another version's differences would be reported as verdis bugs.
fn redis_version(side: &mut Side) -> Result<String, ConformError> {
    let info = side.call_str(&["INFO", "server"]);
    let refused = |version: String| ConformError::OracleVersion { label: side.server.label.clone(), version };
    let text = match info.value.bytes() {
        Some(text) if !info.value.is_error() => String::from_utf8_lossy(text).into_owned(),
        _ => return Err(refused(format!("unknown (INFO server answered {})", escape_clipped(&info.raw)))),
    };
    let version = text.lines().find_map(|line| line.strip_prefix("redis_version:")).map(str::trim);
    match version {
        Some(v) if v.starts_with(ORACLE_VERSION_PREFIX) => Ok(v.to_string()),
        Some(v) => Err(refused(format!("Redis {v}"))),
        None => Err(refused("unknown (INFO server has no redis_version line)".into())),
    }
}

/// A key's type and value as one side reads them (TYPE, then the type's reader), in a form
/// where equal values compare equal: unordered types sorted.
fn read_value(side: &mut Side, key: &[u8]) -> String {
    let type_reply = side.call(&[b"TYPE".to_vec(), key.to_vec()]);
    let type_name = type_reply.value.bytes().unwrap_or_default().to_vec();
    let Some((words, rule)) = value_reader(&type_name) else { return escape(&type_reply.raw) };
    let mut argv = vec![words[0].as_bytes().to_vec(), key.to_vec()];
    argv.extend(words[1..].iter().map(|w| w.as_bytes().to_vec()));
    let mut value = side.call(&argv).value;
    if let Value::Array(items) | Value::Set(items) = &mut value {
        match rule {
            Rule::Unordered => items.sort(),
            Rule::UnorderedPairs if items.len() % 2 == 0 => {
                let mut pairs: Vec<Vec<Value>> = items.chunks(2).map(<[Value]>::to_vec).collect();
                pairs.sort();
                *items = pairs.concat();
            }
            _ => {}
        }
    }
    if let Value::Map(pairs) = &mut value {
        pairs.sort();
    }
    format!("{} {}", escape(&type_name), escape_clipped(&value.encode()))
}

/// How the keyspace check reads a value of each type: the command (the key goes after its first
/// word) and the rule its reply is compared under.
fn value_reader(type_name: &[u8]) -> Option<(&'static [&'static str], Rule)> {
    Some(match type_name {
        b"string" => (&["GET"], Rule::Exact),
        b"list" => (&["LRANGE", "0", "-1"], Rule::Exact),
        b"set" => (&["SMEMBERS"], Rule::Unordered),
        b"hash" => (&["HGETALL"], Rule::UnorderedPairs),
        b"zset" => (&["ZRANGE", "0", "-1", "WITHSCORES"], Rule::Exact),
        b"stream" => (&["XRANGE", "-", "+"], Rule::Exact),
        _ => return None,
    })
}

/// Databases other than 0 that a sequence may have written: MOVE's and COPY ... DB's target,
/// both of SWAPDB's (Redis has 16 by default; other numbers are errors on both sides).
fn databases_written(seq: &[Argv]) -> BTreeSet<u8> {
    let db = |arg: &[u8]| std::str::from_utf8(arg).ok()?.parse::<u8>().ok().filter(|n| (1..16).contains(n));
    let mut dbs = BTreeSet::new();
    for argv in seq {
        let named: Vec<&[u8]> = match command_name(argv).as_str() {
            "move" => argv.get(2).into_iter().map(Vec::as_slice).collect(),
            "swapdb" => argv.iter().skip(1).take(2).map(Vec::as_slice).collect(),
            "copy" => argv.windows(2).filter(|w| w[0].eq_ignore_ascii_case(b"db")).map(|w| w[1].as_slice()).collect(),
            _ => Vec::new(),
        };
        dbs.extend(named.into_iter().filter_map(db));
    }
    dbs
}

/// True for commands after which the connection should be opened afresh.
fn changes_connection(argv: &[Vec<u8>]) -> bool {
    let name = command_name(argv);
    matches!(name.as_str(), "hello" | "select" | "client|setname" | "auth" | "multi" | "watch")
}

fn sorted_elements(reply: &Reply) -> Vec<Vec<u8>> {
    let mut items: Vec<Vec<u8>> =
        reply.value.elements().unwrap_or(&[]).iter().filter_map(|v| v.bytes().map(<[u8]>::to_vec)).collect();
    items.sort();
    items
}

fn show_list(items: &[Vec<u8>]) -> String {
    format!("[{}]", items.iter().map(|k| escape(k)).collect::<Vec<_>>().join(", "))
}

/// Iterates a cursor command to the end: the first reply, and the set of elements collected
/// (`None` when a reply was not `[cursor, [elements]]`). Pairs (HSCAN, ZSCAN) are collected as
/// `field\0value` units so a field with a different value is a difference.
fn full_scan(side: &mut Side, argv: &[Vec<u8>], cursor_at: usize) -> (Reply, Option<BTreeSet<Vec<u8>>>) {
    let first = side.call(argv);
    let paired = matches!(command_name(argv).as_str(), "hscan" | "zscan");
    let mut set = BTreeSet::new();
    let mut reply = first.clone();
    let mut argv = argv.to_vec();
    for _ in 0..SCAN_CALLS_MAX {
        let Some([cursor, Value::Array(items) | Value::Set(items)]) = reply.value.elements() else {
            return (first, None);
        };
        let Some(cursor) = cursor.bytes().map(<[u8]>::to_vec) else { return (first, None) };
        if paired {
            for pair in items.chunks(2) {
                let mut unit = pair[0].encode();
                unit.extend(pair.get(1).map(Value::encode).unwrap_or_default());
                set.insert(unit);
            }
        } else {
            set.extend(items.iter().map(Value::encode));
        }
        if cursor == b"0" {
            return (first, Some(set));
        }
        argv[cursor_at] = cursor;
        reply = side.call(&argv);
    }
    (first, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_databases_a_sequence_writes_are_found() {
        // Proves MOVE, COPY ... DB and SWAPDB targets get their keyspace checked, and database
        // 0 or out-of-range numbers do not add a check.
        let argv = |words: &[&str]| words.iter().map(|w| w.as_bytes().to_vec()).collect::<Vec<_>>();
        let seq = vec![
            argv(&["MOVE", "k0", "3"]),
            argv(&["copy", "k0", "k1", "db", "5", "REPLACE"]),
            argv(&["SWAPDB", "0", "7"]),
            argv(&["MOVE", "k0", "99"]),
            argv(&["SET", "k0", "1"]),
        ];
        assert_eq!(databases_written(&seq).into_iter().collect::<Vec<_>>(), vec![3, 5, 7]);
    }
}
