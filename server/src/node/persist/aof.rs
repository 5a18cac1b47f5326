//! The multi-part AOF: feeding commands to the incr file, `appendfsync`, the manifest, rewrites.
//!
//! Commands are buffered as they run and appended in one request before any reply leaves the
//! node (`Node::emit_output`), as Redis flushes its AOF buffer in `beforeSleep`. Under
//! `appendfsync always` the replies are held until the fsync that covers them completes;
//! `everysec` fsyncs from the cron once a second; `no` leaves it to the OS.
//!
//! A manifest change (a new incr file at a rewrite's start, the new base at its end) is written
//! to a temp file, fsynced, renamed over the manifest and the directory fsynced. Commands run
//! meanwhile go to the incr file in force until the temp manifest is durable; when the change
//! names a new incr file, the old one is then sealed (every append to it reported, then fsynced)
//! before the rename, and commands wait in the buffer until the new file is in force: a power
//! loss may keep the rename before the directory's fsync completes, and must not leave a torn
//! tail in a file that is then no longer the last (the loader refuses it, as Redis's does).

use std::collections::BTreeMap;

use verdis_engine::aof::{Manifest, PropagatedOp};

use super::job::Kind;
use super::{in_dir, Purpose};
use crate::config::AppendFsync;
use crate::node::{Action, DiskOk, DiskOp, DiskResult, LogLevel, Node};

/// Whether commands go to the AOF.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum State {
    /// `appendonly no`.
    #[default]
    Off,
    /// Turned on; the first rewrite (the base) has not started yet.
    WaitRewrite,
    /// Appending.
    On,
}

/// Why a manifest is being written, and what follows once it is durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ManifestChange {
    /// A new incr file takes the appends (when the AOF is opened).
    Incr,
    /// A new incr file takes the appends, and a rewrite's snapshot begins at that moment.
    IncrForRewrite,
    /// Rewrite job `seq`'s base replaces the old base and incr files.
    Base(u64),
}

/// Where a manifest change continues once a step succeeded. Each step is issued only after the
/// one before it reported success: an fsync's result can come back before the result of a write
/// issued ahead of it, and a manifest must never be renamed into place naming an incr file that
/// could not be created, or with bytes that were not all written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SwitchThen {
    /// The new incr file exists: write the temp manifest.
    Created(ManifestChange),
    /// The temp manifest is written: fsync it.
    Written(ManifestChange),
    /// The temp manifest is durable: seal the old incr file if the change replaces it, then
    /// rename the manifest.
    Synced(ManifestChange),
    /// The old incr file is durable, every append to it reported: rename the manifest.
    Sealed(ManifestChange),
    /// The rename is done: fsync the directory.
    Renamed(ManifestChange),
    /// The rename is durable: the change is in force.
    Installed(ManifestChange),
}

impl SwitchThen {
    /// The change this step belongs to.
    fn change(self) -> ManifestChange {
        match self {
            SwitchThen::Created(c)
            | SwitchThen::Written(c)
            | SwitchThen::Synced(c)
            | SwitchThen::Sealed(c)
            | SwitchThen::Renamed(c)
            | SwitchThen::Installed(c) => c,
        }
    }
}

/// AOF state.
#[derive(Debug, Default)]
pub(crate) struct Aof {
    pub state: State,
    /// The manifest in force (durable).
    pub manifest: Manifest,
    /// The manifest being written, installed once durable.
    next_manifest: Option<Manifest>,
    /// The incr file appends go to (`appenddirname/name`), if open.
    incr_path: Option<String>,
    /// Commands not yet appended.
    buf: Vec<u8>,
    /// Bytes a failed append left to write again.
    retry: Vec<u8>,
    /// The database the AOF last SELECTed.
    selected_db: Option<usize>,
    /// A manifest change is in flight.
    switching: bool,
    /// The change in flight (and its generation) replaces the incr file: appends wait in `buf`
    /// while the old file is sealed and until the new one is in force; `true` once the sealing
    /// fsync was issued.
    sealing: Option<(ManifestChange, u64, bool)>,
    /// Size of the base file, and of every AOF file together (INFO, auto rewrite).
    pub base_size: u64,
    pub current_size: u64,
    /// Size of the current incr file as far as appends succeeded.
    incr_size: u64,
    /// Where the next append to the current incr file lands if every append issued lands.
    incr_end: u64,
    /// Fsyncs issued, and the last one that completed with every one before it (gates for
    /// held replies), as sequence numbers.
    fsync_issued: u64,
    fsync_done: u64,
    /// Fsyncs that completed while one issued before them was still in flight: their number
    /// and, if they succeeded, the appends issued before them. Fsyncs of different files (the
    /// loaded incr files and the directory, the old and the new incr file at a switch) complete
    /// in any order, and a reply waits for every fsync up to its gate.
    done_early: BTreeMap<u64, Option<u64>>,
    /// Appended since the last fsync was issued.
    unsynced: bool,
    /// Monotonic µs of the last fsync issued.
    last_fsync_us: u64,
    /// The last write or fsync error, until a later one succeeds (`-MISCONF`).
    error: Option<String>,
    /// fsync policy `always` (copied from the config on each flush).
    always: bool,
    /// Rewrite statistics for INFO.
    pub rewrites: u64,
    pub rewrite_failures_in_a_row: u64,
    pub last_rewrite_ok: bool,
    pub last_rewrite_time_s: i64,
    pub rewrite_scheduled: bool,
    /// Files the last rewrite made obsolete, removed once the new manifest is durable.
    history: Vec<String>,
    /// A rewrite whose base is in place waits for this incr switch to finish.
    install_after_switch: Option<u64>,
    /// The running rewrite creates the AOF at start: not counted as a rewrite, as in Redis.
    creating_at_start: bool,
    /// A rewrite waits for its new incr file to be in the manifest before it begins.
    rewrite_pending: bool,
    /// The pending rewrite's snapshot began when the old incr file was sealed (the commands
    /// run since wait for the new file, so they must not be in the snapshot).
    rewrite_began: bool,
    /// The AOF is being opened at start (commands wait with `-LOADING`, as Redis opens it
    /// before accepting connections).
    pub opening: bool,
    /// An old single-file AOF to move into the directory once the manifest naming it is
    /// durable.
    upgrade_move: Option<String>,
    /// Appends issued, and appends whose result came back (results come in issue order).
    appends_issued: u64,
    appends_reported: u64,
    /// A completed fsync whose held replies also wait for the appends issued before it to
    /// report (`gate`, `appends_issued` when it was issued): an append that fails after the
    /// fsync completed was not made durable by it.
    synced_unreported: Option<(u64, u64)>,
    /// Append failures so far: an append issued before the latest failure was known lands
    /// before the truncation that undoes it, so its bytes are written again after it.
    append_failures: u64,
    /// Manifest writes started: results of an abandoned write are ignored.
    manifest_generation: u64,
    /// Fsyncs to wait for before exiting on a write error (`appendfsync always`); while
    /// non-zero nothing is appended or answered.
    pub exiting: usize,
}

impl Aof {
    /// Output must wait: data it follows is not yet covered by a completed fsync (`always`).
    pub fn fsync_gate_open(&self) -> bool {
        self.always && (self.fsync_pending() || self.unsynced || !self.buf.is_empty())
    }

    /// The number of the fsync that will cover everything written so far.
    pub fn fsync_gate(&self) -> u64 {
        if self.unsynced || !self.buf.is_empty() {
            self.fsync_issued + 1
        } else {
            self.fsync_issued
        }
    }

    /// A manifest change is in flight.
    pub fn switching(&self) -> bool {
        self.switching
    }

    /// A rewrite is waiting for its incr switch (counts as a rewrite in progress).
    pub fn rewrite_pending(&self) -> bool {
        self.rewrite_pending
    }

    /// The error that denies writes, if any.
    pub fn write_error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Whether appends are on (INFO `aof_enabled`).
    pub fn enabled(&self) -> bool {
        self.state != State::Off
    }

    /// Bytes buffered, not yet appended (INFO `aof_buffer_length`).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Bytes the buffer holds allocated (INFO `mem_aof_buffer`, Redis's `sdsZmallocSize` of
    /// `aof_buf`).
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// An fsync is in flight (INFO `aof_pending_bio_fsync`).
    pub fn fsync_pending(&self) -> bool {
        self.fsync_issued > self.fsync_done
    }

    /// The name the next rewrite's base file gets.
    pub fn next_base_name(&self, appendfilename: &str, rdb_preamble: bool) -> String {
        self.manifest.clone().new_base(appendfilename, rdb_preamble)
    }
}

impl Node {
    /// Whether commands are recorded for the AOF now: it is on, or being turned on and its first
    /// rewrite's snapshot has begun (what ran before is in the snapshot).
    pub(in crate::node) fn aof_takes_commands(&self) -> bool {
        let rewriting = self.persist.job.as_ref().is_some_and(|j| j.kind == Kind::Rewrite);
        match self.persist.aof.state {
            State::On => true,
            State::WaitRewrite => rewriting,
            State::Off => false,
        }
    }

    /// Records commands' effects for the AOF: each `(db, argv)` in order, with a SELECT where
    /// the database changes (Redis's `feedAppendOnlyFile`).
    pub(in crate::node) fn feed_aof(&mut self, ops: &[PropagatedOp]) {
        if !self.aof_takes_commands() {
            return;
        }
        let aof = &mut self.persist.aof;
        for (db, argv) in ops {
            if aof.selected_db != Some(*db) {
                verdis_engine::aof::write_select(&mut aof.buf, *db);
                aof.selected_db = Some(*db);
            }
            let refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            verdis_engine::aof::write_command(&mut aof.buf, &refs);
        }
    }

    /// Appends the buffer to the incr file (and, under `always`, fsyncs it).
    pub(in crate::node) fn aof_flush(&mut self) {
        let always = self.config.persist.appendfsync == AppendFsync::Always;
        let aof = &mut self.persist.aof;
        aof.always = always && aof.state != State::Off;
        if aof.buf.is_empty() && aof.retry.is_empty() || aof.exiting > 0 {
            return;
        }
        // After a failed append, write again only once every append issued before it has
        // reported: their bytes go back in order, ahead of the new ones.
        if aof.error.is_some() && aof.appends_issued > aof.appends_reported {
            return;
        }
        // While the incr file is being replaced, only bytes cut off by a failed append go
        // (back) to the old file.
        if aof.sealing.is_some() && aof.retry.is_empty() {
            return;
        }
        let Some(path) = aof.incr_path.clone() else { return };
        let mut bytes = std::mem::take(&mut aof.retry);
        if aof.sealing.is_none() {
            bytes.append(&mut aof.buf);
        }
        aof.unsynced = true;
        let fsync_now = always && !aof.fsync_pending();
        aof.appends_issued += 1;
        let failures = aof.append_failures;
        let offset = aof.incr_end;
        aof.incr_end += bytes.len() as u64;
        let purpose = Purpose::AofWrite { bytes: bytes.clone(), failures, path: path.clone(), offset };
        self.disk(DiskOp::Append { path, bytes }, purpose);
        // Group commit: while an fsync is in flight, appends gather behind it and the next
        // fsync (issued when it completes) covers them all.
        if fsync_now {
            self.aof_fsync();
        }
    }

    /// Issues an fsync of the incr file.
    fn aof_fsync(&mut self) {
        let aof = &mut self.persist.aof;
        // Replies held for commands waiting in the buffer while the incr file is sealed wait
        // for the next numbered fsync, which must come after those commands are appended: the
        // first one once the new file is in force.
        if aof.sealing.is_some() {
            return;
        }
        let Some(path) = aof.incr_path.clone() else { return };
        aof.fsync_issued += 1;
        aof.unsynced = false;
        aof.last_fsync_us = self.now.mono_us;
        let gate = aof.fsync_issued;
        let appends = aof.appends_issued;
        self.disk(DiskOp::Fsync { path }, Purpose::AofFsync { gate, appends });
    }

    /// Fsyncs `path` (the AOF directory, a loaded incr file) as one of the AOF's fsyncs: under
    /// `always`, output emitted meanwhile waits for it like for an append's fsync.
    fn aof_fsync_path(&mut self, path: String) {
        let aof = &mut self.persist.aof;
        aof.fsync_issued += 1;
        let gate = aof.fsync_issued;
        let appends = aof.appends_issued;
        self.disk(DiskOp::Fsync { path }, Purpose::AofFsync { gate, appends });
    }

    /// Releases the replies a completed fsync covers once every append issued before it has
    /// reported success (under `always` a failed one ends the process instead).
    fn aof_release_synced(&mut self) {
        let aof = &mut self.persist.aof;
        if let Some((gate, appends)) = aof.synced_unreported {
            if aof.appends_reported >= appends {
                aof.synced_unreported = None;
                self.release_held(gate);
            }
        }
    }

    /// Seals the incr file being replaced once every append to it reported success: an fsync
    /// as a step of the manifest change, which renames the manifest when it succeeds.
    fn aof_try_seal(&mut self) {
        let aof = &mut self.persist.aof;
        let Some((change, generation, false)) = aof.sealing else { return };
        if aof.appends_issued > aof.appends_reported || !aof.retry.is_empty() || aof.exiting > 0 {
            return;
        }
        let Some(path) = aof.incr_path.clone() else { return };
        aof.sealing = Some((change, generation, true));
        self.disk(DiskOp::Fsync { path }, Purpose::AofSwitch { then: SwitchThen::Sealed(change), generation });
    }

    /// An append's result. `path` and `offset`: the file it went to and where it landed if
    /// everything issued before it landed (an append issued just before a switch to a new incr
    /// file reports after the switch).
    pub(super) fn aof_write_done(
        &mut self,
        bytes: Vec<u8>,
        failures: u64,
        path: String,
        offset: u64,
        result: DiskResult,
    ) {
        let aof = &mut self.persist.aof;
        aof.appends_reported += 1;
        if aof.exiting > 0 {
            // Exiting on an earlier failed append (`always`): its truncation already cut this
            // one off. Another cut, at a length counting appends that landed after the failed
            // one, would bring them back behind a hole.
            return;
        }
        let current_file = aof.incr_path.as_ref() == Some(&path);
        if failures != aof.append_failures {
            // Issued before a failure was known: the truncation after that failure cuts these
            // bytes off whether they landed or not, so they are written again, in order.
            aof.retry.extend_from_slice(&bytes);
            self.aof_flush();
            self.aof_try_seal();
            return;
        }
        match result {
            Ok(_) => {
                if current_file {
                    aof.incr_size += bytes.len() as u64;
                }
                aof.current_size += bytes.len() as u64;
                if aof.retry.is_empty() && aof.error.take().is_some() {
                    self.log(LogLevel::Warning, "AOF write error looks solved, Redis can write again.".into());
                }
                self.aof_release_synced();
            }
            Err(e) => {
                if self.persist.aof.always {
                    self.log(
                        LogLevel::Warning,
                        format!("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting... ({e})"),
                    );
                    // Cut off the short write and anything issued after it (none of it was
                    // acknowledged), so the file loads at the next start, as Redis does — and
                    // exit only once the cut is durable: a power loss must not bring back writes
                    // issued after the failed one without it. Nothing is answered meanwhile.
                    let incr = self.persist.aof.incr_path.clone();
                    self.aof_truncate_after_failure(path.clone(), offset, current_file);
                    self.persist.held.clear();
                    let mut files = vec![path];
                    files.extend(incr.filter(|p| !files.contains(p)));
                    self.persist.aof.exiting = files.len();
                    for path in files {
                        self.disk(DiskOp::Fsync { path }, Purpose::ExitAfter);
                    }
                    return;
                }
                self.log(LogLevel::Warning, format!("Error writing to the AOF file: {e}"));
                // Cut off whatever part landed, and write it all again later (Redis's
                // ftruncate to aof_current_size).
                let aof = &mut self.persist.aof;
                aof.error = Some(e.message.clone());
                aof.append_failures += 1;
                let mut again = bytes;
                again.append(&mut aof.retry);
                aof.retry = again;
                self.aof_truncate_after_failure(path, offset, current_file);
            }
        }
        self.aof_flush();
        self.aof_try_seal();
    }

    /// After the append at `offset` of `path` failed: cuts off whatever part of it landed, and
    /// everything appended to the current incr file since (issued later, so not yet reported):
    /// Redis's ftruncate to `aof_current_size`. A failed append to the previous incr file
    /// (issued before a switch) is cut there; every append to the current file came after it.
    fn aof_truncate_after_failure(&mut self, path: String, offset: u64, current_file: bool) {
        if !current_file {
            self.disk(DiskOp::Truncate { path, len: offset }, Purpose::Cleanup);
        }
        let aof = &mut self.persist.aof;
        aof.incr_end = aof.incr_size;
        if let Some(path) = aof.incr_path.clone() {
            let len = aof.incr_size;
            self.disk(DiskOp::Truncate { path, len }, Purpose::Cleanup);
        }
    }

    /// Fsync `gate` completed (`appends`: issued before it, if it succeeded): advances the
    /// fsyncs completed in order past it and any that completed early behind it.
    fn aof_fsync_completed(&mut self, gate: u64, appends: Option<u64>) {
        let aof = &mut self.persist.aof;
        aof.done_early.insert(gate, appends);
        while let Some(appends) = aof.done_early.remove(&(aof.fsync_done + 1)) {
            aof.fsync_done += 1;
            if let Some(appends) = appends {
                aof.synced_unreported = aof.synced_unreported.max(Some((aof.fsync_done, appends)));
            }
        }
    }

    pub(super) fn aof_fsync_done(&mut self, gate: u64, appends: u64, result: DiskResult) {
        match result {
            Ok(_) => {
                self.aof_fsync_completed(gate, Some(appends));
                let aof = &mut self.persist.aof;
                let more = aof.always && aof.unsynced && !aof.fsync_pending();
                if aof.retry.is_empty() && aof.error.take().is_some() {
                    self.log(LogLevel::Warning, "AOF write error looks solved, Redis can write again.".into());
                }
                self.aof_release_synced();
                if more {
                    self.aof_fsync();
                }
            }
            Err(e) => {
                if self.persist.aof.always {
                    self.log(
                        LogLevel::Warning,
                        format!(
                            "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {e}. Exiting..."
                        ),
                    );
                    // Held replies were never acknowledged; they are dropped with the process.
                    self.persist.held.clear();
                    self.actions.push_back(Action::Exit { code: 1 });
                    return;
                }
                self.log(LogLevel::Warning, format!("Error syncing the AOF file: {e}"));
                self.aof_fsync_completed(gate, None);
                let aof = &mut self.persist.aof;
                aof.error = Some(e.message.clone());
                aof.unsynced = true;
            }
        }
    }

    /// Cron: `everysec` fsync, a scheduled rewrite.
    pub(super) fn aof_cron(&mut self) {
        self.aof_flush();
        let aof = &self.persist.aof;
        let everysec = self.config.persist.appendfsync == AppendFsync::Everysec;
        // The planted bug (simulator self-test only): a 5 s period breaks the everysec promise.
        let period_us = if self.config.engine.plants.everysec_fsync_every_5s { 5_000_000 } else { 1_000_000 };
        if aof.state != State::Off
            && everysec
            && aof.unsynced
            && !aof.fsync_pending()
            && self.now.mono_us.saturating_sub(aof.last_fsync_us) >= period_us
        {
            self.aof_fsync();
        }
        if self.persist.aof.rewrite_scheduled && self.persist.job.is_none() {
            self.persist.aof.rewrite_scheduled = false;
            self.start_job(Kind::Rewrite);
        }
    }

    /// Starts a rewrite when the AOF grew past `auto-aof-rewrite-percentage` of its base.
    pub(super) fn aof_auto_rewrite(&mut self) {
        let cfg = &self.config.persist;
        let aof = &self.persist.aof;
        if aof.state != State::On
            || cfg.auto_aof_rewrite_percentage == 0
            || aof.current_size < cfg.auto_aof_rewrite_min_size
        {
            return;
        }
        let base = aof.base_size.max(1);
        let growth = (aof.current_size.saturating_sub(base)) * 100 / base;
        if growth >= cfg.auto_aof_rewrite_percentage as u64 {
            self.log(LogLevel::Notice, format!("Starting automatic rewriting of AOF on {growth}% growth"));
            self.start_job(Kind::Rewrite);
        }
    }

    /// Opens a new incr file and writes the manifest naming it; the file takes the appends once
    /// the manifest is durable, and starts with its own SELECT.
    fn aof_new_incr(&mut self, change: ManifestChange) {
        let mut manifest = self.persist.aof.manifest.clone();
        let name = manifest.new_incr(&self.config.appendfilename);
        let path = in_dir(&self.config.persist.appenddirname, &name);
        let generation = self.begin_switch(manifest);
        let then = SwitchThen::Created(change);
        self.disk(DiskOp::Create { path, bytes: Vec::new() }, Purpose::AofSwitch { then, generation });
    }

    /// A rewrite's first half: the new incr file (the snapshot begins when it is in force).
    pub(super) fn aof_new_incr_for_rewrite(&mut self) {
        self.persist.aof.rewrite_pending = true;
        self.aof_new_incr(ManifestChange::IncrForRewrite);
    }

    /// Writes `manifest` durably, then applies `change`.
    fn write_manifest(&mut self, manifest: Manifest, change: ManifestChange) {
        let generation = self.begin_switch(manifest);
        self.write_temp_manifest(change, generation);
    }

    /// Starts a manifest change to `manifest`: its generation.
    fn begin_switch(&mut self, manifest: Manifest) -> u64 {
        let aof = &mut self.persist.aof;
        aof.switching = true;
        aof.manifest_generation += 1;
        aof.next_manifest = Some(manifest);
        aof.manifest_generation
    }

    fn temp_manifest_path(&self) -> String {
        in_dir(&self.config.persist.appenddirname, &format!("temp-{}.manifest", self.config.appendfilename))
    }

    /// Writes the manifest being installed to the temp file.
    fn write_temp_manifest(&mut self, change: ManifestChange, generation: u64) {
        let bytes = self.persist.aof.next_manifest.as_ref().expect("a manifest is being written").to_bytes();
        let then = SwitchThen::Written(change);
        self.disk(DiskOp::Create { path: self.temp_manifest_path(), bytes }, Purpose::AofSwitch { then, generation });
    }

    pub(super) fn aof_switch_done(&mut self, then: SwitchThen, generation: u64, result: DiskResult) {
        // A write abandoned after an error: whatever of it is still reporting changes nothing.
        let current = self.persist.aof.switching && generation == self.persist.aof.manifest_generation;
        if !current {
            return;
        }
        if let Err(e) = result {
            if matches!(then, SwitchThen::Sealed(_)) && self.persist.aof.always {
                // The old incr file's fsync failed: as for any AOF fsync under `always`.
                return self.aof_fsync_done(0, 0, Err(e));
            }
            self.log(LogLevel::Warning, format!("Error persisting the AOF manifest: {e}"));
            self.persist.aof.next_manifest = None;
            self.persist.aof.switching = false;
            // The old incr file stays in force: what waited goes there.
            self.persist.aof.sealing = None;
            self.aof_flush();
            let opening = std::mem::replace(&mut self.persist.aof.opening, false);
            match then.change() {
                // The rewrite cannot install its base; it fails, the old files stay in force
                // and appends go on there: only the rewrite failed, as in Redis.
                ManifestChange::Base(_) => {
                    self.finish_job(Err("manifest".into()), None);
                }
                // The rewrite fails, whether or not its snapshot began.
                ManifestChange::IncrForRewrite => {
                    self.persist.aof.rewrite_pending = false;
                    self.persist.aof.install_after_switch = None;
                    if std::mem::take(&mut self.persist.aof.rewrite_began) {
                        self.finish_job(Err("manifest".into()), None);
                    } else {
                        self.aof_rewrite_finished(Err("manifest".into()), self.now.unix_us.div_euclid(1_000_000));
                    }
                }
                ManifestChange::Incr => {}
            }
            // The AOF could not be opened on start: Redis exits (aofOpenIfNeededOnServerStart)
            // rather than serve writes it can never log.
            if opening {
                self.log(LogLevel::Warning, "Can't open the append-only file on server start. Exiting...".into());
                self.persist.held.clear();
                self.actions.push_back(Action::Exit { code: 1 });
            }
            return;
        }
        let dir = self.config.persist.appenddirname.clone();
        match then {
            SwitchThen::Created(change) => self.write_temp_manifest(change, generation),
            SwitchThen::Written(change) => {
                let then = SwitchThen::Synced(change);
                self.disk(DiskOp::Fsync { path: self.temp_manifest_path() }, Purpose::AofSwitch { then, generation });
            }
            SwitchThen::Synced(change) => {
                let aof = &mut self.persist.aof;
                let next_incr =
                    aof.next_manifest.as_ref().and_then(|m| m.incrs().last()).map(|e| in_dir(&dir, &e.name));
                if aof.incr_path.is_some() && next_incr != aof.incr_path {
                    // What was fed so far goes to the old file, then nothing more: a rewrite's
                    // snapshot begins here, and every later command goes to the new file.
                    self.aof_flush();
                    if change == ManifestChange::IncrForRewrite && self.persist.aof.state != State::Off {
                        self.persist.aof.rewrite_began = true;
                        self.start_job_now(Kind::Rewrite);
                    }
                    self.persist.aof.sealing = Some((change, generation, false));
                    self.aof_try_seal();
                } else {
                    self.aof_switch_done(SwitchThen::Sealed(change), generation, Ok(DiskOk::Done));
                }
            }
            SwitchThen::Sealed(change) => {
                let (from, to) = (self.temp_manifest_path(), self.manifest_path());
                self.disk(
                    DiskOp::Rename { from, to },
                    Purpose::AofSwitch { then: SwitchThen::Renamed(change), generation },
                );
            }
            SwitchThen::Renamed(change) => {
                let then = SwitchThen::Installed(change);
                self.disk(DiskOp::Fsync { path: dir }, Purpose::AofSwitch { then, generation });
            }
            SwitchThen::Installed(change) => {
                // The old incr file was sealed (Redis fsyncs and closes it); what waited goes to
                // the new one.
                let aof = &mut self.persist.aof;
                aof.manifest = aof.next_manifest.take().expect("a manifest was being written");
                aof.switching = false;
                aof.sealing = None;
                aof.opening = false;
                let incr = aof.manifest.incrs().last().map(|e| in_dir(&dir, &e.name));
                if incr != aof.incr_path {
                    aof.incr_path = incr;
                    aof.incr_size = 0;
                    aof.incr_end = 0;
                    aof.selected_db = None;
                }
                if let Some(name) = aof.upgrade_move.take() {
                    let to = in_dir(&dir, &name);
                    self.disk(DiskOp::Rename { from: name, to }, Purpose::Cleanup);
                    self.disk(DiskOp::Fsync { path: dir.clone() }, Purpose::Cleanup);
                    self.log(LogLevel::Notice, "Successfully migrated an old-style AOF into the AOF directory".into());
                }
                if change == ManifestChange::IncrForRewrite {
                    self.persist.aof.rewrite_pending = false;
                    // Unless it began at the seal, or the AOF was turned off meanwhile.
                    let began = std::mem::take(&mut self.persist.aof.rewrite_began);
                    if !began && self.persist.aof.state != State::Off {
                        self.start_job_now(Kind::Rewrite);
                    }
                }
                if let ManifestChange::Base(seq) = change {
                    for path in std::mem::take(&mut self.persist.aof.history) {
                        self.disk(DiskOp::Remove { path }, Purpose::Cleanup);
                    }
                    if self.persist.job.as_ref().is_some_and(|j| j.seq == seq) {
                        self.finish_job(Ok(()), None);
                    }
                }
                if let Some(seq) = self.persist.aof.install_after_switch.take() {
                    self.aof_rewrite_installed(seq);
                }
                self.aof_flush();
                // Replies held for appends the seal made durable wait for a numbered fsync.
                let aof = &self.persist.aof;
                if aof.unsynced && !aof.fsync_pending() {
                    self.aof_fsync();
                }
            }
        }
    }

    /// A rewrite's base file is in place: the manifest now names it, with the incr file opened
    /// when the rewrite began; the old base and incr files become history, removed once the
    /// new manifest is durable. Waits for an incr switch still in flight.
    pub(super) fn aof_rewrite_installed(&mut self, seq: u64) {
        if self.persist.aof.switching {
            self.persist.aof.install_after_switch = Some(seq);
            return;
        }
        let job = self.persist.job.as_ref().expect("the rewrite job");
        let (target, base_size) = (job.target.clone(), job.bytes);
        let mut manifest = self.persist.aof.manifest.clone();
        let name = manifest.new_base(&self.config.appendfilename, self.config.persist.aof_use_rdb_preamble);
        assert!(target.ends_with(&name), "the base was written under the name the manifest gives it");
        manifest.mark_rewritten_incrs_as_history(self.persist.aof.state != State::Off);
        let dir = self.config.persist.appenddirname.clone();
        self.persist.aof.history = manifest.take_history().iter().map(|n| in_dir(&dir, n)).collect();
        self.persist.aof.base_size = base_size;
        self.persist.aof.current_size = base_size + self.persist.aof.incr_size;
        self.write_manifest(manifest, ManifestChange::Base(seq));
    }

    /// Bookkeeping once a rewrite ended.
    pub(super) fn aof_rewrite_finished(&mut self, result: Result<(), String>, started_s: i64) {
        let now_s = self.now.unix_us.div_euclid(1_000_000);
        let aof = &mut self.persist.aof;
        aof.last_rewrite_time_s = now_s - started_s;
        if std::mem::take(&mut aof.creating_at_start) {
            aof.last_rewrite_time_s = -1;
            return;
        }
        match result {
            Ok(()) => {
                aof.rewrites += 1;
                aof.rewrite_failures_in_a_row = 0;
                aof.last_rewrite_ok = true;
                if aof.state == State::WaitRewrite {
                    aof.state = State::On;
                }
                self.log(LogLevel::Notice, "Background AOF rewrite finished successfully".into());
                // The planted bug (simulator self-test only): the process dies after a good rewrite.
                if self.config.engine.plants.exit_after_aof_rewrite {
                    self.actions.push_back(Action::Exit { code: 1 });
                }
            }
            Err(_) => {
                aof.rewrite_failures_in_a_row += 1;
                aof.last_rewrite_ok = false;
            }
        }
    }

    /// After loading: open the AOF for appends (continue the last incr file, or make one), or
    /// create it from scratch, or migrate an old single-file AOF into the directory.
    /// `sizes`: the base file's, all files', and the last incr file's.
    pub(super) fn aof_open_after_load(&mut self, manifest: Option<Manifest>, upgraded: bool, sizes: (u64, u64, u64)) {
        let dir = self.config.persist.appenddirname.clone();
        let aof = &mut self.persist.aof;
        aof.state = State::On;
        aof.base_size = sizes.0;
        aof.current_size = sizes.1;
        aof.last_rewrite_ok = true;
        self.disk(DiskOp::MakeDir { path: dir.clone() }, Purpose::Cleanup);
        match manifest {
            Some(m) => {
                let last_incr = m.incrs().last().cloned();
                // What loaded may be only in the page cache (the previous process died before
                // its fsyncs completed): the incr files and the directory holding the manifest
                // are made durable before any reply that builds on them leaves (`always`), so
                // a power loss later cannot take back what was served. Redis does not.
                for e in m.incrs() {
                    self.aof_fsync_path(in_dir(&dir, &e.name));
                }
                self.aof_fsync_path(dir.clone());
                self.persist.aof.manifest = m;
                match last_incr {
                    Some(e) => {
                        let aof = &mut self.persist.aof;
                        aof.incr_path = Some(in_dir(&dir, &e.name));
                        aof.incr_size = sizes.2;
                        aof.incr_end = sizes.2;
                    }
                    None => {
                        self.persist.aof.opening = true;
                        self.aof_new_incr(ManifestChange::Incr);
                    }
                }
            }
            None if upgraded => {
                // The manifest naming the old file as the base is made durable first, then the
                // file moves into the directory; a crash in between finds it where it was
                // (`load`'s fallback), never loses it.
                let name = self.config.appendfilename.clone();
                self.persist.aof.manifest = Manifest::upgrade_from_single_file(&name);
                self.persist.aof.upgrade_move = Some(name);
                self.persist.aof.opening = true;
                self.aof_new_incr(ManifestChange::Incr);
            }
            None => {
                let name = self
                    .persist
                    .aof
                    .next_base_name(&self.config.appendfilename, self.config.persist.aof_use_rdb_preamble);
                self.log(LogLevel::Notice, format!("Creating AOF base file {name} on server start"));
                self.persist.aof.creating_at_start = true;
                self.persist.aof.opening = true;
                self.start_job(Kind::Rewrite);
                if let Some(incr) = self.persist.aof.next_manifest.as_ref().and_then(|m| m.incrs().last()) {
                    let message = format!("Creating AOF incr file {} on server start", incr.name);
                    self.log(LogLevel::Notice, message);
                }
            }
        }
    }

    /// CONFIG SET appendonly yes|no at runtime.
    pub(in crate::node) fn aof_set_enabled(&mut self, on: bool) {
        let state = self.persist.aof.state;
        if on && state == State::Off {
            self.persist.aof.state = State::WaitRewrite;
            self.disk(DiskOp::MakeDir { path: self.config.persist.appenddirname.clone() }, Purpose::Cleanup);
            if !self.start_job(Kind::Rewrite) {
                self.persist.aof.rewrite_scheduled = true;
            }
        } else if !on && state != State::Off {
            self.persist.aof.sealing = None;
            self.aof_flush();
            self.aof_fsync();
            let aof = &mut self.persist.aof;
            aof.state = State::Off;
            aof.incr_path = None;
            aof.selected_db = None;
            if self.persist.job.as_ref().is_some_and(|j| j.kind == Kind::Rewrite) {
                self.finish_job(Err("AOF turned off".into()), None);
            }
        }
    }

    /// Shutdown: append and fsync what is buffered.
    pub(in crate::node) fn aof_final_sync(&mut self) {
        if self.persist.aof.state != State::Off {
            // Nothing waits for a manifest change any more: the old incr file ends whole.
            self.persist.aof.sealing = None;
            self.aof_flush();
            self.aof_fsync();
        }
    }

    /// BGREWRITEAOF.
    pub(in crate::node) fn bgrewriteaof(&mut self) -> Result<&'static str, verdis_engine::CmdError> {
        match &self.persist.job {
            _ if self.persist.aof.rewrite_pending => {
                Err(verdis_engine::CmdError::msg("ERR Background append only file rewriting already in progress"))
            }
            Some(j) if j.kind == Kind::Rewrite => {
                Err(verdis_engine::CmdError::msg("ERR Background append only file rewriting already in progress"))
            }
            Some(_) => {
                self.persist.aof.rewrite_scheduled = true;
                Ok("Background append only file rewriting scheduled")
            }
            None => {
                self.disk(DiskOp::MakeDir { path: self.config.persist.appenddirname.clone() }, Purpose::Cleanup);
                self.start_job(Kind::Rewrite);
                Ok("Background append only file rewriting started")
            }
        }
    }
}
