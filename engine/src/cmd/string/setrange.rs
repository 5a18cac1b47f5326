//! SETRANGE key offset value
//!
//! Redis's `setrangeCommand`: the string is zero-padded up to `offset` and overwritten from
//! there; the result is always `raw`. Setting nothing never creates or changes a key and skips
//! the size check; otherwise `offset + len(value)` must fit `proto-max-bulk-len`.

use super::grown_len;
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::value::{StrValue, Value};

/// SETRANGE: overwrites part of the string at `key` and replies with its new length.
pub fn setrange(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (key, value) = (argv[1], argv[3]);
    let offset = parse_i64(argv[2]).ok_or(CmdError::NotInteger)?;
    if offset < 0 {
        return Err(CmdError::msg("ERR offset is out of range"));
    }
    let len_max = ctx.config.proto_max_bulk_len;
    let end = |value_len: usize| grown_len(len_max, offset as u64, value_len);
    let start = offset as usize;
    let len = match ctx.write_str(key)? {
        None if value.is_empty() => return Ok(Reply::Int(0)),
        None => {
            let mut buf = vec![0u8; end(value.len())?];
            buf[start..].copy_from_slice(value);
            ctx.set_key(key, Value::Str(StrValue::Raw(buf)), false);
            start + value.len()
        }
        Some(s) if value.is_empty() => return Ok(Reply::Int(s.len() as i64)),
        Some(s) => {
            let end = end(value.len())?;
            let buf = s.make_raw();
            if buf.len() < end {
                buf.resize(end, 0);
            }
            buf[start..end].copy_from_slice(value);
            buf.len()
        }
    };
    ctx.notify(NotifyClass::STRING, "setrange", key);
    ctx.dirty += 1;
    Ok(Reply::Int(len as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn setrange_pads_and_overwrites() {
        // Proves zero padding, overwriting inside and past the end, the raw result, and that
        // setting nothing creates and changes nothing.
        let mut db = TestDb::new();
        db.check(&[
            ("SETRANGE k 0 \"\"", ":0"),
            ("GET k", "(nil)"),
            ("SETRANGE k 3 ab", ":5"),
            ("GET k", "\"\\x00\\x00\\x00ab\""),
            ("SETRANGE k 1 xyz", ":5"),
            ("GET k", "\"\\x00xyzb\""),
            ("SETRANGE k 4 long", ":8"),
            ("GET k", "\"\\x00xyzlong\""),
            ("SETRANGE k 100 \"\"", ":8"),
        ]);
        assert_eq!(db.encoding("k"), Some("raw"));
        assert_eq!(db.dirty, 3);
        db.check(&[("SET n 123", "+OK"), ("SETRANGE n 0 \"\"", ":3")]);
        assert_eq!(db.encoding("n"), Some("int"));
        db.check(&[("SETRANGE n 0 9", ":3"), ("GET n", "\"923\"")]);
        assert_eq!(db.encoding("n"), Some("raw"));
    }

    #[test]
    fn setrange_errors() {
        // Proves the offset and size errors, including an offset whose sum overflows, and that
        // the size check is skipped when setting nothing.
        let mut db = TestDb::new();
        db.config.proto_max_bulk_len = 8;
        db.check(&[
            ("SETRANGE k -1 a", "-ERR offset is out of range"),
            ("SETRANGE k a a", "-ERR value is not an integer or out of range"),
            ("SETRANGE k 8 a", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
            ("SETRANGE k 9223372036854775807 a", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
            ("SETRANGE k 7 a", ":8"),
            ("SETRANGE k 7 ab", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
            ("SETRANGE k 9223372036854775807 \"\"", ":8"),
            ("SETRANGE k 1", "-ERR wrong number of arguments for 'setrange' command"),
        ]);
        assert_eq!(db.dirty, 1);
    }
}
