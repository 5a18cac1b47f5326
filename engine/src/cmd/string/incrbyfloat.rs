//! INCRBYFLOAT key increment
//!
//! Redis computes this in C `long double` and stores the printed sum (`%.17Lf`, trailing zeros
//! trimmed) as a plain string, never `int`-encoded: "10" after `INCRBYFLOAT k 0` is `embstr`.
//! The arithmetic is `num::incr_by_float` (C, for the long double). The TTL is kept.

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::{incr_by_float, IncrFloatError};
use crate::reply::Reply;
use crate::value::{StrValue, Value, EMBSTR_LEN_MAX};

/// The string object Redis's `createStringObject` makes: `embstr` up to 44 bytes, else `raw`.
fn created_string(bytes: Vec<u8>) -> StrValue {
    if bytes.len() <= EMBSTR_LEN_MAX {
        StrValue::Embstr(bytes[..].into())
    } else {
        StrValue::Raw(bytes)
    }
}

impl From<IncrFloatError> for CmdError {
    fn from(e: IncrFloatError) -> CmdError {
        match e {
            IncrFloatError::NotFloat => CmdError::NotFloat,
            IncrFloatError::NanOrInfinity => CmdError::NanOrInfinity,
        }
    }
}

/// INCRBYFLOAT: adds a float to the number at `key` and replies with the printed sum.
pub fn incrbyfloat(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (key, increment) = (argv[1], argv[2]);
    let printed = match ctx.write_str(key)? {
        Some(s) => {
            let printed = s.with_bytes(|current| incr_by_float(Some(current), increment))?;
            *s = created_string(printed.clone());
            printed
        }
        None => {
            let printed = incr_by_float(None, increment)?;
            ctx.set_key(key, Value::Str(created_string(printed.clone())), false);
            printed
        }
    };
    ctx.notify(NotifyClass::STRING, "incrbyfloat", key);
    ctx.dirty += 1;
    // Replicas and the AOF get the result, so float rounding cannot make them differ.
    ctx.propagate_as(&[b"SET", key, &printed, b"KEEPTTL"]);
    Ok(Reply::Bulk(printed))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn incrbyfloat_replies_as_redis() {
        // Proves the long double results real Redis 7.0.15 gives, from missing and stored values.
        TestDb::new().check(&[
            ("INCRBYFLOAT k 3.0e3", "\"3000\""),
            ("SET k 10.5", "+OK"),
            ("INCRBYFLOAT k 0.1", "\"10.6\""),
            ("SET k 10", "+OK"),
            ("INCRBYFLOAT k 0x10", "\"26\""),
            ("INCRBYFLOAT k 1e5", "\"100026\""),
            ("INCRBYFLOAT k -100026", "\"0\""),
            ("INCRBYFLOAT k -0.000000000000000006", "\"-0.00000000000000001\""),
            ("GET k", "\"-0.00000000000000001\""),
        ]);
    }

    #[test]
    fn incrbyfloat_errors() {
        // Proves each error text and that a failed command leaves the value and dirty alone.
        let mut db = TestDb::new();
        db.check(&[
            ("SET k 10", "+OK"),
            ("INCRBYFLOAT k \"\"", "-ERR value is not a valid float"),
            ("INCRBYFLOAT k abc", "-ERR value is not a valid float"),
            ("INCRBYFLOAT k nan", "-ERR value is not a valid float"),
            ("INCRBYFLOAT k 1e5000", "-ERR value is not a valid float"),
            ("INCRBYFLOAT k inf", "-ERR increment would produce NaN or Infinity"),
            ("INCRBYFLOAT k -infinity", "-ERR increment would produce NaN or Infinity"),
            ("SET s abc", "+OK"),
            ("INCRBYFLOAT s 1", "-ERR value is not a valid float"),
            ("SET s inf", "+OK"),
            ("INCRBYFLOAT s 1", "-ERR increment would produce NaN or Infinity"),
            ("INCRBYFLOAT k", "-ERR wrong number of arguments for 'incrbyfloat' command"),
            ("GET k", "\"10\""),
        ]);
        assert_eq!(db.dirty, 3);
    }

    #[test]
    fn incrbyfloat_stores_a_plain_string_and_keeps_ttl() {
        // Proves an integral result is stored embstr (not int), a long one raw, and the TTL stays.
        let mut db = TestDb::new();
        db.check(&[("SET k 10 EX 100", "+OK"), ("INCRBYFLOAT k 0", "\"10\"")]);
        assert_eq!(db.encoding("k"), Some("embstr"));
        assert_eq!(db.ttl_ms("k"), Some(100_000));
        db.check(&[("INCRBYFLOAT k 1e50", "\"100000000000000000003583830118858923890798487404544\"")]);
        assert_eq!(db.encoding("k"), Some("raw"));
    }
}
