//! From bytes to replies: the parse loop and `process_command`, which reads as Redis's policy —
//! a top-to-bottom list of admission checks, then execution.

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
        // A parked client's input waits until it is unblocked (Redis's CLIENT_BLOCKED).
        if self.blocked.is_blocked(id) {
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
                        Some(_) if self.blocked.is_blocked(id) => break,
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
                if !cmd.spec.arity_ok(argv.len()) {
                    self.stats.command_counts.entry(cmd.spec.name).or_default().rejected_calls += 1;
                    Reply::Error(CmdError::WrongArity(cmd.spec.name.into()))
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
        if self.park_requested(id, argv) {
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
                let mut ctx = self.engine_ctx(client.db, client.resp);
                let reply = f(&mut ctx, argv).unwrap_or_else(Reply::Error);
                let (dirty, block_on) = (ctx.dirty, ctx.block_on.take());
                self.stats.dirty += dirty;
                self.blocked.request = block_on;
                reply
            }
            Handler::Node(node_cmd) => self.exec_node(node_cmd, id, argv).unwrap_or_else(Reply::Error),
            Handler::Container => {
                unreachable!("a container with arguments resolves to a subcommand, without them fails arity")
            }
        }
    }
}
