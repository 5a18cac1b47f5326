//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's `multi.c`).
//!
//! # How a transaction runs
//! 1. MULTI gives the client a queue (`Client::multi`). Every later command except EXEC,
//!    DISCARD, MULTI, WATCH, QUIT and RESET is checked as usual and queued (`+QUEUED`); a
//!    command refused while queueing (unknown, wrong arity, `no-multi`, `-MISCONF`...) marks the
//!    transaction, and EXEC then aborts it with `-EXECABORT`.
//! 2. WATCH records keys (`Watches`); a committed unit that modifies one (any client's write,
//!    expiry, FLUSHDB/FLUSHALL/SWAPDB through `Ctx::signal_flushed`/`signal_swapped`) marks its
//!    watchers dirty (`Node::touch_watched`), and a watched key found logically expired at EXEC
//!    does too, unless it already was when WATCHed (Redis 7.0's `isWatchedKeyExpired`).
//! 3. EXEC runs the queue through the one execution path (`Node::execute`); a runtime error
//!    inside does not roll anything back, a blocking command answers at once as if it timed out,
//!    and the effects of all the commands are one call unit: propagated once, wrapped in
//!    MULTI/EXEC when more than one command is propagated (as Redis 7.0 does).
//!
//! Differences from Redis: none known. EXEC is refused as a whole when its queued writes meet
//! `-MISCONF` (`-EXECABORT Transaction discarded because of: MISCONF ...`), as Redis refuses it.

use std::collections::{BTreeMap, BTreeSet};

use verdis_engine::cmd::spec::CmdFlag;
use verdis_engine::{CmdError, Command, Reply};

use super::exec::{Caller, Effects};
use super::{ClientId, Node};
use crate::resp::encode::{encode, encode_array_header};

/// Longest queue a transaction may hold (a client sending MULTI and then endless commands is
/// closed by its query buffer and memory limits first; this bounds the node's own loop).
const QUEUED_COMMANDS_MAX: usize = 1 << 24;

/// A client's open transaction.
#[derive(Debug, Default)]
pub struct Queued {
    /// The queued commands, as sent.
    commands: Vec<Vec<Vec<u8>>>,
    /// Some command was refused while queueing: EXEC aborts (Redis's `CLIENT_DIRTY_EXEC`).
    aborted: bool,
    /// Some queued command is a write (EXEC then meets the write admission checks).
    has_write: bool,
    /// Bytes of the queued arguments plus a pointer per argument (CLIENT LIST `multi-mem`).
    bytes: usize,
}

impl Queued {
    /// Number of queued commands (CLIENT LIST `multi`).
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// CLIENT LIST's `multi-mem`: Redis's `argv_len_sums`.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// True when a queued command is a write.
    pub fn has_write(&self) -> bool {
        self.has_write
    }
}

/// One watched key of a client.
#[derive(Debug)]
struct Watched {
    db: usize,
    key: Vec<u8>,
    /// The key was logically expired when WATCHed: its later deletion by expiry is no change.
    expired: bool,
}

/// Every client's watched keys.
#[derive(Debug, Default)]
pub(super) struct Watches {
    /// By key: the clients watching it.
    by_key: BTreeMap<(usize, Vec<u8>), BTreeSet<ClientId>>,
    /// By client: what it watches, in WATCH order.
    by_client: BTreeMap<ClientId, Vec<Watched>>,
}

impl Watches {
    /// True when no client watches anything (the common case: touches then cost one check).
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

impl Node {
    /// True when `id` has an open transaction.
    pub(super) fn in_multi(&self, id: ClientId) -> bool {
        self.clients.get(&id).is_some_and(|c| c.multi.is_some())
    }

    /// Marks `id`'s open transaction (if any) to abort at EXEC: a command was refused while
    /// queueing (Redis's `flagTransaction`).
    pub(super) fn flag_transaction(&mut self, id: ClientId) {
        if let Some(queued) = self.clients.get_mut(&id).and_then(|c| c.multi.as_mut()) {
            queued.aborted = true;
        }
    }

    /// True when `cmd` is queued rather than run for a client in MULTI.
    pub(super) fn queues(cmd: &Command) -> bool {
        !matches!(cmd.spec.name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
    }

    /// Queues `argv` in `id`'s transaction: `+QUEUED`, or Redis's refusal for a `no-multi`
    /// command (which aborts the transaction).
    pub(super) fn queue_command(&mut self, id: ClientId, cmd: &Command, argv: &[&[u8]]) -> Reply {
        if cmd.spec.has(CmdFlag::NoMulti) {
            self.flag_transaction(id);
            return Reply::Error(CmdError::msg("ERR Command not allowed inside a transaction"));
        }
        let client = self.clients.get_mut(&id).expect("the caller is connected");
        let queued = client.multi.as_mut().expect("queue_command in MULTI");
        if queued.commands.len() >= QUEUED_COMMANDS_MAX {
            queued.aborted = true;
            return Reply::Error(CmdError::msg("ERR too many commands queued in this transaction"));
        }
        queued.bytes += argv.iter().map(|a| a.len() + std::mem::size_of::<usize>()).sum::<usize>();
        queued.has_write |= cmd.spec.has(CmdFlag::Write);
        queued.commands.push(argv.iter().map(|a| a.to_vec()).collect());
        Reply::simple("QUEUED")
    }

    /// MULTI.
    pub(super) fn multi_command(&mut self, id: ClientId) -> Result<Reply, CmdError> {
        let client = self.clients.get_mut(&id).expect("the caller is connected");
        if client.multi.is_some() {
            return Err(CmdError::msg("ERR MULTI calls can not be nested"));
        }
        client.multi = Some(Queued::default());
        Ok(Reply::Ok)
    }

    /// DISCARD.
    pub(super) fn discard_command(&mut self, id: ClientId) -> Result<Reply, CmdError> {
        if !self.in_multi(id) {
            return Err(CmdError::msg("ERR DISCARD without MULTI"));
        }
        self.discard_transaction(id);
        Ok(Reply::Ok)
    }

    /// Ends `id`'s transaction, if any, and forgets its watched keys (Redis's
    /// `discardTransaction`; also RESET's and the teardown's part).
    pub(super) fn discard_transaction(&mut self, id: ClientId) {
        if let Some(client) = self.clients.get_mut(&id) {
            client.multi = None;
            client.dirty_cas = false;
        }
        self.unwatch_all(id);
    }

    /// WATCH key [key ...].
    pub(super) fn watch_command(&mut self, id: ClientId, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        if self.in_multi(id) {
            return Err(CmdError::msg("ERR WATCH inside MULTI is not allowed"));
        }
        // A client already marked dirty need not watch more: EXEC fails anyway.
        if self.clients.get(&id).is_some_and(|c| c.dirty_cas) {
            return Ok(Reply::Ok);
        }
        let db = self.clients[&id].db;
        let now_ms = self.now.unix_ms();
        for key in &argv[1..] {
            let slot = (db, key.to_vec());
            let watchers = self.watches.by_key.entry(slot).or_default();
            if !watchers.insert(id) {
                continue;
            }
            let expired = self.keyspace.dbs[db].is_expired(key, now_ms);
            self.keyspace.dbs[db].observe(key);
            self.watches.by_client.entry(id).or_default().push(Watched { db, key: key.to_vec(), expired });
        }
        Ok(Reply::Ok)
    }

    /// UNWATCH.
    pub(super) fn unwatch_command(&mut self, id: ClientId) -> Result<Reply, CmdError> {
        self.unwatch_all(id);
        if let Some(client) = self.clients.get_mut(&id) {
            client.dirty_cas = false;
        }
        Ok(Reply::Ok)
    }

    /// Forgets every key `id` watches (Redis's `unwatchAllKeys`).
    pub(super) fn unwatch_all(&mut self, id: ClientId) {
        let Some(watched) = self.watches.by_client.remove(&id) else { return };
        for w in watched {
            let slot = (w.db, w.key);
            if let Some(watchers) = self.watches.by_key.get_mut(&slot) {
                watchers.remove(&id);
                if watchers.is_empty() {
                    self.watches.by_key.remove(&slot);
                }
            }
            self.keyspace.dbs[slot.0].unobserve(&slot.1);
        }
    }

    /// A committed unit modified `key` of `db`: its watchers' transactions will fail (Redis's
    /// `touchWatchedKey`). A watcher that WATCHed the key already expired is spared when the
    /// change is that key's deletion (logically, nothing changed).
    pub(super) fn touch_watched(&mut self, db: usize, key: &[u8]) {
        if self.watches.is_empty() {
            return;
        }
        let slot = (db, key.to_vec());
        let Some(watchers) = self.watches.by_key.get(&slot) else { return };
        let deleted = self.keyspace.dbs[db].get(key).is_none();
        let mut dirtied = Vec::new();
        for &id in watchers {
            let entry =
                self.watches.by_client.get_mut(&id).and_then(|ws| ws.iter_mut().find(|w| w.db == db && w.key == key));
            match entry {
                Some(w) if w.expired && deleted => w.expired = false,
                _ => dirtied.push(id),
            }
        }
        for id in dirtied {
            if let Some(client) = self.clients.get_mut(&id) {
                client.dirty_cas = true;
            }
            self.unwatch_all(id);
        }
    }

    /// True when a key `id` watches has logically expired since it was WATCHed.
    fn watched_key_expired(&self, id: ClientId) -> bool {
        let now_ms = self.now.unix_ms();
        self.watches
            .by_client
            .get(&id)
            .is_some_and(|ws| ws.iter().any(|w| !w.expired && self.keyspace.dbs[w.db].is_expired(&w.key, now_ms)))
    }

    /// EXEC: runs the queue as one unit whose effects go into `effects`.
    pub(super) fn exec_command(&mut self, id: ClientId, effects: &mut Effects) -> Result<Reply, CmdError> {
        if !self.in_multi(id) {
            return Err(CmdError::msg("ERR EXEC without MULTI"));
        }
        if self.watched_key_expired(id) {
            self.clients.get_mut(&id).expect("connected").dirty_cas = true;
        }
        let client = self.clients.get_mut(&id).expect("connected");
        let dirty_cas = std::mem::take(&mut client.dirty_cas);
        let queued = client.multi.as_ref().expect("checked");
        let aborted = queued.aborted;
        // The queue stays in place while it runs, as Redis discards the transaction only after
        // the run: CLIENT LIST inside EXEC shows flag x, `multi` and `multi-mem`, and a CACHING
        // flag given in the transaction lasts through it.
        let commands = if aborted || dirty_cas { Vec::new() } else { queued.commands.clone() };
        self.unwatch_all(id);
        if aborted || dirty_cas {
            self.clients.get_mut(&id).expect("connected").multi = None;
            if aborted {
                return Err(CmdError::msg("EXECABORT Transaction discarded because of previous errors."));
            }
            return Ok(Reply::NullArray);
        }
        // Like Redis, EXEC's reply is written as the queue runs: the array's header first, then
        // each command's output in turn — pushes it raises to this very client (its keyspace
        // events, a SUBSCRIBE's confirmation) land between the elements where Redis puts them.
        self.exec_output(id, |out, _| encode_array_header(commands.len(), out));
        self.in_exec = true;
        for argv in &commands {
            let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            let cmd = self.resolve(&argv).expect("checked when queued");
            let (start_us, sleep_before_us) = (self.now.stopwatch.read_us(), self.command_sleep_us);
            let (reply, done) = self.execute(Caller::Client(id), cmd, &argv);
            let duration_us = self.command_duration_us(start_us, sleep_before_us);
            self.count_call(cmd, &reply, duration_us, false);
            self.observe_call(id, cmd, &argv, duration_us, false);
            self.tracking_after_command(id, cmd, &argv);
            // Each command's touches reach their readers as it runs; the unit's propagation
            // waits for the end of EXEC. A blocking command answers at once, with the reply it
            // gives on a timeout (Redis's `CLIENT_DENY_BLOCKING`): its block request is dropped.
            if done.flushed {
                self.tracking_flushed(Some(id));
            }
            self.touched(Some(id), &done.touches);
            let pushed = self.clients.get_mut(&id).is_some_and(|c| std::mem::take(&mut c.reply_pushed));
            if !pushed {
                self.exec_output(id, |out, resp| encode(&reply, resp, out));
            }
            self.publish_events_after_reply(id);
            self.feed_monitors(id, cmd, &argv);
            effects.dirty += done.dirty;
            effects.propagation.extend(done.propagation);
            // QUIT is not queued, so only a command that kills its own client ends the run.
            if !self.clients.contains_key(&id) {
                break;
            }
        }
        self.in_exec = false;
        if let Some(client) = self.clients.get_mut(&id) {
            client.multi = None;
            // The reply is out already.
            client.reply_pushed = true;
        }
        Ok(Reply::Ok)
    }

    /// Writes part of EXEC's reply to `id`, unless CLIENT REPLY suppresses its replies.
    fn exec_output(&mut self, id: ClientId, write: impl FnOnce(&mut Vec<u8>, u8)) {
        let Some(client) = self.clients.get_mut(&id) else { return };
        if client.replies_suppressed() {
            return;
        }
        write(&mut client.reply_buf, client.resp);
        self.pending_output.insert(id);
    }
}
