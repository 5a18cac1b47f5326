//! CONFIG REWRITE as disk requests: read the configuration file, write its new text
//! (`Config::rewrite`) to a temporary file beside it, fsync that, rename it over the file, fsync
//! the directory, then answer. Redis does the same in `rewriteConfigOverwriteFile`, blocking its
//! event loop; here the caller waits (its pipelined input too) while other clients are served.
//!
//! One rewrite runs at a time. Callers arriving meanwhile wait for the next one, which starts
//! when the current one ends and writes the configuration as it is then.
//!
//! Deliberate differences from Redis 7.0.15: the temporary file is `<file>.tmp` (Redis's
//! `mkostemp` adds a random suffix: the node has no unseeded randomness and one rewrite runs at
//! a time); inside MULTI the command is refused, since EXEC's reply cannot wait for the disk.

use std::path::Path;

use verdis_engine::{CmdError, Reply};

use super::Purpose;
use crate::node::{ClientId, DiskErrorKind, DiskOk, DiskOp, DiskResult, LogLevel, Node};

/// The step a config-rewrite disk request belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// Reading the current file.
    Read,
    /// Writing the temporary file.
    Create,
    /// Making the temporary file durable.
    FsyncTemp,
    /// Renaming it over the configuration file.
    Rename,
    /// Making the rename durable.
    FsyncDir,
}

/// Who waits for which rewrite.
#[derive(Debug, Default)]
pub(in crate::node) struct ConfigRewrite {
    /// Callers of the rewrite in flight (empty: none runs).
    current: Vec<ClientId>,
    /// Callers that arrived while it ran: they get the next one.
    next: Vec<ClientId>,
}

impl ConfigRewrite {
    /// True while `id` waits for a rewrite.
    pub(super) fn is_waiting(&self, id: ClientId) -> bool {
        self.current.contains(&id) || self.next.contains(&id)
    }

    /// A client is gone: it waits for nothing (the rewrite it asked for still completes).
    pub(super) fn forget(&mut self, id: ClientId) {
        self.current.retain(|c| *c != id);
        self.next.retain(|c| *c != id);
    }
}

/// The temporary file a rewrite of `path` writes first.
fn temp_path(path: &str) -> String {
    format!("{path}.tmp")
}

/// The directory holding `path`, to fsync after the rename.
fn parent_dir(path: &str) -> String {
    match Path::new(path).parent().map(|p| p.to_string_lossy().into_owned()) {
        Some(dir) if !dir.is_empty() => dir,
        _ => ".".into(),
    }
}

impl Node {
    /// CONFIG REWRITE: `None` when the caller now waits for the file to be written.
    pub(in crate::node) fn config_rewrite_command(&mut self, id: ClientId) -> Option<Result<Reply, CmdError>> {
        let Some(path) = self.config.config_file.clone() else {
            return Some(Err(CmdError::msg("ERR The server is running without a config file")));
        };
        if self.in_exec {
            return Some(Err(CmdError::msg(
                "ERR CONFIG REWRITE is not supported inside MULTI by verdis: its reply waits for the disk",
            )));
        }
        let rewrite = &mut self.persist.config_rewrite;
        if rewrite.current.is_empty() {
            rewrite.current.push(id);
            self.disk(DiskOp::Read { path }, Purpose::ConfigRewrite(Step::Read));
        } else {
            rewrite.next.push(id);
        }
        None
    }

    /// A step of the rewrite in flight finished.
    pub(super) fn config_rewrite_step_done(&mut self, step: Step, result: DiskResult) {
        let path = self.config.config_file.clone().expect("a rewrite runs only with a config file");
        let tmp = temp_path(&path);
        let (op, next) = match (step, result) {
            (Step::Read, Ok(DiskOk::Data(old))) => {
                (DiskOp::Create { path: tmp, bytes: self.config.rewrite(&old) }, Step::Create)
            }
            // Redis rewrites a file that does not exist (yet) as an empty one.
            (Step::Read, Err(e)) if e.kind == DiskErrorKind::NotFound => {
                (DiskOp::Create { path: tmp, bytes: self.config.rewrite(b"") }, Step::Create)
            }
            (Step::Create, Ok(_)) => (DiskOp::Fsync { path: tmp }, Step::FsyncTemp),
            (Step::FsyncTemp, Ok(_)) => (DiskOp::Rename { from: tmp, to: path.clone() }, Step::Rename),
            (Step::Rename, Ok(_)) => (DiskOp::Fsync { path: parent_dir(&path) }, Step::FsyncDir),
            (Step::FsyncDir, Ok(_)) => return self.config_rewrite_finish(Ok(())),
            (Step::Read, Ok(other)) => unreachable!("a read answers with data, not {other:?}"),
            (step, Err(e)) => {
                if matches!(step, Step::Create | Step::FsyncTemp | Step::Rename) {
                    self.disk(DiskOp::Remove { path: tmp }, Purpose::Cleanup);
                }
                return self.config_rewrite_finish(Err(e.message));
            }
        };
        self.disk(op, Purpose::ConfigRewrite(next));
    }

    /// Answers the rewrite's callers, logs as Redis does, and starts the next rewrite if
    /// callers wait for one.
    fn config_rewrite_finish(&mut self, result: Result<(), String>) {
        let reply = match &result {
            Ok(()) => {
                self.log(LogLevel::Notice, "CONFIG REWRITE executed with success.".into());
                Reply::Ok
            }
            Err(e) => {
                self.log(LogLevel::Warning, format!("CONFIG REWRITE failed: {e}"));
                Reply::Error(CmdError::Message(format!("ERR Rewriting config file: {e}").into()))
            }
        };
        let rewrite = &mut self.persist.config_rewrite;
        let callers = std::mem::replace(&mut rewrite.current, std::mem::take(&mut rewrite.next));
        for id in callers {
            self.reply_unblocked(id, &reply);
        }
        if let Some(path) = self.config.config_file.clone().filter(|_| !self.persist.config_rewrite.current.is_empty())
        {
            self.disk(DiskOp::Read { path }, Purpose::ConfigRewrite(Step::Read));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::node::testing::{Harness, MemDisk};
    use crate::node::{Action, DiskError};

    fn with_file(text: &str) -> Harness {
        let mut config = Config::default();
        // Set one at a time: `Config` has private fields, so no struct-update syntax here.
        (config.config_file, config.dir) = (Some("/etc/r.conf".into()), "/data".into());
        let mut disk = MemDisk::default();
        disk.files.insert("/etc/r.conf".into(), text.as_bytes().to_vec());
        Harness::with_config(config, disk)
    }

    #[test]
    fn rewrite_writes_a_temp_file_fsyncs_and_renames_before_answering() {
        // Proves the order of the disk requests (read, temp file, its fsync, the rename, the
        // directory's fsync), that the file then holds the new text, and that the caller's
        // pipelined PING waits for the rewrite's +OK.
        let mut h = with_file("# mine\nhz 10\n");
        let c = h.connect(1);
        assert_eq!(h.run(c, &["CONFIG", "SET", "hz", "20", "maxmemory", "2mb"]), "+OK\r\n");
        h.disk.log.clear();
        assert_eq!(h.request_all(c, &["CONFIG", "REWRITE"]).get(&c).map(String::as_str), Some("+OK\r\n"));
        let ops: Vec<String> =
            h.disk.log.iter().map(|op| op.split(' ').next().unwrap_or_default().to_string()).collect();
        assert_eq!(ops, ["Read", "Create", "Fsync", "Rename", "Fsync"]);
        let text = String::from_utf8(h.disk.files["/etc/r.conf"].clone()).unwrap();
        // `save` lines and the percentiles are always written, as in Redis.
        let appended = "maxmemory 2mb\ndir \"/data\"\nsave 3600 1\nsave 300 100\nsave 60 10000\n\
                        latency-tracking-info-percentiles 50 99 99.9\n";
        assert_eq!(text, format!("# mine\nhz 20\n\n# Generated by CONFIG REWRITE\n{appended}"));
        assert!(!h.disk.files.contains_key("/etc/r.conf.tmp"));
    }

    #[test]
    fn a_failed_write_answers_redis_error_and_keeps_the_old_file() {
        // Proves a failing step (the temp file's fsync here) answers Redis's error with the OS
        // text, removes the temp file, and leaves the configuration file untouched.
        let mut h = with_file("hz 10\n");
        let c = h.connect(1);
        h.run(c, &["CONFIG", "SET", "hz", "20"]);
        h.node.handle_input(h.now, c, b"*2\r\n$6\r\nCONFIG\r\n$7\r\nREWRITE\r\n*1\r\n$4\r\nPING\r\n");
        let mut sent = Vec::new();
        for _ in 0..16 {
            let Some(action) = h.node.poll_action() else { break };
            match action {
                Action::Disk { id, op: op @ DiskOp::Fsync { .. } } => {
                    assert_eq!(op.path(), "/etc/r.conf.tmp");
                    h.node.handle_disk(h.now, id, Err(DiskError::no_space()));
                }
                Action::Disk { id, op } => {
                    let result = h.disk.run(op);
                    h.node.handle_disk(h.now, id, result);
                }
                Action::Send { bytes, .. } => sent.extend(bytes),
                _ => {}
            }
        }
        assert_eq!(
            String::from_utf8(sent).unwrap(),
            "-ERR Rewriting config file: No space left on device\r\n+PONG\r\n"
        );
        assert_eq!(h.disk.files["/etc/r.conf"], b"hz 10\n");
        assert!(!h.disk.files.contains_key("/etc/r.conf.tmp"));
    }

    #[test]
    fn without_a_config_file_rewrite_is_refused() {
        // Proves Redis's error when the server was started without a file.
        let mut h = Harness::new();
        let c = h.connect(1);
        assert_eq!(h.run(c, &["CONFIG", "REWRITE"]), "-ERR The server is running without a config file\r\n");
    }

    #[test]
    fn temp_file_and_directory_sit_beside_the_config_file() {
        // Proves the rename stays in one directory (atomic) and the fsynced directory is it.
        assert_eq!(temp_path("/etc/redis/r.conf"), "/etc/redis/r.conf.tmp");
        assert_eq!(parent_dir("/etc/redis/r.conf"), "/etc/redis");
        assert_eq!(parent_dir("r.conf"), ".");
    }
}
