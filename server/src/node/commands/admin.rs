//! Configuration and server control: CONFIG GET|SET|RESETSTAT|HELP, DEBUG, SHUTDOWN.
//!
//! - `CONFIG GET pattern [pattern ...]`: a map of matching options (RESP3 `%`). Redis returns its
//!   matches in hash order; verdis returns table order (the same set, deterministically).
//! - `CONFIG SET name value [name value ...]`: all or nothing, Redis's error texts
//!   (`config::Config::set_many`).
//! - `CONFIG REWRITE`: the configuration file rewritten as Redis does (`config::Config::rewrite`),
//!   through disk requests (`persist::config_rewrite`); the caller waits for the rename.
//! - `CONFIG RESETSTAT`: zeroes what Redis's `resetServerStats`, `resetCommandTableStats` and
//!   `resetErrorTableStats` zero; `dirty` (changes since the last save) is not a statistic.
//! - `DEBUG DIGEST | DIGEST-VALUE key... | PROTOCOL type | SLEEP seconds | SET-ACTIVE-EXPIRE 0|1 |
//!   ERROR string | LOG message | RELOAD | HELP`, gated by `enable-debug-command`. DIGEST uses
//!   Redis's algorithm (`verdis_engine::digest`). Deliberate difference: the other DEBUG
//!   subcommands (OBJECT, POPULATE...) are not implemented yet and answer as unknown
//!   subcommands do, and DEBUG HELP lists only what is implemented.
//! - `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`: the process exits 0. Until persistence
//!   arrives there is no final save, and with no replicas there is nothing to wait for, so NOW and
//!   FORCE change nothing yet and a shutdown never stays "in progress" (ABORT always errors).

use verdis_engine::cmd::args::eq_ci;
use verdis_engine::cmd::effects::Touch;
use verdis_engine::cmd::node::NodeCmd;
use verdis_engine::digest::{dataset_digest, hex, key_value_digest};
use verdis_engine::error::clip128;
use verdis_engine::value::{Object, StrValue, Value};
use verdis_engine::{CmdError, Reply};

use super::super::exec::Effects;
use super::super::{Action, ClientId, LogLevel, Node, ServerStats};
use crate::resp::encode::encode;

/// CONFIG HELP's lines (the intro and HELP entry come from `Reply::help`).
const CONFIG_HELP: &[&str] = &[
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
];

/// DEBUG HELP's lines for the subcommands verdis implements, in Redis's words and order.
const DEBUG_HELP: &[&str] = &[
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
];

/// Longest key name DEBUG POPULATE makes (Redis's 128-byte buffer, less its NUL).
const POPULATE_NAME_BYTES_MAX: usize = 127;

/// Redis's refusal when `enable-debug-command` does not allow the client.
const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

/// SHUTDOWN's options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ShutdownFlags {
    nosave: bool,
    save: bool,
    now: bool,
    force: bool,
    abort: bool,
}

impl ShutdownFlags {
    /// Parses the options as Redis's `shutdownCommand` does: any order, repeats allowed; ABORT
    /// with anything else, or SAVE with NOSAVE, is a syntax error.
    fn parse(args: &[&[u8]]) -> Result<ShutdownFlags, CmdError> {
        let mut f = ShutdownFlags::default();
        for arg in args {
            match () {
                _ if eq_ci(arg, "nosave") => f.nosave = true,
                _ if eq_ci(arg, "save") => f.save = true,
                _ if eq_ci(arg, "now") => f.now = true,
                _ if eq_ci(arg, "force") => f.force = true,
                _ if eq_ci(arg, "abort") => f.abort = true,
                _ => return Err(CmdError::Syntax),
            }
        }
        let any_flag = f.nosave || f.save || f.now || f.force;
        if (f.abort && any_flag) || (f.nosave && f.save) {
            return Err(CmdError::Syntax);
        }
        Ok(f)
    }
}

impl Node {
    /// Runs an admin command (CONFIG *, DEBUG, SHUTDOWN).
    pub(super) fn exec_admin(
        &mut self,
        cmd: NodeCmd,
        id: ClientId,
        argv: &[&[u8]],
        effects: &mut Effects,
    ) -> Result<Reply, CmdError> {
        match cmd {
            NodeCmd::ConfigGet => Ok(self.config_get(&argv[2..])),
            NodeCmd::ConfigSet => self.config_set(id, &argv[2..]),
            NodeCmd::ConfigResetstat => {
                self.reset_stats();
                Ok(Reply::Ok)
            }
            NodeCmd::ConfigHelp => Ok(Reply::help(argv[0], CONFIG_HELP)),
            NodeCmd::ConfigRewrite => self.config_rewrite_command(id).unwrap_or(Ok(Reply::Ok)),
            NodeCmd::Debug => self.debug(id, argv, effects),
            NodeCmd::Shutdown => self.shutdown_command(id, argv),
            NodeCmd::Save => self.save_command(id).unwrap_or(Ok(Reply::Ok)),
            NodeCmd::Bgsave => match argv.get(1) {
                None => self.bgsave_command(false),
                Some(a) if argv.len() == 2 && eq_ci(a, "schedule") => self.bgsave_command(true),
                Some(_) => Err(CmdError::Syntax),
            },
            NodeCmd::Lastsave => Ok(Reply::Int(self.lastsave())),
            NodeCmd::Bgrewriteaof => self.bgrewriteaof().map(Reply::simple),
            other => unreachable!("exec_node routes only admin commands here, not {other:?}"),
        }
    }

    /// CONFIG GET pattern [pattern ...]
    fn config_get(&self, patterns: &[&[u8]]) -> Reply {
        let pairs = self.config.get_matching(patterns);
        Reply::Map(pairs.into_iter().map(|(k, v)| (Reply::Bulk(k.into_bytes()), Reply::Bulk(v.into_bytes()))).collect())
    }

    /// CONFIG SET name value [name value ...]
    fn config_set(&mut self, id: ClientId, args: &[&[u8]]) -> Result<Reply, CmdError> {
        if !args.len().is_multiple_of(2) {
            return Err(CmdError::Syntax);
        }
        let addr = self.clients.get(&id).map(|c| c.addr.as_str()).unwrap_or_default();
        let protected_ok = self.config.enable_protected_configs.allows(addr);
        let pairs: Vec<(&[u8], &[u8])> = args.chunks(2).map(|p| (p[0], p[1])).collect();
        let aof_before = self.config.appendonly;
        let mut next = self.config.clone();
        let warnings = next.set_many(&pairs, protected_ok).map_err(|e| CmdError::Message(e.to_string().into()))?;
        // Redis reconfigures its TLS context when a TLS option changes, and keeps the old
        // settings when the new ones do not load.
        let tls_changed = pairs.iter().find(|(name, _)| {
            let name = String::from_utf8_lossy(name);
            name.to_ascii_lowercase().starts_with("tls-") && next.get_by_name(&name) != self.config.get_by_name(&name)
        });
        if let Some((name, _)) = tls_changed {
            let name = String::from_utf8_lossy(name).into_owned();
            if let Err(reason) = (self.tls_check)(&next) {
                self.log(LogLevel::Warning, reason);
                self.log(
                    LogLevel::Warning,
                    format!("Failed applying new configuration. Possibly related to new {name} setting. Restoring previous settings."),
                );
                let text = format!(
                    "ERR CONFIG SET failed (possibly related to argument '{name}') - Unable to update TLS configuration. Check server logs."
                );
                return Err(CmdError::Message(text.into()));
            }
        }
        self.config = next;
        for warning in warnings {
            self.log(LogLevel::Warning, warning);
        }
        if self.config.appendonly != aof_before {
            self.aof_set_enabled(self.config.appendonly);
        }
        Ok(Reply::Ok)
    }

    /// CONFIG RESETSTAT: what Redis's `resetServerStats`, `resetCommandTableStats` and
    /// `resetErrorTableStats` zero — the stats counters, commandstats, errorstats and the
    /// latency histograms, the expire cycle's figures, the save and rewrite counts and the
    /// instantaneous rates. The slow log and the latency monitor's events stay, as in Redis.
    fn reset_stats(&mut self) {
        // Rebuilding from Default resets every counter, including ones added later; `dirty`
        // counts unsaved changes, which RESETSTAT must not forget.
        self.stats = ServerStats { dirty: self.stats.dirty, ..ServerStats::default() };
        self.keyspace.stats = Default::default();
        let expire = &mut self.keyspace.active_expire;
        expire.stale_fraction = 0.0;
        expire.budget_reached_count = 0;
        self.persist.rdb.saves = 0;
        self.persist.aof.rewrites = 0;
        self.persist.aof.rewrite_failures_in_a_row = 0;
        self.info.reset_metrics(self.now.mono_us / 1000);
    }

    /// DEBUG subcommand [args...]
    fn debug(&mut self, id: ClientId, argv: &[&[u8]], effects: &mut Effects) -> Result<Reply, CmdError> {
        let addr = self.clients.get(&id).map(|c| c.addr.as_str()).unwrap_or_default();
        if !self.config.enable_debug_command.allows(addr) {
            return Err(CmdError::msg(DEBUG_NOT_ALLOWED));
        }
        let sub = argv[1];
        match argv.len() {
            2 if eq_ci(sub, "help") => Ok(Reply::help(argv[0], DEBUG_HELP)),
            3 if eq_ci(sub, "sleep") => {
                // Redis: strtod, then whole microseconds; a negative time makes nanosleep fail,
                // so nothing happens.
                let micros = (c_strtod(argv[2]) * 1_000_000.0) as i64;
                if micros > 0 {
                    self.actions.push_back(Action::Pause { duration_us: micros as u64 });
                    self.command_sleep_us = self.command_sleep_us.saturating_add(micros as u64);
                }
                Ok(Reply::Ok)
            }
            3 if eq_ci(sub, "error") => {
                // The argument is the whole error line (no `ERR ` added), newlines blanked.
                let text: String = String::from_utf8_lossy(argv[2])
                    .chars()
                    .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
                    .collect();
                Err(CmdError::Message(text.into()))
            }
            3 if eq_ci(sub, "log") => {
                self.log(LogLevel::Warning, format!("DEBUG LOG: {}", String::from_utf8_lossy(argv[2])));
                Ok(Reply::Ok)
            }
            2 if eq_ci(sub, "digest") => Ok(Reply::Simple(hex(&dataset_digest(&self.keyspace)).into())),
            _ if eq_ci(sub, "digest-value") => {
                let db = &self.keyspace.dbs[self.clients.get(&id).map_or(0, |c| c.db)];
                Ok(Reply::Array(
                    argv[2..].iter().map(|k| Reply::Simple(hex(&key_value_digest(db, k)).into())).collect(),
                ))
            }
            3 if eq_ci(sub, "protocol") => self.debug_protocol(id, argv[2]),
            2 if eq_ci(sub, "change-repl-id") => {
                self.log(LogLevel::Warning, "Changing replication IDs after receiving DEBUG change-repl-id".into());
                self.info.change_replication_id(&mut self.rng);
                Ok(Reply::Ok)
            }
            3 if eq_ci(sub, "pause-cron") => {
                self.cron_paused = c_atoi(argv[2]) != 0;
                Ok(Reply::Ok)
            }
            3..=5 if eq_ci(sub, "populate") => self.debug_populate(id, &argv[2..], effects),
            2 if eq_ci(sub, "reload") => Ok(self.debug_reload(id).unwrap_or(Ok(Reply::Ok))?),
            3 if eq_ci(sub, "set-active-expire") => {
                self.config.engine.active_expire_enabled = c_atoi(argv[2]) != 0;
                Ok(Reply::Ok)
            }
            _ => Err(CmdError::SubcommandSyntax {
                sub: clip128(sub),
                container: verdis_engine::error::ClientText(argv[0].to_ascii_uppercase()),
            }),
        }
    }

    /// DEBUG POPULATE count [prefix] [size]: `count` string keys `prefix:N` (default `key`)
    /// holding `value:N`, cut or zero-padded to `size` bytes when given; existing keys are kept.
    /// As in Redis, nothing is propagated and the dirty count does not move; WATCH and tracking
    /// see the new keys.
    fn debug_populate(&mut self, id: ClientId, args: &[&[u8]], effects: &mut Effects) -> Result<Reply, CmdError> {
        // Redis answers a negative number and a non-number alike.
        let positive = |arg: &[u8]| match verdis_engine::num::parse_i64(arg) {
            Some(n) if n >= 0 => Ok(n as u64),
            _ => Err(CmdError::msg("ERR value is out of range, must be positive")),
        };
        let count = positive(args[0])?;
        let size = args.get(2).map(|s| positive(s)).transpose()?.unwrap_or(0) as usize;
        let prefix = args.get(1).copied().unwrap_or(b"key");
        let db_index = self.clients.get(&id).map_or(0, |c| c.db);
        let (now_ms, lru) = (self.now.unix_ms(), crate::node::dispatch::lru_clock(self.now.unix_ms()));
        let db = &mut self.keyspace.dbs[db_index];
        for j in 0..count {
            let mut key = prefix.to_vec();
            key.extend_from_slice(format!(":{j}").as_bytes());
            // Redis formats the name into a 128-byte buffer.
            key.truncate(POPULATE_NAME_BYTES_MAX);
            if db.exists(&key, now_ms) {
                continue;
            }
            let mut value = format!("value:{j}").into_bytes();
            if size > 0 {
                value.resize(size, 0);
            }
            db.set(&key, Object::new(Value::Str(StrValue::from_bytes(&value)), lru), false);
            effects.touches.push(Touch { db: db_index, key, modified: true, event: None, after_reply: false });
        }
        Ok(Reply::Ok)
    }

    /// DEBUG PROTOCOL type: one sample of each reply type, as Redis's `debugCommand` sends them.
    fn debug_protocol(&mut self, id: ClientId, name: &[u8]) -> Result<Reply, CmdError> {
        let ints = || (0..3).map(Reply::Int).collect::<Vec<_>>();
        let resp = self.clients.get(&id).map_or(2, |c| c.resp);
        Ok(match () {
            _ if eq_ci(name, "string") => Reply::Bulk(b"Hello World".to_vec()),
            _ if eq_ci(name, "integer") => Reply::Int(12345),
            // Redis's sample value, not an approximation of pi.
            _ if eq_ci(name, "double") => Reply::DoubleText(b"3.141".to_vec()),
            _ if eq_ci(name, "bignum") => Reply::BigNumber(b"1234567999999999999999999999999999999".to_vec()),
            _ if eq_ci(name, "null") => Reply::Null,
            _ if eq_ci(name, "array") => Reply::Array(ints()),
            _ if eq_ci(name, "set") => Reply::Set(ints()),
            _ if eq_ci(name, "map") => Reply::Map((0..3).map(|j| (Reply::Int(j), Reply::Bool(j == 1))).collect()),
            _ if eq_ci(name, "attrib") => Reply::Attribute(
                vec![(
                    Reply::Bulk(b"key-popularity".to_vec()),
                    Reply::Array(vec![Reply::Bulk(b"key:123".to_vec()), Reply::Int(90)]),
                )],
                Box::new(Reply::Bulk(b"Some real reply following the attribute".to_vec())),
            ),
            _ if eq_ci(name, "push") && resp < 3 => return Err(CmdError::msg("ERR RESP2 is not supported by this command")),
            _ if eq_ci(name, "push") => {
                // The push goes out first, then a real reply for clients that skip pushes.
                let push = Reply::Push(vec![Reply::Bulk(b"server-cpu-usage".to_vec()), Reply::Int(42)]);
                if let Some(client) = self.clients.get_mut(&id).filter(|c| !c.replies_suppressed()) {
                    encode(&push, resp, &mut client.reply_buf);
                    self.pending_output.insert(id);
                }
                Reply::Bulk(b"Some real reply following the push reply".to_vec())
            }
            _ if eq_ci(name, "true") => Reply::Bool(true),
            _ if eq_ci(name, "false") => Reply::Bool(false),
            _ if eq_ci(name, "verbatim") => Reply::Verbatim(*b"txt", b"This is a verbatim\nstring".to_vec()),
            _ => return Err(CmdError::msg(
                "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
            )),
        })
    }

    /// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
    fn shutdown_command(&mut self, id: ClientId, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let flags = ShutdownFlags::parse(&argv[1..])?;
        if flags.abort {
            return Err(CmdError::msg("ERR No shutdown in progress."));
        }
        let save = if flags.nosave {
            Some(false)
        } else if flags.save {
            Some(true)
        } else {
            None
        };
        self.shutdown(Some(id), save, flags.force);
        // The caller gets no reply: its connection is closed, or it waits for the final save,
        // whose failure it is told about.
        Ok(Reply::Ok)
    }
}

/// C's `strtod(s, NULL)` on the argument as a C string: the longest numeric prefix (decimal,
/// hex, inf, nan) before any NUL, 0 if none.
fn c_strtod(arg: &[u8]) -> f64 {
    let text = arg.split(|&b| b == 0).next().unwrap_or_default();
    verdis_engine::num::strtod(text).0
}

/// C's `atoi`: optional blanks and sign, then digits up to the first non-digit; 0 if none.
fn c_atoi(arg: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(arg);
    let t = text.trim_start();
    let (sign, digits) = match t.as_bytes().first() {
        Some(b'-') => (-1, &t[1..]),
        Some(b'+') => (1, &t[1..]),
        _ => (1, t),
    };
    let value = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |v, c| v.saturating_mul(10).saturating_add(i64::from(c - b'0')));
    sign * value
}

#[cfg(test)]
mod tests;
