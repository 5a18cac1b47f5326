//! The list family: commands on `list` values (Redis's `t_list.c`).
//!
//! | file | commands |
//! |---|---|
//! | `push.rs` | LPUSH, RPUSH, LPUSHX, RPUSHX |
//! | `pop.rs` | LPOP, RPOP, LMPOP |
//! | `lrange.rs` | LRANGE, LLEN |
//! | `lindex.rs` | LINDEX, LSET |
//! | `linsert.rs`, `lrem.rs`, `ltrim.rs` | LINSERT; LREM; LTRIM |
//! | `lpos.rs` | LPOS |
//! | `lmove.rs` | LMOVE, RPOPLPUSH |
//! | `blocking.rs` | BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP (the node parks the client) |
//!
//! The value type is `types::list`. A list key never holds an empty list: the command that
//! removes the last element deletes the key, as Redis does.

pub mod blocking;
mod lindex;
mod linsert;
mod lmove;
mod lpos;
mod lrange;
mod lrem;
mod ltrim;
mod pop;
mod push;

use super::args::eq_ci;
use super::ctx::Ctx;
use super::effects::NotifyClass;
use super::redis_specs as s;
use super::table::{engine, Command};
use crate::error::CmdError;
use crate::types::list::{End, ListValue};
use crate::value::Value;

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    engine(&s::LPUSH, push::lpush),
    engine(&s::RPUSH, push::rpush),
    engine(&s::LPUSHX, push::lpushx),
    engine(&s::RPUSHX, push::rpushx),
    engine(&s::LPOP, pop::lpop),
    engine(&s::RPOP, pop::rpop),
    engine(&s::LMPOP, pop::lmpop),
    engine(&s::LLEN, lrange::llen),
    engine(&s::LRANGE, lrange::lrange),
    engine(&s::LINDEX, lindex::lindex),
    engine(&s::LSET, lindex::lset),
    engine(&s::LINSERT, linsert::linsert),
    engine(&s::LREM, lrem::lrem),
    engine(&s::LTRIM, ltrim::ltrim),
    engine(&s::LPOS, lpos::lpos),
    engine(&s::LMOVE, lmove::lmove),
    engine(&s::RPOPLPUSH, lmove::rpoplpush),
    engine(&s::BLPOP, blocking::blpop),
    engine(&s::BRPOP, blocking::brpop),
    engine(&s::BLMOVE, blocking::blmove),
    engine(&s::BRPOPLPUSH, blocking::brpoplpush),
    engine(&s::BLMPOP, blocking::blmpop),
];

/// LEFT or RIGHT, any case; a syntax error otherwise (Redis's `getListPositionFromObjectOrReply`).
fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if eq_ci(arg, "left") {
        Ok(End::Left)
    } else if eq_ci(arg, "right") {
        Ok(End::Right)
    } else {
        Err(CmdError::Syntax)
    }
}

/// Redis's start/stop rules for LRANGE and LTRIM: negative indexes count from the tail, the
/// start is clamped to 0 and the stop to the last element. `None` when the range is empty.
fn clamp_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some((start as usize, stop.min(len - 1) as usize))
}

/// The event a push at `end` raises.
fn push_event(end: End) -> &'static str {
    match end {
        End::Left => "lpush",
        End::Right => "rpush",
    }
}

/// The event a pop from `end` raises.
fn pop_event(end: End) -> &'static str {
    match end {
        End::Left => "lpop",
        End::Right => "rpop",
    }
}

/// Pushes `items` one by one at `end` of the list at `key`, creating the key when absent (Redis's
/// `pushGenericCommand` body), and raises `event` on it (`lpush`/`rpush`, or `linsert` for an
/// insertion at the tail). Returns the new length.
fn push_items(ctx: &mut Ctx, key: &[u8], end: End, items: &[&[u8]], event: &'static str) -> Result<usize, CmdError> {
    let list = match ctx.write_list(key)? {
        Some(list) => list,
        None => {
            let obj = ctx.new_object(Value::List(Box::new(ListValue::new())));
            ctx.add_key(key, obj);
            ctx.write_list(key)?.expect("just added")
        }
    };
    for item in items {
        list.push(end, item);
    }
    let len = list.len();
    ctx.dirty += items.len() as u64;
    ctx.notify(NotifyClass::LIST, event, key);
    Ok(len)
}

/// Pops up to `count` elements from `end` of the list at `key` (which must hold a non-empty
/// list), raising `lpop`/`rpop` when it popped any, then deleting the key once it is empty
/// (`del`), as each of Redis's pops does.
fn pop_items(ctx: &mut Ctx, key: &[u8], end: End, count: usize) -> Vec<Vec<u8>> {
    let list = match ctx.lookup_write(key).map(|o| &mut o.value) {
        Some(Value::List(list)) => list,
        _ => unreachable!("the caller checked that a list is there"),
    };
    let mut popped = Vec::with_capacity(count.min(list.len()));
    while popped.len() < count {
        let Some(item) = list.pop(end) else { break };
        popped.push(item);
    }
    let emptied = list.is_empty();
    if !popped.is_empty() {
        ctx.notify(NotifyClass::LIST, pop_event(end), key);
    }
    if emptied {
        ctx.delete_emptied(key);
    }
    ctx.dirty += popped.len() as u64;
    popped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testing::TestDb;

    #[test]
    fn ranges_follow_redis_clamping() {
        // Proves clamp_range's rules on a 5-element list, extremes included.
        type Case = (i64, i64, Option<(usize, usize)>);
        let cases: &[Case] = &[
            (0, -1, Some((0, 4))),
            (-100, 100, Some((0, 4))),
            (2, 1, None),
            (5, 10, None),
            (-2, -1, Some((3, 4))),
            (i64::MIN, i64::MAX, Some((0, 4))),
            (i64::MAX, i64::MIN, None),
            (0, -6, None),
        ];
        for &(start, stop, want) in cases {
            assert_eq!(clamp_range(start, stop, 5), want, "{start} {stop}");
        }
    }

    #[test]
    fn lists_report_type_and_encoding_and_refuse_string_commands() {
        // Proves TYPE and OBJECT ENCODING for lists (always quicklist in Redis 7.0, even small),
        // and that string commands refuse a list.
        let mut db = TestDb::new();
        db.check(&[("RPUSH l a", ":1")]);
        assert_eq!(db.encoding("l"), Some("quicklist"));
        db.check(&[
            ("TYPE l", "+list"),
            ("GET l", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("MGET l", "[(nil)]"),
            ("LCS l l", "-ERR The specified keys must contain string values"),
            ("SET s v", "+OK"),
            ("LPUSH s a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("LLEN s", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
        ]);
    }

    #[test]
    fn value_stays_the_size_of_a_string() {
        // Proves adding lists did not grow every keyspace entry: `Value` is still 32 bytes.
        assert_eq!(std::mem::size_of::<Value>(), 32);
    }

    #[test]
    fn keyspace_events_match_redis() {
        // Proves the family raises Redis 7.0's keyspace events, names and order: pushes (new first), LINSERT/LSET/LREM/LTRIM (even a trim that keeps all), pops with del once empty, LMOVE's push before its pop, LMPOP and the blocking forms when they find data, no keymiss for write lookups. The
        // table is the event stream a real redis-server 7.0.15 (notify-keyspace-events EAmn)
        // published for the same lines.
        TestDb::new().check_events(&[
            ("LPUSH l a b", "new:l lpush:l"),
            ("RPUSH l c", "rpush:l"),
            ("LPUSHX l d", "lpush:l"),
            ("RPUSHX l e", "rpush:l"),
            ("LPUSHX nol d", ""),
            ("RPUSHX nol d", ""),
            ("LINSERT l BEFORE a x", "linsert:l"),
            ("LINSERT l AFTER zz x", ""),
            ("LINSERT nol AFTER a x", ""),
            ("LSET l 0 y", "lset:l"),
            ("LSET l 99 y", ""),
            ("LRANGE l 0 -1", ""),
            ("LRANGE nol 0 -1", "keymiss:nol"),
            ("LLEN nol", "keymiss:nol"),
            ("LINDEX nol 0", "keymiss:nol"),
            ("LPOS nol a", "keymiss:nol"),
            ("LREM l 1 zz", ""),
            ("LREM l 1 a", "lrem:l"),
            ("LREM nol 1 a", ""),
            ("LTRIM l 0 2", "ltrim:l"),
            ("LTRIM l 0 -1", "ltrim:l"),
            ("LTRIM nol 0 1", ""),
            ("LPOP l", "lpop:l"),
            ("RPOP l 2", "rpop:l del:l"),
            ("LPOP nol", ""),
            ("LPOP l 0", ""),
            ("LPOP l 5", ""),
            ("RPUSH l a b c", "new:l rpush:l"),
            ("LTRIM l 5 10", "ltrim:l del:l"),
            ("RPUSH l a b c", "new:l rpush:l"),
            ("LMOVE l l2 LEFT RIGHT", "new:l2 rpush:l2 lpop:l"),
            ("LMOVE l l2 RIGHT LEFT", "lpush:l2 rpop:l"),
            ("LMOVE l l LEFT RIGHT", "rpush:l lpop:l"),
            ("LMOVE l l2 LEFT LEFT", "lpush:l2 lpop:l del:l"),
            ("LMOVE nol l2 LEFT LEFT", ""),
            ("RPOPLPUSH l2 l3", "new:l3 lpush:l3 rpop:l2"),
            ("RPOPLPUSH l2 l2", "lpush:l2 rpop:l2"),
            ("LMPOP 2 nol l2 LEFT COUNT 10", "lpop:l2 del:l2"),
            ("LMPOP 2 nol l3 RIGHT", "rpop:l3 del:l3"),
            ("LMPOP 1 nol LEFT", ""),
            ("RPUSH l a b c", "new:l rpush:l"),
            ("BLPOP nol l 0", "lpop:l"),
            ("BRPOP l 0", "rpop:l"),
            ("BLMOVE l l4 LEFT RIGHT 0", "new:l4 rpush:l4 lpop:l del:l"),
            ("BRPOPLPUSH l4 l5 0", "new:l5 lpush:l5 rpop:l4 del:l4"),
            ("BLMPOP 0 1 l5 LEFT COUNT 3", "lpop:l5 del:l5"),
        ]);
    }
}
