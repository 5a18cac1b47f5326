//! SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
//! PXAT unix-time-milliseconds | KEEPTTL]
//!
//! Option parsing follows Redis's `parseExtendedStringArgumentsOrReply` exactly, including what
//! it tolerates: a repeated option (`EX 1 EX 2`, last wins) is accepted, a conflicting one is a
//! syntax error.

use crate::cmd::args::eq_ci;
use crate::cmd::ctx::Ctx;
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
}

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
        let opt = argv[j];
        // An expiry option is accepted again (last wins) but never beside a different one.
        let expire_free = |e: &ExpireArg| {
            matches!(out.expire, ExpireArg::None) || std::mem::discriminant(&out.expire) == std::mem::discriminant(e)
        };
        let with_value = argv.get(j + 1).and_then(|v| expire_option(opt, v)).filter(|e| expire_free(e));
        if eq_ci(opt, "nx") && out.condition != Condition::IfPresent {
            out.condition = Condition::IfAbsent;
        } else if eq_ci(opt, "xx") && out.condition != Condition::IfAbsent {
            out.condition = Condition::IfPresent;
        } else if eq_ci(opt, "get") {
            out.get = true;
        } else if eq_ci(opt, "keepttl") && expire_free(&ExpireArg::Keep) {
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

/// SET: store a string, with conditions, expiry and the old value on request.
pub fn set(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let args = parse(argv)?;
    let (key, value) = (argv[1], argv[2]);
    let expire_at = args.expire.resolve(ctx.now_ms(), "set")?;
    let old = if args.get {
        Some(match ctx.read_str(key)? {
            None => Reply::Null,
            Some(s) => Reply::Bulk(s.to_bytes()),
        })
    } else {
        None
    };
    let found = ctx.lookup_write(key).is_some();
    let blocked = match args.condition {
        Condition::Always => false,
        Condition::IfAbsent => found,
        Condition::IfPresent => !found,
    };
    if blocked {
        return Ok(old.unwrap_or(Reply::Null));
    }
    ctx.set_key(key, Value::Str(StrValue::from_bytes(value)), args.expire == ExpireArg::Keep);
    if let Some(when) = expire_at {
        ctx.db().set_expire(key, when);
    }
    ctx.dirty += 1;
    Ok(old.unwrap_or(Reply::Ok))
}
