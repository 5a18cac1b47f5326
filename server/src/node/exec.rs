//! The one execution path: every command runs through `Node::execute`, whoever calls it — a
//! client, a woken blocked client (its serve function, `Node::execute_serve`), EXEC's queue, the
//! AOF loader — and comes back as its reply together with its effects as data (`Effects`).
//! `Node::commit` then hands those effects to each part that reads them, once per call unit.
//!
//! # Steps
//! 1. `execute` (or `execute_serve`) builds the engine's context for the caller's database and
//!    protocol, runs the handler, and collects what it did: dirty count, block request, what to
//!    propagate (keys found expired first, as DELs), the keys it modified and the keyspace
//!    events it raised (`Ctx::touches`). Nothing travels through a side field.
//! 2. The caller decides what the effects mean for itself (a client parks on a block request;
//!    EXEC's queue cannot block) and passes them to `commit` — for a transaction, once for the
//!    whole unit, so it is propagated as one MULTI/EXEC block.
//! 3. `commit` counts the changes, propagates the unit to the one propagation sink
//!    (`Node::propagate_unit`: the AOF, later the replication backlog) and hands the touches to
//!    their readers: keys with blocked clients become ready (`blocking`).
//!
//! The loader's calls (`Caller::Loader`) are executed the same way and committed to nothing: a
//! replayed file changes the keyspace only.

use verdis_engine::aof::Propagation;
use verdis_engine::cmd::ctx::{BlockOn, ServeReady};
use verdis_engine::cmd::effects::{NotifyClass, Touch};
use verdis_engine::cmd::node::NodeCmd;
use verdis_engine::cmd::table::Handler;
use verdis_engine::{CmdError, Command, Ctx, Reply};

use super::dispatch::lru_clock;
use super::{ClientId, Node};

/// Who runs a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Caller {
    /// A connected client, in its selected database and protocol.
    Client(ClientId),
    /// A script run by this client (`redis.call`): the script's database and protocol (see
    /// `script`), its effects joined to the script's call unit.
    Script(ClientId),
    /// The AOF loader (Redis's fake client): database `db`, RESP2, nothing counted or
    /// propagated.
    Loader {
        /// The database the file last SELECTed.
        db: usize,
    },
}

/// A command's effects besides its reply.
#[derive(Debug, Default)]
pub(super) struct Effects {
    /// Changes made (Redis's `server.dirty` delta).
    pub dirty: u64,
    /// The command asks to block its client (BLPOP finding nothing).
    pub block_on: Option<BlockOn>,
    /// What the call propagates: DELs of keys found expired, then the command's own effect.
    pub propagation: Propagation,
    /// Keys modified and keyspace events raised, in order.
    pub touches: Vec<Touch>,
    /// A database was emptied (FLUSHDB, FLUSHALL).
    pub flushed: bool,
    /// The command's error reply is counted in INFO errorstats already: a script's error that
    /// came from a command it called, counted when that command failed (Redis's
    /// `ignore_error_stats_update`).
    pub reply_error_counted: bool,
}

impl Node {
    /// The caller's database and protocol.
    fn caller_context(&self, caller: Caller) -> (usize, u8) {
        match caller {
            Caller::Client(id) => {
                let client = self.clients.get(&id).expect("a command's caller is connected");
                (client.db, client.resp)
            }
            Caller::Script(_) => self.scripts.caller_context(),
            Caller::Loader { db } => (db, 2),
        }
    }

    /// Runs `command` for `caller` and returns its reply and effects: the one execution path.
    pub(super) fn execute(&mut self, caller: Caller, cmd: &'static Command, argv: &[&[u8]]) -> (Reply, Effects) {
        match cmd.handler {
            Handler::Engine(f) => {
                let (reply, effects) = self.run_engine(caller, argv, |ctx| f(ctx, argv));
                (reply.unwrap_or_else(Reply::Error), effects)
            }
            Handler::Node(node_cmd) => {
                let id = match caller {
                    Caller::Client(id) => id,
                    // A script's SELECT changes the script's database, not its caller's.
                    Caller::Script(_) if node_cmd == NodeCmd::Select => {
                        let reply = self.db_index(argv[1]).map(|db| {
                            self.scripts.select(db);
                            Reply::Ok
                        });
                        return (reply.unwrap_or_else(Reply::Error), Effects::default());
                    }
                    // Node commands scripts may call (PING, INFO, PUBLISH...) run for the caller.
                    Caller::Script(id) => id,
                    // The loader only replays engine commands (it handles SELECT itself).
                    Caller::Loader { .. } => {
                        return (Reply::Error(CmdError::unknown_command(argv)), Effects::default());
                    }
                };
                let mut effects = Effects::default();
                let reply = self.exec_node(node_cmd, id, argv, &mut effects).unwrap_or_else(Reply::Error);
                (reply, effects)
            }
            Handler::Container => {
                unreachable!("a container with arguments resolves to a subcommand, without them fails arity")
            }
        }
    }

    /// Serves a blocked client's command from `key`, which has become ready: the command's
    /// serve function in place of its handler, with the same context and effects. `None` (and
    /// no change) while `key` holds another type than the command waits for.
    pub(super) fn execute_serve(
        &mut self,
        caller: Caller,
        serve: ServeReady,
        argv: &[&[u8]],
        key: &[u8],
    ) -> (Option<Reply>, Effects) {
        let (reply, effects) = self.run_engine(caller, argv, |ctx| serve(ctx, argv, key));
        (reply.map(|r| r.unwrap_or_else(Reply::Error)), effects)
    }

    /// Runs `f` on an engine context for `caller` and collects its effects.
    fn run_engine<R>(&mut self, caller: Caller, argv: &[&[u8]], f: impl FnOnce(&mut Ctx) -> R) -> (R, Effects) {
        let (db, resp) = self.caller_context(caller);
        let lru = lru_clock(self.now.unix_ms());
        let mut ctx = Ctx::new(&mut self.keyspace, db, self.now.unix_us, &mut self.rng, resp, &self.config.engine, lru);
        let result = f(&mut ctx);
        let mut effects = Effects {
            dirty: ctx.dirty,
            block_on: ctx.block_on.take(),
            propagation: Propagation::new(),
            touches: std::mem::take(&mut ctx.touches),
            flushed: ctx.flushed,
            reply_error_counted: false,
        };
        let propagate = ctx.propagate.take();
        // With no consumer of propagation (no AOF: the default) nothing is copied: every write
        // would otherwise pay for a copy of its arguments.
        if matches!(caller, Caller::Loader { .. }) || !self.propagation_wanted() {
            self.keyspace.expired_to_propagate.clear();
        } else {
            effects.propagation.add_expired(&mut self.keyspace);
            effects.propagation.add_command(db, argv, propagate, effects.dirty);
        }
        (result, effects)
    }

    /// Hands a call unit's effects to the parts that read them: the change count, the
    /// propagation sink, and the readers of modified keys. A loader's unit changes only the
    /// keyspace it already changed.
    pub(super) fn commit(&mut self, caller: Caller, effects: Effects) {
        if matches!(caller, Caller::Loader { .. }) {
            return;
        }
        self.stats.dirty += effects.dirty;
        if !effects.propagation.is_empty() {
            self.propagate_unit(effects.propagation);
        }
        let (Caller::Client(id) | Caller::Script(id)) = caller else { unreachable!("the loader returned above") };
        if effects.flushed {
            self.tracking_flushed(Some(id));
        }
        self.touched(Some(id), &effects.touches);
    }

    /// True when something consumes propagated commands (the AOF; later replicas).
    pub(super) fn propagation_wanted(&self) -> bool {
        self.aof_takes_commands()
    }

    /// The one propagation sink: each call unit (a command, a transaction) arrives here once,
    /// wrapped in MULTI/EXEC when it holds more than one command.
    pub(super) fn propagate_unit(&mut self, unit: Propagation) {
        let mut commands = unit.finish();
        if self.config.engine.plants.transactions_propagate_unwrapped {
            commands.retain(|(_, argv)| argv[0] != b"MULTI" && argv[0] != b"EXEC");
        }
        self.feed_aof(&commands);
    }

    /// Commits the keys the active expire cycle removed outside any command: each is its own
    /// unit, propagated as an unwrapped `DEL key` (Redis's `deleteExpiredKeyAndPropagate`), and
    /// an `expired` event.
    pub(super) fn commit_active_expiry(&mut self) {
        let expired = std::mem::take(&mut self.keyspace.expired_to_propagate);
        let wanted = self.propagation_wanted();
        let mut touches = Vec::with_capacity(expired.len());
        for (db, key) in expired {
            if wanted {
                let mut unit = Propagation::new();
                unit.add_command(db, &[b"DEL", &key], None, 1);
                self.propagate_unit(unit);
            }
            let event = Some((NotifyClass::EXPIRED, "expired"));
            touches.push(Touch { db, key, modified: true, event, after_reply: false });
        }
        self.touched(None, &touches);
    }

    /// Gives the keys a unit run by `caller` modified to their readers: WATCHers'
    /// transactions fail, client tracking invalidates, a key blocked clients wait on becomes
    /// ready; and keyspace events to their subscribers.
    pub(super) fn touched(&mut self, caller: Option<ClientId>, touches: &[Touch]) {
        for touch in touches {
            if touch.modified {
                self.touch_watched(touch.db, &touch.key);
                self.tracking_invalidate(caller, &touch.key);
                self.blocked.signal_ready(touch.db, &touch.key);
            }
            match caller {
                // Its own client gets it after the reply, as Redis raises it after replying.
                Some(id) if touch.after_reply && touch.event.is_some() => {
                    self.events_after_reply.push((id, touch.clone()));
                }
                _ => self.notify_keyspace_event(touch),
            }
        }
    }

    /// Publishes the events `id`'s command raised after its reply, now that the reply is queued.
    pub(super) fn publish_events_after_reply(&mut self, id: ClientId) {
        if self.events_after_reply.is_empty() {
            return;
        }
        let (mine, others): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.events_after_reply).into_iter().partition(|(caller, _)| *caller == id);
        self.events_after_reply = others;
        for (_, touch) in mine {
            self.notify_keyspace_event(&touch);
        }
    }
}
