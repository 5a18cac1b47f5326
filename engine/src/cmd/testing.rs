//! Test support for command families: a keyspace with a fixed clock that runs command lines
//! through the real command table, and a compact text form of replies so tests can be tables
//! of "command in, exact reply out".
//!
//! Arity is checked here as the node's dispatcher does, so a table row can cover an arity error
//! exactly as a client would see it.

use super::ctx::{BlockOn, Ctx, EngineConfig};
use super::effects::{NotifyClass, Touch};
use super::table::{lookup, lookup_sub, Handler};
use crate::aof::{PropagatedOp, Propagation};
use crate::db::Keyspace;
use crate::error::{clip128, CmdError};
use crate::reply::Reply;
use crate::rng::Rng;
use crate::value::Value;

/// The unix time (ms) every test starts at: 2023-11-14, so relative and absolute times differ.
pub(crate) const TEST_START_MS: i64 = 1_700_000_000_000;

/// Draws per fairness check in `TestDb::chi_square_of`: thousands, so a bias shows far past the
/// threshold while a fair pick stays under it.
pub(crate) const RANDOM_DRAWS: usize = 10_000;

/// A database with a fixed clock, for running commands in tests.
pub(crate) struct TestDb {
    /// Every database.
    pub keyspace: Keyspace,
    /// The one generator every command run on this database draws from (never reseeded per
    /// command, or repeated calls would repeat their picks).
    pub rng: Rng,
    /// The configuration commands see.
    pub config: EngineConfig,
    /// The current time; tests move it forward by hand.
    pub now_ms: i64,
    /// Protocol version the client speaks.
    pub resp: u8,
    /// Total `server.dirty` increments so far.
    pub dirty: u64,
    /// What the last command asked to block on, if anything.
    pub block_on: Option<BlockOn>,
    /// What the last command propagated to the AOF and replicas (db, argv), MULTI/EXEC included.
    pub propagated: Vec<PropagatedOp>,
    /// The keys the last command modified and the events it raised, in order.
    pub touches: Vec<Touch>,
}

impl TestDb {
    /// Sixteen empty databases at `TEST_START_MS`, RESP2.
    pub fn new() -> TestDb {
        let mut rng = Rng::new(7);
        let keyspace = Keyspace::new(16, &mut rng);
        TestDb {
            keyspace,
            rng,
            config: EngineConfig::default(),
            now_ms: TEST_START_MS,
            resp: 2,
            dirty: 0,
            block_on: None,
            propagated: Vec::new(),
            touches: Vec::new(),
        }
    }

    /// A context on db 0 at the current time, as `run` gives each command.
    pub fn ctx(&mut self) -> Ctx<'_> {
        Ctx::new(&mut self.keyspace, 0, self.now_ms * 1000, &mut self.rng, self.resp, &self.config, 0)
    }

    /// Runs one command (argv with the name first) as the dispatcher would, returning its reply.
    pub fn run(&mut self, argv: &[&[u8]]) -> Reply {
        let cmd = match lookup(argv[0]) {
            Some(cmd) => cmd,
            None => return Reply::Error(CmdError::unknown_command(argv)),
        };
        let cmd = match (cmd.handler, argv.get(1)) {
            (Handler::Container, Some(sub)) => match lookup_sub(cmd, sub) {
                Some(sub) => sub,
                None => {
                    let container = clip128(&argv[0].to_ascii_uppercase());
                    return Reply::Error(CmdError::UnknownSubcommand { sub: clip128(sub), container });
                }
            },
            _ => cmd,
        };
        if !cmd.spec.arity_ok(argv.len()) {
            return Reply::Error(CmdError::WrongArity(cmd.spec.name.into()));
        }
        let Handler::Engine(f) = cmd.handler else { panic!("{} is not an engine command", cmd.spec.name) };
        let mut ctx = self.ctx();
        let reply = f(&mut ctx, argv).unwrap_or_else(Reply::Error);
        let (dirty, block_on, propagate) = (ctx.dirty, ctx.block_on.take(), ctx.propagate.take());
        self.touches = std::mem::take(&mut ctx.touches);
        self.dirty += dirty;
        self.block_on = block_on;
        let mut propagation = Propagation::new();
        propagation.add_expired(&mut self.keyspace);
        propagation.add_command(0, argv, propagate, dirty);
        self.propagated = propagation.finish();
        self.keyspace.dbs[0].audit();
        reply
    }

    /// Runs a command line split on spaces (`""` stands for an empty argument) and returns the
    /// reply in `show`'s text form.
    pub fn cmd(&mut self, line: &str) -> String {
        let words: Vec<&[u8]> = line.split(' ').map(|w| if w == "\"\"" { &b""[..] } else { w.as_bytes() }).collect();
        show(&self.run(&words))
    }

    /// The chi-square value (`crate::chi_square`) of at least `RANDOM_DRAWS` members drawn by
    /// `line` from `outcomes` equally likely ones, running `restore` before each call when the
    /// draw removes what it picks: the random-member commands' fairness tests.
    pub fn chi_square_of(&mut self, restore: Option<&str>, line: &str, outcomes: usize) -> f64 {
        let mut drawn = Vec::new();
        while drawn.len() < RANDOM_DRAWS {
            if let Some(restore) = restore {
                self.cmd(restore);
            }
            let words: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
            match self.run(&words) {
                Reply::Bulk(member) => drawn.push(member),
                Reply::Array(items) | Reply::Set(items) => drawn.extend(items.into_iter().map(|item| match item {
                    Reply::Bulk(member) => member,
                    other => panic!("{line}: not a member: {}", show(&other)),
                })),
                other => panic!("{line}: {}", show(&other)),
            }
        }
        crate::chi_square::chi_square(outcomes, drawn)
    }

    /// Runs each `(command line, expected reply)` row in order and asserts every reply.
    pub fn check(&mut self, rows: &[(&str, &str)]) {
        for (line, want) in rows {
            assert_eq!(self.cmd(line), *want, "reply to `{line}`");
        }
    }

    /// Runs each `(command line, events)` row in order and asserts the keyspace events the
    /// command raised, in `show_events`'s form (the rows are Redis 7.0's event stream for the
    /// same lines, captured from a real server).
    pub fn check_events(&mut self, rows: &[(&str, &str)]) {
        for (line, want) in rows {
            self.cmd(line);
            assert_eq!(show_events(&self.touches), *want, "events of `{line}`");
        }
    }

    /// Parks `line` (a blocking command that finds nothing to serve), then serves it from `key`
    /// as the node does once a write readied the key; returns the reply, and `touches` holds
    /// what the serve recorded.
    pub fn park_and_serve(&mut self, line: &str, key: &str, write: &str) -> String {
        self.cmd(line);
        let block = self.block_on.take().unwrap_or_else(|| panic!("`{line}` did not block"));
        self.cmd(write);
        let own: Vec<Vec<u8>> = line.split(' ').map(|w| w.as_bytes().to_vec()).collect();
        let parked = block.argv.unwrap_or(own);
        let argv: Vec<&[u8]> = parked.iter().map(Vec::as_slice).collect();
        let mut ctx = self.ctx();
        let reply = (block.serve)(&mut ctx, &argv, key.as_bytes()).expect("the key holds what the client waits for");
        let touches = std::mem::take(&mut ctx.touches);
        self.touches = touches;
        show(&reply.unwrap_or_else(Reply::Error))
    }

    /// The last command's own touches: without the `new` and `keymiss` events that key creation
    /// and read lookups raise centrally (engine/tests/keyspace_events.rs checks those).
    pub fn own_touches(&self) -> Vec<Touch> {
        let central =
            |t: &&Touch| t.event.is_some_and(|(class, _)| class == NotifyClass::NEW || class == NotifyClass::KEY_MISS);
        self.touches.iter().filter(|t| !central(t)).cloned().collect()
    }

    /// The encoding OBJECT ENCODING would report for `key` in db 0, if it exists.
    pub fn encoding(&self, key: &str) -> Option<&'static str> {
        self.keyspace.dbs[0].get(key.as_bytes()).map(|o| o.value.encoding())
    }

    /// The milliseconds left before `key` expires (PTTL without the -1/-2 conventions).
    pub fn ttl_ms(&self, key: &str) -> Option<i64> {
        self.keyspace.dbs[0].expire_at(key.as_bytes()).map(|at| at - self.now_ms)
    }

    /// The string stored at `key` in db 0, without touching access data or expiry.
    pub fn raw_get(&self, key: &str) -> Option<Vec<u8>> {
        self.keyspace.dbs[0].get(key.as_bytes()).and_then(|o| match &o.value {
            Value::Str(s) => Some(s.to_bytes()),
            _ => None,
        })
    }
}

/// The keyspace events of a touch list as text: `event:key` separated by spaces, `@db` after
/// the key outside db 0 (modifications without an event are left out), as the `__keyevent@*`
/// channels name them.
pub(crate) fn show_events(touches: &[Touch]) -> String {
    let shown = touches.iter().filter_map(|t| {
        let (_, event) = t.event?;
        let key = t.key.escape_ascii();
        Some(if t.db == 0 { format!("{event}:{key}") } else { format!("{event}:{key}@{}", t.db) })
    });
    shown.collect::<Vec<_>>().join(" ")
}

/// A reply as compact text: `+OK`, `:3`, `"bulk"` (non-printable bytes as `\xNN`), `(nil)`,
/// `-ERR text`, `[a, b]` for arrays and sets, `{k: v}` for maps.
pub(crate) fn show(reply: &Reply) -> String {
    fn list(items: impl Iterator<Item = String>) -> String {
        items.collect::<Vec<_>>().join(", ")
    }
    match reply {
        Reply::Ok => "+OK".into(),
        Reply::Simple(s) => format!("+{s}"),
        Reply::Error(e) => format!("-{e}"),
        Reply::Int(n) => format!(":{n}"),
        Reply::Bulk(b) | Reply::Verbatim(_, b) | Reply::BigNumber(b) => format!("\"{}\"", b.escape_ascii()),
        Reply::Null => "(nil)".into(),
        Reply::NullArray => "(nil array)".into(),
        Reply::Array(items) | Reply::Set(items) | Reply::Push(items) => format!("[{}]", list(items.iter().map(show))),
        Reply::Bulks(bulks) => format!("[{}]", list(bulks.iter().map(|b| format!("\"{}\"", b.escape_ascii())))),
        Reply::Map(pairs) => format!("{{{}}}", list(pairs.iter().map(|(k, v)| format!("{}: {}", show(k), show(v))))),
        Reply::Double(d) => format!(",{d}"),
        Reply::DoubleText(t) => format!(",{}", t.escape_ascii()),
        Reply::Bool(b) => format!("#{b}"),
        Reply::Attribute(pairs, reply) => {
            format!("|{{{}}} {}", list(pairs.iter().map(|(k, v)| format!("{}: {}", show(k), show(v)))), show(reply))
        }
    }
}
