//! The one snapshot job at a time: SAVE, BGSAVE, or an AOF rewrite's new base file.
//!
//! A job writes a temp file a step at a time from the event loop (`Snapshot::step`), fsyncs it,
//! and only then renames it over the real file and fsyncs the directory: a crash at any point
//! leaves the previous file intact. SAVE is the same job with its caller waiting for the reply;
//! unlike Redis's SAVE, other clients are served meanwhile, and what is saved is still the
//! dataset as it was when SAVE ran.

use verdis_engine::rdb::{self, AuxValue, Crc64, EntryOptions, LruField};
use verdis_engine::snapshot::{Format, Snapshot};

use super::{in_dir, Purpose, ShutdownWaiter, Waiter};
use crate::node::{DiskOp, DiskResult, LogLevel, Node};

/// Bytes a step may add: about a millisecond of serialization, so a client never waits longer.
const STEP_BYTES: usize = 64 * 1024;

/// What started the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// SAVE (or a shutdown's or DEBUG RELOAD's save): callers wait for the reply.
    Save,
    /// BGSAVE or a save point.
    Bgsave,
    /// BGREWRITEAOF: the AOF's new base file.
    Rewrite,
}

/// Where a job's chain continues after a request completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Then {
    /// The temp file is durable: rename it into place.
    Synced,
    /// The rename is durable: the job is done (a rewrite still installs its manifest).
    Installed,
    /// DEBUG RELOAD read the saved file back.
    Reread,
}

/// A snapshot job in progress.
pub(crate) struct Job {
    pub seq: u64,
    pub kind: Kind,
    /// Still producing bytes (`None` once every key is written).
    snapshot: Option<Snapshot>,
    /// The temp file being written.
    pub temp: String,
    /// The file it becomes.
    pub target: String,
    /// The directory holding `target` (fsynced after the rename).
    target_dir: String,
    /// Checksum so far (RDB formats with `rdbchecksum yes`).
    crc: Option<Crc64>,
    rdb_format: bool,
    /// `dirty` when the job began: what a successful save makes clean.
    pub dirty_at_start: u64,
    /// Unix seconds when it began.
    pub started_s: i64,
    /// The first failure, if any.
    pub failed: Option<String>,
    /// Monotonic µs before which the next step must not run (`rdb-key-save-delay`).
    next_step_us: u64,
    /// Bytes written so far.
    pub bytes: u64,
    /// Keys in the keyspace when the job began.
    pub keys_total: u64,
    /// Keys written by finished snapshot steps.
    keys_done: u64,
    /// Writes and renames issued whose result has not come back: a step continues only once
    /// they all succeeded (an fsync's result can come back before a failed write's).
    unreported: u64,
    /// A step's result that came back before them, waiting.
    waiting: Option<(Then, Option<crate::node::DiskOk>)>,
}

impl Job {
    /// True while the job still produces bytes.
    pub fn writing(&self) -> bool {
        self.snapshot.is_some()
    }

    /// Keys written so far (INFO `current_save_keys_processed`).
    pub fn keys_written(&self) -> u64 {
        self.snapshot.as_ref().map_or(self.keys_done, Snapshot::keys_written)
    }

    /// When the next step may run (monotonic µs).
    pub fn next_step_us(&self) -> u64 {
        self.next_step_us
    }
}

impl Node {
    /// Starts a job; `false` when one is already running.
    ///
    /// A rewrite with the AOF on first opens a new incr file; its snapshot begins at the moment
    /// the old file stops taking appends (`aof_switch_done`, when it is sealed), so every
    /// command is either in the snapshot or in the new file, never both.
    pub(in crate::node) fn start_job(&mut self, kind: Kind) -> bool {
        if self.persist.job.is_some() || self.persist.aof.rewrite_pending() {
            return false;
        }
        if kind == Kind::Rewrite && self.persist.aof.state != super::aof::State::Off {
            if self.persist.aof.switching() {
                // Two manifest changes in flight would race for the manifest.
                self.persist.aof.rewrite_scheduled = true;
                return false;
            }
            self.aof_new_incr_for_rewrite();
            return true;
        }
        self.start_job_now(kind);
        true
    }

    /// Starts a job at once (its snapshot point is now).
    pub(super) fn start_job_now(&mut self, kind: Kind) {
        // Commands so far belong before the snapshot point: to the current incr file.
        self.aof_flush();
        let seq = self.persist.next_job_seq;
        self.persist.next_job_seq += 1;
        let now_s = self.now.unix_us.div_euclid(1_000_000);
        let cfg = &self.config.persist;
        let entry = EntryOptions { compress: cfg.rdbcompression, lru: self.lru_field() };
        let (temp, target, target_dir, format) = match kind {
            Kind::Save | Kind::Bgsave => {
                (format!("temp-{seq}.rdb"), self.config.dbfilename.clone(), ".".to_string(), Format::Rdb(entry))
            }
            Kind::Rewrite => {
                let dir = cfg.appenddirname.clone();
                let name = self.persist.aof.next_base_name(&self.config.appendfilename, cfg.aof_use_rdb_preamble);
                let format = if cfg.aof_use_rdb_preamble { Format::Rdb(entry) } else { Format::Aof };
                (format!("temp-rewriteaof-bg-{seq}.aof"), in_dir(&dir, &name), dir, format)
            }
        };
        let rdb_format = matches!(format, Format::Rdb(_));
        let mut header = Vec::new();
        if rdb_format {
            let aux = [
                ("redis-ver", AuxValue::Str(b"7.0.15".to_vec())),
                ("redis-bits", AuxValue::Int(64)),
                ("ctime", AuxValue::Int(now_s)),
                ("used-mem", AuxValue::Int((self.probe.sample)().used_memory_bytes as i64)),
                ("aof-base", AuxValue::Int(i64::from(kind == Kind::Rewrite))),
            ];
            rdb::write_header(&mut header, &aux);
            // The function libraries come before the databases, as `rdbSaveFunctions` writes them.
            for code in self.scripts.functions.codes() {
                rdb::write_function(&mut header, code, cfg.rdbcompression);
            }
        } else {
            // A rewrite without preamble loads them first too (`rewriteFunctions`).
            for code in self.scripts.functions.codes() {
                verdis_engine::aof::write_command(&mut header, &[b"FUNCTION", b"LOAD", code]);
            }
        }
        let mut crc = (rdb_format && self.config.persist.rdbchecksum).then(Crc64::default);
        if let Some(c) = &mut crc {
            c.update(&header);
        }
        let snapshot = Snapshot::begin(&mut self.keyspace, format);
        self.persist.job = Some(Job {
            seq,
            kind,
            snapshot: Some(snapshot),
            temp: temp.clone(),
            target,
            target_dir,
            crc,
            rdb_format,
            dirty_at_start: self.stats.dirty,
            started_s: now_s,
            failed: None,
            next_step_us: self.now.mono_us,
            bytes: header.len() as u64,
            keys_total: self.keyspace.key_count() as u64,
            keys_done: 0,
            unreported: 1,
            waiting: None,
        });
        if kind != Kind::Rewrite {
            // INFO rdb_saves counts saves started, as Redis's stat_rdb_saves does.
            self.persist.rdb.saves += 1;
        }
        if kind == Kind::Bgsave {
            self.persist.rdb.last_bgsave_try_s = now_s;
            self.log(LogLevel::Notice, format!("Background saving started by pid {seq}"));
        }
        self.disk(DiskOp::Create { path: temp, bytes: header }, Purpose::Job { seq, then: None });
        // A SAVE's caller waits anyway: write it all now, as Redis's SAVE does.
        if kind == Kind::Save {
            while self.persist.job.as_ref().is_some_and(Job::writing) {
                self.job_step(usize::MAX);
            }
        }
    }

    /// What `Object::lru` is saved as under the configured policy.
    fn lru_field(&self) -> LruField {
        use verdis_engine::config::MaxmemoryPolicy as P;
        match self.config.engine.maxmemory_policy {
            P::AllkeysLru | P::VolatileLru => {
                LruField::Idle { lru_clock: crate::node::dispatch::lru_clock(self.now.unix_ms()) }
            }
            P::AllkeysLfu | P::VolatileLfu => LruField::Freq,
            _ => LruField::None,
        }
    }

    /// Runs one step of the job's writing if it is due (from the timer).
    pub(in crate::node) fn job_tick(&mut self) {
        let due = self.persist.job.as_ref().is_some_and(|j| j.writing() && j.next_step_us <= self.now.mono_us);
        if due {
            let delay = self.config.persist.rdb_key_save_delay;
            // `rdb-key-save-delay` (a testing knob in Redis too): one key per step, spaced out.
            self.job_step(if delay > 0 { 1 } else { STEP_BYTES });
            if let Some(job) = &mut self.persist.job {
                job.next_step_us = self.now.mono_us + delay.max(0) as u64;
            }
        }
    }

    /// Writes up to `budget` more bytes; on the last step, the footer and the fsync.
    fn job_step(&mut self, budget: usize) {
        let Some(job) = &mut self.persist.job else { return };
        let Some(snapshot) = &mut job.snapshot else { return };
        let mut out = Vec::new();
        let done = snapshot.step(&mut self.keyspace, &mut out, budget);
        if done {
            job.keys_done = snapshot.keys_written();
            job.snapshot = None;
            if job.rdb_format {
                if let Some(c) = &mut job.crc {
                    c.update(&out);
                }
                rdb::write_footer(&mut out, job.crc);
            }
        } else if let Some(c) = &mut job.crc {
            c.update(&out);
        }
        job.bytes += out.len() as u64;
        let (seq, temp) = (job.seq, job.temp.clone());
        if !out.is_empty() {
            job.unreported += 1;
            self.disk(DiskOp::Append { path: temp.clone(), bytes: out }, Purpose::Job { seq, then: None });
        }
        if done {
            self.disk(DiskOp::Fsync { path: temp }, Purpose::Job { seq, then: Some(Then::Synced) });
        }
    }

    /// A request of job `seq` completed.
    pub(super) fn job_step_done(&mut self, seq: u64, then: Option<Then>, result: DiskResult) {
        let Some(job) = self.persist.job.as_mut().filter(|j| j.seq == seq) else { return };
        let data = match result {
            Ok(ok) => Some(ok),
            Err(e) => {
                job.failed.get_or_insert_with(|| e.message.clone());
                None
            }
        };
        let (then, data) = match then {
            Some(then) => (then, data),
            None => {
                job.unreported -= 1;
                match job.waiting.take() {
                    Some(w) => w,
                    None => return,
                }
            }
        };
        if job.unreported > 0 {
            job.waiting = Some((then, data));
            return;
        }
        if let Some(reason) = job.failed.clone() {
            self.finish_job(Err(reason), None);
            return;
        }
        match then {
            Then::Synced => {
                let (temp, target, dir) = (job.temp.clone(), job.target.clone(), job.target_dir.clone());
                job.unreported += 1;
                self.disk(DiskOp::Rename { from: temp, to: target }, Purpose::Job { seq, then: None });
                self.disk(DiskOp::Fsync { path: dir }, Purpose::Job { seq, then: Some(Then::Installed) });
            }
            Then::Installed => {
                if job.kind == Kind::Rewrite {
                    self.aof_rewrite_installed(seq);
                } else if self.persist.waiting.values().any(|w| *w == Waiter::Reload) {
                    let path = job.target.clone();
                    self.disk(DiskOp::Read { path }, Purpose::Job { seq, then: Some(Then::Reread) });
                } else {
                    self.finish_job(Ok(()), None);
                }
            }
            Then::Reread => {
                let loaded = match data {
                    Some(crate::node::DiskOk::Data(bytes)) => self.replace_dataset_from_rdb(&bytes),
                    _ => Err("unexpected read result".into()),
                };
                self.finish_job(Ok(()), Some(loaded));
            }
        }
    }

    /// Ends the current job: bookkeeping, logs, waiters, a pending shutdown.
    pub(super) fn finish_job(&mut self, result: Result<(), String>, reloaded: Option<Result<(), String>>) {
        let Some(mut job) = self.persist.job.take() else { return };
        if let Some(snapshot) = job.snapshot.take() {
            snapshot.abort(&mut self.keyspace);
        }
        let now_s = self.now.unix_us.div_euclid(1_000_000);
        match (&result, job.kind) {
            (Ok(()), Kind::Save | Kind::Bgsave) => {
                let rdb = &mut self.persist.rdb;
                rdb.last_save_s = now_s;
                rdb.last_bgsave_ok = true;
                if job.kind == Kind::Bgsave {
                    rdb.last_bgsave_time_s = now_s - job.started_s;
                }
                self.stats.dirty = self.stats.dirty.saturating_sub(job.dirty_at_start);
                let message = if job.kind == Kind::Save {
                    "DB saved on disk"
                } else {
                    "Background saving terminated with success"
                };
                self.log(LogLevel::Notice, message.into());
            }
            (Err(reason), Kind::Save | Kind::Bgsave) => {
                self.persist.rdb.last_bgsave_ok = false;
                self.log(LogLevel::Warning, format!("Write error saving DB on disk: {reason}"));
                if job.kind == Kind::Bgsave {
                    self.log(LogLevel::Warning, "Background saving error".into());
                }
                self.disk(DiskOp::Remove { path: job.temp.clone() }, Purpose::Cleanup);
            }
            (Ok(()), Kind::Rewrite) => self.aof_rewrite_finished(Ok(()), job.started_s),
            (Err(reason), Kind::Rewrite) => {
                self.log(LogLevel::Warning, format!("Background AOF rewrite error: {reason}"));
                self.disk(DiskOp::Remove { path: job.temp.clone() }, Purpose::Cleanup);
                self.aof_rewrite_finished(Err(reason.clone()), job.started_s);
            }
        }
        self.answer_waiters(&result, reloaded);
        if let Some(waiter) = self.persist.shutdown_after {
            self.continue_shutdown(waiter, result.is_ok());
        }
    }

    /// Stops the running job (a shutdown, or BGSAVE replaced by a SAVE) and removes its temp
    /// file.
    pub(in crate::node) fn kill_job(&mut self) {
        if let Some(job) = &self.persist.job {
            let temp = job.temp.clone();
            self.log(LogLevel::Warning, "There is a child saving an .rdb. Killing it!".into());
            self.finish_job(Err("killed".into()), None);
            self.disk(DiskOp::Remove { path: temp }, Purpose::Cleanup);
        }
    }

    /// The rest of a shutdown that waited for its save.
    fn continue_shutdown(&mut self, waiter: ShutdownWaiter, saved: bool) {
        if saved || waiter.force {
            self.persist.shutdown_after = None;
            self.finish_shutdown();
            return;
        }
        self.persist.shutdown_after = None;
        self.log(LogLevel::Warning, "Error trying to save the DB, can't exit.".into());
        if let Some(id) = waiter.client {
            let e = verdis_engine::CmdError::msg("ERR Errors trying to SHUTDOWN. Check logs.");
            self.reply_unblocked(id, &verdis_engine::Reply::Error(e));
            self.persist.waiting.remove(&id);
        } else {
            self.log(
                LogLevel::Warning,
                "SIGTERM received but errors trying to shut down the server, check the logs for more information"
                    .into(),
            );
        }
    }
}
