//! SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
//! PXAT unix-time-milliseconds | KEEPTTL]
//! SETNX key value
//! SETEX key seconds value
//! PSETEX key milliseconds value
//!
//! All four are Redis's `setGenericCommand` with different options and replies. Option parsing
//! follows `parseExtendedStringArgumentsOrReply` exactly, including what it tolerates: a
//! repeated option (`EX 1 EX 2`, last wins) is accepted, a conflicting one is a syntax error.
//! GETEX shares the expiry options (`ExpireArg`, `expire_option`).

use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::value::{StrValue, Value};

/// Only set if the key is absent (NX) or present (XX).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Condition {
    Always,
    IfAbsent,
    IfPresent,
}

/// The expiry an option requests, still as the client wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExpireArg<'a> {
    /// No expiry option: the key loses any TTL.
    None,
    /// KEEPTTL.
    Keep,
    /// EX seconds.
    Ex(&'a [u8]),
    /// PX milliseconds.
    Px(&'a [u8]),
    /// EXAT unix seconds.
    ExAt(&'a [u8]),
    /// PXAT unix milliseconds.
    PxAt(&'a [u8]),
}

impl ExpireArg<'_> {
    /// The absolute expiry in unix ms, with Redis's range checks (`getExpireMillisecondsOrReply`).
    /// `None` for no expiry or KEEPTTL.
    pub(crate) fn resolve(self, now_ms: i64, cmd: &'static str) -> Result<Option<i64>, CmdError> {
        let (raw, seconds, relative) = match self {
            ExpireArg::None | ExpireArg::Keep => return Ok(None),
            ExpireArg::Ex(v) => (v, true, true),
            ExpireArg::Px(v) => (v, false, true),
            ExpireArg::ExAt(v) => (v, true, false),
            ExpireArg::PxAt(v) => (v, false, false),
        };
        let mut ms = parse_i64(raw).ok_or(CmdError::NotInteger)?;
        if ms <= 0 || (seconds && ms > i64::MAX / 1000) {
            return Err(CmdError::InvalidExpireTime(cmd));
        }
        if seconds {
            ms *= 1000;
        }
        if relative {
            ms = ms.checked_add(now_ms).ok_or(CmdError::InvalidExpireTime(cmd))?;
        }
        Ok(Some(ms))
    }

    /// True for the absolute forms (EXAT, PXAT), whose time may already have passed.
    pub(crate) fn is_absolute(self) -> bool {
        matches!(self, ExpireArg::ExAt(_) | ExpireArg::PxAt(_))
    }

    /// True when `self` may follow `current` in one command: Redis accepts an expiry option
    /// again (the last one wins) but never beside a different one.
    pub(crate) fn may_follow(&self, current: &ExpireArg) -> bool {
        matches!(current, ExpireArg::None) || std::mem::discriminant(current) == std::mem::discriminant(self)
    }
}

/// What one SET-family call asks for.
struct SetArgs<'a> {
    condition: Condition,
    get: bool,
    expire: ExpireArg<'a>,
}

/// The expiry option `opt` with its value `v`, if `opt` names one.
pub(crate) fn expire_option<'a>(opt: &[u8], v: &'a [u8]) -> Option<ExpireArg<'a>> {
    if eq_ci(opt, "ex") {
        Some(ExpireArg::Ex(v))
    } else if eq_ci(opt, "px") {
        Some(ExpireArg::Px(v))
    } else if eq_ci(opt, "exat") {
        Some(ExpireArg::ExAt(v))
    } else if eq_ci(opt, "pxat") {
        Some(ExpireArg::PxAt(v))
    } else {
        None
    }
}

fn parse<'a>(argv: &[&'a [u8]]) -> Result<SetArgs<'a>, CmdError> {
    let mut out = SetArgs { condition: Condition::Always, get: false, expire: ExpireArg::None };
    let mut j = 3;
    while j < argv.len() {
        let opt = super::c_option(argv[j]);
        let with_value = argv.get(j + 1).and_then(|v| expire_option(opt, v)).filter(|e| e.may_follow(&out.expire));
        if eq_ci(opt, "nx") && out.condition != Condition::IfPresent {
            out.condition = Condition::IfAbsent;
        } else if eq_ci(opt, "xx") && out.condition != Condition::IfAbsent {
            out.condition = Condition::IfPresent;
        } else if eq_ci(opt, "get") {
            out.get = true;
        } else if eq_ci(opt, "keepttl") && ExpireArg::Keep.may_follow(&out.expire) {
            out.expire = ExpireArg::Keep;
        } else if let Some(e) = with_value {
            out.expire = e;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(out)
}

/// Redis's `setGenericCommand`: stores `value` under `key` as `args` asks, replying `ok` when it
/// did and `abort` when NX/XX stopped it (or the old value, for GET, in both cases). `cmd` names
/// the command in expire-time errors.
fn set_generic(
    ctx: &mut Ctx,
    key: &[u8],
    value: &[u8],
    args: SetArgs,
    cmd: &'static str,
    ok: Reply,
    abort: Reply,
) -> Result<Reply, CmdError> {
    let expire_at = args.expire.resolve(ctx.now_ms(), cmd)?;
    let old = if args.get { Some(super::get::get_reply(ctx, key)?) } else { None };
    let found = ctx.lookup_write(key).is_some();
    let blocked = match args.condition {
        Condition::Always => false,
        Condition::IfAbsent => found,
        Condition::IfPresent => !found,
    };
    if blocked {
        return Ok(old.unwrap_or(abort));
    }
    ctx.set_key(key, Value::Str(StrValue::from_bytes(value)), args.expire == ExpireArg::Keep);
    ctx.notify(NotifyClass::STRING, "set", key);
    if let Some(when) = expire_at {
        ctx.db().set_expire(key, when);
        ctx.notify(NotifyClass::GENERIC, "expire", key);
        // Every expiry form reaches replicas and the AOF as an absolute PXAT (NX, XX and GET
        // are dropped: the write happened).
        ctx.propagate_as(&[b"SET", key, value, b"PXAT", when.to_string().as_bytes()]);
    }
    ctx.dirty += 1;
    Ok(old.unwrap_or(ok))
}

/// SET: store a string, with conditions, expiry and the old value on request.
pub fn set(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let args = parse(argv)?;
    let strip_get = args.get && matches!(args.expire, ExpireArg::None | ExpireArg::Keep);
    let reply = set_generic(ctx, argv[1], argv[2], args, "set", Reply::Ok, Reply::Null)?;
    if strip_get && ctx.dirty > 0 {
        // Propagated without GET (the old value is only the caller's), as Redis's setCommand
        // does; with an expiry the PXAT form has dropped it already.
        let without_get: Vec<&[u8]> = argv
            .iter()
            .enumerate()
            .filter(|(i, a)| *i < 3 || !a.eq_ignore_ascii_case(b"get"))
            .map(|(_, a)| *a)
            .collect();
        ctx.propagate_as(&without_get);
    }
    Ok(reply)
}

/// SETNX: store a string only if the key is absent; 1 if it did, 0 if not.
pub fn setnx(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let args = SetArgs { condition: Condition::IfAbsent, get: false, expire: ExpireArg::None };
    set_generic(ctx, argv[1], argv[2], args, "setnx", Reply::Int(1), Reply::Int(0))
}

/// SETEX: store a string that expires in `seconds`.
pub fn setex(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let args = SetArgs { condition: Condition::Always, get: false, expire: ExpireArg::Ex(argv[2]) };
    set_generic(ctx, argv[1], argv[3], args, "setex", Reply::Ok, Reply::Null)
}

/// PSETEX: store a string that expires in `milliseconds`.
pub fn psetex(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let args = SetArgs { condition: Condition::Always, get: false, expire: ExpireArg::Px(argv[2]) };
    set_generic(ctx, argv[1], argv[3], args, "psetex", Reply::Ok, Reply::Null)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{TestDb, TEST_START_MS};

    #[test]
    fn set_options_parse_as_redis_does() {
        // Proves which option combinations SET accepts and which are syntax errors.
        TestDb::new().check(&[
            ("SET k v NX NX", "+OK"),
            ("SET k v XX XX", "+OK"),
            ("SET k v NX XX", "-ERR syntax error"),
            ("SET k v XX NX", "-ERR syntax error"),
            ("SET k v EX 10 EX 20", "+OK"),
            ("SET k v EX 10 PX 20", "-ERR syntax error"),
            ("SET k v PXAT 99999999999999 EXAT 10", "-ERR syntax error"),
            ("SET k v KEEPTTL EX 10", "-ERR syntax error"),
            ("SET k v EX 10 KEEPTTL", "-ERR syntax error"),
            ("SET k v KEEPTTL KEEPTTL", "+OK"),
            ("SET k v EX", "-ERR syntax error"),
            ("SET k v GET GET", "\"v\""),
            ("SET k v PERSIST", "-ERR syntax error"),
            ("SET k v foo", "-ERR syntax error"),
            ("SET k v nx get ex 5", "\"v\""),
            ("SET k", "-ERR wrong number of arguments for 'set' command"),
        ]);
    }

    #[test]
    fn set_expire_errors_match_redis() {
        // Proves every expire-time error text, including the overflow cases, and that a failed SET
        // changes nothing.
        let mut db = TestDb::new();
        db.check(&[
            ("SET k v EX 0", "-ERR invalid expire time in 'set' command"),
            ("SET k v PX -1", "-ERR invalid expire time in 'set' command"),
            ("SET k v EXAT 0", "-ERR invalid expire time in 'set' command"),
            ("SET k v EX 9223372036854775807", "-ERR invalid expire time in 'set' command"),
            ("SET k v EX 9223372036854774", "-ERR invalid expire time in 'set' command"),
            ("SET k v PX 9223372036854775000", "-ERR invalid expire time in 'set' command"),
            ("SET k v PX abc", "-ERR value is not an integer or out of range"),
            ("SET k v EX 01", "-ERR value is not an integer or out of range"),
            ("GET k", "(nil)"),
        ]);
        assert_eq!(db.dirty, 0);
    }

    #[test]
    fn set_conditions_get_and_ttl() {
        // Proves NX/XX replies, GET's old value in both outcomes, and how each expiry form and
        // KEEPTTL leave the TTL.
        let mut db = TestDb::new();
        db.check(&[
            ("SET k v XX", "(nil)"),
            ("SET k v XX GET", "(nil)"),
            ("SET k v1 NX", "+OK"),
            ("SET k v2 NX", "(nil)"),
            ("SET k v2 NX GET", "\"v1\""),
            ("SET k v3 XX GET", "\"v1\""),
            ("SET k v4 EX 100", "+OK"),
        ]);
        assert_eq!(db.ttl_ms("k"), Some(100_000));
        db.check(&[("SET k v5 KEEPTTL", "+OK")]);
        assert_eq!(db.ttl_ms("k"), Some(100_000));
        db.check(&[("SET k v6", "+OK")]);
        assert_eq!(db.ttl_ms("k"), None);
        db.check(&[("SET k v PX 1500", "+OK")]);
        assert_eq!(db.ttl_ms("k"), Some(1500));
        db.check(&[(&format!("SET k v PXAT {}", TEST_START_MS + 7), "+OK")]);
        assert_eq!(db.ttl_ms("k"), Some(7));
        db.check(&[(&format!("SET k v EXAT {}", TEST_START_MS / 1000 + 3), "+OK")]);
        assert_eq!(db.ttl_ms("k"), Some(3000));
        // An absolute time already past is stored and the key then reads as gone.
        db.check(&[("SET k v PXAT 1", "+OK"), ("GET k", "(nil)")]);
        assert_eq!(db.dirty, 9);
    }

    #[test]
    fn set_encodes_like_redis() {
        // Proves SET stores int, embstr and raw exactly where Redis's tryObjectEncoding does.
        let mut db = TestDb::new();
        let long = "a".repeat(45);
        db.check(&[
            ("SET i 123", "+OK"),
            ("SET e 0123", "+OK"),
            ("SET s hello", "+OK"),
            (&format!("SET r {long}"), "+OK"),
        ]);
        assert_eq!(
            [db.encoding("i"), db.encoding("e"), db.encoding("s"), db.encoding("r")],
            [Some("int"), Some("embstr"), Some("embstr"), Some("raw")]
        );
    }

    #[test]
    fn setnx_replies_one_or_zero() {
        // Proves SETNX sets only absent keys, replies 1/0, and counts dirty only when it set.
        let mut db = TestDb::new();
        db.check(&[
            ("SETNX k v", ":1"),
            ("SETNX k w", ":0"),
            ("GET k", "\"v\""),
            ("SETNX k", "-ERR wrong number of arguments for 'setnx' command"),
        ]);
        assert_eq!(db.dirty, 1);
    }

    #[test]
    fn setex_and_psetex_set_ttl_and_reject_bad_times() {
        // Proves SETEX/PSETEX set the value with a TTL and name themselves in expire errors.
        let mut db = TestDb::new();
        db.check(&[("SETEX k 10 v", "+OK"), ("GET k", "\"v\"")]);
        assert_eq!(db.ttl_ms("k"), Some(10_000));
        db.check(&[("PSETEX k 250 w", "+OK"), ("GET k", "\"w\"")]);
        assert_eq!(db.ttl_ms("k"), Some(250));
        db.check(&[
            ("SETEX k 0 v", "-ERR invalid expire time in 'setex' command"),
            ("SETEX k -1 v", "-ERR invalid expire time in 'setex' command"),
            ("SETEX k 9223372036854775807 v", "-ERR invalid expire time in 'setex' command"),
            ("SETEX k abc v", "-ERR value is not an integer or out of range"),
            ("PSETEX k 0 v", "-ERR invalid expire time in 'psetex' command"),
            ("PSETEX k 9223372036854770000 v", "-ERR invalid expire time in 'psetex' command"),
            ("PSETEX k x v", "-ERR value is not an integer or out of range"),
            ("SETEX k 10", "-ERR wrong number of arguments for 'setex' command"),
            ("PSETEX k 10", "-ERR wrong number of arguments for 'psetex' command"),
        ]);
        assert_eq!(db.dirty, 2);
    }
}
