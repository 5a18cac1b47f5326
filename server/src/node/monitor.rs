//! MONITOR: clients that see every command the server runs (Redis's `replicationFeedMonitors`).
//!
//! A command is fed after it ran (so SELECT shows its new database), with the time of the input,
//! the database, the caller's address and each argument quoted as `sdscatrepr` quotes it; AUTH's
//! arguments and HELLO's AUTH credentials show as `(redacted)`. Admin commands and those flagged
//! `skip_monitor` are never shown, refused commands neither; a transaction's commands show when
//! EXEC runs them. A monitor client may not touch the keyspace (Redis treats it as a replica).

use verdis_engine::cmd::args::eq_ci;
use verdis_engine::cmd::spec::CmdFlag;
use verdis_engine::sds::repr;
use verdis_engine::{CmdError, Command, Reply};

use super::{ClientId, Node};

impl Node {
    /// MONITOR: the caller becomes a monitor. Inside EXEC it is refused; a client already
    /// monitoring gets no reply at all, as in Redis.
    pub(super) fn monitor_command(&mut self, id: ClientId) -> Result<Reply, CmdError> {
        if self.in_exec {
            return Err(CmdError::msg("ERR MONITOR isn't allowed for DENY BLOCKING client"));
        }
        let client = self.clients.get_mut(&id).expect("connected");
        if client.monitor {
            client.reply_skip = true;
            return Ok(Reply::Ok);
        }
        client.monitor = true;
        self.monitors.insert(id);
        Ok(Reply::Ok)
    }

    /// Stops `id` monitoring (RESET, teardown).
    pub(super) fn monitor_off(&mut self, id: ClientId) {
        if self.monitors.remove(&id) {
            if let Some(client) = self.clients.get_mut(&id) {
                client.monitor = false;
            }
        }
    }

    /// Shows `argv`, which `id` just ran, to every monitor.
    pub(super) fn feed_monitors(&mut self, id: ClientId, cmd: &Command, argv: &[&[u8]]) {
        if self.monitors.is_empty() || cmd.spec.has(CmdFlag::SkipMonitor) || cmd.spec.has(CmdFlag::Admin) {
            return;
        }
        self.feed_monitors_eval(id, argv);
    }

    /// Shows EVAL (and its kin) to every monitor before its script runs, as Redis feeds it
    /// itself so that the script's commands follow it (the command is `skip-monitor` otherwise).
    pub(super) fn feed_monitors_eval(&mut self, id: ClientId, argv: &[&[u8]]) {
        if self.monitors.is_empty() {
            return;
        }
        let Some(client) = self.clients.get(&id) else { return };
        let line = monitor_line(self.now.unix_us, client.db, &client.addr, argv);
        self.send_monitor_line(&line);
    }

    /// Shows a command a script ran, as `[db lua]`.
    pub(super) fn feed_monitors_from_script(&mut self, cmd: &Command, argv: &[&[u8]]) {
        if self.monitors.is_empty() || cmd.spec.has(CmdFlag::SkipMonitor) || cmd.spec.has(CmdFlag::Admin) {
            return;
        }
        let (db, _) = self.scripts.caller_context();
        let line = monitor_line(self.now.unix_us, db, "lua", argv);
        self.send_monitor_line(&line);
    }

    /// Queues `line` to every monitor.
    fn send_monitor_line(&mut self, line: &str) {
        for &monitor in &self.monitors {
            if let Some(m) = self.clients.get_mut(&monitor) {
                m.reply_buf.extend_from_slice(line.as_bytes());
                self.pending_output.insert(monitor);
            }
        }
    }
}

/// Which arguments of `argv` MONITOR hides: all of AUTH's, and the two after HELLO's AUTH
/// (Redis's `redactClientCommandArgument` calls).
fn redacted(argv: &[&[u8]], index: usize) -> bool {
    if eq_ci(argv[0], "auth") {
        return index > 0;
    }
    if eq_ci(argv[0], "hello") {
        return argv.iter().enumerate().any(|(i, a)| i >= 2 && eq_ci(a, "auth") && (index == i + 1 || index == i + 2));
    }
    false
}

/// One MONITOR line: `+<sec>.<usec> [<db> <addr>] "arg" ...\r\n`.
fn monitor_line(unix_us: i64, db: usize, addr: &str, argv: &[&[u8]]) -> String {
    let mut line = format!("+{}.{:06} [{} {}]", unix_us.div_euclid(1_000_000), unix_us.rem_euclid(1_000_000), db, addr);
    for (i, arg) in argv.iter().enumerate() {
        line.push(' ');
        if redacted(argv, i) {
            line.push_str("\"(redacted)\"");
        } else {
            line.push_str(&repr(arg));
        }
    }
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_quote_and_redact_as_redis() {
        // Proves the line format Redis 7.0.15 printed for the same commands: microseconds padded,
        // arguments quoted with escapes, AUTH and HELLO AUTH credentials redacted.
        let set: &[&[u8]] = &[b"SET", b"k", b"v v\"\x01"];
        assert_eq!(
            monitor_line(1_796_676_274_396_373, 0, "127.0.0.1:59978", set),
            "+1796676274.396373 [0 127.0.0.1:59978] \"SET\" \"k\" \"v v\\\"\\x01\"\r\n"
        );
        let auth: &[&[u8]] = &[b"AUTH", b"pw"];
        assert_eq!(monitor_line(1_000_005, 3, "a:1", auth), "+1.000005 [3 a:1] \"AUTH\" \"(redacted)\"\r\n");
        let hello: &[&[u8]] = &[b"HELLO", b"2", b"AUTH", b"default", b"pw"];
        assert_eq!(
            monitor_line(1_000_000, 3, "a:1", hello),
            "+1.000000 [3 a:1] \"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\"\r\n"
        );
    }
}
