//! Clients parked by blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP on lists;
//! BZPOPMIN, BZPOPMAX, BZMPOP on sorted sets): Redis's `blocked.c`.
//!
//! # How a client blocks and is served
//! 1. The engine command finds nothing to pop and sets `Ctx::block_on` (keys, timeout, and its
//!    serve function, which knows the type the command waits for). It comes back in the
//!    command's `Effects`, and the dispatcher parks the client (`park`) instead of replying.
//!    While parked, the client's further input waits in its query buffer, as in Redis.
//! 2. Every committed call unit reports the keys it modified (`exec::Node::commit`); each one
//!    some client waits on becomes ready, in the order the unit modified them (Redis's
//!    `signalKeyAsReady` → `server.ready_keys`). After the command, `handle_ready_keys` offers
//!    each ready key to its waiters in the order they blocked (FIFO): each waiter's own serve
//!    function runs through the one execution path (`Node::execute_serve`) and serves it when
//!    the key holds the type it waits for (Redis's `serveClientsBlockedOnListKey` /
//!    `...OnSortedSetKey`), leaving it parked otherwise, so a list push never wakes BZPOPMIN
//!    and a ZADD never wakes BLPOP. A BLMOVE that pushes onto another waited key readies that
//!    key in turn.
//! 3. `handle_timer` answers the null array to clients whose deadline passed; `poll_timeout`
//!    includes the earliest deadline. A disconnect removes the parked client.
//! 4. Served or timed-out clients go to `unblocked`; `run_unblocked` then runs the commands they
//!    had pipelined behind the blocking one.
//!
//! Differences from Redis: a key that gets a value of another type leaves its waiters parked,
//! as Redis 7.0 does. INFO commandstats counts a blocking command when it is first run (Redis
//! counts it when it is unblocked).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use verdis_engine::cmd::ctx::{BlockOn, ServeReady};
use verdis_engine::Reply;

use super::exec::Caller;
use super::timers::Timer;
use super::{ClientId, Node};
use crate::resp::encode::encode;

/// Most clients `run_unblocked` resumes per input; the rest resume after the next input or tick.
const UNBLOCKED_RUNS_MAX: usize = 1 << 16;

/// A parked client.
#[derive(Debug)]
struct Parked {
    /// The blocking command, as the client sent it.
    argv: Vec<Vec<u8>>,
    /// The database it runs in.
    db: usize,
    /// The keys it waits on.
    keys: Vec<Vec<u8>>,
    /// Serves it from a ready key, when that key holds the type it waits for.
    serve: ServeReady,
}

/// Every parked client, indexed by key (their deadlines are `Timer::Blocked`).
#[derive(Debug, Default)]
pub(super) struct Blocked {
    clients: BTreeMap<ClientId, Parked>,
    /// For each (db, key), the clients waiting on it in the order they blocked.
    waiters: BTreeMap<(usize, Vec<u8>), VecDeque<ClientId>>,
    /// Keys with waiters that a committed unit modified, in the order it modified them, not yet
    /// offered to their waiters (Redis's `server.ready_keys`).
    ready: VecDeque<(usize, Vec<u8>)>,
    /// Clients unblocked whose pipelined input must now run, in order.
    pub unblocked: VecDeque<ClientId>,
}

impl Blocked {
    /// True when `id` is parked.
    pub fn is_blocked(&self, id: ClientId) -> bool {
        self.clients.contains_key(&id)
    }

    /// Number of parked clients (INFO's `blocked_clients`).
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Marks `key` of `db` ready when someone waits on it and it is not queued already.
    pub fn signal_ready(&mut self, db: usize, key: &[u8]) {
        if self.waiters.is_empty() {
            return;
        }
        let slot = (db, key.to_vec());
        if self.waiters.contains_key(&slot) && !self.ready.contains(&slot) {
            self.ready.push_back(slot);
        }
    }

    fn park(&mut self, id: ClientId, parked: Parked) {
        for key in &parked.keys {
            let queue = self.waiters.entry((parked.db, key.clone())).or_default();
            // BLPOP k k waits once on k.
            if !queue.contains(&id) {
                queue.push_back(id);
            }
        }
        self.clients.insert(id, parked);
    }

    /// Unparks `id` (served, timed out, unblocked or gone); what it was parked with.
    fn remove(&mut self, id: ClientId) -> Option<Parked> {
        let parked = self.clients.remove(&id)?;
        for key in &parked.keys {
            let slot = (parked.db, key.clone());
            if let Some(queue) = self.waiters.get_mut(&slot) {
                queue.retain(|&c| c != id);
                if queue.is_empty() {
                    self.waiters.remove(&slot);
                }
            }
        }
        Some(parked)
    }
}

impl Node {
    /// Parks `id`, whose command `argv` asked to block with `request`: its reply waits.
    pub(super) fn park(&mut self, id: ClientId, argv: &[&[u8]], request: BlockOn) {
        let Some(client) = self.clients.get_mut(&id) else { return };
        client.blocked = true;
        let db = client.db;
        if request.timeout_ms > 0 {
            let at = self.now.mono_us.saturating_add((request.timeout_ms as u64).saturating_mul(1000));
            self.timers.set(Timer::Blocked(id), at);
        }
        let mut keys = request.keys;
        // BLPOP k k waits once on k.
        let mut seen = BTreeSet::new();
        keys.retain(|k| seen.insert(k.clone()));
        for key in &keys {
            self.keyspace.dbs[db].observe(key);
        }
        let argv = request.argv.unwrap_or_else(|| argv.iter().map(|a| a.to_vec()).collect());
        let parked = Parked { argv, db, keys, serve: request.serve };
        self.blocked.park(id, parked);
    }

    /// Unparks `id`; false when it was not parked.
    pub(super) fn unpark(&mut self, id: ClientId) -> bool {
        let Some(parked) = self.blocked.remove(id) else { return false };
        self.timers.cancel(Timer::Blocked(id));
        for key in &parked.keys {
            self.keyspace.dbs[parked.db].unobserve(key);
        }
        true
    }

    /// True when `key` in `db` exists now (not logically expired).
    fn holds_value(&self, db: usize, key: &[u8]) -> bool {
        let db = &self.keyspace.dbs[db];
        db.get(key).is_some() && !db.is_expired(key, self.now.unix_ms())
    }

    /// Offers each ready key to its waiters, first readied first (see the module header).
    pub(super) fn handle_ready_keys(&mut self) {
        // Each key readied again is readied by a serve, which unparks a client: the keys
        // offered are bounded by the initial queue plus one per parked client.
        let offers_max = self.blocked.ready.len() + self.blocked.len() + 1;
        for _ in 0..offers_max {
            let Some((db, key)) = self.blocked.ready.pop_front() else { return };
            let queue: Vec<ClientId> =
                self.blocked.waiters.get(&(db, key.clone())).map_or(Vec::new(), |q| q.iter().copied().collect());
            for id in queue {
                if !self.holds_value(db, &key) {
                    break;
                }
                let Some(parked) = self.blocked.clients.get(&id) else { continue };
                let (argv, serve) = (parked.argv.clone(), parked.serve);
                let argv_refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
                let caller = Caller::Client(id);
                let start_us = self.now.stopwatch.read_us();
                let (served, effects) = self.execute_serve(caller, serve, &argv_refs, &key);
                let duration_us = self.now.stopwatch.read_us().saturating_sub(start_us);
                self.commit(caller, effects);
                // `None`: the key holds another type than this client waits for; it stays.
                let Some(reply) = served else { continue };
                self.count_served(id, &argv_refs, duration_us);
                self.unpark(id);
                self.reply_unblocked(id, &reply);
            }
        }
        debug_assert!(self.blocked.ready.is_empty(), "ready keys left unserved");
    }

    /// Sends an unblocked client its reply and queues its pipelined input to run.
    pub(super) fn reply_unblocked(&mut self, id: ClientId, reply: &Reply) {
        if let Reply::Error(e) = reply {
            self.stats.count_error_reply(&e.to_string());
        }
        if let Some(client) = self.clients.get_mut(&id) {
            client.blocked = false;
            if !client.replies_suppressed() {
                encode(reply, client.resp, &mut client.reply_buf);
                self.pending_output.insert(id);
            }
            client.end_command();
            self.blocked.unblocked.push_back(id);
        }
        self.publish_events_after_reply(id);
        self.tracking_send_deferred(id);
    }

    /// A parked client's deadline passed: it gets the null array.
    pub(super) fn blocked_timed_out(&mut self, id: ClientId) {
        if self.unpark(id) {
            self.reply_unblocked(id, &Reply::NullArray);
        }
    }

    /// Flushes unblocked clients' replies and runs the input they pipelined while parked.
    pub(super) fn run_unblocked(&mut self) {
        for _ in 0..UNBLOCKED_RUNS_MAX {
            let Some(id) = self.blocked.unblocked.pop_front() else { break };
            self.process_input(id);
            self.flush_client(id);
        }
    }

    /// CLIENT UNBLOCK: answers a parked client as at its timeout (or with the UNBLOCKED error)
    /// and unparks it. 1 when `target` was parked, 0 otherwise.
    pub(super) fn unblock_client(&mut self, target: ClientId, with_error: bool) -> bool {
        if !self.unpark(target) {
            return false;
        }
        let reply = if with_error {
            Reply::Error(verdis_engine::CmdError::msg("UNBLOCKED client unblocked via CLIENT UNBLOCK"))
        } else {
            Reply::NullArray
        };
        self.reply_unblocked(target, &reply);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::Harness;
    use super::super::timers::Timer;

    #[test]
    fn a_push_wakes_the_first_blocked_client() {
        // Proves a parked BLPOP gets no reply, is served by another client's push in FIFO order,
        // and that the pusher sees its own reply unchanged.
        let mut h = Harness::new();
        let (a, b, c) = (h.connect(1), h.connect(2), h.connect(3));
        assert_eq!(h.run(a, &["BLPOP", "k", "0"]), "");
        assert_eq!(h.run(b, &["BRPOP", "k", "x", "0"]), "");
        let (out, _) = h.request(c, &["RPUSH", "k", "1", "2", "3"]);
        assert_eq!(out.reply, ":3\r\n");
        assert_eq!(h.run(c, &["LRANGE", "k", "0", "-1"]), "*1\r\n$1\r\n2\r\n");
        assert!(!h.node.blocked.is_blocked(a) && !h.node.blocked.is_blocked(b));
    }

    #[test]
    fn each_waiter_wakes_only_for_its_type() {
        // Proves a list push leaves a BZPOPMIN waiter parked while it serves a BLPOP waiter on the
        // same key, a ZADD serves a BZPOPMAX waiter (popping the member), and a ZADD onto the
        // key the BZPOPMIN waiter waits on serves it (the exact replies: tests/blocking.rs).
        let mut h = Harness::new();
        let (a, b, c) = (h.connect(1), h.connect(2), h.connect(3));
        assert!(h.run(b, &["HELLO", "3"]).starts_with('%'));
        assert_eq!(h.run(a, &["BZPOPMIN", "k", "0"]), "");
        assert_eq!(h.run(b, &["BLPOP", "k", "0"]), "");
        assert_eq!(h.run(c, &["RPUSH", "k", "x"]), ":1\r\n");
        assert!(h.node.blocked.is_blocked(a) && !h.node.blocked.is_blocked(b));
        assert_eq!(h.run(b, &["BZPOPMAX", "k", "z", "0"]), "");
        assert_eq!(h.run(c, &["ZADD", "z", "1.5", "m"]), ":1\r\n");
        assert!(h.node.blocked.is_blocked(a) && !h.node.blocked.is_blocked(b));
        assert_eq!(h.run(c, &["EXISTS", "z"]), ":0\r\n");
        assert_eq!(h.run(c, &["ZADD", "k", "2", "n"]), ":1\r\n");
        assert!(!h.node.blocked.is_blocked(a));
        assert_eq!(h.run(c, &["EXISTS", "k"]), ":0\r\n");
    }

    #[test]
    fn client_list_flags_blocked_clients() {
        // Proves CLIENT LIST shows flag `b` while a client is parked, and not after.
        let mut h = Harness::new();
        let (a, b) = (h.connect(1), h.connect(2));
        h.run(a, &["BLPOP", "k", "0"]);
        assert!(h.run(b, &["CLIENT", "LIST", "ID", &a.to_string()]).contains(" flags=b "));
        h.run(b, &["RPUSH", "k", "v"]);
        assert!(h.run(b, &["CLIENT", "LIST", "ID", &a.to_string()]).contains(" flags=N "));
    }

    #[test]
    fn idle_timeout_spares_blocked_clients() {
        // Proves `timeout` closes an idle client but not one parked by BLPOP, as Redis does.
        let mut h = Harness::new();
        let (a, b) = (h.connect(1), h.connect(2));
        h.run(a, &["CONFIG", "SET", "timeout", "1"]);
        h.run(b, &["BLPOP", "k", "0"]);
        h.advance_ms(2_500);
        assert!(h.node.blocked.is_blocked(b));
        assert!(h.node.clients.contains_key(&b));
        assert!(!h.node.clients.contains_key(&a));
    }

    #[test]
    fn info_counts_blocked_clients() {
        // Proves INFO clients reports parked clients and those with a timeout, as Redis does.
        let mut h = Harness::new();
        let (a, b, c) = (h.connect(1), h.connect(2), h.connect(3));
        h.run(a, &["BLPOP", "k", "0"]);
        h.run(b, &["BLMPOP", "5", "1", "k", "LEFT"]);
        let info = h.run(c, &["INFO", "clients"]);
        assert!(info.contains("blocked_clients:2\r\n"), "{info}");
        assert!(info.contains("clients_in_timeout_table:1\r\n"), "{info}");
        h.node.handle_disconnect(h.now, a);
        let info = h.run(c, &["INFO", "clients"]);
        assert!(info.contains("blocked_clients:1\r\n"), "{info}");
    }

    #[test]
    fn timeouts_answer_null_and_set_the_timer() {
        // Proves poll_timeout reports the earliest deadline, and a timed-out client gets the
        // null array (RESP2 `*-1`).
        let mut h = Harness::new();
        let a = h.connect(1);
        h.run(a, &["BLPOP", "k", "0.25"]);
        assert!(h.node.poll_timeout() <= h.now.mono_us + 250_000);
        assert_eq!(h.node.timers.get(Timer::Blocked(a)), Some(h.now.mono_us + 250_000));
        h.advance_ms(249);
        assert!(h.node.blocked.is_blocked(a));
        h.advance_ms(1);
        assert!(!h.node.blocked.is_blocked(a));
    }
}
