//! The reference model's per-connection state: each connection's open transaction and watched
//! keys (Redis 7.0's `multi.c`), so the replies of MULTI, queued commands, EXEC (its array,
//! `-EXECABORT`, or the null array when a watched key changed), DISCARD, WATCH and UNWATCH are
//! predicted exactly, including a WATCH fired by another client's write or by an expiry.
//!
//! Like `model`, it shares no code with the node. The rules, from Redis 7.0.15 (asked with
//! redis-cli where the source left a doubt):
//! - MULTI inside MULTI and WATCH inside MULTI are errors that do not abort the transaction;
//!   EXEC and DISCARD without MULTI are errors; every other command inside MULTI is queued
//!   (`+QUEUED`), and one refused while queueing (an unknown command, a fault refusal) makes
//!   EXEC answer `-EXECABORT` (checked before the watched keys).
//! - A key is touched when a command signals it modified (`Model::take_touched`: a write that
//!   wrote, a lazy or active expiry); each touch of a watched key makes its watchers' EXEC fail
//!   and unwatches them, except that a watcher who WATCHed the key already expired is spared
//!   the key's deletion once (`touchWatchedKey`: logically nothing changed). Touches are
//!   evaluated after the whole unit, as the node does: for one touch this is the same as at
//!   the moment of the touch, and two touches of one key dirty its watchers either way.
//! - EXEC also fails when a watched key, alive when WATCHed, has logically expired since
//!   (`isWatchedKeyExpired`). EXEC, DISCARD and UNWATCH forget the watched keys.

use std::borrow::Cow;
use std::collections::BTreeMap;

use verdis_engine::{CmdError, Reply};

use crate::model::Model;
use crate::op::Op;

/// A connection's open transaction.
#[derive(Debug, Default)]
struct Queue {
    /// The commands queued, in order.
    ops: Vec<Op>,
    /// A command was refused while queueing: EXEC aborts (Redis's `CLIENT_DIRTY_EXEC`).
    aborted: bool,
}

/// One watched key.
#[derive(Debug)]
struct Watched {
    key: Vec<u8>,
    /// The key was logically expired when WATCHed.
    expired: bool,
}

/// One connection's state.
#[derive(Debug, Default)]
struct Session {
    multi: Option<Queue>,
    watched: Vec<Watched>,
    /// A watched key was touched: EXEC answers the null array (Redis's `CLIENT_DIRTY_CAS`).
    dirty_cas: bool,
}

impl Session {
    fn forget_watches(&mut self) {
        self.watched.clear();
        self.dirty_cas = false;
    }
}

/// What one executed request did, as the model sees it.
#[derive(Debug, PartialEq)]
pub struct Step {
    /// The reply (`None`: not predicted, as for BGSAVE).
    pub reply: Option<Reply>,
    /// The request ran against the keyspace (a command outside MULTI, a committed EXEC): the
    /// durability log records it.
    pub ran: bool,
    /// A committed EXEC: the commands it ran, in order (what its `Op::Exec` must carry).
    pub committed: Option<Vec<Op>>,
}

/// Every connection's state, by the world's connection id.
#[derive(Debug, Default)]
pub struct Sessions {
    by_conn: BTreeMap<u64, Session>,
}

fn error(text: &'static str) -> Option<Reply> {
    Some(Reply::Error(CmdError::msg(text)))
}

/// Redis's reply to an unknown command with one argument (note the trailing space).
fn unknown_command(key: &[u8]) -> Option<Reply> {
    let text =
        format!("ERR unknown command 'NOSUCHCMD', with args beginning with: '{}' ", String::from_utf8_lossy(key));
    Some(Reply::Error(CmdError::Message(Cow::Owned(text))))
}

impl Sessions {
    /// True when connection `conn` has an open transaction.
    pub fn in_multi(&self, conn: u64) -> bool {
        self.by_conn.get(&conn).is_some_and(|s| s.multi.is_some())
    }

    /// Applies `op`, executed by the node on connection `conn` at `now_ms`, to the model and to
    /// the connections' state; returns its reply, whether it ran, and what an EXEC committed.
    pub fn apply(&mut self, model: &mut Model, conn: u64, op: &Op, now_ms: i64) -> Step {
        // Touches left by a replay or a keyspace comparison are not this request's.
        model.take_touched();
        let s = self.by_conn.entry(conn).or_default();
        let mut ran = false;
        let mut committed = None;
        let reply = match (op, s.multi.as_mut()) {
            (Op::Multi, Some(_)) => error("ERR MULTI calls can not be nested"),
            (Op::Multi, None) => {
                s.multi = Some(Queue::default());
                Some(Reply::Ok)
            }
            (Op::Watch { .. }, Some(_)) => error("ERR WATCH inside MULTI is not allowed"),
            (Op::Watch { keys }, None) => {
                // A dirty connection watches nothing more: its EXEC fails anyway.
                if !s.dirty_cas {
                    for key in keys {
                        if !s.watched.iter().any(|w| w.key == *key) {
                            s.watched.push(Watched { key: key.clone(), expired: model.is_expired(key, now_ms) });
                        }
                    }
                }
                Some(Reply::Ok)
            }
            (Op::Exec { .. }, None) => error("ERR EXEC without MULTI"),
            (Op::Exec { .. }, Some(_)) => {
                let queue = s.multi.take().expect("matched");
                let expired = s.watched.iter().any(|w| !w.expired && model.is_expired(&w.key, now_ms));
                let dirty = s.dirty_cas || expired;
                s.forget_watches();
                if queue.aborted {
                    error("EXECABORT Transaction discarded because of previous errors.")
                } else if dirty {
                    Some(Reply::NullArray)
                } else {
                    let exec = Op::Exec { ops: queue.ops };
                    let reply = model.apply(&exec, now_ms);
                    let Op::Exec { ops } = exec else { unreachable!() };
                    committed = Some(ops);
                    reply
                }
            }
            (Op::Discard, None) => error("ERR DISCARD without MULTI"),
            (Op::Discard, Some(_)) => {
                s.multi = None;
                s.forget_watches();
                Some(Reply::Ok)
            }
            (Op::Unknown { key }, queue) => {
                if let Some(q) = queue {
                    q.aborted = true;
                }
                unknown_command(key)
            }
            (_, Some(queue)) => {
                queue.ops.push(op.clone());
                Some(Reply::simple("QUEUED"))
            }
            (Op::Unwatch, None) => {
                s.forget_watches();
                Some(Reply::Ok)
            }
            (_, None) => {
                ran = true;
                model.apply(op, now_ms)
            }
        };
        self.touch(model);
        Step { reply, ran: ran || committed.is_some(), committed }
    }

    /// The node refused `op` on `conn` with a fault's error (`-MISCONF`, `-LOADING`, or EXEC's
    /// `-EXECABORT` wrapping one): a command refused while queueing aborts the transaction
    /// (Redis's `flagTransaction`), a refused EXEC ends it. `op` must not have been applied.
    pub fn refused(&mut self, conn: u64, op: &Op) {
        let Some(s) = self.by_conn.get_mut(&conn) else { return };
        match (op, s.multi.as_mut()) {
            (Op::Exec { .. }, Some(_)) => {
                s.multi = None;
                s.forget_watches();
            }
            (_, Some(queue)) => queue.aborted = true,
            (_, None) => {}
        }
    }

    /// Fires the watches on the keys the model was touched on since it was last asked (a
    /// request, or the node's active expiry mirrored into it).
    pub fn touch(&mut self, model: &mut Model) {
        let touched = model.take_touched();
        if touched.is_empty() {
            return;
        }
        let mut times: BTreeMap<&[u8], usize> = BTreeMap::new();
        for key in &touched {
            *times.entry(key.as_slice()).or_insert(0) += 1;
        }
        for s in self.by_conn.values_mut() {
            let mut dirty = false;
            for w in &mut s.watched {
                let Some(&n) = times.get(w.key.as_slice()) else { continue };
                if n == 1 && w.expired && !model.keys.contains_key(&w.key) {
                    w.expired = false;
                } else {
                    dirty = true;
                }
            }
            if dirty {
                s.watched.clear();
                s.dirty_cas = true;
            }
        }
    }

    /// Connection `conn` is gone: the node forgets its transaction and watches.
    pub fn close(&mut self, conn: u64) {
        self.by_conn.remove(&conn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::encode_reply;

    fn k(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }

    fn set(key: &str, val: &str) -> Op {
        Op::Set { key: k(key), val: k(val), px: None, nx: false }
    }

    /// Runs `op` on `conn` at `now_ms`, returning the reply as RESP2 text.
    fn run(s: &mut Sessions, m: &mut Model, conn: u64, op: Op, now_ms: i64) -> String {
        let step = s.apply(m, conn, &op, now_ms);
        String::from_utf8(encode_reply(&step.reply.expect("predicted"))).unwrap()
    }

    const EXECABORT: &str = "-EXECABORT Transaction discarded because of previous errors.\r\n";

    #[test]
    fn transaction_replies_follow_redis_7_0() {
        // Proves the replies Redis 7.0.15 gave for this sequence (asked with redis-cli):
        // queueing, EXEC's array with a runtime error in place, an unknown command aborting
        // EXEC, and nested MULTI, WATCH inside MULTI, EXEC/DISCARD without MULTI as errors that
        // leave the transaction running; only a committed EXEC runs against the keyspace.
        let (mut s, mut m) = (Sessions::default(), Model::default());
        assert_eq!(run(&mut s, &mut m, 1, Op::Multi, 0), "+OK\r\n");
        assert_eq!(
            run(&mut s, &mut m, 1, Op::Unknown { key: k("k0") }, 0),
            "-ERR unknown command 'NOSUCHCMD', with args beginning with: 'k0' \r\n"
        );
        assert_eq!(run(&mut s, &mut m, 1, Op::Multi, 0), "-ERR MULTI calls can not be nested\r\n");
        assert_eq!(
            run(&mut s, &mut m, 1, Op::Watch { keys: vec![k("a")] }, 0),
            "-ERR WATCH inside MULTI is not allowed\r\n"
        );
        assert_eq!(run(&mut s, &mut m, 1, set("a", "1"), 0), "+QUEUED\r\n");
        assert_eq!(run(&mut s, &mut m, 1, Op::Exec { ops: Vec::new() }, 0), EXECABORT);
        assert!(m.is_empty(), "an aborted transaction runs nothing");
        assert_eq!(run(&mut s, &mut m, 1, Op::Exec { ops: Vec::new() }, 0), "-ERR EXEC without MULTI\r\n");
        assert_eq!(run(&mut s, &mut m, 1, Op::Discard, 0), "-ERR DISCARD without MULTI\r\n");
        assert_eq!(run(&mut s, &mut m, 1, Op::Multi, 0), "+OK\r\n");
        assert_eq!(run(&mut s, &mut m, 1, Op::Multi, 0), "-ERR MULTI calls can not be nested\r\n");
        let queued = vec![set("a", "x"), Op::Incr { key: k("a") }, set("b", "x")];
        for op in &queued {
            assert_eq!(run(&mut s, &mut m, 1, op.clone(), 0), "+QUEUED\r\n");
        }
        let step = s.apply(&mut m, 1, &Op::Exec { ops: Vec::new() }, 0);
        assert!(step.ran);
        assert_eq!(step.committed.as_ref(), Some(&queued), "the EXEC carries what it committed");
        assert_eq!(
            String::from_utf8(encode_reply(&step.reply.unwrap())).unwrap(),
            "*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n+OK\r\n"
        );
        assert_eq!(m.keys.len(), 2);
        assert_eq!(run(&mut s, &mut m, 1, Op::Multi, 0), "+OK\r\n");
        assert_eq!(run(&mut s, &mut m, 1, set("c", "1"), 0), "+QUEUED\r\n");
        assert_eq!(run(&mut s, &mut m, 1, Op::Discard, 0), "+OK\r\n");
        assert!(!s.apply(&mut m, 1, &Op::Exec { ops: Vec::new() }, 0).ran);
        assert_eq!(m.keys.len(), 2, "a discarded transaction runs nothing");
    }

    #[test]
    fn watch_fires_on_any_clients_change_only() {
        // Proves a watched key's change by another connection or by the watcher itself makes
        // EXEC answer the null array (and runs nothing), a no-op write (SADD of a present
        // member) does not, a fired watch stays fired through later WATCHes, and UNWATCH and
        // DISCARD forget it: the cases of server/tests/transactions.rs.
        let (mut s, mut m) = (Sessions::default(), Model::default());
        let exec = |s: &mut Sessions, m: &mut Model| {
            run(s, m, 1, Op::Multi, 0);
            run(s, m, 1, Op::Incr { key: k("n") }, 0);
            run(s, m, 1, Op::Exec { ops: Vec::new() }, 0)
        };
        let sadd = |member: &str| Op::SAdd { key: k("s"), member: k(member) };
        run(&mut s, &mut m, 2, sadd("m"), 0);
        run(&mut s, &mut m, 1, Op::Watch { keys: vec![k("s")] }, 0);
        run(&mut s, &mut m, 2, sadd("m"), 0);
        assert_eq!(exec(&mut s, &mut m), "*1\r\n:1\r\n", "a present member changes nothing");
        run(&mut s, &mut m, 1, Op::Watch { keys: vec![k("s")] }, 0);
        run(&mut s, &mut m, 2, sadd("x"), 0);
        assert_eq!(exec(&mut s, &mut m), "*-1\r\n");
        assert_eq!(m.keys[&k("n")].val, crate::model::MVal::Str(k("1")), "the failed EXEC ran nothing");
        run(&mut s, &mut m, 1, Op::Watch { keys: vec![k("w")] }, 0);
        run(&mut s, &mut m, 2, set("w", "1"), 0);
        run(&mut s, &mut m, 1, Op::Watch { keys: vec![k("other")] }, 0);
        assert_eq!(exec(&mut s, &mut m), "*-1\r\n", "a fired watch stays fired");
        run(&mut s, &mut m, 1, Op::Watch { keys: vec![k("w")] }, 0);
        run(&mut s, &mut m, 1, set("w", "own"), 0);
        assert_eq!(exec(&mut s, &mut m), "*-1\r\n", "the watcher's own write counts");
        run(&mut s, &mut m, 1, Op::Watch { keys: vec![k("w")] }, 0);
        run(&mut s, &mut m, 2, set("w", "2"), 0);
        run(&mut s, &mut m, 1, Op::Unwatch, 0);
        assert_eq!(exec(&mut s, &mut m), "*1\r\n:2\r\n", "UNWATCH forgets a fired watch");
        run(&mut s, &mut m, 1, Op::Watch { keys: vec![k("w")] }, 0);
        run(&mut s, &mut m, 2, set("w", "3"), 0);
        run(&mut s, &mut m, 1, Op::Multi, 0);
        run(&mut s, &mut m, 1, Op::Discard, 0);
        assert_eq!(exec(&mut s, &mut m), "*1\r\n:3\r\n", "DISCARD forgets a fired watch");
        run(&mut s, &mut m, 1, Op::Watch { keys: vec![k("w")] }, 0);
        s.close(2);
        run(&mut s, &mut m, 3, Op::Del { keys: vec![k("missing")] }, 0);
        assert_eq!(exec(&mut s, &mut m), "*1\r\n:4\r\n", "a DEL of a missing key changes nothing");
    }

    #[test]
    fn watch_and_expiry_follow_redis_7_0() {
        // Proves a watched key that expires after WATCH fails EXEC (noticed at EXEC, or
        // deleted lazily by another client's read, or by the active expiry mirrored into the
        // model), while a key already expired when WATCHed does not when a read deletes it.
        let px = |key: &str| Op::Set { key: k(key), val: k("v"), px: Some(100), nx: false };
        let exec = |s: &mut Sessions, m: &mut Model, now_ms| {
            run(s, m, 1, Op::Multi, now_ms);
            run(s, m, 1, Op::Exec { ops: Vec::new() }, now_ms)
        };
        let (mut s, mut m) = (Sessions::default(), Model::default());
        run(&mut s, &mut m, 2, px("a"), 0);
        run(&mut s, &mut m, 1, Op::Watch { keys: vec![k("a")] }, 50);
        assert_eq!(exec(&mut s, &mut m, 200), "*-1\r\n", "expired since WATCH, still in memory");
        run(&mut s, &mut m, 2, px("a"), 1000);
        run(&mut s, &mut m, 1, Op::Watch { keys: vec![k("a")] }, 1050);
        run(&mut s, &mut m, 2, Op::Get { key: k("a") }, 1200);
        assert_eq!(exec(&mut s, &mut m, 1200), "*-1\r\n", "deleted by another client's read");
        run(&mut s, &mut m, 2, px("a"), 2000);
        run(&mut s, &mut m, 1, Op::Watch { keys: vec![k("a")] }, 2050);
        let empty = verdis_engine::Keyspace::new(1, &mut verdis_engine::Rng::new(1));
        assert_eq!(m.mirror_active_expiry(&empty, 2200), Ok(vec![k("a")]));
        s.touch(&mut m);
        assert_eq!(exec(&mut s, &mut m, 2200), "*-1\r\n", "removed by the active expiry");
        run(&mut s, &mut m, 2, px("a"), 3000);
        run(&mut s, &mut m, 1, Op::Watch { keys: vec![k("a")] }, 3200);
        run(&mut s, &mut m, 2, Op::Get { key: k("a") }, 3300);
        assert_eq!(exec(&mut s, &mut m, 3300), "*0\r\n", "already expired when WATCHed");
    }

    #[test]
    fn a_refused_queued_command_aborts_and_a_refused_exec_ends_the_transaction() {
        // Proves a fault refusal while queueing makes EXEC answer -EXECABORT (Redis's
        // flagTransaction), and a refused EXEC leaves no transaction open.
        let (mut s, mut m) = (Sessions::default(), Model::default());
        run(&mut s, &mut m, 1, Op::Multi, 0);
        s.refused(1, &set("a", "1"));
        assert_eq!(run(&mut s, &mut m, 1, Op::Exec { ops: Vec::new() }, 0), EXECABORT);
        run(&mut s, &mut m, 1, Op::Multi, 0);
        run(&mut s, &mut m, 1, set("a", "1"), 0);
        s.refused(1, &Op::Exec { ops: Vec::new() });
        assert!(!s.in_multi(1));
        assert!(m.is_empty());
    }
}
