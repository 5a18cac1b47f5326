//! APPEND key value
//!
//! Redis's `appendCommand`: a missing key is created from `value` with the usual encoding (so
//! `APPEND k 123` makes an `int`); appending to an existing key, even nothing, leaves it `raw`.

use super::grown_len;
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::value::{StrValue, Value};

/// APPEND: appends `value` to the string at `key` and replies with the new length.
pub fn append(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (key, tail) = (argv[1], argv[2]);
    let len_max = ctx.config.proto_max_bulk_len;
    let len = match ctx.write_str(key)? {
        None => {
            ctx.set_key(key, Value::Str(StrValue::from_bytes(tail)), false);
            tail.len()
        }
        Some(s) => {
            grown_len(len_max, s.len() as u64, tail.len())?;
            let buf = s.make_raw();
            buf.extend_from_slice(tail);
            buf.len()
        }
    };
    ctx.notify(NotifyClass::STRING, "append", key);
    ctx.dirty += 1;
    if ctx.config.plants.append_propagates_set {
        // The planted bug (simulator self-test only).
        ctx.propagate_as(&[b"SET", key, tail]);
    }
    Ok(Reply::Int(len as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn append_creates_and_extends() {
        // Proves APPEND's lengths, its encodings (created as usual, raw once appended to, even
        // with nothing) and that every call counts as a change.
        let mut db = TestDb::new();
        db.check(&[("APPEND k 123", ":3")]);
        assert_eq!(db.encoding("k"), Some("int"));
        db.check(&[("APPEND k \"\"", ":3"), ("GET k", "\"123\"")]);
        assert_eq!(db.encoding("k"), Some("raw"));
        db.check(&[("APPEND s abc", ":3"), ("APPEND s def", ":6"), ("GET s", "\"abcdef\"")]);
        assert_eq!(db.dirty, 4);
        db.check(&[("APPEND k", "-ERR wrong number of arguments for 'append' command")]);
    }

    #[test]
    fn append_respects_proto_max_bulk_len() {
        // Proves the size limit counts the result, appending nothing at the limit is allowed, and
        // a refused append changes nothing.
        let mut db = TestDb::new();
        db.config.proto_max_bulk_len = 5;
        db.check(&[
            ("APPEND k abcd", ":4"),
            ("APPEND k e", ":5"),
            ("APPEND k f", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
            ("APPEND k \"\"", ":5"),
            ("GET k", "\"abcde\""),
        ]);
        assert_eq!(db.dirty, 3);
    }
}
