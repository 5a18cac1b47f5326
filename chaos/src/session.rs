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
    let text = format!("ERR unknown command 'NOSUCHCMD', with args beginning with: '{}' ", String::from_utf8_lossy(key));
    Some(Reply::Error(CmdError::Message(Cow::Owned(text))))
}

impl Sessions {
    /// True when connection `conn` has an open transaction.
    pub fn in_multi(&self, conn: u64) -> bool {
        self.by_conn.get(&conn).is_some_and(|s| s.multi.is_some())
    }

    /// Applies `op`, executed by the node on connection `conn` at `now_ms`, to the model and to
    /// the connections' state; returns its reply and whether it ran. Panics when an EXEC that
    /// commits did not queue what its client queued (a bug in the world, not the node).
    pub fn apply(&mut self, model: &mut Model, conn: u64, op: &Op, now_ms: i64) -> Step {
        // Touches left by a replay or a keyspace comparison are not this request's.
        model.take_touched();
        let s = self.by_conn.entry(conn).or_default();
        let mut ran = false;
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
            (Op::Exec { ops }, Some(_)) => {
                let queue = s.multi.take().expect("matched");
                let expired = s.watched.iter().any(|w| !w.expired && model.is_expired(&w.key, now_ms));
                let dirty = s.dirty_cas || expired;
                s.forget_watches();
                if queue.aborted {
                    error("EXECABORT Transaction discarded because of previous errors.")
                } else if dirty {
                    Some(Reply::NullArray)
                } else {
                    assert_eq!(&queue.ops, ops, "EXEC on conn {conn} commits other commands than its client queued");
                    ran = true;
                    model.apply(op, now_ms)
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
        Step { reply, ran }
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
