//! Loading the dataset at start: the RDB file, or with `appendonly yes` the AOF (manifest, base,
//! incr files; an old single-file `appendonly.aof` is loaded and upgraded as Redis 7 does).
//!
//! Everything is loaded into a fresh keyspace that replaces the empty one only when the whole
//! dataset loaded: a bad file stops the server with a message naming it, never half-loaded.

use verdis_engine::aof::{CommandReader, FileKind, Manifest};
use verdis_engine::rdb::ExpiredKeys;
use verdis_engine::Keyspace;

use super::{in_dir, Purpose};
use crate::node::{DiskErrorKind, DiskOk, DiskOp, DiskResult, LogLevel, Node};

/// Which file a load request reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// `dbfilename`.
    Rdb,
    /// The AOF manifest.
    Manifest,
    /// An old single-file AOF in `dir`.
    OldAof,
    /// File `index` of the manifest's base + incr list.
    AofFile(usize),
    /// The same file, looked for in `dir`: an old single-file AOF whose move into the
    /// directory a crash interrupted.
    AofFileAtRoot(usize),
}

/// Loading in progress.
pub(crate) struct Loading {
    /// The dataset being built.
    keyspace: Keyspace,
    /// The AOF's files in load order: (path, name, is base).
    files: Vec<(String, String, bool)>,
    /// The manifest read (or made, for an upgrade).
    manifest: Option<Manifest>,
    /// Commands inside a MULTI not yet closed by EXEC.
    multi: Option<Vec<Vec<Vec<u8>>>>,
    /// Whether the dataset came from an old single-file AOF.
    upgraded: bool,
    /// The database the AOF's commands run in (its SELECTs).
    db: usize,
    /// Sizes of the base file, of every AOF file, and of the last incr file.
    sizes: (u64, u64, u64),
}

impl Node {
    /// Starts loading (from `handle_start`).
    pub(in crate::node) fn persist_start(&mut self) {
        let mut keyspace = Keyspace::new(self.config.databases, &mut self.rng);
        keyspace.loading = true;
        self.persist.loading = Some(Loading {
            keyspace,
            files: Vec::new(),
            manifest: None,
            multi: None,
            upgraded: false,
            db: 0,
            sizes: (0, 0, 0),
        });
        if self.config.appendonly {
            let path = self.manifest_path();
            self.disk(DiskOp::Read { path }, Purpose::Load(Stage::Manifest));
        } else {
            let path = self.config.dbfilename.clone();
            self.disk(DiskOp::Read { path }, Purpose::Load(Stage::Rdb));
        }
    }

    /// `appenddirname/appendfilename.manifest`.
    pub(super) fn manifest_path(&self) -> String {
        in_dir(&self.config.persist.appenddirname, &format!("{}.manifest", self.config.appendfilename))
    }

    /// A load request completed.
    pub(super) fn load_step_done(&mut self, stage: Stage, result: DiskResult) {
        if self.persist.loading.is_none() {
            return;
        }
        let bytes = match result {
            Ok(DiskOk::Data(bytes)) => Some(bytes),
            Ok(_) => None,
            Err(e) if e.kind == DiskErrorKind::NotFound => None,
            Err(e) => return self.load_failed(format!("Fatal error loading the DB: {e}. Exiting.")),
        };
        match (stage, bytes) {
            (Stage::Rdb, None) => self.load_finished(),
            (Stage::Rdb, Some(bytes)) => {
                match self.load_rdb_bytes(&bytes, &self.config.dbfilename.clone(), ExpiredKeys::Skip) {
                    Ok(_) => self.load_finished(),
                    Err(e) => self.load_failed(e),
                }
            }
            (Stage::Manifest, None) => {
                let path = self.config.appendfilename.clone();
                self.disk(DiskOp::Read { path }, Purpose::Load(Stage::OldAof));
            }
            (Stage::Manifest, Some(bytes)) => match Manifest::parse(&bytes) {
                Ok(manifest) => self.load_aof_files(manifest),
                Err(e) => self.load_failed(format!("{e}")),
            },
            (Stage::OldAof, None) => self.load_finished(),
            (Stage::OldAof, Some(bytes)) => {
                let name = self.config.appendfilename.clone();
                match self.load_aof_bytes(&bytes, &name, true) {
                    Ok(_) => {
                        if let Some(l) = &mut self.persist.loading {
                            l.upgraded = true;
                        }
                        self.load_finished();
                    }
                    Err(e) => self.load_failed(e),
                }
            }
            (Stage::AofFile(i), None)
                if self.persist.loading.as_ref().expect("checked").files[i].1 == self.config.appendfilename =>
            {
                let path = self.config.appendfilename.clone();
                self.disk(DiskOp::Read { path }, Purpose::Load(Stage::AofFileAtRoot(i)));
            }
            (Stage::AofFile(i) | Stage::AofFileAtRoot(i), bytes) => {
                let loading = self.persist.loading.as_ref().expect("checked");
                let (_, name, base) = loading.files[i].clone();
                let last = i + 1 == loading.files.len();
                let Some(bytes) = bytes else {
                    return self
                        .load_failed(format!("Can't open the append-only file {name}: No such file or directory"));
                };
                // Each file starts in database 0, as Redis's loader resets its fake client.
                self.persist.loading.as_mut().expect("checked").db = 0;
                // The size it has once loaded (a truncated tail is cut off): appends continue
                // from there, and a failed one is cut back to it.
                let len = match self.load_aof_bytes(&bytes, &name, last) {
                    Ok(len) => len,
                    Err(e) => return self.load_failed(e),
                };
                let loading = self.persist.loading.as_mut().expect("checked");
                loading.sizes.1 += len;
                if base {
                    loading.sizes.0 = len;
                } else {
                    loading.sizes.2 = len;
                }
                self.load_next_aof_file(i + 1);
            }
        }
    }

    /// Reads the manifest's files in order: the base, then the incr files.
    fn load_aof_files(&mut self, manifest: Manifest) {
        let dir = self.config.persist.appenddirname.clone();
        let mut files: Vec<(String, String, bool)> = Vec::new();
        for kind in [FileKind::Base, FileKind::Incr] {
            for entry in manifest.entries.iter().filter(|e| e.kind == kind) {
                files.push((in_dir(&dir, &entry.name), entry.name.clone(), kind == FileKind::Base));
            }
        }
        let loading = self.persist.loading.as_mut().expect("loading");
        loading.files = files;
        loading.manifest = Some(manifest);
        self.load_next_aof_file(0);
    }

    fn load_next_aof_file(&mut self, i: usize) {
        let loading = self.persist.loading.as_ref().expect("loading");
        match loading.files.get(i) {
            Some((path, _, _)) => {
                let path = path.clone();
                self.disk(DiskOp::Read { path }, Purpose::Load(Stage::AofFile(i)));
            }
            None => self.load_finished(),
        }
    }

    /// Loads an RDB image into the keyspace being built; returns the bytes it used. Keys whose
    /// time has passed are skipped in an RDB file but kept in an AOF's preamble (the commands
    /// after it may act on them), as Redis's RDBFLAGS_AOF_PREAMBLE does.
    fn load_rdb_bytes(&mut self, bytes: &[u8], name: &str, expired: ExpiredKeys) -> Result<usize, String> {
        let now_ms = self.now.unix_ms();
        let loading = self.persist.loading.as_mut().expect("loading");
        let config = &self.config.engine;
        match verdis_engine::rdb::load_with(bytes, &mut loading.keyspace, now_ms, config, &mut self.rng, expired) {
            Ok(info) => {
                let functions = self.scripts.functions.load_from_rdb(&info.functions, false);
                self.script_logs_to_log();
                if let Err(e) = functions {
                    let loading = self.persist.loading.as_mut().expect("loading");
                    for db in &mut loading.keyspace.dbs {
                        db.clear();
                    }
                    return Err(format!("Fatal error loading the DB: {name}: {e}. Exiting."));
                }
                self.persist.rdb.last_load_keys_loaded = info.keys_loaded;
                self.persist.rdb.last_load_keys_expired = info.expired_skipped;
                self.log(
                    LogLevel::Notice,
                    format!(
                        "Done loading RDB, keys loaded: {}, keys expired: {}.",
                        info.keys_loaded, info.expired_skipped
                    ),
                );
                Ok(info.consumed)
            }
            Err(e) => Err(format!("Fatal error loading the DB: {name}: {e}. Exiting.")),
        }
    }

    /// Loads an AOF file (commands, or an RDB preamble followed by commands). A truncated last
    /// command in the last file is forgiven with `aof-load-truncated yes`, and the file cut
    /// back to its last whole command, as Redis does.
    fn load_aof_bytes(&mut self, bytes: &[u8], name: &str, last: bool) -> Result<u64, String> {
        let mut start = 0;
        if bytes.starts_with(b"REDIS") {
            start = self.load_rdb_bytes(bytes, name, ExpiredKeys::Keep)?;
        }
        let mut reader = CommandReader::new(&bytes[start..]);
        // Where the MULTI still open began (Redis's valid_before_multi).
        let mut before_multi = None;
        loop {
            let at = reader.offset();
            let Some(next) = reader.next_command() else { break };
            match next {
                Ok(argv) => {
                    if argv[0].eq_ignore_ascii_case(b"MULTI") {
                        before_multi.get_or_insert(at);
                    } else if argv[0].eq_ignore_ascii_case(b"EXEC") {
                        before_multi = None;
                    }
                    self.load_command(&argv).map_err(|e| format!("{e} reading the append only file {name}"))?
                }
                Err(e) if e.truncated && last && self.config.persist.aof_load_truncated => {
                    // A MULTI cut short goes too (Redis loads nothing of it).
                    let valid = (start + before_multi.unwrap_or(e.offset as usize)) as u64;
                    if let Some(l) = &mut self.persist.loading {
                        l.multi = None;
                    }
                    self.truncate_loaded_aof(name, valid);
                    return Ok(valid);
                }
                Err(e) if e.truncated => {
                    return Err(format!(
                        "Unexpected end of file reading the append only file {name} at offset {}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
                        start as u64 + e.offset
                    ))
                }
                Err(e) => {
                    return Err(format!(
                        "Bad file format reading the append only file {name} at offset {}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>",
                        start as u64 + e.offset
                    ))
                }
            }
        }
        // An unfinished MULTI at the end is dropped, as Redis reverts it, and cut off the last
        // file like a truncated tail (Redis's uxeof): commands appended after it would
        // otherwise join the transaction at the next load.
        let open_multi = self.persist.loading.as_mut().is_some_and(|l| l.multi.take().is_some());
        if open_multi && last {
            self.log(LogLevel::Warning, format!("Revert incomplete MULTI/EXEC transaction in AOF file {name}"));
            if let (Some(at), true) = (before_multi, self.config.persist.aof_load_truncated) {
                let valid = (start + at) as u64;
                self.truncate_loaded_aof(name, valid);
                return Ok(valid);
            }
        }
        Ok(bytes.len() as u64)
    }

    /// Cuts the last AOF file back to `valid` bytes (its last whole command), as Redis does with
    /// `aof-load-truncated yes`.
    fn truncate_loaded_aof(&mut self, name: &str, valid: u64) {
        self.log(LogLevel::Warning, format!("!!! Warning: short read while loading the AOF file {name}!!!"));
        self.log(LogLevel::Warning, format!("!!! Truncating the AOF {name} at offset {valid} !!!"));
        self.log(LogLevel::Warning, "AOF loaded anyway because aof-load-truncated is enabled".into());
        let path = self.aof_path_of(name);
        self.disk(DiskOp::Truncate { path, len: valid }, Purpose::Cleanup);
    }

    /// Where an AOF file named in the manifest lives (the old single file lives in `dir`).
    fn aof_path_of(&self, name: &str) -> String {
        let upgraded_old = self.persist.loading.as_ref().is_some_and(|l| l.manifest.is_none());
        if upgraded_old {
            name.to_string()
        } else {
            in_dir(&self.config.persist.appenddirname, name)
        }
    }

    /// Runs one command read from the AOF against the keyspace being built.
    fn load_command(&mut self, argv: &[&[u8]]) -> Result<(), String> {
        let loading = self.persist.loading.as_mut().expect("loading");
        if argv[0].eq_ignore_ascii_case(b"MULTI") {
            loading.multi = Some(Vec::new());
            return Ok(());
        }
        if argv[0].eq_ignore_ascii_case(b"EXEC") {
            let queued = loading.multi.take().unwrap_or_default();
            for cmd in queued {
                let refs: Vec<&[u8]> = cmd.iter().map(Vec::as_slice).collect();
                self.run_loaded_command(&refs)?;
            }
            return Ok(());
        }
        if let Some(queued) = &mut loading.multi {
            queued.push(argv.iter().map(|a| a.to_vec()).collect());
            return Ok(());
        }
        self.run_loaded_command(argv)
    }

    /// Executes a command on the loading keyspace, as Redis's fake AOF client does.
    fn run_loaded_command(&mut self, argv: &[&[u8]]) -> Result<(), String> {
        let loading = self.persist.loading.as_mut().expect("loading");
        let mut db = loading.db;
        std::mem::swap(&mut self.keyspace, &mut loading.keyspace);
        let result = self.run_loaded(&mut db, argv);
        let loading = self.persist.loading.as_mut().expect("loading");
        std::mem::swap(&mut self.keyspace, &mut loading.keyspace);
        loading.db = db;
        result
    }

    /// Everything loaded: install the dataset and open the AOF for appends.
    fn load_finished(&mut self) {
        let mut loading = self.persist.loading.take().expect("loading");
        loading.keyspace.loading = false;
        std::mem::swap(&mut self.keyspace, &mut loading.keyspace);
        self.log(LogLevel::Notice, "DB loaded from disk".into());
        if self.config.appendonly {
            self.aof_open_after_load(loading.manifest, loading.upgraded, loading.sizes);
        }
        self.log(LogLevel::Notice, "Ready to accept connections tcp".into());
    }

    fn load_failed(&mut self, message: String) {
        self.log(LogLevel::Warning, message);
        self.persist.loading = None;
        self.actions.push_back(crate::node::Action::Exit { code: 1 });
    }

    /// DEBUG RELOAD's second half: replaces the dataset with the RDB image just saved.
    pub(super) fn replace_dataset_from_rdb(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut fresh = Keyspace::new(self.config.databases, &mut self.rng);
        let now_ms = self.now.unix_ms();
        let info = verdis_engine::rdb::load(bytes, &mut fresh, now_ms, &self.config.engine, &mut self.rng)
            .map_err(|e| e.to_string())?;
        // Redis's emptyData empties the libraries too, and the file brings them back.
        let functions = self.scripts.functions.load_from_rdb(&info.functions, true);
        self.script_logs_to_log();
        functions?;
        std::mem::swap(&mut self.keyspace, &mut fresh);
        Ok(())
    }
}
