//! SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]
//!      [STORE destination]
//! SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]
//!
//! Redis's `sortCommandGeneric` (sort.c): sorts a list, set or sorted set numerically (scores read
//! by C's `strtod`) or with ALPHA by bytes, optionally by weights looked up through a pattern, and
//! returns the elements or values looked up through GET patterns, or stores them as a list.
//!
//! Differences from Redis: ALPHA compares as `strcoll` does in the C locale (byte order up to a
//! NUL), whatever locale the server runs in; equal elements keep their input order (glibc's
//! `qsort` is a merge sort, but Redis's partial sort for BY with LIMIT is not stable); a set
//! sorted BY a constant from a script is not forced into ALPHA order (verdis has no scripting
//! flag in the engine context).

use std::cmp::Ordering;

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::cmd::zset::is_opt;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::num::strtod;
use crate::reply::Reply;
use crate::types::list::{End, ListValue};
use crate::value::Value;

/// SORT: the sorted elements, or with STORE their count after storing them as a list.
pub fn sort(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    sort_generic(ctx, argv, false)
}

/// SORT_RO: SORT without STORE (STORE is a syntax error).
pub fn sort_ro(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    sort_generic(ctx, argv, true)
}

/// The parsed options, as `sortCommandGeneric` keeps them.
struct Options<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    /// The last BY pattern.
    sort_by: Option<&'a [u8]>,
    /// Set by any BY pattern without `*` (even if a later BY has one, as in Redis).
    dont_sort: bool,
    store: Option<&'a [u8]>,
    gets: Vec<&'a [u8]>,
}

/// Reads the options after the key, with Redis's errors (a LIMIT that is not an integer, a
/// token it does not know or that lacks its arguments, STORE in SORT_RO).
fn parse_options<'a>(argv: &[&'a [u8]], readonly: bool) -> Result<Options<'a>, CmdError> {
    let mut o = Options {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        sort_by: None,
        dont_sort: false,
        store: None,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let arg = argv[j];
        if is_opt(arg, "asc") {
            o.desc = false;
        } else if is_opt(arg, "desc") {
            o.desc = true;
        } else if is_opt(arg, "alpha") {
            o.alpha = true;
        } else if is_opt(arg, "limit") && left >= 2 {
            o.limit_start = parse_i64(argv[j + 1]).ok_or(CmdError::NotInteger)?;
            o.limit_count = parse_i64(argv[j + 2]).ok_or(CmdError::NotInteger)?;
            j += 2;
        } else if !readonly && is_opt(arg, "store") && left >= 1 {
            o.store = Some(argv[j + 1]);
            j += 1;
        } else if is_opt(arg, "by") && left >= 1 {
            o.sort_by = Some(argv[j + 1]);
            if !c_str(argv[j + 1]).contains(&b'*') {
                o.dont_sort = true;
            }
            j += 1;
        } else if is_opt(arg, "get") && left >= 1 {
            o.gets.push(argv[j + 1]);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// `bytes` as C reads it: up to the first NUL.
fn c_str(bytes: &[u8]) -> &[u8] {
    bytes.split(|&b| b == 0).next().unwrap_or_default()
}

/// The type of the value being sorted, which decides how unsorted output is ordered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    Zset,
}

/// The elements of the value at `key` in its native order (a missing key is an empty list);
/// WRONGTYPE for strings and hashes. A small sorted set becomes a skiplist, as Redis converts it
/// for SORT.
fn load(ctx: &mut Ctx, key: &[u8]) -> Result<(Kind, Vec<Vec<u8>>), CmdError> {
    let empty = || Ok((Kind::List, Vec::new()));
    if ctx.lookup_read(key).is_none() {
        return empty();
    }
    // Found above (expired, counted, touched); looked up again to reach the rng alongside it.
    let rng = &mut *ctx.rng;
    let Some(obj) = ctx.keyspace.dbs[ctx.db].get_mut(key) else { return empty() };
    Ok(match &mut obj.value {
        Value::List(l) => (Kind::List, l.iter().map(<[u8]>::to_vec).collect()),
        Value::Set(s) => (Kind::Set, s.iter().map(|m| m.into_owned()).collect()),
        Value::Zset(z) => {
            z.convert_to_skiplist(rng);
            (Kind::Zset, z.iter().map(|(m, _)| m.to_vec()).collect())
        }
        _ => return Err(CmdError::WrongType),
    })
}

/// Redis's `lookupKeyByPattern`: `#` is the element itself; otherwise the first `*` is replaced
/// by the element to name a key, whose string value is returned, or with `->field` after the
/// `*` the value of that field of the hash at the key. A pattern without `*`, a missing key or
/// one of another type gives nothing.
fn lookup_by_pattern(ctx: &mut Ctx, pattern: &[u8], subst: &[u8]) -> Option<Vec<u8>> {
    // The pattern is searched as a C string, but its parts are copied by its full length.
    let c_pat = c_str(pattern);
    if c_pat == b"#" {
        return Some(subst.to_vec());
    }
    let star = c_pat.iter().position(|&b| b == b'*')?;
    let arrow = c_pat[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|at| star + 1 + at)
        .filter(|&at| at + 2 < c_pat.len());
    let postfix_end = arrow.unwrap_or(pattern.len());
    let mut key = Vec::with_capacity(pattern.len() + subst.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(&pattern[star + 1..postfix_end]);
    match (&ctx.lookup_read(&key)?.value, arrow) {
        (Value::Hash(h), Some(at)) => h.get(&pattern[at + 2..]).map(<[u8]>::to_vec),
        (Value::Str(s), None) => Some(s.to_bytes()),
        _ => None,
    }
}

/// One element being sorted with what it sorts by.
struct Item {
    elem: Vec<u8>,
    /// The numeric weight (0 when BY finds nothing).
    score: f64,
    /// The ALPHA weight looked up through BY (None when BY finds nothing).
    cmp: Option<Vec<u8>>,
}

/// A weight as `strtod` reads it from a C string, or None when it is not all a number, overflows
/// or underflows (`ERANGE`), or is NaN.
fn parse_weight(text: &[u8]) -> Option<f64> {
    let text = c_str(text);
    let (value, consumed, erange) = strtod(text);
    (consumed == text.len() && !erange && !value.is_nan()).then_some(value)
}

/// The first and last output positions after Redis's LIMIT clamping, or None when the output
/// is empty.
fn limit_range(start: i64, count: i64, len: usize) -> Option<(usize, usize)> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let start = start.max(0).min(len);
    let count = count.max(-1).min(len);
    let end = if count < 0 { len - 1 } else { start + count - 1 };
    let end = end.min(len - 1);
    if start >= len || end < start {
        return None;
    }
    Some((usize::try_from(start).ok()?, usize::try_from(end).ok()?))
}

fn sort_generic(ctx: &mut Ctx, argv: &[&[u8]], readonly: bool) -> Result<Reply, CmdError> {
    let mut o = parse_options(argv, readonly)?;
    let (kind, elems) = load(ctx, argv[1])?;
    // An unsorted set stored as a list would depend on the hash table's order: Redis sorts it.
    if o.dont_sort && kind == Kind::Set && o.store.is_some() {
        o.dont_sort = false;
        o.alpha = true;
        o.sort_by = None;
    }
    let range = limit_range(o.limit_start, o.limit_count, elems.len());

    let mut items: Vec<Item> = elems.into_iter().map(|elem| Item { elem, score: 0.0, cmp: None }).collect();
    if o.dont_sort {
        // Lists and sorted sets keep their order, reversed by DESC; sets their iteration order.
        if o.desc && kind != Kind::Set {
            items.reverse();
        }
    } else {
        let mut conversion_error = false;
        for item in &mut items {
            let by_value = match o.sort_by {
                Some(pattern) => match lookup_by_pattern(ctx, pattern, &item.elem) {
                    Some(v) => v,
                    None => continue,
                },
                None => item.elem.clone(),
            };
            if o.alpha {
                if o.sort_by.is_some() {
                    item.cmp = Some(by_value);
                }
            } else {
                match parse_weight(&by_value) {
                    Some(score) => item.score = score,
                    None => conversion_error = true,
                }
            }
        }
        let (alpha, by_pattern, binary) = (o.alpha, o.sort_by.is_some(), o.store.is_some());
        // With STORE Redis compares bytes in full; for a reply it uses strcoll (C strings).
        let text_cmp = |a: &[u8], b: &[u8]| if binary { a.cmp(b) } else { c_str(a).cmp(c_str(b)) };
        let compare = |a: &Item, b: &Item| -> Ordering {
            if !alpha {
                a.score.partial_cmp(&b.score).unwrap_or(Ordering::Equal).then_with(|| a.elem.cmp(&b.elem))
            } else if by_pattern {
                match (&a.cmp, &b.cmp) {
                    (Some(x), Some(y)) => text_cmp(x, y),
                    (x, y) => x.is_some().cmp(&y.is_some()),
                }
            } else {
                text_cmp(&a.elem, &b.elem)
            }
        };
        items.sort_by(|a, b| if o.desc { compare(b, a) } else { compare(a, b) });
        if conversion_error {
            return Err(CmdError::msg("ERR One or more scores can't be converted into double"));
        }
    }

    let selected = match range {
        Some((start, end)) => &items[start..=end],
        None => &[][..],
    };
    let Some(dest) = o.store else {
        let mut out = Vec::with_capacity(selected.len() * o.gets.len().max(1));
        for item in selected {
            if o.gets.is_empty() {
                out.push(Reply::Bulk(item.elem.clone()));
            }
            for pattern in &o.gets {
                out.push(lookup_by_pattern(ctx, pattern, &item.elem).map_or(Reply::Null, Reply::Bulk));
            }
        }
        return Ok(Reply::Array(out));
    };
    let mut list = ListValue::new();
    for item in selected {
        if o.gets.is_empty() {
            list.push(End::Right, &item.elem);
        }
        for pattern in &o.gets {
            list.push(End::Right, &lookup_by_pattern(ctx, pattern, &item.elem).unwrap_or_default());
        }
    }
    let stored = list.len();
    if stored > 0 {
        ctx.set_key(dest, Value::List(Box::new(list)), false);
        ctx.notify(NotifyClass::LIST, "sortstore", dest);
        ctx.dirty += u64::try_from(stored).unwrap_or(u64::MAX);
    } else if ctx.db().delete(dest).is_some() {
        ctx.notify(NotifyClass::GENERIC, "del", dest);
        ctx.dirty += 1;
    }
    Ok(Reply::Int(i64::try_from(stored).unwrap_or(i64::MAX)))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{show, TestDb};

    /// A list `l` = 3 1 2 10 with string weights `w_*` (reversing it) and one hash `h_1`.
    fn fixture() -> TestDb {
        let mut t = TestDb::new();
        t.check(&[("RPUSH l 3 1 2 10", ":4"), ("MSET w_3 1 w_1 3 w_2 2 w_10 0", "+OK"), ("HSET h_1 f a", ":1")]);
        t
    }

    #[test]
    fn sorts_numerically_and_alpha() {
        // Proves numeric and ALPHA order, DESC, and that later ASC/DESC win, as the real server.
        fixture().check(&[
            ("SORT l", "[\"1\", \"2\", \"3\", \"10\"]"),
            ("SORT l DESC", "[\"10\", \"3\", \"2\", \"1\"]"),
            ("SORT l ALPHA", "[\"1\", \"10\", \"2\", \"3\"]"),
            ("SORT l ALPHA DESC", "[\"3\", \"2\", \"10\", \"1\"]"),
            ("SORT l desc asc", "[\"1\", \"2\", \"3\", \"10\"]"),
            ("SORT_RO l DESC", "[\"10\", \"3\", \"2\", \"1\"]"),
            ("SORT nokey", "[]"),
        ]);
    }

    #[test]
    fn limit_is_clamped() {
        // Proves Redis's LIMIT clamping: negative offset is 0, negative count is all, past the
        // end is empty, huge values do not overflow.
        fixture().check(&[
            ("SORT l LIMIT 1 2", "[\"2\", \"3\"]"),
            ("SORT l LIMIT -5 2", "[\"1\", \"2\"]"),
            ("SORT l LIMIT 2 -1", "[\"3\", \"10\"]"),
            ("SORT l LIMIT 0 -5", "[\"1\", \"2\", \"3\", \"10\"]"),
            ("SORT l LIMIT 10 1", "[]"),
            ("SORT l LIMIT 0 0", "[]"),
            ("SORT l LIMIT 9223372036854775807 9223372036854775807", "[]"),
            ("SORT l LiMiT 1 1 DESC Asc", "[\"2\"]"),
        ]);
    }

    #[test]
    fn by_patterns_weigh_and_nosort_keeps_order() {
        // Proves BY through string keys and hash fields (missing weights sort first in ALPHA, in
        // input order), BY without `*` keeping list order (DESC reverses, LIMIT applies), and
        // that an earlier constant BY disables sorting even if a later BY has a `*`.
        fixture().check(&[
            ("SORT l BY w_*", "[\"10\", \"3\", \"2\", \"1\"]"),
            ("SORT l BY w_* DESC", "[\"1\", \"2\", \"3\", \"10\"]"),
            ("SORT l BY w_* ALPHA", "[\"10\", \"3\", \"2\", \"1\"]"),
            ("SORT l BY h_*->f ALPHA", "[\"3\", \"2\", \"10\", \"1\"]"),
            ("SORT l BY h_*->f", "-ERR One or more scores can't be converted into double"),
            ("SORT l BY nosort", "[\"3\", \"1\", \"2\", \"10\"]"),
            ("SORT l BY nosort DESC", "[\"10\", \"2\", \"1\", \"3\"]"),
            ("SORT l BY nosort LIMIT 1 2", "[\"1\", \"2\"]"),
            ("SORT l BY nosort DESC LIMIT 1 2", "[\"2\", \"1\"]"),
            ("SORT l BY nosort BY w_*", "[\"3\", \"1\", \"2\", \"10\"]"),
            ("SORT_RO l ALPHA BY w_* LIMIT 0 2 GET #", "[\"10\", \"3\"]"),
        ]);
    }

    #[test]
    fn get_patterns() {
        // Proves GET #, GET through strings and hash fields, nil for a missing key or a pattern
        // without `*`, and `->` with no field naming a plain key.
        fixture().check(&[(
            "SORT l GET # GET w_* GET h_*->f GET nostar GET h_*->",
            "[\"1\", \"3\", \"a\", (nil), (nil), \"2\", \"2\", (nil), (nil), (nil), \
             \"3\", \"1\", (nil), (nil), (nil), \"10\", \"0\", (nil), (nil), (nil)]",
        )]);
    }

    #[test]
    fn store_writes_a_list() {
        // Proves STORE replies the count and stores a list (missing GET values as ""), replaces
        // the destination, deletes it when the result is empty, and stores nothing on error.
        let mut t = fixture();
        t.check(&[
            ("SET dst x", "+OK"),
            ("EXPIRE dst 100", ":1"),
            ("SORT l STORE dst", ":4"),
            ("TTL dst", ":-1"),
            ("LRANGE dst 0 -1", "[\"1\", \"2\", \"3\", \"10\"]"),
            ("SORT l GET w_* GET h_*->f STORE dst", ":8"),
            ("LRANGE dst 0 -1", "[\"3\", \"a\", \"2\", \"\", \"1\", \"\", \"0\", \"\"]"),
            ("SORT l BY w_* ALPHA STORE dst", ":4"),
            ("LRANGE dst 0 -1", "[\"10\", \"3\", \"2\", \"1\"]"),
            ("SORT l LIMIT 10 1 STORE dst", ":0"),
            ("EXISTS dst", ":0"),
            ("RPUSH bad 1 x 2", ":3"),
            ("SORT bad STORE d2", "-ERR One or more scores can't be converted into double"),
            ("EXISTS d2", ":0"),
            ("SORT nokey STORE d2", ":0"),
        ]);
    }

    #[test]
    fn sets_and_sorted_sets() {
        // Proves sets sort by value, BY nosort on a set ignores DESC, STORE forces ALPHA order,
        // sorted sets keep score order with BY nosort, and SORT converts a small sorted set to
        // a skiplist as Redis does.
        let mut t = TestDb::new();
        t.check(&[
            ("SADD s 5 3 9 1", ":4"),
            ("SORT s DESC", "[\"9\", \"5\", \"3\", \"1\"]"),
            ("SORT s BY nosort DESC", "[\"1\", \"3\", \"5\", \"9\"]"),
            ("SADD s2 b a c", ":3"),
            ("SORT s2 BY nosort STORE d", ":3"),
            ("LRANGE d 0 -1", "[\"a\", \"b\", \"c\"]"),
            ("SORT s2 ALPHA DESC LIMIT 0 2", "[\"c\", \"b\"]"),
            ("ZADD z 3 a 1 b 2 c", ":3"),
            ("SORT z BY nosort", "[\"b\", \"c\", \"a\"]"),
            ("SORT z BY nosort DESC LIMIT 1 5", "[\"c\", \"b\"]"),
            ("SORT z ALPHA DESC", "[\"c\", \"b\", \"a\"]"),
            ("SORT z", "-ERR One or more scores can't be converted into double"),
        ]);
        assert_eq!(t.encoding("z"), Some("skiplist"));
    }

    #[test]
    fn numbers_read_as_strtod() {
        // Proves weights are read by strtod (leading space, hex, inf accepted), equal scores
        // order by the element's bytes, and trailing junk, NaN and underflow are errors.
        let mut t = TestDb::new();
        t.check(&[
            ("RPUSH l 0x10 inf -inf 1e1 10 +5", ":6"),
            ("SORT l", "[\"-inf\", \"+5\", \"10\", \"1e1\", \"0x10\", \"inf\"]"),
            ("RPUSH n 1 nan", ":2"),
            ("SORT n", "-ERR One or more scores can't be converted into double"),
            ("RPUSH u 1e-310", ":1"),
            ("SORT u", "-ERR One or more scores can't be converted into double"),
            ("RPUSH j 1x", ":1"),
            ("SORT j", "-ERR One or more scores can't be converted into double"),
            ("RPUSH e \"\" 1", ":2"),
            ("SORT e", "[\"\", \"1\"]"),
        ]);
    }

    #[test]
    fn errors() {
        // Proves every error reply: wrong type, syntax errors (unknown token, missing option
        // arguments, STORE in SORT_RO), non-integer LIMIT, and arity.
        let mut t = fixture();
        t.check(&[
            ("HSET hh a 1", ":1"),
            ("SORT hh", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("SORT w_1", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("SORT l foo", "-ERR syntax error"),
            ("SORT l LIMIT 1", "-ERR syntax error"),
            ("SORT l GET", "-ERR syntax error"),
            ("SORT l BY", "-ERR syntax error"),
            ("SORT l STORE", "-ERR syntax error"),
            ("SORT_RO l STORE dst", "-ERR syntax error"),
            ("SORT l LIMIT 0 x", "-ERR value is not an integer or out of range"),
            ("SORT l LIMIT x 0", "-ERR value is not an integer or out of range"),
            ("SORT hh foo", "-ERR syntax error"),
            ("SORT", "-ERR wrong number of arguments for 'sort' command"),
            ("SORT_RO", "-ERR wrong number of arguments for 'sort_ro' command"),
        ]);
    }

    #[test]
    fn nul_bytes_read_as_c_strings() {
        // Proves what Redis reads as C strings: ALPHA replies compare up to a NUL (ties keep
        // input order) but STORE compares all bytes, `*` and `#` are found before a NUL while
        // the key is built from the whole pattern.
        let mut t = TestDb::new();
        let mut run = |argv: &[&[u8]]| show(&t.run(argv));
        run(&[b"RPUSH", b"nl", b"a\0b", b"a\0a", b"a\0c", b"a"]);
        let unsorted = "[\"a\\x00b\", \"a\\x00a\", \"a\\x00c\", \"a\"]";
        let bytewise = "[\"a\", \"a\\x00a\", \"a\\x00b\", \"a\\x00c\"]";
        assert_eq!(run(&[b"SORT", b"nl", b"ALPHA"]), unsorted);
        assert_eq!(run(&[b"SORT", b"nl", b"ALPHA", b"STORE", b"nd"]), ":4");
        assert_eq!(run(&[b"LRANGE", b"nd", b"0", b"-1"]), bytewise);
        assert_eq!(run(&[b"SET", b"w_\0", b"5"]), "+OK");
        assert_eq!(run(&[b"SORT", b"nl", b"BY", b"w_*\0x"]), bytewise);
        assert_eq!(run(&[b"SORT", b"nl", b"BY", b"#\0", b"GET", b"#\0"]), unsorted);
    }
}
