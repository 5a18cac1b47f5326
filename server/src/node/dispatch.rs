//! From bytes to replies: the parse loop and `process_command`, which reads as Redis's policy —
//! a top-to-bottom list of admission checks, then execution.

use verdis_engine::cmd::node::NodeCmd;
use verdis_engine::cmd::table::{lookup_sub, Handler};
use verdis_engine::{CmdError, Command, Reply};

use crate::config::CommandRenames;

use super::exec::{Caller, Effects};
use super::{ClientId, Node};
use crate::resp::decode::ParseLimits;
use crate::resp::encode::{encode, push_error};

/// Redis's LRU clock: seconds, wrapped at 24 bits.
pub fn lru_clock(unix_ms: i64) -> u32 {
    ((unix_ms / 1000) as u32) & ((1 << 24) - 1)
}

impl Node {
    /// Parses and runs every complete request in the client's query buffer.
    pub(super) fn process_input(&mut self, id: ClientId) {
        // Redis's `authRequired` is checked per request: an AUTH in the pipeline lifts the
        // unauthenticated limits for the requests after it.
        let bulk_len_max = self.config.engine.proto_max_bulk_len;
        // A parked client's input waits until it is unblocked (Redis's CLIENT_BLOCKED), and a
        // client waiting for a save until it is done.
        if self.input_paused(id) {
            return;
        }
        let Some(client) = self.clients.get_mut(&id) else { return };
        let mut buf = std::mem::take(&mut client.query_buf);
        let mut parser = std::mem::take(&mut client.parser);
        let mut consumed = 0;
        loop {
            let limits = ParseLimits { bulk_len_max, unauthenticated: self.auth_required(id) };
            match parser.parse(&buf[consumed..], limits) {
                Ok(None) => break,
                Ok(Some(used)) => {
                    let argv = parser.args(&buf[consumed..]);
                    // A command CLIENT PAUSE covers waits, unparsed, for the pause to end.
                    let paused = self.pause.active() && !argv.is_empty();
                    if paused && self.resolve(&argv).is_ok_and(|cmd| self.pause_postpones(id, cmd, &argv)) {
                        parser.reset();
                        break;
                    }
                    if !argv.is_empty() {
                        self.process_command(id, &argv);
                    }
                    parser.reset();
                    consumed += used;
                    match self.clients.get(&id) {
                        None => return,
                        Some(c) if c.close_after_reply => break,
                        Some(_) if self.input_paused(id) => break,
                        Some(_) => {}
                    }
                }
                Err(e) => {
                    let client = self.clients.get_mut(&id).expect("present");
                    // addReplyError adds the code: the wire says `-ERR Protocol error: ...`.
                    let text = format!("ERR {e}");
                    push_error(&mut client.reply_buf, text.as_bytes());
                    client.close_after_reply = true;
                    self.pending_output.insert(id);
                    self.stats.count_error_reply(&text);
                    let addr = client.addr.clone();
                    self.log(
                        super::LogLevel::Verbose,
                        format!("Protocol error ({e}) from client: id={id} addr={addr}"),
                    );
                    break;
                }
            }
        }
        if let Some(client) = self.clients.get_mut(&id) {
            buf.drain(..consumed);
            client.query_buf = buf;
            client.parser = parser;
        }
    }

    /// True while the client's next command must wait (blocked, or waiting for a save).
    fn input_paused(&self, id: ClientId) -> bool {
        self.blocked.is_blocked(id) || self.persist.is_waiting(id) || self.pause.is_postponed(id)
    }

    /// Finds the row for `argv`: the command (by the name clients use, after `rename-command`),
    /// or for a container with arguments, its subcommand. `Err` carries Redis's unknown-command
    /// or unknown-subcommand error. Every command lookup of the node comes here.
    pub(super) fn resolve(&self, argv: &[&[u8]]) -> Result<&'static Command, CmdError> {
        resolve_with(&self.config.rename_commands, argv)
    }

    /// Why the command may not run now, if it may not: Redis's `processCommand` checks, in
    /// Redis's order. (A `no-multi` command in MULTI is refused when it is queued.)
    fn admission_error(&self, id: ClientId, cmd: &Command, argv: &[&[u8]]) -> Option<CmdError> {
        use verdis_engine::cmd::spec::CmdFlag;
        if !cmd.spec.arity_ok(argv.len()) {
            return Some(CmdError::WrongArity(cmd.spec.name.into()));
        }
        if self.auth_required(id) && !cmd.spec.has(CmdFlag::NoAuth) {
            return Some(CmdError::msg(super::auth::NOAUTH));
        }
        // EXEC is as much a write as the commands it runs.
        let queued_write = cmd.spec.name == "exec"
            && self.clients.get(&id).and_then(|c| c.multi.as_ref()).is_some_and(|q| q.has_write());
        let is_write = cmd.spec.has(CmdFlag::Write) || queued_write;
        // A script that declared flags without `no-writes` is a write here too (Redis's
        // `evalGetCommandFlags`), so MISCONF refuses it before it runs.
        if let Some(e) = self.disk_error_denies_writes() {
            let script_write = || self.eval_admission_flags(cmd, argv).is_some_and(|(write, _)| write);
            if is_write || cmd.spec.name == "ping" || script_write() {
                return Some(e);
            }
        }
        // A monitor is a replica to Redis: it may not touch the keyspace.
        let is_monitor = self.clients.get(&id).is_some_and(|c| c.monitor);
        let touches_keyspace = is_write || cmd.spec.has(CmdFlag::Readonly) || cmd.spec.has(CmdFlag::MayReplicate);
        if is_monitor && touches_keyspace {
            return Some(CmdError::msg("ERR Replica can't interact with the keyspace"));
        }
        if let Some(e) = self.pubsub_mode_refusal(id, cmd) {
            return Some(e);
        }
        if self.is_loading() && !cmd.spec.has(CmdFlag::Loading) {
            return Some(CmdError::msg("LOADING Redis is loading the dataset in memory"));
        }
        None
    }

    /// Runs one command for a client and queues its reply: Redis's `processCommand` + `call`.
    pub(super) fn process_command(&mut self, id: ClientId, argv: &[&[u8]]) {
        let resolved = self.resolve(argv);
        // Like Redis, CLIENT LIST's `cmd` names the command even when it is refused, and NULL
        // when it is unknown.
        if let Some(c) = self.clients.get_mut(&id) {
            c.last_cmd = resolved.as_ref().map_or("NULL", |cmd| cmd.spec.name);
        }
        let cmd = match resolved {
            Err(e) => {
                // A refused command aborts an open transaction (Redis's `rejectCommand`).
                self.flag_transaction(id);
                return self.reply_command(id, &Reply::Error(e), true);
            }
            Ok(cmd) => cmd,
        };
        if let Some(refusal) = self.admission_error(id, cmd, argv) {
            self.stats.command_counts.entry(cmd.spec.name).or_default().rejected_calls += 1;
            self.flag_transaction(id);
            let refusal = if cmd.spec.name == "exec" {
                // Redis's `execCommandAbort`, for any refused EXEC (in MULTI or not): the
                // transaction and the watches go, the reason is named.
                self.discard_transaction(id);
                // Redis formats its own refusals without the ERR code (shared ones, MISCONF and
                // LOADING, keep theirs).
                let text = refusal.to_string();
                let reason = text.strip_prefix("ERR ").unwrap_or(&text);
                CmdError::Message(format!("EXECABORT Transaction discarded because of: {reason}").into())
            } else {
                refusal
            };
            return self.reply_command(id, &Reply::Error(refusal), true);
        }
        if self.in_multi(id) && Self::queues(cmd) {
            let reply = self.queue_command(id, cmd, argv);
            return self.reply_command(id, &reply, true);
        }
        let caller = Caller::Client(id);
        let start_us = self.now.stopwatch.read_us();
        let (reply, mut effects) = self.execute(caller, cmd, argv);
        let duration_us = self.command_duration_us(start_us, 0);
        // The call unit is over: the sleeps it asked for are counted.
        self.command_sleep_us = 0;
        self.stats.total_commands_processed += 1;
        let block_on = effects.block_on.take();
        self.count_call(cmd, &reply, duration_us, block_on.is_some());
        self.observe_call(id, cmd, argv, duration_us, block_on.is_some());
        self.tracking_after_command(id, cmd, argv);
        let count_error = !effects.reply_error_counted;
        self.commit(caller, effects);
        self.handle_ready_keys();
        // A client parked by its command (a blocking pop, a SAVE) gets its reply later.
        if let Some(request) = block_on {
            self.park(id, argv, request);
        } else if !self.persist.is_waiting(id) {
            self.reply_command(id, &reply, count_error);
        }
        self.publish_events_after_reply(id);
        self.feed_monitors(id, cmd, argv);
    }

    /// Counts a call of `cmd` that answered `reply` in `duration_us` (INFO commandstats and
    /// latencystats). A call that `blocked` its client enters the latency histogram when it is
    /// served (`count_served`), as in Redis 7.0.15; one that times out never does.
    pub(super) fn count_call(&mut self, cmd: &Command, reply: &Reply, duration_us: u64, blocked: bool) {
        let counts = self.stats.command_counts.entry(cmd.spec.name).or_default();
        counts.calls += 1;
        counts.usec += duration_us;
        if self.info.latency_tracking && !blocked {
            counts.latency.record(duration_us * 1000);
        }
        counts.failed_calls += u64::from(matches!(reply, Reply::Error(_)));
    }

    /// Counts the serving of a blocked client's command `argv`, which took `duration_us`
    /// (Redis's `updateStatsOnUnblock`): its time and latency, and its slow log entry.
    pub(super) fn count_served(&mut self, id: ClientId, argv: &[&[u8]], duration_us: u64) {
        let Ok(cmd) = self.resolve(argv) else { return };
        let counts = self.stats.command_counts.entry(cmd.spec.name).or_default();
        counts.usec += duration_us;
        if self.info.latency_tracking {
            counts.latency.record(duration_us * 1000);
        }
        self.slowlog_offer(id, cmd, argv, duration_us);
        self.latency_event("command-unblocking", duration_us);
    }

    /// Feeds a call of `cmd` by client `id` that took `duration_us` to the observers (Redis's
    /// epilogue of `call()`): its latency event, and its slow log entry unless it `blocked` (it
    /// is logged when served).
    pub(super) fn observe_call(
        &mut self,
        id: ClientId,
        cmd: &Command,
        argv: &[&[u8]],
        duration_us: u64,
        blocked: bool,
    ) {
        use verdis_engine::cmd::spec::CmdFlag;
        let event = if cmd.spec.has(CmdFlag::Fast) { "fast-command" } else { "command" };
        self.latency_event(event, duration_us);
        if !blocked {
            self.slowlog_offer(id, cmd, argv, duration_us);
        }
    }

    /// How long the command started at stopwatch reading `start_us`, when the call unit had
    /// asked for `sleep_before_us` of sleep, took: its run plus the sleep it asked for (see
    /// `Node::command_sleep_us`). EXEC's commands leave their sleeps counted, so EXEC's own
    /// time includes them, as in Redis.
    pub(super) fn command_duration_us(&self, start_us: u64, sleep_before_us: u64) -> u64 {
        let ran_us = self.now.stopwatch.read_us().saturating_sub(start_us);
        ran_us.saturating_add(self.command_sleep_us.saturating_sub(sleep_before_us))
    }

    /// Records that `event` took `duration_us`, if the latency monitor wants it.
    pub(super) fn latency_event(&mut self, event: &'static str, duration_us: u64) {
        let now_s = self.now.unix_us.div_euclid(1_000_000);
        self.latency_monitor.add_if_needed(event, duration_us / 1000, self.config.latency_monitor_threshold_ms, now_s);
    }

    /// Offers client `id`'s call of `cmd` to the slow log, unless the command is `skip_slowlog`.
    fn slowlog_offer(&mut self, id: ClientId, cmd: &Command, argv: &[&[u8]], duration_us: u64) {
        use verdis_engine::cmd::spec::CmdFlag;
        // Most calls are faster than the threshold: they leave before the client lookup.
        let slower_than = self.config.slowlog_log_slower_than;
        if cmd.spec.has(CmdFlag::SkipSlowlog) || slower_than < 0 || i128::from(duration_us) < i128::from(slower_than) {
            return;
        }
        let Some(client) = self.clients.get(&id) else { return };
        let offer = super::slowlog::Offer {
            name: cmd.spec.name,
            argv,
            duration_us,
            time_s: self.now.unix_us.div_euclid(1_000_000),
            addr: &client.addr,
            client_name: client.name.as_deref().unwrap_or_default(),
        };
        self.slowlog.offer(&offer, self.config.slowlog_log_slower_than, self.config.slowlog_max_len);
    }

    /// Queues the reply to the command `id` just ran (unless CLIENT REPLY suppresses it) and
    /// ends the command; an error reply is counted in INFO errorstats when `count_error`.
    fn reply_command(&mut self, id: ClientId, reply: &Reply, count_error: bool) {
        if let Reply::Error(e) = reply {
            if count_error {
                self.stats.count_error_reply(&e.to_string());
            }
        }
        if let Some(client) = self.clients.get_mut(&id) {
            // CLIENT REPLY OFF/SKIP: the command ran, its reply is dropped. A reply pushed as it
            // ran (SUBSCRIBE) is out already.
            if !std::mem::take(&mut client.reply_pushed) && !client.replies_suppressed() {
                encode(reply, client.resp, &mut client.reply_buf);
                self.pending_output.insert(id);
            }
            client.end_command();
        }
        self.publish_events_after_reply(id);
        self.tracking_send_deferred(id);
    }

    /// Runs a command read from the AOF, as Redis's fake client does: engine commands in `db`
    /// through the one execution path, and SELECT changing `db`. Nothing is counted or
    /// propagated.
    pub(super) fn run_loaded(&mut self, db: &mut usize, argv: &[&[u8]]) -> Result<(), String> {
        let name = String::from_utf8_lossy(argv[0]).into_owned();
        let cmd = self.resolve(argv).map_err(|_| format!("Unknown command '{name}'"))?;
        if !cmd.spec.arity_ok(argv.len()) {
            return Err(format!("Wrong number of arguments for '{name}'"));
        }
        match cmd.handler {
            Handler::Engine(_) => {
                let caller = Caller::Loader { db: *db };
                // A command that fails here failed when it first ran too (Redis logs nothing).
                let (_, effects) = self.execute(caller, cmd, argv);
                self.commit(caller, effects);
                Ok(())
            }
            Handler::Node(NodeCmd::Select) => {
                let index = std::str::from_utf8(argv[1]).ok().and_then(|t| t.parse::<usize>().ok());
                match index {
                    Some(i) if i < self.keyspace.dbs.len() => {
                        *db = i;
                        Ok(())
                    }
                    _ => Err("Invalid SELECT".into()),
                }
            }
            // The library changes the AOF holds (Redis propagates them as they were called).
            Handler::Node(
                node_cmd @ (NodeCmd::FunctionLoad
                | NodeCmd::FunctionDelete
                | NodeCmd::FunctionFlush
                | NodeCmd::FunctionRestore),
            ) => {
                let mut effects = Effects::default();
                // A command that fails here failed when it first ran too.
                let _ = self.exec_function(node_cmd, None, argv, &mut effects);
                Ok(())
            }
            _ => Err(format!("Unexpected command '{name}'")),
        }
    }
}

/// `Node::resolve` with the renames given: for callers that hold no node (the Lua state's
/// `redis.acl_check_cmd`).
pub(crate) fn resolve_with(renames: &CommandRenames, argv: &[&[u8]]) -> Result<&'static Command, CmdError> {
    let base = renames.lookup(argv[0]).ok_or_else(|| CmdError::unknown_command(argv))?;
    if argv.len() == 1 || base.spec.subcommands.is_empty() {
        return Ok(base);
    }
    lookup_sub(base, argv[1]).ok_or_else(|| CmdError::UnknownSubcommand {
        sub: verdis_engine::error::clip128(argv[1]),
        container: verdis_engine::error::ClientText(argv[0].to_ascii_uppercase()),
    })
}
