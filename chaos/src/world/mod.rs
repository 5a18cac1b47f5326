//! The simulated world: one server process running the real `Node`, client processes on their
//! own hosts, a virtual network between them, a virtual disk under the server, and a virtual
//! clock that jumps from event to event. One seeded `Decider` makes every choice, so a seed
//! replays bit for bit.
//!
//! # Event loop
//! Events sit in a queue ordered by (time, sequence number); the loop pops the earliest, moves the
//! clock there and handles it. Handling a node input drains the node's actions at once (sends go
//! on the wire, disk operations to the disk, the timer is re-armed).
//!
//! # How replies are checked
//! The node executes a connection's requests synchronously in `handle_input`, so the requests
//! whose last byte a delivery completes are exactly the ones executed, in stream order. The world
//! taps the node's output per connection: each executed request is applied to the reference model
//! when its reply is seen (a rejection caused by a fault, such as `-MISCONF`, is not applied), or
//! at once with the reply checked later when the node holds it back (replies waiting for an
//! fsync).
//!
//! # Phases
//! A safety phase (faults on, every check active) until the workload has issued its requests,
//! then a liveness phase: faults healed, every client reconnects, and every request issued from
//! then on must complete with a reply before a deadline.

mod durability;
mod net;
mod refusal;
mod stalls;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};

use verdis_engine::plants::Plants;
use verdis_server::config::Config;
use verdis_server::node::{Action, ClientId, DiskErrorKind, DiskId, DiskOp, DiskResult, Node, Stopwatch, Time};

use crate::coverage::Coverage;
use crate::decide::Decider;
use crate::disk::{DiskFaults, FsyncTarget, VirtualDisk};
use crate::history::{History, OpId, Outcome};
use crate::model::Model;
use crate::op::Op;
use crate::plan::{Persistence, Plan};
use crate::resp::{encode_reply, encode_request};
use crate::session::Sessions;
use crate::trace::Trace;
use crate::workload;
pub use durability::{DurabilityLog, Requirement};
use net::{Chunk, Conn, Deferred};
use refusal::ActiveFaults;
use stalls::Stalls;

/// The server's unix time when the world starts (2023-11-14).
const UNIX_START_US: i64 = 1_700_000_000_000_000;
/// The node's monotonic clock at world time 0.
const MONO_START_US: u64 = 1_000_000;
/// How often the nemesis draws faults.
const NEMESIS_EVERY_US: u64 = 100_000;
/// Compare the whole keyspace after this many executed requests.
const COMPARE_EVERY_OPS: u64 = 64;
/// A run stops with a failure after this many events (a livelock guard).
const EVENTS_MAX: u64 = 20_000_000;
/// The safety phase ends after this much simulated time even if requests are left.
const SAFETY_US_MAX: u64 = 600_000_000;
/// A restarted node must finish loading within this long.
const LOAD_US_MAX: u64 = 30_000_000;
/// Log lines kept for failure messages.
const LOG_LINES_KEPT: usize = 12;

/// Every allowance the checks make, as counted in reports (a campaign prints how often each was
/// used). Each accepts only what a fault explains:
/// - `refusal_explained`: a `-MISCONF`/`-LOADING` refusal under the fault behind it (not applied);
/// - `refused_after_apply`: such a refusal came for a request whose reply was held back, which the
///   model had applied: the model is replayed from the log without it, and held-back replies on
///   the keys that changed go unchecked;
/// - `keys_unsettled_at_compare`: a keyspace comparison left out the keys of held-back requests
///   that a fault active when they ran may still turn into refusals;
/// - `everysec_window_stalled`: the `everysec` window widened by time the node could not fsync;
/// - `promise_cut_by_disk_fault`: `everysec`/`no` promise only what was acknowledged up to a
///   window before the incarnation's first disk fault (and the recovery must still be a prefix);
/// - `keys_unordered_by_failed_append`: after a power loss, the keys of requests a failed AOF
///   append carried are left out of the recovery check (see `keys_in_failed_appends`);
/// - `restart_unchecked_*`: a recovery taken as the new truth unchecked, because the state the
///   node loaded at an earlier unchecked restart after a process kill is unknown (`unknown_base`),
///   a snapshot-only node had a disk fault (`snapshot_disk_fault`), a corrupt sector loaded
///   (`corrupt_sector`), the node never touched its disk (`no_disk_use`) or stopped while
///   loading (`stopped_loading`).
pub const TOLERANCES: [&str; 11] = [
    "refusal_explained",
    "refused_after_apply",
    "keys_unsettled_at_compare",
    "everysec_window_stalled",
    "promise_cut_by_disk_fault",
    "keys_unordered_by_failed_append",
    "restart_unchecked_unknown_base",
    "restart_unchecked_snapshot_disk_fault",
    "restart_unchecked_corrupt_sector",
    "restart_unchecked_no_disk_use",
    "restart_unchecked_stopped_loading",
];

/// Every kind of fault the world injects, as counted in reports (a campaign can check each
/// occurred).
pub const FAULT_KINDS: [&str; 14] = [
    "crash_power_loss",
    "crash_process_kill",
    "exit_on_disk_error",
    "partition",
    "pause",
    "conn_reset",
    "clock_jump",
    "late_timer",
    "fsync_eio",
    "enospc",
    "short_write",
    "slow_fsync",
    "torn_tail",
    "corrupt_sector",
];

/// What a run is asked to do.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The seed every decision derives from.
    pub seed: u64,
    /// The fault plan.
    pub plan: Plan,
    /// Requests issued in the safety phase.
    pub ops: u64,
    /// Requests issued in the liveness phase.
    pub liveness_ops: u64,
    /// Keep a hash per step (the determinism gate).
    pub keep_step_hashes: bool,
    /// Keep a readable line per event.
    pub keep_lines: bool,
    /// Decisions to replay before drawing from the seed (the shrinker's edited tape).
    pub tape: Option<Vec<u64>>,
    /// Record the decisions made (for shrinking).
    pub record_tape: bool,
    /// Config pairs applied after the plan's (experiments).
    pub extra_config: Vec<(Vec<u8>, Vec<u8>)>,
    /// Planted bugs to switch on in the node (the simulator's self-test).
    pub plants: Plants,
}

impl Settings {
    /// A run of `seed` with its drawn plan and default lengths.
    pub fn new(seed: u64) -> Settings {
        Settings {
            seed,
            plan: Plan::draw(seed),
            ops: 2_000,
            liveness_ops: 200,
            keep_step_hashes: false,
            keep_lines: false,
            tape: None,
            record_tape: false,
            extra_config: Vec::new(),
            plants: Plants::default(),
        }
    }
}

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Which check failed (stable names: `reply`, `keyspace`, `durability`, `liveness`, `panic`...).
    pub check: &'static str,
    /// What it saw.
    pub message: String,
    /// World time.
    pub at_us: u64,
}

/// What a run reports.
#[derive(Clone, Debug)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// The plan it ran.
    pub plan: Plan,
    /// Hash of the whole trace.
    pub trace_hash: u64,
    /// Requests issued.
    pub ops_issued: u64,
    /// Requests the node executed.
    pub ops_executed: u64,
    /// Simulated time.
    pub sim_us: u64,
    /// Events handled.
    pub events: u64,
    /// Faults injected, by kind.
    pub faults: BTreeMap<&'static str, u64>,
    /// Allowances the checks made, by name (see `TOLERANCES`).
    pub tolerances: BTreeMap<&'static str, u64>,
    /// Probes hit.
    pub coverage: Coverage,
    /// The failure, if any.
    pub failure: Option<Failure>,
    /// The history (for a linearizability checker).
    pub history: History,
    /// Per-step hashes, when kept.
    pub step_hashes: Option<Vec<u64>>,
    /// Readable trace, when kept.
    pub lines: Option<Vec<String>>,
    /// Decisions made, when recorded.
    pub tape: Vec<u64>,
}

#[derive(Clone, Debug)]
enum Ev {
    Timer { incarnation: u64 },
    DiskDone { incarnation: u64, id: DiskId, result: Option<DiskResult>, fsync: Option<FsyncTarget> },
    Deliver { conn: u64, up: bool },
    Wake { client: usize },
    Nemesis,
    Restart { incarnation: u64 },
    ConnectArrive { conn: u64 },
    ConnectAck { conn: u64, ok: bool },
    EndSafety,
    Deadline,
}

struct Scheduled {
    at_us: u64,
    seq: u64,
    ev: Ev,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at_us, self.seq) == (other.at_us, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    // Reversed: `BinaryHeap` is a max-heap and the earliest event must come out first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at_us, other.seq).cmp(&(self.at_us, self.seq))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ServerState {
    Down,
    Loading,
    Up,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Safety,
    Liveness,
}

/// The server host's clock: drift and jumps on the wall clock; the monotonic clock only advances.
struct Clock {
    drift_ppm: i64,
    offset_us: i64,
}

impl Clock {
    fn at(&self, now_us: u64) -> Time {
        let drift = (now_us as i128 * self.drift_ppm as i128 / 1_000_000) as i64;
        Time {
            unix_us: UNIX_START_US + now_us as i64 + drift + self.offset_us,
            mono_us: MONO_START_US + now_us,
            stopwatch: Stopwatch::FROZEN,
        }
    }
}

struct ClientProc {
    conn: Option<u64>,
    next_op_us: u64,
    wake_us: u64,
    /// The rest of the transaction script being issued.
    script: VecDeque<Op>,
}

/// One simulated world.
pub struct World {
    seed: u64,
    safety_plan: Plan,
    plan: Plan,
    ops_target: u64,
    liveness_target: u64,
    extra_config: Vec<(Vec<u8>, Vec<u8>)>,
    plants: Plants,
    now_us: u64,
    queue: BinaryHeap<Scheduled>,
    seq: u64,
    decide: Decider,
    // The server process.
    node: Option<Node>,
    incarnation: u64,
    state: ServerState,
    loading_since_us: u64,
    /// The node said it is ready (loading is over).
    ready_logged: bool,
    /// The node served a request in this incarnation: its loading is over for good (it logs
    /// ready while its AOF is still being opened at start, and refuses with `-LOADING` until
    /// it is; loading never starts again, as the workload has no DEBUG RELOAD).
    served_this_incarnation: bool,
    /// Inside `handle_input` (effects of requests in it are settled after it returns).
    in_input: bool,
    /// A BGSAVE request in the current input started a save.
    bgsave_started_in_input: bool,
    paused_until_us: u64,
    /// When the node could not fsync (what widens the `everysec` loss window).
    stalls: Stalls,
    disk: VirtualDisk,
    clock: Clock,
    timer_at_us: u64,
    disk_fifo_us: u64,
    node_conns: BTreeMap<ClientId, u64>,
    node_ever_used_disk: bool,
    /// When this incarnation got its first disk error (a missing file is an answer, not one).
    first_disk_fault_us: Option<u64>,
    /// The disk faults of this incarnation still active (what may explain a `-MISCONF`).
    disk_failing: ActiveFaults,
    /// Disk operations in flight: the path (a failure's path says which fault it is), and for an
    /// AOF append the time span of the requests whose bytes it may carry.
    disk_pending: BTreeMap<DiskId, (String, Option<(u64, u64)>)>,
    /// When the last AOF append was issued.
    last_aof_append_us: u64,
    /// Time spans of the requests in AOF appends that failed since the durability log's base.
    failed_appends: Vec<(u64, u64)>,
    corrupted: bool,
    recent_logs: VecDeque<String>,
    // Clients and network.
    clients: Vec<ClientProc>,
    conns: BTreeMap<u64, Conn>,
    next_conn: u64,
    partitioned_until_us: Vec<u64>,
    // Checks.
    model: Model,
    /// Each connection's transaction and watched keys (the model's per-connection part).
    sessions: Sessions,
    durability: DurabilityLog,
    /// What the next recovery must show, or the allowance that leaves it unchecked.
    requirement: Result<Requirement, &'static str>,
    /// The durability log's base may hold data that was never durable (a restart after a
    /// process kill whose loaded prefix is unknown).
    base_uncertain: bool,
    /// The last stop was a power loss (the page cache was lost), not a process kill or exit.
    last_stop_power_loss: bool,
    history: History,
    // Bookkeeping.
    phase: Phase,
    issued: u64,
    executed: u64,
    executed_at_compare: u64,
    liveness_issued: u64,
    liveness_done: u64,
    events: u64,
    done: bool,
    trace: Trace,
    coverage: Coverage,
    faults: BTreeMap<&'static str, u64>,
    tolerances: BTreeMap<&'static str, u64>,
    failure: Option<Failure>,
}

impl World {
    /// A world set up as `settings` asks, not yet started.
    pub fn new(settings: Settings) -> World {
        let mut decide = match settings.tape {
            Some(tape) => Decider::replaying(settings.seed, tape),
            None => Decider::new(settings.seed),
        };
        if settings.record_tape {
            decide.record();
        }
        let plan = settings.plan;
        let drift = plan.drift_ppm as i64;
        let drift_ppm = if drift == 0 { 0 } else { decide.range(0, 2 * drift as u64) as i64 - drift };
        let clients = plan.clients as usize;
        World {
            seed: settings.seed,
            safety_plan: plan.clone(),
            disk: VirtualDisk::new(plan.disk.clone()),
            plan,
            ops_target: settings.ops,
            liveness_target: settings.liveness_ops,
            extra_config: settings.extra_config,
            plants: settings.plants,
            now_us: 0,
            queue: BinaryHeap::new(),
            seq: 0,
            decide,
            node: None,
            incarnation: 0,
            state: ServerState::Down,
            loading_since_us: 0,
            ready_logged: false,
            served_this_incarnation: false,
            in_input: false,
            bgsave_started_in_input: false,
            paused_until_us: 0,
            stalls: Stalls::default(),
            clock: Clock { drift_ppm, offset_us: 0 },
            timer_at_us: u64::MAX,
            disk_fifo_us: 0,
            node_conns: BTreeMap::new(),
            node_ever_used_disk: false,
            first_disk_fault_us: None,
            disk_failing: ActiveFaults::default(),
            disk_pending: BTreeMap::new(),
            last_aof_append_us: 0,
            failed_appends: Vec::new(),
            corrupted: false,
            recent_logs: VecDeque::new(),
            clients: (0..clients)
                .map(|_| ClientProc { conn: None, next_op_us: 0, wake_us: u64::MAX, script: VecDeque::new() })
                .collect(),
            conns: BTreeMap::new(),
            next_conn: 1,
            partitioned_until_us: vec![0; clients],
            model: Model::default(),
            sessions: Sessions::default(),
            durability: DurabilityLog::default(),
            requirement: Err("restart_unchecked_stopped_loading"),
            base_uncertain: false,
            last_stop_power_loss: true,
            history: History::default(),
            phase: Phase::Safety,
            issued: 0,
            executed: 0,
            executed_at_compare: 0,
            liveness_issued: 0,
            liveness_done: 0,
            events: 0,
            done: false,
            trace: Trace::new(settings.keep_step_hashes, settings.keep_lines),
            coverage: Coverage::default(),
            faults: BTreeMap::new(),
            tolerances: BTreeMap::new(),
            failure: None,
        }
    }

    /// Runs the world to the end (or the first failure) and reports. A panic inside the node
    /// (an assertion, an audit) is a failure of the run, with the trace up to it kept.
    pub fn run(mut self) -> Report {
        let outcome = catch_unwind(AssertUnwindSafe(|| self.run_events()));
        if let Err(payload) = outcome {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic without a message".into());
            self.failure = None;
            self.fail("panic", message);
        }
        Report {
            seed: self.seed,
            plan: self.safety_plan,
            trace_hash: self.trace.hash(),
            ops_issued: self.issued,
            ops_executed: self.executed,
            sim_us: self.now_us,
            events: self.events,
            faults: self.faults,
            tolerances: self.tolerances,
            coverage: self.coverage,
            failure: self.failure,
            history: self.history,
            step_hashes: self.trace.step_hashes.take(),
            lines: self.trace.lines.take(),
            tape: self.decide.take_tape(),
        }
    }

    fn run_events(&mut self) {
        self.start_node();
        for c in 0..self.clients.len() {
            self.schedule(0, Ev::Wake { client: c });
        }
        self.schedule(NEMESIS_EVERY_US, Ev::Nemesis);
        self.schedule(SAFETY_US_MAX, Ev::EndSafety);
        while let Some(s) = self.queue.pop() {
            debug_assert!(s.at_us >= self.now_us, "time went backwards");
            self.now_us = s.at_us;
            self.events += 1;
            self.trace.num(s.at_us);
            self.handle(s.ev);
            self.trace.step();
            if self.failure.is_some() || self.done {
                break;
            }
            if self.events >= EVENTS_MAX {
                self.fail("budget", format!("no end after {EVENTS_MAX} events"));
                break;
            }
        }
        if self.failure.is_none() && !self.done {
            self.fail("liveness", "the world ran out of events before the workload finished".into());
        }
    }

    // ----- scheduling and bookkeeping -----

    fn schedule(&mut self, at_us: u64, ev: Ev) {
        self.seq += 1;
        self.queue.push(Scheduled { at_us: at_us.max(self.now_us), seq: self.seq, ev });
    }

    fn fail(&mut self, check: &'static str, message: String) {
        if self.failure.is_none() {
            self.line(format!("FAILURE {check}: {message}"));
            self.failure = Some(Failure { check, message, at_us: self.now_us });
        }
    }

    fn fault(&mut self, kind: &'static str) {
        debug_assert!(FAULT_KINDS.contains(&kind), "unknown fault kind {kind}");
        *self.faults.entry(kind).or_insert(0) += 1;
    }

    fn tolerate(&mut self, name: &'static str) {
        debug_assert!(TOLERANCES.contains(&name), "unknown tolerance {name}");
        *self.tolerances.entry(name).or_insert(0) += 1;
    }

    fn line(&mut self, text: String) {
        self.trace.line(self.now_us, text);
    }

    fn time(&self) -> Time {
        self.clock.at(self.now_us)
    }

    fn latency(&mut self, client: usize) -> u64 {
        let (lo, hi) = (self.plan.latency_min_us, self.plan.latency_max_us);
        let mut l = lo + self.decide.skewed(0, hi - lo);
        if self.decide.chance(self.plan.slow) {
            self.coverage.hit("slow_link");
            l *= 20;
        }
        // A partitioned host's packets wait for the partition to heal (TCP retransmits).
        l.max(self.partitioned_until_us[client].saturating_sub(self.now_us))
    }

    fn paused(&self) -> bool {
        self.paused_until_us > self.now_us
    }

    // ----- events -----

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Timer { incarnation } => {
                if incarnation != self.incarnation || self.node.is_none() {
                    return;
                }
                if self.paused() {
                    return self.schedule(self.paused_until_us, Ev::Timer { incarnation });
                }
                self.timer_at_us = u64::MAX;
                if self.state == ServerState::Loading && self.now_us - self.loading_since_us > LOAD_US_MAX {
                    return self.fail("liveness", format!("the node was still loading after {LOAD_US_MAX} us"));
                }
                let t = self.time();
                self.trace.num(1);
                self.node.as_mut().expect("checked").handle_timer(t);
                self.drain();
                self.mirror_expiry();
            }
            Ev::DiskDone { incarnation, id, result, fsync } => {
                if incarnation != self.incarnation || self.node.is_none() {
                    return;
                }
                if self.paused() {
                    return self.schedule(self.paused_until_us, Ev::DiskDone { incarnation, id, result, fsync });
                }
                let result = match (result, fsync) {
                    (Some(r), _) => r,
                    (None, Some(target)) => self.disk.fsync(&target, &mut self.decide),
                    (None, None) => unreachable!("a disk result or an fsync to run"),
                };
                let (path, append_span) = self.disk_pending.remove(&id).unwrap_or_default();
                if let Err(e) = &result {
                    // A missing file is an answer, not a fault.
                    if e.kind != DiskErrorKind::NotFound {
                        self.first_disk_fault_us.get_or_insert(self.now_us);
                        let node = self.node.as_ref().expect("checked");
                        if path.starts_with(&node.config().persist.appenddirname) {
                            self.disk_failing.aof_write_failing = true;
                            self.failed_appends.extend(append_span);
                        } else {
                            self.disk_failing.rdb_save_failing = true;
                        }
                    }
                    if e.kind == DiskErrorKind::Other {
                        self.coverage.hit("fsync_eio");
                        self.fault("fsync_eio");
                    }
                    if self.trace.wants_lines() {
                        self.line(format!("disk #{id}: failed: {e}"));
                    }
                }
                self.trace.num(2);
                self.trace.num(id);
                self.trace.num(result.is_ok() as u64);
                let t = self.time();
                self.node.as_mut().expect("checked").handle_disk(t, id, result);
                self.drain();
            }
            Ev::Deliver { conn, up } => self.deliver(conn, up),
            Ev::Wake { client } => self.wake(client),
            Ev::Nemesis => self.nemesis(),
            Ev::Restart { incarnation } => {
                if incarnation == self.incarnation && self.state == ServerState::Down {
                    self.start_node();
                }
            }
            Ev::ConnectArrive { conn } => self.connect_arrive(conn),
            Ev::ConnectAck { conn, ok } => self.connect_ack(conn, ok),
            Ev::EndSafety => self.end_safety(),
            Ev::Deadline => {
                let missing = self.liveness_target - self.liveness_done;
                self.fail("liveness", format!("{missing} liveness-phase requests incomplete at the deadline"));
            }
        }
    }

    // ----- the server process -----

    fn node_config(&self) -> Config {
        let mut config = Config::default();
        let mut pairs: Vec<(&[u8], &[u8])> = self.safety_plan.node_config();
        for (k, v) in &self.extra_config {
            pairs.push((k, v));
        }
        if let Err(e) = config.set_many(&pairs, true) {
            panic!("the simulator's node config is invalid: {e:?}");
        }
        config.engine.plants = self.plants;
        config
    }

    fn start_node(&mut self) {
        self.incarnation += 1;
        let t = self.time();
        let seed = self.seed ^ self.incarnation.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut node = Node::new(self.node_config(), seed, t);
        node.handle_start(t);
        self.node = Some(node);
        self.state = ServerState::Loading;
        self.ready_logged = false;
        self.served_this_incarnation = false;
        self.loading_since_us = self.now_us;
        self.timer_at_us = u64::MAX;
        self.first_disk_fault_us = None;
        self.disk_failing = ActiveFaults::default();
        self.disk_pending.clear();
        self.node_conns.clear();
        self.line(format!("server: start (incarnation {})", self.incarnation));
        self.drain();
    }

    /// Hands the node's actions to the world; re-arms its timer; notices the end of loading.
    fn drain(&mut self) {
        while let Some(action) = self.node.as_mut().and_then(Node::poll_action) {
            match action {
                Action::Send { client, bytes } => {
                    // The simulated socket takes every byte at once: all of it is written.
                    let t = self.time();
                    self.node.as_mut().expect("checked").handle_sent(t, client, bytes.len());
                    self.node_send(client, bytes);
                }
                // The world's links hold what was sent, so dropping unsent output is closing.
                Action::Close { client } | Action::Drop { client } => {
                    self.trace.num(3);
                    self.trace.num(client);
                    if let Some(c) = self.node_conns.remove(&client) {
                        self.sessions.close(c);
                        let conn = self.conns.get_mut(&c).expect("mapped conn");
                        conn.server_open = false;
                        conn.deferred.clear();
                        self.send_chunk(c, false, Chunk::Close);
                    }
                }
                Action::Log { message, .. } => self.node_log(message),
                Action::Exit { code } => return self.node_exit(code),
                Action::Pause { duration_us } => {
                    self.stalls.add(self.now_us, self.now_us + duration_us);
                    self.paused_until_us = self.paused_until_us.max(self.now_us + duration_us);
                }
                Action::Disk { id, op } => self.node_disk(id, op),
            }
        }
        if self.node.is_none() {
            return;
        }
        if self.state == ServerState::Loading && self.ready_logged {
            self.loaded();
        }
        self.arm_timer();
    }

    fn arm_timer(&mut self) {
        let Some(node) = &self.node else { return };
        let mut at = node.poll_timeout().saturating_sub(MONO_START_US).max(self.now_us);
        if at < self.timer_at_us {
            if self.decide.chance(self.plan.late_timer) {
                self.coverage.hit("late_timer");
                self.fault("late_timer");
                at += self.decide.range(1_000, 200_000);
            }
            self.timer_at_us = at;
            let incarnation = self.incarnation;
            self.schedule(at, Ev::Timer { incarnation });
        }
    }

    fn node_send(&mut self, client: ClientId, bytes: Vec<u8>) {
        self.trace.num(4);
        self.trace.bytes(&bytes);
        let Some(&c) = self.node_conns.get(&client) else { return };
        self.conns.get_mut(&c).expect("mapped conn").tap.push(&bytes);
        // Replies held back earlier come first.
        loop {
            let conn = self.conns.get_mut(&c).expect("mapped conn");
            if conn.deferred.is_empty() {
                break;
            }
            let frame = match conn.tap.next_reply() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return self.fail("protocol", format!("node sent bad RESP: {e}")),
            };
            let d = conn.deferred.pop_front().expect("non-empty");
            if ActiveFaults::is_rejection(&frame) {
                if !d.faults.explain(&frame) {
                    return self.unexplained_refusal(d.op, &frame, d.faults);
                }
                self.tolerate("refusal_explained");
                self.coverage.hit("fault_rejection_reply");
                if d.queued {
                    self.abort_transaction_of_refused(c, d.op);
                }
                self.forget_refused(d.op);
                continue;
            }
            self.served_this_incarnation |= !self.history.records[d.op].op.served_while_loading();
            if let Some(want) = d.predicted {
                if want != frame {
                    return self.reply_mismatch(d.op, &want, &frame);
                }
            }
        }
        self.send_chunk(c, false, Chunk::Data(bytes));
    }

    /// A command queued in a transaction turned out refused (its reply was held back): the
    /// node aborts that transaction at EXEC. If the EXEC ran already (its reply held back too),
    /// the log forgets it and its reply must be the abort; otherwise the open transaction is
    /// marked to abort.
    fn abort_transaction_of_refused(&mut self, c: u64, op: OpId) {
        let conn = self.conns.get_mut(&c).expect("mapped conn");
        let end =
            conn.deferred.iter_mut().find(|d| matches!(self.history.records[d.op].op, Op::Exec { .. } | Op::Discard));
        match end {
            Some(d) if matches!(self.history.records[d.op].op, Op::Discard) => {}
            Some(d) => {
                d.predicted = Some(b"-EXECABORT Transaction discarded because of previous errors.\r\n".to_vec());
                let exec_op = d.op;
                self.durability.forget(exec_op);
            }
            None => self.sessions.refused(c, &self.history.records[op].op),
        }
    }

    fn unexplained_refusal(&mut self, op: OpId, reply: &[u8], faults: ActiveFaults) {
        let text = format!(
            "{}: the node refused with {:?}, which no active fault explains ({faults:?})",
            self.history.records[op].op,
            String::from_utf8_lossy(reply).trim_end()
        );
        self.fail("reply", text);
    }

    /// The faults active now, as far as the world knows without asking the node.
    fn active_faults(&self) -> ActiveFaults {
        let loading = self.state == ServerState::Loading
            || (!self.served_this_incarnation && self.now_us - self.loading_since_us <= LOAD_US_MAX);
        ActiveFaults { loading, ..self.disk_failing }
    }

    fn reply_mismatch(&mut self, op: OpId, want: &[u8], got: &[u8]) {
        let text = format!(
            "{}: model says {:?}, node says {:?}",
            self.history.records[op].op,
            String::from_utf8_lossy(want),
            String::from_utf8_lossy(got)
        );
        self.fail("reply", text);
    }

    /// The node refused `op`, which the model applied when it ran (its reply was held back): the
    /// durability log forgets it and the model is replayed from the log without it (never read
    /// from the node). Held-back replies on the keys that changed (their own, and any later
    /// request's that read them) were predicted on wrong values and go unchecked; later
    /// predictions are exact again.
    fn forget_refused(&mut self, op: OpId) {
        self.tolerate("refused_after_apply");
        self.durability.forget(op);
        let mut replayed = self.durability.replay(&self.history);
        // The replay's touches are history: watches fire on what happens from now on.
        replayed.take_touched();
        let changed: BTreeSet<Vec<u8>> = self
            .model
            .keys
            .keys()
            .chain(replayed.keys.keys())
            .filter(|k| self.model.keys.get(*k) != replayed.keys.get(*k))
            .cloned()
            .collect();
        self.model = replayed;
        for conn in self.conns.values_mut() {
            for d in &mut conn.deferred {
                if self.history.records[d.op].op.keys().iter().any(|k| changed.contains(*k)) {
                    d.predicted = None;
                }
            }
        }
        self.line(format!("model: forgot refused {}; {} keys replayed", self.history.records[op].op, changed.len()));
    }

    fn node_log(&mut self, message: String) {
        self.trace.bytes(message.as_bytes());
        if self.trace.wants_lines() {
            self.line(format!("server log: {message}"));
        }
        let prefix = self.durability.ops.len();
        self.disk_failing.note_log(&message);
        if message.starts_with("Ready to accept connections") {
            self.ready_logged = true;
        }
        if message.starts_with("Background saving started") {
            if self.in_input {
                // A BGSAVE request started it: the snapshot holds what ran before that request
                // in this input, which is settled after the input returns (see `settle`).
                self.bgsave_started_in_input = true;
            } else {
                self.durability.bgsave_start = Some(prefix);
            }
        } else if message.starts_with("Background saving terminated with success") || message == "DB saved on disk" {
            let point = self.durability.bgsave_start.unwrap_or(prefix);
            self.durability.save_points.push(point);
            if message.starts_with("Background") {
                self.durability.bgsave_start = None;
            }
        } else if message.contains("Background saving error") || message.contains("Background saving failed") {
            self.durability.bgsave_start = None;
        }
        if self.recent_logs.len() == LOG_LINES_KEPT {
            self.recent_logs.pop_front();
        }
        self.recent_logs.push_back(message);
    }

    fn node_disk(&mut self, id: DiskId, op: DiskOp) {
        self.node_ever_used_disk = true;
        let aof_append = matches!(op, DiskOp::Append { .. })
            && self.node.as_ref().is_some_and(|n| op.path().starts_with(&n.config().persist.appenddirname));
        // An append carries the requests run since the one before it (and retried bytes of
        // failed ones, whose spans are noted already).
        let span = aof_append.then_some((self.last_aof_append_us, self.now_us));
        if aof_append {
            self.last_aof_append_us = self.now_us;
        }
        self.disk_pending.insert(id, (op.path().to_string(), span));
        self.trace.num(5);
        self.trace.bytes(op.path().as_bytes());
        if self.trace.wants_lines() {
            let text = match &op {
                DiskOp::Append { path, bytes } | DiskOp::Create { path, bytes } => {
                    let shown: String =
                        String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).escape_debug().collect();
                    format!("disk #{id}: write {path} {} bytes: {shown}", bytes.len())
                }
                other => format!("disk #{id}: {other:?}"),
            };
            self.line(text);
        }
        let incarnation = self.incarnation;
        if let DiskOp::Fsync { path } = &op {
            let target = self.disk.fsync_target(path);
            // An fsync takes effect when it completes: a crash before then loses the data.
            let mut at = self.now_us + self.decide.range(self.plan.fsync_us / 10, self.plan.fsync_us);
            if self.decide.chance(self.plan.slow_fsync) {
                self.coverage.hit("slow_fsync");
                self.fault("slow_fsync");
                at += self.plan.fsync_us * 100;
                self.stalls.add(self.now_us, at);
            }
            return self.schedule(at, Ev::DiskDone { incarnation, id, result: None, fsync: Some(target) });
        }
        let before = self.disk.fired.clone();
        let result = self.disk.execute(&op, &mut self.decide);
        for (kind, n) in [
            ("enospc", self.disk.fired.enospc - before.enospc),
            ("short_write", self.disk.fired.short_write - before.short_write),
        ] {
            if n > 0 {
                self.coverage.hit(kind);
                self.fault(kind);
            }
        }
        // Results come back in the order operations were emitted.
        let at = (self.now_us + self.decide.range(5, 200)).max(self.disk_fifo_us);
        self.disk_fifo_us = at;
        self.schedule(at, Ev::DiskDone { incarnation, id, result: Some(result), fsync: None });
    }

    fn node_exit(&mut self, code: i32) {
        let logs: Vec<String> = self.recent_logs.iter().cloned().collect();
        self.line(format!("server: exit {code}"));
        let loading = self.state == ServerState::Loading;
        self.note_requirement(false);
        self.stop_node();
        self.last_stop_power_loss = false;
        if loading && self.corrupted {
            // A corrupt file refused at load: the claimed behaviour. The operator restores an
            // empty data directory and starts again.
            self.coverage.hit("refused_start_after_corruption");
            self.disk.wipe();
            self.corrupted = false;
            self.model = Model::default();
            self.durability.reset(Model::default());
            self.failed_appends.clear();
            // The wiped node must come back empty.
            self.requirement =
                Ok(self.durability.requirement(self.safety_plan.persistence, &self.history, self.now_us, 0));
            self.start_node();
            return;
        }
        // A non-zero exit is the designed reaction to a disk error, and to nothing else.
        if loading || code == 0 || self.first_disk_fault_us.is_none() {
            let why = if loading {
                "while loading"
            } else if code == 0 {
                "cleanly, unasked"
            } else {
                "with no disk fault in this incarnation"
            };
            return self.fail("exit", format!("the node exited with code {code} {why}; last log lines: {logs:?}"));
        }
        // Exiting on a disk error is the designed reaction (appendfsync always): like a process
        // kill, the page cache survives; what was acknowledged must be recovered.
        self.coverage.hit("exit_on_disk_error");
        self.fault("exit_on_disk_error");
        self.schedule_restart();
    }

    fn schedule_restart(&mut self) {
        let down = self.decide.range(1_000, 1_000 + self.plan.down_ms * 1000);
        let incarnation = self.incarnation;
        self.schedule(self.now_us + down, Ev::Restart { incarnation });
    }

    /// Drops the node and every connection to it.
    fn stop_node(&mut self) {
        self.stalls.begin(self.now_us);
        self.node = None;
        self.state = ServerState::Down;
        self.paused_until_us = 0;
        self.node_conns.clear();
        let ids: Vec<u64> = self.conns.iter().filter(|(_, c)| c.server_open).map(|(id, _)| *id).collect();
        for id in ids {
            self.sessions.close(id);
            let conn = self.conns.get_mut(&id).expect("listed");
            conn.server_open = false;
            conn.deferred.clear();
            conn.up.queue.clear();
            // The client learns when the reset reaches it (later, if partitioned: half-open).
            self.send_chunk(id, false, Chunk::Close);
        }
    }

    fn crash(&mut self) {
        let power_loss = self.decide.below(3) != 0;
        self.line(format!("server: crash ({})", if power_loss { "power loss" } else { "process kill" }));
        self.note_requirement(power_loss);
        self.stop_node();
        self.last_stop_power_loss = power_loss;
        if power_loss {
            self.coverage.hit("crash_power_loss");
            self.fault("crash_power_loss");
            let before = self.disk.fired.clone();
            self.disk.crash(&mut self.decide);
            if self.disk.fired.torn > before.torn {
                self.coverage.hit("torn_tail");
                self.fault("torn_tail");
            }
            if !self.disk.take_corrupted().is_empty() {
                self.coverage.hit("corrupt_sector");
                self.fault("corrupt_sector");
                self.corrupted = true;
            }
        } else {
            self.coverage.hit("crash_process_kill");
            self.fault("crash_process_kill");
        }
        self.schedule_restart();
    }

    /// What the next recovery must show, given what was acknowledged before this stop. A disk
    /// error cuts the everysec/no promises short: Redis refuses writes after one, but what it
    /// acknowledged shortly before may be lost (a write waiting to be retried, an fsync that
    /// failed), so they promise what was acknowledged a window before the first error; `always`
    /// keeps its promise through them.
    fn note_requirement(&mut self, power_loss: bool) {
        let policy = self.safety_plan.persistence;
        let snapshots_only = matches!(policy, Persistence::Rdb | Persistence::None);
        self.requirement = if self.base_uncertain {
            Err("restart_unchecked_unknown_base")
        } else if self.state != ServerState::Up {
            Err("restart_unchecked_stopped_loading")
        } else if snapshots_only && self.first_disk_fault_us.is_some() {
            Err("restart_unchecked_snapshot_disk_fault")
        } else {
            let until_us = match self.first_disk_fault_us {
                Some(at) if policy != Persistence::AofAlways => {
                    self.tolerate("promise_cut_by_disk_fault");
                    at
                }
                _ => self.now_us,
            };
            let hz = self.node.as_ref().map_or(1, |n| n.config().hz).max(1);
            let cron_us = 1_000_000 / hz as u64;
            let window_us = self.stalls.everysec_window_us(until_us, self.plan.fsync_us, cron_us);
            if policy == Persistence::AofEverysec && window_us > Stalls::everysec_base_us(self.plan.fsync_us, cron_us) {
                self.tolerate("everysec_window_stalled");
            }
            let mut req = self.durability.requirement(policy, &self.history, until_us, window_us);
            // `always` acknowledges nothing a failed append may have reordered, and the node
            // makes the truncation durable before it exits: no allowance there.
            if power_loss && policy != Persistence::AofAlways {
                req.unordered_keys = self.keys_in_failed_appends();
                if !req.unordered_keys.is_empty() {
                    self.tolerate("keys_unordered_by_failed_append");
                }
            }
            Ok(req)
        };
    }

    /// The keys written by logged requests a failed AOF append may have carried: after it
    /// failed, appends issued before the failure was known may have landed, and the truncation
    /// that cuts them off is durable only at the next fsync, so a power loss can keep a later
    /// write without the failed append's (a verdis node keeps several appends in flight; Redis
    /// has one write at a time).
    fn keys_in_failed_appends(&self) -> BTreeSet<Vec<u8>> {
        let in_failed = |at_us: u64| self.failed_appends.iter().any(|&(from, to)| (from..=to).contains(&at_us));
        self.durability
            .ops
            .iter()
            .filter(|&&(op, _, exec_us)| in_failed(exec_us) && self.history.records[op].op.is_write())
            .flat_map(|&(op, _, _)| self.history.records[op].op.keys())
            .map(<[u8]>::to_vec)
            .collect()
    }

    /// The restarted node finished loading: check what it recovered, then serve.
    fn loaded(&mut self) {
        self.state = ServerState::Up;
        self.stalls.end(self.now_us);
        let node = self.node.as_ref().expect("loading node");
        let now_ms = self.time().unix_ms();
        let recovered = Model::of_keyspace(node.keyspace());
        self.line(format!("server: ready with {} keys", recovered.len()));
        // BGSAVE writes a snapshot even with no persistence configured.
        let persists = self.safety_plan.persistence != Persistence::None || self.node_ever_used_disk;
        let mut matched = None;
        let mut on_disk = None;
        if self.incarnation > 1 {
            self.coverage.hit(if recovered.is_empty() { "restart_empty" } else { "restart_nonempty" });
            let requirement = match std::mem::replace(&mut self.requirement, Err("restart_unchecked_stopped_loading")) {
                Ok(_) if persists && !self.node_ever_used_disk => Err("restart_unchecked_no_disk_use"),
                Ok(_) if self.corrupted => Err("restart_unchecked_corrupt_sector"),
                r => r,
            };
            match requirement {
                Err(why) => {
                    self.coverage.hit("durability_skipped");
                    self.tolerate(why);
                }
                Ok(req) => match self.durability.matching_state(&req, &self.history, &recovered, now_ms) {
                    Ok((i, state)) => {
                        matched = Some(i);
                        on_disk = Some(state);
                        self.coverage.hit("durability_checked");
                        if req.policy == Persistence::Rdb && i > 0 {
                            self.coverage.hit("rdb_save_point");
                        }
                        if i < self.durability.ops.len() {
                            self.coverage.hit("recovered_older_than_last_write");
                        }
                        self.line(format!("durability: recovered prefix {i} of {}", self.durability.ops.len()));
                    }
                    Err(e) => return self.fail("durability", e),
                },
            }
        }
        self.corrupted = false;
        self.model = recovered;
        // After a power loss what loaded is durable: a new base. After a process kill or exit
        // it may include page-cache data a later power loss drops, so the log goes on from the
        // prefix that loaded; if that prefix is unknown, the next check is skipped.
        match matched {
            Some(i) if persists && !self.last_stop_power_loss && self.incarnation > 1 => self.durability.truncate(i),
            _ => {
                self.base_uncertain = persists && !self.last_stop_power_loss && self.incarnation > 1;
                self.durability.reset(self.model.clone());
                self.failed_appends.clear();
                // What loaded matched a state of the old log: that state is what the files hold.
                self.durability.base_on_disk = on_disk.filter(|_| persists);
            }
        }
    }

    // ----- the network -----

    /// Queues a chunk on a link, split at random into several deliveries.
    fn send_chunk(&mut self, c: u64, up: bool, chunk: Chunk) {
        let client = self.conns[&c].client;
        let mut pieces = vec![chunk];
        if let Chunk::Data(bytes) = &pieces[0] {
            if bytes.len() > 1 && self.decide.chance(self.plan.split) {
                self.coverage.hit("split_delivery");
                let Chunk::Data(mut rest) = pieces.pop().expect("one") else { unreachable!() };
                let parts = self.decide.range(2, 4);
                for _ in 1..parts {
                    if rest.len() < 2 {
                        break;
                    }
                    let cut = self.decide.range(1, rest.len() as u64 - 1) as usize;
                    let tail = rest.split_off(cut);
                    pieces.push(Chunk::Data(rest));
                    rest = tail;
                }
                pieces.push(Chunk::Data(rest));
            }
        }
        for piece in pieces {
            let latency = self.latency(client);
            let conn = self.conns.get_mut(&c).expect("live conn");
            let link = if up { &mut conn.up } else { &mut conn.down };
            let at = (self.now_us + latency).max(link.last_arrival_us);
            link.last_arrival_us = at;
            link.queue.push_back((at, piece));
            self.schedule(at, Ev::Deliver { conn: c, up });
        }
    }

    fn deliver(&mut self, c: u64, up: bool) {
        let now = self.now_us;
        let Some(conn) = self.conns.get_mut(&c) else { return };
        let client = conn.client;
        let link = if up { &mut conn.up } else { &mut conn.down };
        // Everything that has arrived is read at once (coalescing), up to a close.
        let mut data = Vec::new();
        let mut closed = false;
        let mut pieces = 0;
        while let Some((at, _)) = link.queue.front() {
            if *at > now {
                break;
            }
            match link.queue.pop_front().expect("front").1 {
                Chunk::Data(b) => {
                    data.extend_from_slice(&b);
                    pieces += 1;
                }
                Chunk::Close => {
                    closed = true;
                    break;
                }
            }
        }
        if data.is_empty() && !closed {
            return;
        }
        if pieces > 1 {
            self.coverage.hit("coalesced_delivery");
        }
        // The server side is frozen while the process is paused: bytes wait in its socket buffer.
        if up && self.paused() {
            let conn = self.conns.get_mut(&c).expect("live");
            if closed {
                conn.up.queue.push_front((now, Chunk::Close));
            }
            if !data.is_empty() {
                conn.up.queue.push_front((now, Chunk::Data(data)));
            }
            return self.schedule(self.paused_until_us, Ev::Deliver { conn: c, up });
        }
        // A short read: part now, the rest a moment later.
        if data.len() > 1 && !closed && self.decide.chance(self.plan.split / 2.0) {
            self.coverage.hit("partial_read");
            let cut = self.decide.range(1, data.len() as u64 - 1) as usize;
            let rest = data.split_off(cut);
            let conn = self.conns.get_mut(&c).expect("live");
            let link = if up { &mut conn.up } else { &mut conn.down };
            link.queue.push_front((now + 1, Chunk::Data(rest)));
            self.schedule(now + 1, Ev::Deliver { conn: c, up });
        }
        self.trace.num(6);
        self.trace.num(c);
        self.trace.bytes(&data);
        if !data.is_empty() {
            if up {
                self.server_receive(c, data);
            } else {
                self.client_receive(c, data);
            }
        }
        if self.failure.is_some() {
            return;
        }
        if closed {
            if up {
                self.server_closed(c);
            } else {
                self.client_closed(c, Outcome::Reset);
            }
        } else if self.decide.chance(self.plan.reset) {
            self.coverage.hit("conn_reset");
            self.fault("conn_reset");
            self.line(format!("net: reset conn {c} (client {client})"));
            self.reset_conn(c);
        }
    }

    /// Both ends learn at once that the connection is gone.
    fn reset_conn(&mut self, c: u64) {
        let paused = self.paused();
        let conn = self.conns.get_mut(&c).expect("live");
        conn.up.queue.clear();
        conn.down.queue.clear();
        if conn.server_open && !paused {
            self.server_closed(c);
        } else if conn.server_open {
            self.send_chunk(c, true, Chunk::Close);
        }
        self.client_closed(c, Outcome::Reset);
    }

    fn server_receive(&mut self, c: u64, bytes: Vec<u8>) {
        let conn = self.conns.get_mut(&c).expect("live");
        if !conn.server_open || conn.incarnation != self.incarnation || self.node.is_none() {
            return;
        }
        let id = conn.node_id.expect("accepted");
        conn.up_delivered += bytes.len() as u64;
        let mut executed: Vec<OpId> = Vec::new();
        while let Some(&(end, op)) = conn.requests.front() {
            if end > conn.up_delivered {
                break;
            }
            conn.requests.pop_front();
            executed.push(op);
        }
        let t = self.time();
        self.in_input = true;
        self.node.as_mut().expect("checked").handle_input(t, id, &bytes);
        self.drain();
        self.in_input = false;
        if let Some(i) = executed.iter().position(|&op| matches!(self.history.records[op].op, Op::Table { .. })) {
            assert_eq!(
                i + 1,
                executed.len(),
                "a table command runs last in its input (its client waits for its reply)"
            );
        }
        for op in executed {
            if self.failure.is_some() {
                return;
            }
            self.settle(c, op, t.unix_ms());
        }
        if let Some(conn) = self.conns.get_mut(&c) {
            if conn.deferred.is_empty() && conn.tap.pending_len() > 0 && conn.server_open {
                if let Ok(Some(extra)) = conn.tap.next_reply() {
                    let text = String::from_utf8_lossy(&extra).into_owned();
                    self.fail("reply", format!("the node sent a reply nobody asked for: {text:?}"));
                }
            }
        }
        if self.executed - self.executed_at_compare >= COMPARE_EVERY_OPS {
            self.compare_keyspace();
        }
    }

    /// Applies one executed request to the model, checking its reply if the node sent it.
    fn settle(&mut self, c: u64, op: OpId, now_ms: i64) {
        self.executed += 1;
        let conn = self.conns.get_mut(&c).expect("live");
        let frame = if conn.deferred.is_empty() {
            match conn.tap.next_reply() {
                Ok(f) => f,
                Err(e) => return self.fail("protocol", format!("node sent bad RESP: {e}")),
            }
        } else {
            None
        };
        if let Some(f) = &frame {
            if ActiveFaults::is_rejection(f) {
                if !self.active_faults().explain(f) {
                    return self.unexplained_refusal(op, f, self.active_faults());
                }
                self.coverage.hit("fault_rejection_reply");
                self.tolerate("refusal_explained");
                self.sessions.refused(c, &self.history.records[op].op);
                return;
            }
            self.served_this_incarnation |= !self.history.records[op].op.served_while_loading();
        }
        if matches!(self.history.records[op].op, Op::Table { .. }) {
            if let Err(e) = self.take_table_effect(c, op, now_ms) {
                return self.fail("keyspace", e);
            }
        }
        let record_op = &self.history.records[op].op;
        if matches!(record_op, Op::BgSave) && std::mem::take(&mut self.bgsave_started_in_input) {
            self.durability.bgsave_start = Some(self.durability.ops.len());
        }
        let queued = self.sessions.in_multi(c)
            && !matches!(record_op, Op::Exec { .. } | Op::Discard | Op::Multi | Op::Watch { .. });
        let mut step = self.sessions.apply(&mut self.model, c, record_op, now_ms);
        if let Some(ops) = step.committed.take() {
            self.history.records[op].op = Op::Exec { ops };
        }
        let record_op = &self.history.records[op].op;
        if let Some(probe) = transaction_probe(record_op, &step.reply) {
            self.coverage.hit(probe);
        }
        let predicted = step.reply.map(|r| encode_reply(&r));
        // Only what ran against the keyspace is in a state a recovery may show (a committed
        // EXEC as one entry: all of its commands or none).
        if step.ran {
            self.durability.ops.push((op, now_ms, self.now_us));
        }
        match frame {
            Some(f) => {
                if f.starts_with(b"-WRONGTYPE") {
                    self.coverage.hit("wrongtype_reply");
                }
                if let Some(want) = predicted {
                    if want != f {
                        self.reply_mismatch(op, &want, &f);
                    }
                }
            }
            None => {
                self.coverage.hit("deferred_reply");
                let faults = self.active_faults();
                let conn = self.conns.get_mut(&c).expect("live");
                conn.deferred.push_back(Deferred { op, predicted, faults, queued });
            }
        }
    }

    /// Reads what a table command left at its keys from the node (it ran last in its input, so
    /// the node holds exactly that), checks a read-only one changed nothing, and records the
    /// effect in the history so the model, its replays and the durability check apply it.
    fn take_table_effect(&mut self, c: u64, op: OpId, now_ms: i64) -> Result<(), String> {
        assert!(
            !self.sessions.in_multi(c),
            "a table command is never queued: its client sends it with nothing pending"
        );
        let Op::Table { keys, write, .. } = &self.history.records[op].op else { unreachable!() };
        let taken = Model::entries_at(self.node.as_ref().expect("ran").keyspace(), keys);
        if *write {
            let changed = taken.iter().any(|(key, post)| self.model.keys.get(key) != post.as_ref());
            self.coverage.hit(if changed { "table_write_changed" } else { "table_write_unchanged" });
        } else {
            self.coverage.hit("table_read");
            self.model.check_read(&self.history.records[op].op, &taken, now_ms)?;
        }
        if let Op::Table { after, .. } = &mut self.history.records[op].op {
            *after = Some(taken);
        }
        Ok(())
    }

    fn server_closed(&mut self, c: u64) {
        let conn = self.conns.get_mut(&c).expect("live");
        if !conn.server_open || conn.incarnation != self.incarnation {
            return;
        }
        conn.server_open = false;
        conn.deferred.clear();
        let id = conn.node_id.expect("accepted");
        self.node_conns.remove(&id);
        self.sessions.close(c);
        if let Some(node) = self.node.as_mut() {
            let t = self.clock.at(self.now_us);
            node.handle_disconnect(t, id);
            self.drain();
        }
    }

    fn connect_arrive(&mut self, c: u64) {
        let Some(conn) = self.conns.get(&c) else { return };
        let client = conn.client;
        if self.state != ServerState::Up {
            // Refused (nobody listening, or still loading: the world connects once loaded).
            let at = self.now_us + self.latency(client);
            return self.schedule(at, Ev::ConnectAck { conn: c, ok: false });
        }
        if self.paused() {
            return self.schedule(self.paused_until_us, Ev::ConnectArrive { conn: c });
        }
        let t = self.time();
        let addr = format!("127.0.0.1:{}", 40_000 + c);
        let id = self.node.as_mut().expect("up").handle_connect(t, addr, "127.0.0.1:6379".into());
        self.trace.num(7);
        self.trace.num(id);
        let conn = self.conns.get_mut(&c).expect("live");
        conn.node_id = Some(id);
        conn.incarnation = self.incarnation;
        conn.server_open = true;
        self.node_conns.insert(id, c);
        self.drain();
        let at = self.now_us + self.latency(client);
        self.schedule(at, Ev::ConnectAck { conn: c, ok: true });
    }

    fn connect_ack(&mut self, c: u64, ok: bool) {
        let Some(conn) = self.conns.get_mut(&c) else { return };
        let client = conn.client;
        if self.clients[client].conn != Some(c) {
            return;
        }
        if ok && conn.server_open {
            conn.established = true;
            self.line(format!("client {client}: connected (conn {c})"));
            self.wake_at(client, self.now_us);
        } else {
            self.conns.remove(&c);
            self.clients[client].conn = None;
            let at = self.now_us + self.decide.range(10_000, 200_000);
            self.wake_at(client, at);
        }
    }

    // ----- clients -----

    fn wake_at(&mut self, client: usize, at_us: u64) {
        let p = &mut self.clients[client];
        if at_us < p.wake_us || p.wake_us <= self.now_us {
            p.wake_us = at_us;
            self.schedule(at_us, Ev::Wake { client });
        }
    }

    /// A table command's effect is read from the node right after it runs, so nothing may run
    /// behind it in the same input: its client sends it alone, with nothing else outstanding,
    /// and waits for its reply (which wakes the client, see `client_receive`).
    fn waits_for_table(&self, client: usize, c: u64) -> bool {
        let outstanding = &self.conns[&c].outstanding;
        let is_table = |op: &Op| matches!(op, Op::Table { .. });
        outstanding.iter().any(|&id| is_table(&self.history.records[id].op))
            || (!outstanding.is_empty() && self.clients[client].script.front().is_some_and(is_table))
    }

    fn wake(&mut self, client: usize) {
        if self.clients[client].wake_us == self.now_us {
            self.clients[client].wake_us = u64::MAX;
        }
        let Some(c) = self.clients[client].conn else {
            if self.phase == Phase::Liveness && self.liveness_issued >= self.liveness_target {
                return;
            }
            let c = self.next_conn;
            self.next_conn += 1;
            self.conns.insert(c, Conn::new(client));
            self.clients[client].conn = Some(c);
            let at = self.now_us + self.latency(client);
            self.schedule(at, Ev::ConnectArrive { conn: c });
            return;
        };
        let conn = &self.conns[&c];
        if !conn.established {
            return;
        }
        let timeout_us = self.plan.timeout_ms * 1000;
        if let Some(&oldest) = conn.outstanding.front() {
            if self.history.records[oldest].invoke_us + timeout_us <= self.now_us {
                self.coverage.hit("client_timeout");
                self.line(format!("client {client}: timeout, closing conn {c}"));
                self.client_gives_up(c, Outcome::Timeout);
                let at = self.now_us + self.decide.range(1_000, 100_000);
                return self.wake_at(client, at);
            }
        }
        let in_flight = conn.outstanding.len() as u64;
        let budget_left = match self.phase {
            Phase::Safety => self.ops_target.saturating_sub(self.issued),
            Phase::Liveness => self.liveness_target - self.liveness_issued,
        };
        if in_flight < self.plan.pipeline
            && !self.waits_for_table(client, c)
            && budget_left > 0
            && self.now_us >= self.clients[client].next_op_us
        {
            let batch = self.decide.range(1, (self.plan.pipeline - in_flight).min(budget_left));
            self.issue(client, c, batch);
            let think = self.decide.skewed(0, self.plan.think_us);
            self.clients[client].next_op_us = self.now_us + think;
        }
        // Next: the next request, or the oldest one's timeout.
        let conn = &self.conns[&c];
        let mut next = u64::MAX;
        if let Some(&oldest) = conn.outstanding.front() {
            next = self.history.records[oldest].invoke_us + timeout_us;
        }
        let has_budget = match self.phase {
            Phase::Safety => self.issued < self.ops_target,
            Phase::Liveness => self.liveness_issued < self.liveness_target,
        };
        if has_budget && (conn.outstanding.len() as u64) < self.plan.pipeline && !self.waits_for_table(client, c) {
            next = next.min(self.clients[client].next_op_us.max(self.now_us + 1));
        }
        if next != u64::MAX {
            self.wake_at(client, next);
        }
    }

    fn issue(&mut self, client: usize, c: u64, batch: u64) {
        if batch > 1 {
            self.coverage.hit("pipelined_batch");
        }
        let mut bytes = Vec::new();
        for _ in 0..batch {
            let op = match self.clients[client].script.pop_front() {
                Some(op) => op,
                None => {
                    let mut ops = VecDeque::from(workload::next_ops(&mut self.decide, &self.plan));
                    let first = ops.pop_front().expect("at least one request");
                    self.clients[client].script = ops;
                    first
                }
            };
            if matches!(op, Op::Table { .. }) && (!bytes.is_empty() || !self.conns[&c].outstanding.is_empty()) {
                // Sent alone, once every earlier request is answered.
                self.clients[client].script.push_front(op);
                break;
            }
            if matches!(op, Op::BgSave | Op::BgRewriteAof) {
                self.coverage.hit("admin_command");
            }
            encode_request(&op.args(), &mut bytes);
            if self.trace.wants_lines() {
                self.line(format!("client {client}: -> {op}"));
            }
            let liveness = self.phase == Phase::Liveness;
            let id = self.history.invoke(client, op, self.now_us, liveness);
            if liveness {
                self.liveness_issued += 1;
            } else {
                self.issued += 1;
            }
            let conn = self.conns.get_mut(&c).expect("live");
            conn.requests.push_back((conn.up_written + bytes.len() as u64, id));
            conn.outstanding.push_back(id);
            if matches!(self.history.records[id].op, Op::Table { .. }) {
                break;
            }
        }
        if bytes.is_empty() {
            return;
        }
        let conn = self.conns.get_mut(&c).expect("live");
        conn.up_written += bytes.len() as u64;
        self.trace.num(8);
        self.trace.bytes(&bytes);
        self.send_chunk(c, true, Chunk::Data(bytes));
        if self.phase == Phase::Safety && self.issued >= self.ops_target {
            self.schedule(self.now_us, Ev::EndSafety);
        }
    }

    fn client_receive(&mut self, c: u64, bytes: Vec<u8>) {
        let conn = self.conns.get_mut(&c).expect("live");
        let client = conn.client;
        if self.clients[client].conn != Some(c) {
            return;
        }
        conn.framer.push(&bytes);
        loop {
            let conn = self.conns.get_mut(&c).expect("live");
            let frame = match conn.framer.next_reply() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return self.fail("protocol", format!("client {client} got bad RESP: {e}")),
            };
            let Some(op) = conn.outstanding.pop_front() else {
                return self.fail("reply", format!("client {client} got a reply it did not ask for"));
            };
            if self.trace.wants_lines() {
                let text = String::from_utf8_lossy(&frame).replace("\r\n", " ");
                self.line(format!("client {client}: <- {text}"));
            }
            let liveness = self.history.records[op].liveness;
            self.history.complete(op, self.now_us, Outcome::Reply(frame));
            if liveness {
                self.liveness_done += 1;
            }
        }
        self.wake_at(client, self.clients[client].next_op_us.max(self.now_us));
        self.check_finished();
    }

    /// The client closes its end (a timeout): the server learns when the FIN arrives.
    fn client_gives_up(&mut self, c: u64, outcome: Outcome) {
        self.send_chunk(c, true, Chunk::Close);
        self.client_closed(c, outcome);
    }

    /// The client's connection is gone: whatever it awaited is indeterminate.
    fn client_closed(&mut self, c: u64, outcome: Outcome) {
        let Some(conn) = self.conns.get_mut(&c) else { return };
        let client = conn.client;
        if self.clients[client].conn != Some(c) {
            return;
        }
        if !conn.server_open && conn.incarnation != self.incarnation {
            self.coverage.hit("half_open_close");
        }
        let waiting: Vec<OpId> = conn.outstanding.drain(..).collect();
        conn.established = false;
        self.clients[client].conn = None;
        for op in waiting {
            if self.history.records[op].liveness {
                let why = format!("{outcome:?}");
                return self.fail(
                    "liveness",
                    format!("liveness-phase request {} ended with {why}", self.history.records[op].op),
                );
            }
            self.history.complete(op, self.now_us, outcome.clone());
        }
        // Forget the connection once the server side is gone too.
        if !self.conns[&c].server_open {
            self.conns.remove(&c);
        }
        let at = self.now_us + self.decide.range(1_000, 50_000);
        self.wake_at(client, at);
    }

    // ----- faults -----

    fn nemesis(&mut self) {
        if self.phase != Phase::Safety {
            return;
        }
        let p = NEMESIS_EVERY_US as f64 / 1_000_000.0;
        if self.state == ServerState::Up && self.decide.chance(self.plan.crash * p) {
            self.crash();
        }
        if self.node.is_some() && !self.paused() && self.decide.chance(self.plan.pause * p) {
            let d = self.decide.range(1_000, 1_000 + self.plan.pause_ms * 1000);
            self.coverage.hit("pause");
            self.fault("pause");
            self.line(format!("server: pause {d} us"));
            self.paused_until_us = self.now_us + d;
            self.stalls.add(self.now_us, self.paused_until_us);
        }
        if self.decide.chance(self.plan.partition * p) {
            let host = self.decide.below(self.clients.len() as u64) as usize;
            let d = self.decide.range(1_000, 1_000 + self.plan.partition_ms * 1000);
            self.coverage.hit("partition");
            self.fault("partition");
            self.line(format!("net: partition client host {host} from the server for {d} us"));
            self.partitioned_until_us[host] = self.partitioned_until_us[host].max(self.now_us + d);
        }
        if self.decide.chance(self.plan.clock_jump * p) {
            let ms = self.decide.range(1, self.plan.jump_ms.max(1)) as i64;
            let back = self.decide.below(2) == 0;
            self.coverage.hit(if back { "clock_jump_back" } else { "clock_jump_forward" });
            self.fault("clock_jump");
            self.clock.offset_us += if back { -ms * 1000 } else { ms * 1000 };
            self.line(format!("clock: server wall clock jumps {}{ms} ms", if back { "-" } else { "+" }));
        }
        self.schedule(self.now_us + NEMESIS_EVERY_US, Ev::Nemesis);
    }

    fn end_safety(&mut self) {
        if self.phase != Phase::Safety {
            return;
        }
        // Disk results drawn before the heal (an ENOSPC on its way back) still land: no disk
        // fault is drawn from now on, and the liveness phase begins once they have, so a node
        // exiting on one does not reset liveness-phase requests.
        self.disk.faults = DiskFaults::default();
        if self.disk_fifo_us > self.now_us {
            return self.schedule(self.disk_fifo_us, Ev::EndSafety);
        }
        // A node exiting on a disk error drawn before the heal finishes exiting first.
        if self.node.as_ref().is_some_and(|n| n.is_exiting()) {
            return self.schedule(self.now_us + 1_000, Ev::EndSafety);
        }
        self.phase = Phase::Liveness;
        self.line("phase: liveness (faults healed)".into());
        self.plan = self.safety_plan.without_faults();
        self.disk.faults = DiskFaults::default();
        self.paused_until_us = self.paused_until_us.min(self.now_us);
        for until in &mut self.partitioned_until_us {
            *until = (*until).min(self.now_us);
        }
        if self.state == ServerState::Down {
            self.start_node();
        }
        // Every client starts afresh, so liveness requests never ride a half-open connection.
        for client in 0..self.clients.len() {
            if let Some(c) = self.clients[client].conn {
                self.client_gives_up(c, Outcome::Reset);
            }
            self.clients[client].next_op_us = self.now_us;
            self.wake_at(client, self.now_us + 1);
        }
        let bound = 60_000_000
            + self.liveness_target * (self.plan.think_us + 2 * self.plan.latency_max_us + self.plan.fsync_us);
        self.schedule(self.now_us + bound, Ev::Deadline);
        if self.liveness_target == 0 {
            self.check_finished();
        }
    }

    fn check_finished(&mut self) {
        if self.phase != Phase::Liveness || self.liveness_done < self.liveness_target || self.state != ServerState::Up {
            return;
        }
        self.coverage.hit("liveness_reached");
        self.compare_keyspace();
        if self.failure.is_none() {
            self.line("done: liveness reached, keyspace agrees".into());
            self.done = true;
        }
    }

    // ----- checks -----

    /// Mirrors the node's active expiry into the model.
    fn mirror_expiry(&mut self) {
        if self.state != ServerState::Up {
            return;
        }
        let node = self.node.as_ref().expect("up");
        let now_ms = self.clock.at(self.now_us).unix_ms();
        let gone = match self.model.mirror_active_expiry(node.keyspace(), now_ms) {
            Ok(gone) => gone,
            Err(e) => return self.fail("expiry", e),
        };
        if !gone.is_empty() {
            self.coverage.hit("active_expiry_mirrored");
            // The node's active expiry fires WATCHes as any change does.
            self.sessions.touch(&mut self.model);
        }
        // The node logs these removals (DEL): a recovery replays them at this point, even if
        // its clock has gone back since to before the keys' times.
        let at = self.durability.ops.len();
        self.durability.expiries.extend(gone.into_iter().map(|key| (at, key)));
    }

    /// The node's keyspace must equal the model's (as logical views), and pass its own audits.
    fn compare_keyspace(&mut self) {
        self.executed_at_compare = self.executed;
        if self.state != ServerState::Up {
            return;
        }
        let node = self.node.as_ref().expect("up");
        for db in &node.keyspace().dbs {
            db.audit();
        }
        let now_ms = self.clock.at(self.now_us).unix_ms();
        let mut got = Model::of_keyspace(node.keyspace()).view(now_ms);
        let mut want = self.model.view(now_ms);
        // Requests whose replies are held back may still turn out refused when a fault was
        // active as they ran: their keys are compared once they settle.
        let unsettled: BTreeSet<&[u8]> = self
            .conns
            .values()
            .flat_map(|c| c.deferred.iter())
            .filter(|d| d.faults != ActiveFaults::default())
            .flat_map(|d| self.history.records[d.op].op.keys())
            .collect();
        if !unsettled.is_empty() {
            for key in unsettled {
                got.keys.remove(key);
                want.keys.remove(key);
            }
            self.tolerate("keys_unsettled_at_compare");
        }
        self.coverage.hit("keyspace_compared");
        if let Some(d) = want.first_difference(&got) {
            self.fail("keyspace", format!("model vs node: {d}"));
        }
        if want.keys.values().any(|e| e.expire_at.is_some()) && self.model.len() > want.len() {
            self.coverage.hit("lazy_expiry_seen");
        }
    }
}

/// The probe a transaction outcome the model predicted counts toward.
fn transaction_probe(op: &Op, reply: &Option<verdis_engine::Reply>) -> Option<&'static str> {
    use verdis_engine::Reply;
    match (op, reply) {
        (Op::Exec { .. }, Some(Reply::Array(_))) => Some("exec_committed"),
        (Op::Exec { .. }, Some(Reply::NullArray)) => Some("exec_watch_fired"),
        (Op::Exec { .. }, Some(Reply::Error(e))) if e.to_string().starts_with("EXECABORT") => Some("exec_aborted"),
        (Op::Discard, Some(Reply::Ok)) => Some("transaction_discarded"),
        (_, Some(Reply::Simple(s))) if s == "QUEUED" => Some("command_queued"),
        _ => None,
    }
}
