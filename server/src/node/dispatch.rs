//! From bytes to replies: the parse loop and `process_command`, which reads as Redis's policy —
//! a top-to-bottom list of admission checks, then execution.

use verdis_engine::aof::Propagation;
use verdis_engine::cmd::table::{lookup_sub, Handler};
use verdis_engine::{lookup, CmdError, Command, Ctx, Reply};

use super::{ClientId, Node};
use crate::resp::encode::{encode, push_error};

/// Redis's LRU clock: seconds, wrapped at 24 bits.
pub fn lru_clock(unix_ms: i64) -> u32 {
    ((unix_ms / 1000) as u32) & ((1 << 24) - 1)
}

impl Node {
    /// Parses and runs every complete request in the client's query buffer.
    pub(super) fn process_input(&mut self, id: ClientId) {
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
            match parser.parse(&buf[consumed..], bulk_len_max) {
                Ok(None) => break,
                Ok(Some(used)) => {
                    let argv = parser.args(&buf[consumed..]);
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
        self.blocked.is_blocked(id) || self.persist.is_waiting(id)
    }

    /// Finds the row for `argv`: the command, or for a container with arguments, its subcommand.
    /// `Err` carries Redis's unknown-command or unknown-subcommand error.
    fn resolve(argv: &[&[u8]]) -> Result<&'static Command, CmdError> {
        let base = lookup(argv[0]).ok_or_else(|| CmdError::unknown_command(argv))?;
        if argv.len() == 1 || base.spec.subcommands.is_empty() {
            return Ok(base);
        }
        lookup_sub(base, argv[1]).ok_or_else(|| CmdError::UnknownSubcommand {
            sub: verdis_engine::error::clip128(argv[1]),
            container: verdis_engine::error::ClientText(argv[0].to_ascii_uppercase()),
        })
    }

    /// Why the command may not run now, if it may not: Redis's `processCommand` checks, in
    /// Redis's order.
    fn admission_error(&self, cmd: &Command, argv: &[&[u8]]) -> Option<CmdError> {
        use verdis_engine::cmd::spec::CmdFlag;
        if !cmd.spec.arity_ok(argv.len()) {
            return Some(CmdError::WrongArity(cmd.spec.name.into()));
        }
        let is_write = cmd.spec.has(CmdFlag::Write);
        if is_write || cmd.spec.name == "ping" {
            if let Some(e) = self.disk_error_denies_writes() {
                return Some(e);
            }
        }
        if self.is_loading() && !cmd.spec.has(CmdFlag::Loading) {
            return Some(CmdError::msg("LOADING Redis is loading the dataset in memory"));
        }
        None
    }

    /// Runs one command for a client and appends its reply: Redis's `processCommand` + `call`.
    pub(super) fn process_command(&mut self, id: ClientId, argv: &[&[u8]]) {
        let resolved = Self::resolve(argv);
        let dirty_before = self.stats.dirty;
        // Like Redis, CLIENT LIST's `cmd` names the command even when it is refused, and NULL
        // when it is unknown.
        if let Some(c) = self.clients.get_mut(&id) {
            c.last_cmd = resolved.as_ref().map_or("NULL", |cmd| cmd.spec.name);
        }
        let reply = match resolved {
            Err(e) => Reply::Error(e),
            Ok(cmd) => {
                if let Some(refusal) = self.admission_error(cmd, argv) {
                    self.stats.command_counts.entry(cmd.spec.name).or_default().rejected_calls += 1;
                    Reply::Error(refusal)
                } else {
                    let start_us = (self.probe.clock_us)();
                    let reply = self.call(id, cmd, argv);
                    let duration_us = (self.probe.clock_us)().saturating_sub(start_us);
                    self.stats.total_commands_processed += 1;
                    let counts = self.stats.command_counts.entry(cmd.spec.name).or_default();
                    counts.calls += 1;
                    counts.usec += duration_us;
                    if self.info.latency_tracking {
                        counts.latency.record(duration_us * 1000);
                    }
                    counts.failed_calls += u64::from(matches!(reply, Reply::Error(_)));
                    reply
                }
            }
        };
        // A client parked by its command (a blocking pop, a SAVE) gets its reply later.
        if self.park_requested(id, argv) || self.persist.is_waiting(id) {
            return;
        }
        if let Reply::Error(e) = &reply {
            self.stats.count_error_reply(&e.to_string());
        }
        if let Some(client) = self.clients.get_mut(&id) {
            // CLIENT REPLY OFF/SKIP: the command ran, its reply is dropped.
            if !client.replies_suppressed() {
                encode(&reply, client.resp, &mut client.reply_buf);
            }
            client.end_command();
        }
        // Only a command that changed something can have made a list for a parked client.
        if self.stats.dirty != dirty_before {
            self.serve_blocked();
        }
    }

    /// Sends a command's effects to the AOF: keys it found expired (as DELs), then what the
    /// handler asked for or the command itself when it changed something, wrapped in
    /// MULTI/EXEC when that is more than one command (`verdis_engine::aof::Propagation`).
    pub(super) fn propagate(&mut self, db: usize, argv: &[&[u8]], dirty: u64, propagate: Option<Vec<Vec<Vec<u8>>>>) {
        // With no AOF (the default) nothing is copied: every write would otherwise pay for a
        // copy of its arguments.
        if !self.aof_takes_commands() {
            self.keyspace.expired_to_propagate.clear();
            return;
        }
        let mut unit = Propagation::new();
        unit.add_expired(&mut self.keyspace);
        unit.add_command(db, argv, propagate, dirty);
        if !unit.is_empty() {
            self.feed_aof(&unit.finish());
        }
    }

    /// Runs a command with no client, as Redis's fake AOF client does: engine commands in `db`,
    /// and SELECT changing `db`. Nothing is counted or propagated.
    pub(super) fn run_internal(&mut self, db: &mut usize, argv: &[&[u8]]) -> Result<(), String> {
        let name = String::from_utf8_lossy(argv[0]).into_owned();
        let cmd = Self::resolve(argv).map_err(|_| format!("Unknown command '{name}'"))?;
        if !cmd.spec.arity_ok(argv.len()) {
            return Err(format!("Wrong number of arguments for '{name}'"));
        }
        match cmd.handler {
            Handler::Engine(f) => {
                let mut ctx = self.engine_ctx(*db, 2);
                // A command that fails here failed when it first ran too (Redis logs nothing).
                let _ = f(&mut ctx, argv);
                // Loading propagates nothing.
                self.keyspace.expired_to_propagate.clear();
                Ok(())
            }
            Handler::Node(verdis_engine::cmd::node::NodeCmd::Select) => {
                let index = std::str::from_utf8(argv[1]).ok().and_then(|t| t.parse::<usize>().ok());
                match index {
                    Some(i) if i < self.keyspace.dbs.len() => {
                        *db = i;
                        Ok(())
                    }
                    _ => Err("Invalid SELECT".into()),
                }
            }
            _ => Err(format!("Unexpected command '{name}'")),
        }
    }

    /// The engine's context for a command run in `db` for a client speaking `resp`.
    pub(super) fn engine_ctx(&mut self, db: usize, resp: u8) -> Ctx<'_> {
        Ctx {
            keyspace: &mut self.keyspace,
            db,
            now_us: self.now.unix_us,
            rng: &mut self.rng,
            resp,
            config: &self.config.engine,
            lru_clock: lru_clock(self.now.unix_ms()),
            dirty: 0,
            block_on: None,
            propagate: None,
        }
    }

    /// Executes a resolved, admitted command.
    fn call(&mut self, id: ClientId, cmd: &'static Command, argv: &[&[u8]]) -> Reply {
        match cmd.handler {
            Handler::Engine(f) => {
                let client = self.clients.get(&id).expect("caller checked the client");
                let db = client.db;
                let mut ctx = self.engine_ctx(db, client.resp);
                let reply = f(&mut ctx, argv).unwrap_or_else(Reply::Error);
                let (dirty, block_on, propagate) = (ctx.dirty, ctx.block_on.take(), ctx.propagate.take());
                self.stats.dirty += dirty;
                self.blocked.request = block_on;
                self.propagate(db, argv, dirty, propagate);
                reply
            }
            Handler::Node(node_cmd) => self.exec_node(node_cmd, id, argv).unwrap_or_else(Reply::Error),
            Handler::Container => {
                unreachable!("a container with arguments resolves to a subcommand, without them fails arity")
            }
        }
    }
}
