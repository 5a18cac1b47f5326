//! Persistence: loading at start, RDB saves, the multi-part AOF — all as disk requests.
//!
//! The node never waits on the disk. Work is a chain of requests (`DiskOp`) whose results come
//! back through `Node::handle_disk`; each request carries a `Purpose` saying what its result
//! means. The shell carries out requests in order, except fsyncs, so a chain only waits where
//! a result matters: after an fsync (data durable before a rename) and after a read.
//!
//! - `load`: the dataset at start (RDB, or the AOF's manifest, base and incr files).
//! - `job`: the one snapshot in progress — SAVE, BGSAVE, or an AOF rewrite's new base — written
//!   a step at a time by `verdis_engine::snapshot` so the event loop never stalls.
//! - `aof`: feeding commands to the incr file, `appendfsync`, the manifest, rewrites.

mod aof;
pub(super) mod config_rewrite;
mod job;
mod load;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};

use verdis_engine::CmdError;

use super::{Action, ClientId, DiskId, DiskOp, DiskResult, LogLevel, Node, Time};
pub(super) use aof::Aof;
pub(super) use job::{Job, Kind as JobKind};
pub(super) use load::Loading;

/// What a disk request's result is for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Purpose {
    /// A step of loading.
    Load(load::Stage),
    /// A step of snapshot job `seq`; `then` continues the chain on success.
    Job { seq: u64, then: Option<job::Then> },
    /// An append to the AOF, with its bytes (written again if it fails), its file and where in
    /// it the bytes land.
    AofWrite { bytes: Vec<u8>, failures: u64, path: String, offset: u64 },
    /// An fsync of the AOF incr file; replies held behind `gate` go when it completes and the
    /// first `appends` appends have reported.
    AofFsync { gate: u64, appends: u64 },
    /// A step of switching the AOF to a new incr file.
    AofSwitch { then: aof::SwitchThen, generation: u64 },
    /// A step of CONFIG REWRITE.
    ConfigRewrite(config_rewrite::Step),
    /// Nothing waits on it (removing obsolete files); a failure is only logged.
    Cleanup,
    /// The last durable step before exiting on an AOF write error (`appendfsync always`).
    ExitAfter,
}

/// RDB status for INFO and the save policy.
#[derive(Clone, Debug)]
pub(super) struct RdbStatus {
    /// Unix seconds of the last successful save (LASTSAVE).
    pub last_save_s: i64,
    /// Whether the last BGSAVE succeeded.
    pub last_bgsave_ok: bool,
    /// Unix seconds of the last BGSAVE attempt (a failed one is retried after 5 s).
    pub last_bgsave_try_s: i64,
    /// Duration of the last BGSAVE, seconds (-1 before any).
    pub last_bgsave_time_s: i64,
    /// Successful saves since start.
    pub saves: u64,
    /// A BGSAVE SCHEDULE waiting for a rewrite to finish.
    pub bgsave_scheduled: bool,
    /// Keys loaded and expired keys skipped by the last load.
    pub last_load_keys_loaded: u64,
    /// See `last_load_keys_loaded`.
    pub last_load_keys_expired: u64,
}

/// A client waiting for a job before it gets its reply (SAVE, DEBUG RELOAD, SHUTDOWN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Waiter {
    /// Gets `+OK` on success, Redis's error otherwise.
    Save,
    /// DEBUG RELOAD: the saved file is loaded back, then `+OK`.
    Reload,
}

/// The node's persistence state.
pub(super) struct Persist {
    next_disk_id: DiskId,
    pending: BTreeMap<DiskId, Purpose>,
    /// The latency events a pending request's duration feeds, with the stopwatch reading when
    /// it was issued (see `disk_latency_events`).
    timed: BTreeMap<DiskId, (&'static [&'static str], u64)>,
    /// The snapshot being written, if any.
    pub job: Option<Job>,
    next_job_seq: u64,
    /// RDB status.
    pub rdb: RdbStatus,
    /// The AOF.
    pub aof: Aof,
    /// Loading at start, until done.
    pub loading: Option<Loading>,
    /// Output held until the fsync numbered by its gate completes (`appendfsync always`).
    held: VecDeque<(u64, Action)>,
    /// Clients whose reply waits for the current job.
    waiting: BTreeMap<ClientId, Waiter>,
    /// The node shuts down once the current job (and AOF fsync) is done.
    pub shutdown_after: Option<ShutdownWaiter>,
    /// Clients waiting for CONFIG REWRITE.
    config_rewrite: config_rewrite::ConfigRewrite,
}

/// Who asked for a shutdown that waits for a final save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ShutdownWaiter {
    /// The SHUTDOWN caller, if a client asked (a signal has none).
    pub client: Option<ClientId>,
    /// FORCE: exit even if the save fails.
    pub force: bool,
}

impl Persist {
    pub(super) fn new(now: Time) -> Persist {
        Persist {
            next_disk_id: 1,
            pending: BTreeMap::new(),
            timed: BTreeMap::new(),
            job: None,
            next_job_seq: 1,
            rdb: RdbStatus {
                last_save_s: now.unix_us.div_euclid(1_000_000),
                last_bgsave_ok: true,
                last_bgsave_try_s: 0,
                last_bgsave_time_s: -1,
                saves: 0,
                bgsave_scheduled: false,
                last_load_keys_loaded: 0,
                last_load_keys_expired: 0,
            },
            aof: Aof::default(),
            loading: None,
            held: VecDeque::new(),
            waiting: BTreeMap::new(),
            shutdown_after: None,
            config_rewrite: config_rewrite::ConfigRewrite::default(),
        }
    }

    /// Forgets a client that is gone: it no longer waits for a job.
    pub(super) fn forget(&mut self, id: ClientId) {
        self.waiting.remove(&id);
        self.config_rewrite.forget(id);
    }

    /// True while `id` waits for a job: its pipelined input waits too.
    pub(super) fn is_waiting(&self, id: ClientId) -> bool {
        self.waiting.contains_key(&id) || self.config_rewrite.is_waiting(id)
    }

    /// True while output must queue behind an fsync.
    pub(super) fn holds_output(&self) -> bool {
        !self.held.is_empty() || self.aof.fsync_gate_open() || self.aof.exiting > 0
    }
}

impl Node {
    /// Queues a disk request.
    fn disk(&mut self, op: DiskOp, purpose: Purpose) {
        let id = self.persist.next_disk_id;
        self.persist.next_disk_id += 1;
        let events = self.disk_latency_events(&purpose);
        if !events.is_empty() {
            self.persist.timed.insert(id, (events, self.now.stopwatch.read_us()));
        }
        self.persist.pending.insert(id, purpose);
        self.actions.push_back(Action::Disk { id, op });
    }

    /// The latency monitor's events a request for `purpose` is timed for, Redis's names for
    /// the same I/O: an AOF write (`aof-write`, and which of `-pending-fsync`,
    /// `-active-child` — a snapshot job here — or `-alone` it met), an fsync under `appendfsync
    /// always`. The time is the stopwatch's from the request to its result: for a write, which
    /// the production shell makes on the event loop, what Redis times; for an fsync, which runs
    /// on the shell's fsync thread, how long the replies it gates waited.
    fn disk_latency_events(&self, purpose: &Purpose) -> &'static [&'static str] {
        match purpose {
            Purpose::AofWrite { .. } if self.persist.aof.fsync_pending() => &["aof-write-pending-fsync", "aof-write"],
            Purpose::AofWrite { .. } if self.persist.job.is_some() => &["aof-write-active-child", "aof-write"],
            Purpose::AofWrite { .. } => &["aof-write-alone", "aof-write"],
            Purpose::AofFsync { .. } if self.config.persist.appendfsync == crate::config::AppendFsync::Always => {
                &["aof-fsync-always"]
            }
            _ => &[],
        }
    }

    /// A disk request finished.
    pub(in crate::node) fn persist_disk_done(&mut self, id: DiskId, result: DiskResult) {
        if let Some((events, started_us)) = self.persist.timed.remove(&id) {
            let duration_us = self.now.stopwatch.read_us().saturating_sub(started_us);
            for event in events {
                self.latency_event(event, duration_us);
            }
        }
        let Some(purpose) = self.persist.pending.remove(&id) else { return };
        match purpose {
            Purpose::Load(stage) => self.load_step_done(stage, result),
            Purpose::Job { seq, then } => self.job_step_done(seq, then, result),
            Purpose::AofWrite { bytes, failures, path, offset } => {
                self.aof_write_done(bytes, failures, path, offset, result)
            }
            Purpose::AofFsync { gate, appends } => self.aof_fsync_done(gate, appends, result),
            Purpose::AofSwitch { then, generation } => self.aof_switch_done(then, generation, result),
            Purpose::ConfigRewrite(step) => self.config_rewrite_step_done(step, result),
            Purpose::Cleanup => {
                if let Err(e) = result {
                    self.log(LogLevel::Warning, format!("Error removing an obsolete file: {e}"));
                }
            }
            Purpose::ExitAfter => {
                self.persist.aof.exiting -= 1;
                if self.persist.aof.exiting == 0 {
                    self.actions.push_back(Action::Exit { code: 1 });
                }
            }
        }
    }

    /// Queues output to a client, behind any fsync it must wait for.
    pub(super) fn emit_output(&mut self, action: Action) {
        // No reply leaves before the writes it follows reach the AOF (Redis flushes the AOF in
        // beforeSleep, before writing replies).
        self.aof_flush();
        // Exiting on an AOF write error: nothing more is answered (the replies would not be
        // backed by the file).
        if self.persist.aof.exiting > 0 {
            return;
        }
        // The planted bug (simulator self-test only): replies skip the fsync they depend on.
        if self.persist.holds_output() && !self.config.engine.plants.ack_before_fsync {
            let gate = self.persist.aof.fsync_gate();
            self.persist.held.push_back((gate, action));
        } else {
            self.actions.push_back(action);
        }
    }

    /// Releases output held behind fsyncs up to `gate`.
    fn release_held(&mut self, gate: u64) {
        if self.persist.aof.exiting > 0 {
            return;
        }
        while self.persist.held.front().is_some_and(|(g, _)| *g <= gate) {
            let (_, action) = self.persist.held.pop_front().expect("checked");
            self.actions.push_back(action);
        }
    }

    /// Parks `id` until the current job ends; it then gets `+OK` or Redis's error.
    pub(in crate::node) fn persist_wait(&mut self, id: ClientId) {
        self.persist.waiting.insert(id, Waiter::Save);
    }

    /// SAVE: `None` when the caller now waits for the save.
    pub(super) fn save_command(&mut self, id: ClientId) -> Option<Result<verdis_engine::Reply, CmdError>> {
        if self.persist.job.as_ref().is_some_and(|j| j.kind == JobKind::Bgsave) {
            return Some(Err(CmdError::msg("ERR Background save already in progress")));
        }
        if self.persist.job.is_some() || self.persist.aof.rewrite_pending() {
            // One snapshot at a time (Redis's SAVE runs beside a rewrite; verdis's waits for no
            // one and refuses instead).
            return Some(Err(CmdError::msg("ERR Background save already in progress")));
        }
        self.start_job(JobKind::Save);
        self.persist.waiting.insert(id, Waiter::Save);
        None
    }

    /// DEBUG RELOAD: save, then load the file back. `None` when the caller now waits.
    pub(super) fn debug_reload(&mut self, id: ClientId) -> Option<Result<verdis_engine::Reply, CmdError>> {
        if self.persist.job.is_some() || self.persist.aof.rewrite_pending() {
            return Some(Err(CmdError::msg("ERR Background save already in progress")));
        }
        self.start_job(JobKind::Save);
        self.persist.waiting.insert(id, Waiter::Reload);
        None
    }

    /// BGSAVE [SCHEDULE].
    pub(super) fn bgsave_command(&mut self, schedule: bool) -> Result<verdis_engine::Reply, CmdError> {
        if self.persist.aof.rewrite_pending() {
            return if schedule {
                self.persist.rdb.bgsave_scheduled = true;
                Ok(verdis_engine::Reply::Simple("Background saving scheduled".into()))
            } else {
                Err(CmdError::msg(
                    "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
                ))
            };
        }
        match &self.persist.job {
            Some(j) if j.kind != JobKind::Rewrite => Err(CmdError::msg("ERR Background save already in progress")),
            Some(_) if schedule => {
                self.persist.rdb.bgsave_scheduled = true;
                Ok(verdis_engine::Reply::Simple("Background saving scheduled".into()))
            }
            Some(_) => Err(CmdError::msg(
                "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
            )),
            None => {
                self.start_job(JobKind::Bgsave);
                Ok(verdis_engine::Reply::Simple("Background saving started".into()))
            }
        }
    }

    /// LASTSAVE.
    pub(super) fn lastsave(&self) -> i64 {
        self.persist.rdb.last_save_s
    }

    /// Answers every client waiting for the job just ended.
    fn answer_waiters(&mut self, result: &Result<(), String>, reloaded: Option<Result<(), String>>) {
        let waiting = std::mem::take(&mut self.persist.waiting);
        for (id, waiter) in waiting {
            let reply = match (waiter, result, &reloaded) {
                (_, Err(_), _) => Err(CmdError::msg("ERR")),
                (Waiter::Reload, Ok(()), Some(Err(e))) => {
                    Err(CmdError::Message(format!("ERR Error trying to load the RDB dump: {e}").into()))
                }
                _ => Ok(verdis_engine::Reply::Ok),
            };
            self.reply_unblocked(id, &reply.unwrap_or_else(verdis_engine::Reply::Error));
        }
    }

    /// Cron's share: save points, `everysec` fsyncs, automatic rewrites.
    pub(in crate::node) fn persist_cron(&mut self) {
        if self.persist.loading.is_some() {
            return;
        }
        self.aof_cron();
        if self.persist.job.is_some() || self.persist.aof.rewrite_pending() {
            return;
        }
        if std::mem::take(&mut self.persist.rdb.bgsave_scheduled) {
            self.start_job(job::Kind::Bgsave);
            return;
        }
        let now_s = self.now.unix_us.div_euclid(1_000_000);
        let since_save = now_s - self.persist.rdb.last_save_s;
        let retry_ok = self.persist.rdb.last_bgsave_ok || now_s - self.persist.rdb.last_bgsave_try_s > 5;
        let point = self
            .config
            .save
            .iter()
            .find(|p| self.stats.dirty >= p.changes.max(0) as u64 && since_save > p.seconds && retry_ok)
            .copied();
        if let Some(p) = point {
            self.log(LogLevel::Notice, format!("{} changes in {} seconds. Saving...", p.changes, p.seconds));
            self.start_job(job::Kind::Bgsave);
            return;
        }
        self.aof_auto_rewrite();
    }

    /// The error a write command gets while persistence is failing, if any (Redis's
    /// `writeCommandsDeniedByDiskError`).
    pub(super) fn disk_error_denies_writes(&self) -> Option<CmdError> {
        // The planted bug (simulator self-test only): an fsync in flight taken for a failed one.
        if self.config.engine.plants.misconf_while_fsync_pending && self.persist.aof.fsync_pending() {
            return Some(CmdError::msg("MISCONF Errors writing to the AOF file: fsync in progress"));
        }
        if self.config.persist.stop_writes_on_bgsave_error
            && !self.config.save.is_empty()
            && !self.persist.rdb.last_bgsave_ok
        {
            return Some(CmdError::msg(MISCONF_RDB));
        }
        self.persist
            .aof
            .write_error()
            .map(|e| CmdError::Message(format!("MISCONF Errors writing to the AOF file: {e}").into()))
    }

    /// Whether the node is loading its dataset (commands get `-LOADING`).
    pub(super) fn is_loading(&self) -> bool {
        // The planted bug (simulator self-test only): a running save taken for a load.
        let planted = self.config.engine.plants.loading_while_saving && self.persist.job.is_some();
        self.persist.loading.is_some() || self.persist.aof.opening || planted
    }
}

/// Redis's `shared.bgsaveerr`.
const MISCONF_RDB: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// `dir/name` for a file in the AOF directory.
fn in_dir(dir: &str, name: &str) -> String {
    format!("{dir}/{name}")
}
