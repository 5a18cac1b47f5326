//! Crash-recovery cases as data, and the runner that plays one against a real process.
//!
//! A `CrashCase` names a persistence policy, where to `kill -9` the server, and what the data
//! after a restart must satisfy. `run` starts the server (verdis or real Redis, same command
//! line) in a fresh directory, drives `clients` threads through the recorded workload
//! (`workload`), watches the server's persistence through INFO on one control connection, kills
//! it at the chosen point, checks the files it left with `redis-check-rdb`/`redis-check-aof`,
//! restarts it on the same directory, reads the state back, and hands everything to the checker
//! (`check`). Running a case against real Redis proves the harness: the checker must agree that
//! Redis keeps its promises.
//!
//! The table `cases()` is every policy over every kill point, plus process-crash cases (kill -9
//! with the OS alive loses nothing acknowledged, even with `appendfsync no`, as on Redis) and
//! slow-disk cases (every fsync delayed by strace, which stretches any window where the server
//! acknowledges writes its durable files do not yet reach). `planted_cases()` are setups that
//! break a promise on purpose (a cut AOF tail, an RDB-only server held to `always`), which the
//! checker must report.
//!
//! The kill takes the server's whole process group: Redis's BGSAVE/rewrite child dies with it,
//! as on a machine crash (alone, it would finish and rename its file after the parent died).

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::check::{check, Expectation, SnapshotEnd, SnapshotWindow, Violation};
use crate::process::{kill_group, program, ProcessError, ServerKind, ServerProcess};
use crate::workload::{op_command, read_state, ClientHistory, ClientState, OpNamer, OpRecord};

/// Pause between two INFO samples of the control connection.
const SAMPLE_PAUSE: Duration = Duration::from_millis(5);
/// How often the runner asks for a BGSAVE when the policy saves on the runner's request.
const BGSAVE_EVERY: Duration = Duration::from_millis(250);
/// Writes before the first snapshot of a DuringBgsave/DuringRewrite case.
const WARMUP: Duration = Duration::from_millis(300);
/// How long a snapshot slowed by `rdb-key-save-delay` takes at least: far longer than the wait
/// before the kill, however few keys a loaded machine let the clients write.
const SLOW_SNAPSHOT: Duration = Duration::from_secs(3);
/// Bounds of the per-key delay (µs) that stretches the snapshot to `SLOW_SNAPSHOT`.
const SLOW_SNAPSHOT_KEY_DELAY_US: (u64, u64) = (2_000, 1_000_000);
/// Longest random wait between seeing the slow snapshot run and the kill.
const SLOW_SNAPSHOT_KILL_WITHIN: Duration = Duration::from_millis(150);
/// Longest a case may take to reach its kill point.
const KILL_POINT_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest a case waits for a running snapshot to end before its own (on a slow disk verdis's
/// start-time rewrite takes several fsyncs, each queued behind `everysec`'s).
const REWRITE_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Most ops one client sends (a bound; cases end by the kill long before).
const CLIENT_OPS_MAX: u64 = 1_000_000;

/// When the AOF is fsynced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fsync {
    /// Before each reply.
    Always,
    /// Once a second, in the background.
    Everysec,
    /// When the OS decides.
    No,
}

impl Fsync {
    fn config_value(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::Everysec => "everysec",
            Fsync::No => "no",
        }
    }
}

/// How the server persists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// AOF only (`save ""`).
    Aof(Fsync),
    /// RDB only: `save` points if given, else `save ""` and a BGSAVE from the runner every
    /// `BGSAVE_EVERY`.
    RdbOnly {
        /// The `save` config value, e.g. `"1 1"`.
        save_points: Option<&'static str>,
    },
    /// AOF (loaded at restart) with the runner's periodic BGSAVEs running alongside.
    RdbAndAof(Fsync),
}

impl Policy {
    /// The server's command-line arguments for this policy.
    pub fn args(self) -> Vec<String> {
        let (save, aof) = match self {
            Policy::Aof(fsync) | Policy::RdbAndAof(fsync) => ("", Some(fsync)),
            Policy::RdbOnly { save_points } => (save_points.unwrap_or(""), None),
        };
        let mut args = vec!["--save".to_string(), save.to_string()];
        match aof {
            Some(fsync) => {
                args.extend(["--appendonly", "yes", "--appendfsync", fsync.config_value()].map(String::from))
            }
            None => args.extend(["--appendonly", "no"].map(String::from)),
        }
        args
    }

    fn has_aof(self) -> bool {
        !matches!(self, Policy::RdbOnly { .. })
    }

    fn runner_bgsaves(self) -> bool {
        matches!(self, Policy::RdbOnly { save_points: None } | Policy::RdbAndAof(_))
    }
}

/// When the server is killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillPoint {
    /// After a delay drawn from the seed in `min..max`.
    Random {
        /// Shortest delay.
        min: Duration,
        /// Longest delay.
        max: Duration,
    },
    /// By client 0 itself, the instant its op number `op` is acknowledged.
    AfterAck {
        /// The op number (1-based).
        op: u64,
    },
    /// While a BGSAVE (slowed by `rdb-key-save-delay`) runs, after one BGSAVE completed.
    DuringBgsave,
    /// While a BGREWRITEAOF (slowed by `rdb-key-save-delay`) runs.
    DuringRewrite,
    /// This long after a BGREWRITEAOF was accepted (started once no rewrite runs, e.g. the one
    /// that creates the AOF at start), whether or not it still runs.
    AfterRewrite {
        /// Time from the BGREWRITEAOF reply to the kill.
        wait: Duration,
    },
}

/// The disk under the first process (the restart always gets the plain disk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disk {
    /// As the machine has it.
    Normal,
    /// Every fsync and fdatasync takes this much longer (strace fault injection): a disk so busy
    /// that durability lags far behind the writes, which widens every window where the server
    /// acknowledges writes before the files that hold them are reachable.
    SlowFsync {
        /// Added to each call.
        delay: Duration,
    },
}

impl Disk {
    /// The wrapper command that gives the server this disk (empty for `Normal`).
    pub fn wrapper(self) -> Result<Vec<String>, ProcessError> {
        let Disk::SlowFsync { delay } = self else { return Ok(Vec::new()) };
        let strace = program("strace")?;
        let inject = format!("inject=fsync,fdatasync:delay_enter={}", delay.as_micros());
        let args = ["-f", "--seccomp-bpf", "-qq", "-o", "/dev/null", "-e", "trace=fsync,fdatasync", "-e", &inject];
        Ok(std::iter::once(strace.display().to_string()).chain(args.map(String::from)).collect())
    }
}

/// Damage done to the files between the kill and the restart: a planted bug the checker must
/// catch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sabotage {
    /// Leave the files as the crash left them.
    None,
    /// Cut this many bytes off the end of the newest AOF incr file (loaded as a truncated tail).
    TruncateAofTail {
        /// Bytes removed.
        bytes: u64,
    },
}

/// One crash-recovery case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrashCase {
    /// Its name in the tables.
    pub name: &'static str,
    /// How the server persists.
    pub policy: Policy,
    /// How many client threads write.
    pub clients: usize,
    /// When the server dies.
    pub kill: KillPoint,
    /// What the restarted server's data must satisfy.
    pub expectation: Expectation,
    /// Damage before the restart (`None` for honest cases).
    pub sabotage: Sabotage,
    /// The disk the first process runs on.
    pub disk: Disk,
}

/// Longest loss `everysec` may show: Redis documents one second, two in the worst case (a write
/// is postponed while an fsync is slow, for up to 2 s, then forced); plus Redis's cron period
/// (100 ms at `hz 10`), which is when the forced write happens, and the measurement's slack.
pub const EVERYSEC_LOSS_MAX: Duration = Duration::from_millis(2_200);
/// The fsync delay of the slow-disk cases: longer than `EVERYSEC_LOSS_MAX` plus a margin, so a
/// write that waits on an fsync to become reachable stays unreachable past the everysec bound.
const SLOW_FSYNC: Duration = Duration::from_secs(3);
/// The fsync delay of the slow-disk `always` cases: every acknowledgement waits for one, so it is
/// short enough for the clients to get some writes done, long enough to land kills inside the
/// manifest and incr-file switches of a rewrite.
const SLOW_FSYNC_ALWAYS: Duration = Duration::from_millis(200);
const SECOND: Duration = Duration::from_secs(1);
/// When the slow-disk cases kill: after `EVERYSEC_LOSS_MAX` and before `SLOW_FSYNC`.
const SLOW_FSYNC_KILL_AFTER: Duration = Duration::from_millis(2_600);

const RANDOM_SHORT: KillPoint = KillPoint::Random { min: Duration::from_millis(100), max: Duration::from_millis(700) };
const RANDOM_LONG: KillPoint = KillPoint::Random { min: Duration::from_millis(300), max: Duration::from_millis(1300) };

const fn case(name: &'static str, policy: Policy, kill: KillPoint, expectation: Expectation) -> CrashCase {
    CrashCase { name, policy, clients: 4, kill, expectation, sabotage: Sabotage::None, disk: Disk::Normal }
}

/// Every policy over every kill point that applies to it.
pub fn cases() -> Vec<CrashCase> {
    use Expectation::*;
    use Fsync::*;
    use KillPoint::*;
    let everysec = LossWithin(EVERYSEC_LOSS_MAX);
    let rdb = Policy::RdbOnly { save_points: None };
    vec![
        case("always-random", Policy::Aof(Always), RANDOM_SHORT, NoAckedLoss),
        case("always-after-ack", Policy::Aof(Always), AfterAck { op: 900 }, NoAckedLoss),
        case("always-during-rewrite", Policy::Aof(Always), DuringRewrite, NoAckedLoss),
        case("everysec-random", Policy::Aof(Everysec), RANDOM_SHORT, everysec),
        case("everysec-after-ack", Policy::Aof(Everysec), AfterAck { op: 900 }, everysec),
        case("everysec-during-rewrite", Policy::Aof(Everysec), DuringRewrite, everysec),
        case("no-random", Policy::Aof(No), RANDOM_SHORT, Prefix),
        case("no-during-rewrite", Policy::Aof(No), DuringRewrite, Prefix),
        // A process crash (the OS and its page cache survive) loses nothing acknowledged even
        // with `appendfsync no`: Redis write()s the AOF before it sends the replies.
        case("no-process-crash-random", Policy::Aof(No), RANDOM_SHORT, NoAckedLoss),
        case("no-process-crash-during-rewrite", Policy::Aof(No), DuringRewrite, NoAckedLoss),
        case("rdb-random", rdb, RANDOM_LONG, LastSnapshot),
        case("rdb-after-ack", rdb, AfterAck { op: 1500 }, LastSnapshot),
        case("rdb-during-bgsave", rdb, DuringBgsave, LastSnapshot),
        case(
            "rdb-save-points",
            Policy::RdbOnly { save_points: Some("1 1") },
            Random { min: Duration::from_millis(1200), max: Duration::from_millis(2500) },
            LastSnapshot,
        ),
        case("rdb-and-aof-random", Policy::RdbAndAof(Always), RANDOM_LONG, NoAckedLoss),
        case("rdb-and-aof-during-bgsave", Policy::RdbAndAof(Always), DuringBgsave, NoAckedLoss),
        CrashCase {
            disk: Disk::SlowFsync { delay: SLOW_FSYNC_ALWAYS },
            ..case("always-slow-fsync-during-rewrite", Policy::Aof(Always), DuringRewrite, NoAckedLoss)
        },
        CrashCase {
            disk: Disk::SlowFsync { delay: SLOW_FSYNC_ALWAYS },
            ..case("always-slow-fsync-after-rewrite", Policy::Aof(Always), AfterRewrite { wait: SECOND }, NoAckedLoss)
        },
        CrashCase {
            disk: Disk::SlowFsync { delay: SLOW_FSYNC },
            ..case(
                "everysec-slow-fsync-at-start",
                Policy::Aof(Everysec),
                Random { min: SLOW_FSYNC_KILL_AFTER, max: SLOW_FSYNC_KILL_AFTER + Duration::from_millis(100) },
                everysec,
            )
        },
        CrashCase {
            disk: Disk::SlowFsync { delay: SLOW_FSYNC },
            ..case(
                "everysec-slow-fsync-rewrite",
                Policy::Aof(Everysec),
                AfterRewrite { wait: SLOW_FSYNC_KILL_AFTER },
                everysec,
            )
        },
        CrashCase {
            disk: Disk::SlowFsync { delay: SLOW_FSYNC },
            ..case(
                "always-slow-fsync-rewrite",
                Policy::Aof(Always),
                AfterRewrite { wait: SLOW_FSYNC_KILL_AFTER },
                NoAckedLoss,
            )
        },
    ]
}

/// Setups that break their expectation on purpose: the checker must report each.
pub fn planted_cases() -> Vec<CrashCase> {
    vec![
        CrashCase {
            sabotage: Sabotage::TruncateAofTail { bytes: 200 },
            ..case(
                "planted-cut-aof-tail",
                Policy::Aof(Fsync::Always),
                KillPoint::AfterAck { op: 900 },
                Expectation::NoAckedLoss,
            )
        },
        case(
            "planted-rdb-held-to-always",
            Policy::RdbOnly { save_points: None },
            KillPoint::AfterAck { op: 1500 },
            Expectation::NoAckedLoss,
        ),
    ]
}

/// The case named `name` from `cases()` or `planted_cases()`.
pub fn find_case(name: &str) -> Option<CrashCase> {
    cases().into_iter().chain(planted_cases()).find(|c| c.name == name)
}

/// Why a run could not reach a verdict (the harness failed, not the server's promise).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Starting or finding a server failed.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// The control connection failed before the kill.
    #[error("control connection: {0}")]
    Control(#[from] redis::RedisError),
    /// The kill point was not reached as planned.
    #[error("kill point not reached: {0}")]
    KillPoint(String),
    /// A file operation of the runner failed.
    #[error("{what}: {source}")]
    Io {
        /// What was done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
}

/// What a run found.
#[derive(Debug)]
pub struct Outcome {
    /// The case.
    pub case: CrashCase,
    /// The server it ran against.
    pub kind: ServerKind,
    /// The seed of the random choices (kill delay).
    pub seed: u64,
    /// When the server was killed, since the run started.
    pub kill: Duration,
    /// Each client's history.
    pub histories: Vec<ClientHistory>,
    /// Each client's recovered op count (empty when the state could not be read).
    pub recovered: Vec<u64>,
    /// The snapshots seen.
    pub snapshots: Vec<SnapshotWindow>,
    /// Broken promises; empty when the case holds.
    pub violations: Vec<Violation>,
    /// `(client, op)` of each command the sabotage cut from the files, in execution order
    /// (empty for honest cases): what a planted case must be reported as losing.
    pub cut_ops: Vec<(usize, u64)>,
    /// The server logs, before and after the restart.
    pub logs: String,
}

impl Outcome {
    /// One line: ops sent/acked/recovered per client, and the kill time.
    pub fn summary(&self) -> String {
        let per_client: Vec<String> = self
            .histories
            .iter()
            .enumerate()
            .map(|(c, h)| {
                let recovered = self.recovered.get(c).map_or("?".to_string(), u64::to_string);
                format!("c{c}: sent {} acked {} recovered {recovered}", h.ops.len(), h.last_acked())
            })
            .collect();
        format!(
            "{} on {:?} seed {}: kill at {:?}, {} snapshots seen; {}",
            self.case.name,
            self.kind,
            self.seed,
            self.kill,
            self.snapshots.len(),
            per_client.join("; ")
        )
    }

    /// Panics with the violations, the summary and the logs unless the case held.
    pub fn assert_holds(&self) {
        if !self.violations.is_empty() {
            let violations: Vec<String> = self.violations.iter().map(ToString::to_string).collect();
            panic!(
                "{}\nviolations:\n  {}\nsnapshots: {:?}\nlogs:\n{}",
                self.summary(),
                violations.join("\n  "),
                self.snapshots,
                self.logs
            );
        }
    }
}

/// Runs `case` against `kind`; `seed` picks the random kill delay.
pub fn run(case: &CrashCase, kind: ServerKind, seed: u64) -> Result<Outcome, RunError> {
    let dir = tempfile::Builder::new()
        .prefix("verdis-crash-")
        .tempdir()
        .map_err(|source| RunError::Io { what: "creating a temp dir".into(), source })?;
    let args = case.policy.args();
    let wrapper = case.disk.wrapper()?;
    let mut server = ServerProcess::start_wrapped(kind, dir.path(), &args, "server-before-kill.log", &wrapper)?;
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    // Set by client 0 for AfterAck: µs since start + 1 (0: not killed yet).
    let killed_at_us = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..case.clients)
        .map(|client| {
            let con = server.client();
            let stop = Arc::clone(&stop);
            let killed_at_us = Arc::clone(&killed_at_us);
            let kill_after = match case.kill {
                KillPoint::AfterAck { op } if client == 0 => Some((op, server.group())),
                _ => None,
            };
            std::thread::spawn(move || -> redis::RedisResult<ClientHistory> {
                Ok(drive_client(client, con?, start, &stop, kill_after, &killed_at_us))
            })
        })
        .collect();
    let mut observer = Observer { con: server.client()?, start, samples: Vec::new(), last_sample_at_kill: true };
    let controlled = control(case, &mut observer, &server, &killed_at_us, seed);
    // Whatever happened, the process dies here and every client thread ends.
    let kill = controlled.as_ref().map_or(start.elapsed(), |k| *k);
    server.kill9();
    stop.store(true, Ordering::SeqCst);
    let mut histories = Vec::with_capacity(clients.len());
    for handle in clients {
        histories.push(handle.join().expect("client thread panicked")?);
    }
    let mut logs = format!("--- before the kill ---\n{}", server.log());
    drop(server);
    let snapshots = observer.windows();
    controlled?;

    let mut violations: Vec<Violation> = histories
        .iter()
        .enumerate()
        .flat_map(|(client, h)| {
            h.bad_replies.iter().map(move |detail| Violation::BadReply { client, detail: detail.clone() })
        })
        .collect();
    violations.extend(check_files(dir.path(), case.policy.has_aof())?);
    let cut_ops = sabotage(dir.path(), case.sabotage)?;
    let mut recovered = Vec::new();
    match ServerProcess::start(kind, dir.path(), &args, "server-after-restart.log") {
        Err(ProcessError::Start { reason, log, .. }) => {
            logs.push_str(&format!("--- restart ---\n{log}"));
            violations.push(Violation::RestartFailed(reason));
        }
        Err(other) => return Err(other.into()),
        Ok(restarted) => {
            let states = read_state(&mut restarted.client()?, &histories)?;
            logs.push_str(&format!("--- after the restart ---\n{}", restarted.log()));
            for (client, state) in states.into_iter().enumerate() {
                match state {
                    ClientState::Prefix(ops) => recovered.push(ops),
                    ClientState::NotAPrefix(detail) => violations
                        .push(Violation::NotAPrefix { client: (client < histories.len()).then_some(client), detail }),
                }
            }
            if recovered.len() == histories.len() {
                violations.extend(check(case.expectation, &histories, &recovered, &snapshots, kill));
            }
        }
    }
    Ok(Outcome { case: *case, kind, seed, kill, histories, recovered, snapshots, violations, cut_ops, logs })
}

/// One client's loop: ops in order, each sent after the previous reply, until the connection
/// dies or the run stops. With `kill_after`, SIGKILLs the server right after that op's reply.
fn drive_client(
    client: usize,
    mut con: redis::Connection,
    start: Instant,
    stop: &AtomicBool,
    kill_after: Option<(u64, u32)>,
    killed_at_us: &AtomicU64,
) -> ClientHistory {
    let mut history = ClientHistory::default();
    for op in 1..=CLIENT_OPS_MAX {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let (cmd, expected) = op_command(client, op);
        history.ops.push(OpRecord { sent: start.elapsed(), acked: None });
        let reply: redis::Value = match cmd.query(&mut con) {
            Ok(reply) => reply,
            // The server died (or refused the write): this op's fate is unknown, the client is done.
            Err(_) => break,
        };
        let acked = start.elapsed();
        let good = match (expected, &reply) {
            (Some(n), redis::Value::Int(got)) => n == *got,
            (None, redis::Value::Okay) => true,
            _ => false,
        };
        if !good {
            history.bad_replies.push(format!("op {op}: expected {expected:?} (None: OK), got {reply:?}"));
            break;
        }
        history.ops.last_mut().expect("just pushed").acked = Some(acked);
        if let Some((kill_op, group)) = kill_after {
            if op == kill_op {
                // Stored first: the control connection must know the kill is ours when it sees
                // the reset.
                killed_at_us.store(start.elapsed().as_micros() as u64 + 1, Ordering::SeqCst);
                kill_group(group);
                break;
            }
        }
    }
    history
}

/// One INFO persistence reading on the control connection.
#[derive(Clone, Copy, Debug)]
struct Sample {
    sent: Duration,
    received: Duration,
    rdb_saves: u64,
    bgsave_in_progress: bool,
    last_bgsave_ok: bool,
    rewrite_in_progress: bool,
}

/// The control connection: samples INFO in order (one connection, so samples never overlap).
struct Observer {
    con: redis::Connection,
    start: Instant,
    samples: Vec<Sample>,
    /// The last sample was taken immediately before the kill (the control loop killed).
    last_sample_at_kill: bool,
}

impl Observer {
    fn sample(&mut self) -> redis::RedisResult<Sample> {
        let sent = self.start.elapsed();
        let info: String = redis::cmd("INFO").arg("persistence").query(&mut self.con)?;
        let received = self.start.elapsed();
        let field = |name: &str| {
            info.lines().find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(':'))).map(str::trim)
        };
        let sample = Sample {
            sent,
            received,
            rdb_saves: field("rdb_saves").and_then(|v| v.parse().ok()).unwrap_or(0),
            bgsave_in_progress: field("rdb_bgsave_in_progress") == Some("1"),
            last_bgsave_ok: field("rdb_last_bgsave_status") == Some("ok"),
            rewrite_in_progress: field("aof_rewrite_in_progress") == Some("1"),
        };
        self.samples.push(sample);
        Ok(sample)
    }

    /// Samples until `done` holds for a sample or `until` passes; with `bgsaves`, asks for a
    /// BGSAVE every `BGSAVE_EVERY`. The last sample.
    fn watch(
        &mut self,
        until: Duration,
        bgsaves: bool,
        mut done: impl FnMut(&Sample) -> bool,
    ) -> redis::RedisResult<Sample> {
        let mut last_bgsave = Duration::ZERO;
        loop {
            if bgsaves && self.start.elapsed() >= last_bgsave + BGSAVE_EVERY {
                last_bgsave = self.start.elapsed();
                // Refused while a save runs, which is fine: the next one comes later.
                let _: redis::RedisResult<redis::Value> = redis::cmd("BGSAVE").query(&mut self.con);
            }
            let sample = self.sample()?;
            if done(&sample) || self.start.elapsed() >= until {
                return Ok(sample);
            }
            std::thread::sleep(SAMPLE_PAUSE);
        }
    }

    fn windows(&self) -> Vec<SnapshotWindow> {
        snapshot_windows(&self.samples, self.last_sample_at_kill)
    }
}

/// The snapshots seen in `samples`: one starts between two samples where a save began (in
/// progress turned on, or the save count grew with none running at either sample); it ends at
/// the first later sample with none running. Works whether `rdb_saves` counts started saves
/// (Redis) or completed ones (verdis).
fn snapshot_windows(samples: &[Sample], last_sample_at_kill: bool) -> Vec<SnapshotWindow> {
    let mut windows: Vec<SnapshotWindow> = Vec::new();
    for pair in samples.windows(2) {
        let (prev, cur) = (&pair[0], &pair[1]);
        let began = !prev.bgsave_in_progress && (cur.bgsave_in_progress || cur.rdb_saves > prev.rdb_saves);
        if began {
            windows.push(SnapshotWindow { after: prev.sent, before: cur.received, end: SnapshotEnd::Unknown });
        }
        if let Some(open) = windows.last_mut().filter(|w| w.end == SnapshotEnd::Unknown) {
            if !cur.bgsave_in_progress {
                open.end = if cur.last_bgsave_ok { SnapshotEnd::Completed } else { SnapshotEnd::Failed };
            }
        }
    }
    if let (Some(open), Some(last)) = (windows.last_mut(), samples.last()) {
        if last_sample_at_kill && open.end == SnapshotEnd::Unknown && last.bgsave_in_progress {
            open.end = SnapshotEnd::RunningAtKill;
        }
    }
    windows
}

/// Drives the run to the kill point and kills; returns the kill time.
fn control(
    case: &CrashCase,
    observer: &mut Observer,
    server: &ServerProcess,
    killed_at_us: &AtomicU64,
    seed: u64,
) -> Result<Duration, RunError> {
    let mut rng = SplitMix(seed);
    let bgsaves = case.policy.runner_bgsaves();
    let kill_now = |observer: &Observer| {
        kill_group(server.group());
        observer.start.elapsed()
    };
    match case.kill {
        KillPoint::Random { min, max } => {
            let span = (max.saturating_sub(min)).as_micros().max(1) as u64;
            let at = min + Duration::from_micros(rng.next() % span);
            observer.watch(at, bgsaves, |_| false)?;
            Ok(kill_now(observer))
        }
        KillPoint::AfterAck { .. } => {
            // The client kills at a moment the control loop does not see: its last sample is not
            // "right before the kill".
            observer.last_sample_at_kill = false;
            let limit = observer.start.elapsed() + KILL_POINT_TIMEOUT;
            let watched = observer.watch(limit, bgsaves, |_| killed_at_us.load(Ordering::SeqCst) != 0);
            match killed_at_us.load(Ordering::SeqCst) {
                // The sample that raced the kill may have failed; before the kill, a failure counts.
                0 => Err(watched.err().map_or_else(
                    || RunError::KillPoint(format!("client 0 did not reach its op within {KILL_POINT_TIMEOUT:?}")),
                    RunError::Control,
                )),
                us => Ok(Duration::from_micros(us - 1)),
            }
        }
        KillPoint::DuringBgsave => {
            // No periodic saves here: the runner's two BGSAVEs must be the only ones.
            observer.watch(WARMUP, false, |_| false)?;
            wait_idle(observer)?;
            // One completed save first: the file the killed save must leave intact.
            let _: redis::Value = redis::cmd("BGSAVE").query(&mut observer.con)?;
            let limit = observer.start.elapsed() + KILL_POINT_TIMEOUT;
            let first = observer.watch(limit, false, |s| !s.bgsave_in_progress)?;
            if !first.last_bgsave_ok || first.bgsave_in_progress {
                return Err(RunError::KillPoint(format!("the first BGSAVE did not complete: {first:?}")));
            }
            let until = observer.start.elapsed() + WARMUP;
            observer.watch(until, false, |_| false)?;
            slow_snapshots(observer)?;
            let _: redis::Value = redis::cmd("BGSAVE").query(&mut observer.con)?;
            kill_during(observer, &mut rng, |s| s.bgsave_in_progress).map(|()| kill_now(observer))
        }
        KillPoint::AfterRewrite { wait } => {
            observer.watch(WARMUP, bgsaves, |_| false)?;
            wait_idle(observer)?;
            let _: redis::Value = redis::cmd("BGREWRITEAOF").query(&mut observer.con)?;
            let until = observer.start.elapsed() + wait;
            observer.watch(until, bgsaves, |_| false)?;
            Ok(kill_now(observer))
        }
        KillPoint::DuringRewrite => {
            observer.watch(WARMUP, bgsaves, |_| false)?;
            wait_idle(observer)?;
            slow_snapshots(observer)?;
            let _: redis::Value = redis::cmd("BGREWRITEAOF").query(&mut observer.con)?;
            kill_during(observer, &mut rng, |s| s.rewrite_in_progress).map(|()| kill_now(observer))
        }
    }
}

/// Waits until neither a BGSAVE nor a rewrite runs (verdis writes the AOF's first base in the
/// background after it starts, and a loaded machine can stretch that past the warmup), so the
/// runner's own BGSAVE or BGREWRITEAOF is accepted.
fn wait_idle(observer: &mut Observer) -> Result<(), RunError> {
    let limit = observer.start.elapsed() + REWRITE_IDLE_TIMEOUT;
    let last = observer.watch(limit, false, |s| !s.rewrite_in_progress && !s.bgsave_in_progress)?;
    if last.rewrite_in_progress || last.bgsave_in_progress {
        return Err(RunError::KillPoint(format!("a snapshot kept running for {REWRITE_IDLE_TIMEOUT:?}: {last:?}")));
    }
    Ok(())
}

/// Sets `rdb-key-save-delay` so the next snapshot of the current keys takes `SLOW_SNAPSHOT`.
fn slow_snapshots(observer: &mut Observer) -> redis::RedisResult<()> {
    let keys: u64 = redis::cmd("DBSIZE").query(&mut observer.con)?;
    let (least, most) = SLOW_SNAPSHOT_KEY_DELAY_US;
    let delay_us = (SLOW_SNAPSHOT.as_micros() as u64 / keys.max(1)).clamp(least, most);
    redis::cmd("CONFIG").arg("SET").arg("rdb-key-save-delay").arg(delay_us).query(&mut observer.con)
}

/// Waits until `running` holds, then a random while, and makes sure it still holds on the last
/// sample before the kill.
fn kill_during(observer: &mut Observer, rng: &mut SplitMix, running: impl Fn(&Sample) -> bool) -> Result<(), RunError> {
    let limit = observer.start.elapsed() + KILL_POINT_TIMEOUT;
    if !running(&observer.watch(limit, false, &running)?) {
        return Err(RunError::KillPoint("the snapshot never showed as running".into()));
    }
    let wait = Duration::from_micros(rng.next() % SLOW_SNAPSHOT_KILL_WITHIN.as_micros() as u64);
    let until = observer.start.elapsed() + wait;
    observer.watch(until, false, |s| !running(s))?;
    let last = observer.sample()?;
    if !running(&last) {
        return Err(RunError::KillPoint(format!("the snapshot ended before the kill (raise SLOW_SNAPSHOT): {last:?}")));
    }
    Ok(())
}

/// Runs Redis's own checkers on what the crash left: `dump.rdb` if present, and the AOF
/// manifest for AOF policies.
fn check_files(dir: &Path, has_aof: bool) -> Result<Vec<Violation>, RunError> {
    let mut checks = Vec::new();
    if dir.join("dump.rdb").exists() {
        checks.push(("redis-check-rdb", dir.join("dump.rdb")));
    }
    if has_aof {
        checks.push(("redis-check-aof", dir.join("appendonlydir").join("appendonly.aof.manifest")));
    }
    let mut violations = Vec::new();
    for (tool, file) in checks {
        let output = Command::new(program(tool)?)
            .arg(&file)
            .output()
            .map_err(|source| RunError::Io { what: format!("running {tool}"), source })?;
        if !output.status.success() {
            violations.push(Violation::FileCheck {
                tool: format!("{tool} {}", file.display()),
                output: format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            });
        }
    }
    Ok(violations)
}

/// Damages the files as `sabotage` says; returns the ops whose commands it removed.
fn sabotage(dir: &Path, sabotage: Sabotage) -> Result<Vec<(usize, u64)>, RunError> {
    let Sabotage::TruncateAofTail { bytes } = sabotage else { return Ok(Vec::new()) };
    let io = |what: String| move |source| RunError::Io { what, source };
    let aof_dir = dir.join("appendonlydir");
    let newest_incr = std::fs::read_dir(&aof_dir)
        .map_err(io(format!("listing {}", aof_dir.display())))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter_map(|path| {
            // appendonly.aof.<seq>.incr.aof
            let name = path.file_name()?.to_str()?.strip_suffix(".incr.aof")?.to_string();
            let seq: u64 = name.rsplit('.').next()?.parse().ok()?;
            Some((seq, path))
        })
        .max()
        .map(|(_, path)| path)
        .ok_or_else(|| RunError::KillPoint(format!("no incr file in {} to cut", aof_dir.display())))?;
    let contents = std::fs::read(&newest_incr).map_err(io(format!("reading {}", newest_incr.display())))?;
    let kept_len = (contents.len() as u64).saturating_sub(bytes);
    let cut_ops = ops_ending_after(&contents, kept_len as usize);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&newest_incr)
        .and_then(|file| file.set_len(kept_len))
        .map_err(io(format!("truncating {}", newest_incr.display())))?;
    Ok(cut_ops)
}

/// The workload ops of an AOF command stream whose command does not end by `kept_len`: a cut
/// there loses them (a command cut in the middle is dropped as a truncated tail).
fn ops_ending_after(aof: &[u8], kept_len: usize) -> Vec<(usize, u64)> {
    let mut reader = verdis_engine::aof::CommandReader::new(aof);
    let mut namer = OpNamer::default();
    let mut cut = Vec::new();
    while let Some(Ok(argv)) = reader.next_command() {
        let op = namer.op(&argv);
        if reader.offset() > kept_len {
            cut.extend(op);
        }
    }
    cut
}

/// The runner's only randomness: splitmix64 from the seed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at_ms: u64, rdb_saves: u64, bgsave_in_progress: bool) -> Sample {
        Sample {
            sent: Duration::from_millis(at_ms),
            received: Duration::from_millis(at_ms + 1),
            rdb_saves,
            bgsave_in_progress,
            last_bgsave_ok: true,
            rewrite_in_progress: false,
        }
    }

    fn windows(samples: Vec<Sample>) -> Vec<SnapshotWindow> {
        snapshot_windows(&samples, true)
    }

    #[test]
    fn windows_from_redis_and_verdis_counters() {
        // Proves a save is found whether rdb_saves counts starts (Redis) or completions, and
        // that one running at the last sample is marked as running at the kill.
        let ms = Duration::from_millis;
        let redis_style =
            windows(vec![sample(0, 0, false), sample(10, 1, true), sample(20, 1, false), sample(30, 2, true)]);
        let verdis_style =
            windows(vec![sample(0, 0, false), sample(10, 0, true), sample(20, 1, false), sample(30, 1, true)]);
        for found in [redis_style, verdis_style] {
            assert_eq!(
                found,
                vec![
                    SnapshotWindow { after: ms(0), before: ms(11), end: SnapshotEnd::Completed },
                    SnapshotWindow { after: ms(20), before: ms(31), end: SnapshotEnd::RunningAtKill },
                ]
            );
        }
        // Killed by a client, not right after the last sample: the running save may have finished.
        let by_client = snapshot_windows(&[sample(0, 0, false), sample(10, 0, true)], false);
        assert_eq!(by_client, vec![SnapshotWindow { after: ms(0), before: ms(11), end: SnapshotEnd::Unknown }]);
        // Started and finished between two samples.
        let quick = windows(vec![sample(0, 0, false), sample(10, 1, false)]);
        assert_eq!(quick, vec![SnapshotWindow { after: ms(0), before: ms(11), end: SnapshotEnd::Completed }]);
    }

    #[test]
    fn policy_args_are_redis_command_line() {
        // Proves each policy turns into the redis-server options it names.
        assert_eq!(
            Policy::Aof(Fsync::Everysec).args(),
            ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec"]
        );
        assert_eq!(Policy::RdbOnly { save_points: Some("1 1") }.args(), ["--save", "1 1", "--appendonly", "no"]);
    }

    #[test]
    fn a_cut_loses_the_command_it_splits_and_every_later_one() {
        // Proves the ops reported as cut are exactly those whose command does not end before the
        // cut: the one it splits and all after it, SELECT not being an op.
        let mut aof = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n".to_vec();
        let mut ends = Vec::new();
        for (client, op) in [(0, 1), (1, 1), (0, 2), (1, 2), (0, 3)] {
            aof.extend(op_command(client, op).0.get_packed_command());
            ends.push(aof.len());
        }
        assert_eq!(ops_ending_after(&aof, aof.len()), []);
        assert_eq!(ops_ending_after(&aof, ends[3]), [(0, 3)]);
        assert_eq!(ops_ending_after(&aof, ends[2] + 1), [(1, 2), (0, 3)]);
        assert_eq!(ops_ending_after(&aof, 0), [(0, 1), (1, 1), (0, 2), (1, 2), (0, 3)]);
    }

    #[test]
    fn case_names_are_unique() {
        // Proves find_case is unambiguous.
        let all: Vec<_> = cases().into_iter().chain(planted_cases()).map(|c| c.name).collect();
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(all.len(), unique.len());
    }
}
