//! SETBIT key offset value
//! GETBIT key offset
//!
//! Redis's `setbitCommand` and `getbitCommand`. The offset is checked first, then the bit value,
//! then the key's type. SETBIT counts a change (and raises `setbit`) only when it created the key,
//! grew it, or flipped the bit: setting a bit to what it already is changes nothing, though the
//! value still becomes `raw`.

use super::{bit_at, bit_offset, bits_for_write};
use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;

/// SETBIT: sets or clears one bit and replies with its previous value.
pub fn setbit(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let key = argv[1];
    let offset = bit_offset(ctx, argv[2], None)?;
    let on = match parse_i64(argv[3]) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(CmdError::msg("ERR bit is not an integer or out of range")),
    };
    let (buf, grew) = bits_for_write(ctx, key, offset)?;
    let was = bit_at(buf, offset);
    if grew || was != on {
        let mask = 0x80 >> (offset & 7);
        let byte = &mut buf[(offset >> 3) as usize];
        *byte = if on { *byte | mask } else { *byte & !mask };
        ctx.notify(NotifyClass::STRING, "setbit", key);
        ctx.dirty += 1;
    }
    Ok(Reply::Int(was.into()))
}

/// GETBIT: the value of one bit; 0 past the end or for a missing key.
pub fn getbit(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let offset = bit_offset(ctx, argv[2], None)?;
    let bit = match ctx.read_str(argv[1])? {
        None => false,
        Some(s) => s.with_bytes(|bytes| bit_at(bytes, offset)),
    };
    Ok(Reply::Int(bit.into()))
}

#[cfg(test)]
mod tests {
    use crate::cmd::effects::NotifyClass;
    use crate::cmd::testing::TestDb;

    #[test]
    fn setbit_and_getbit_replies() {
        // Proves the replies of Redis 7.0.15: old bit values, growth with zero padding, reads past
        // the end and of missing keys, and an int-encoded value read as its digits.
        let mut db = TestDb::new();
        db.check(&[
            ("SETBIT k 7 1", ":0"),
            ("GET k", "\"\\x01\""),
            ("SETBIT k 7 1", ":1"),
            ("SETBIT k 0 0", ":0"),
            ("SETBIT k 100 0", ":0"),
            ("STRLEN k", ":13"),
            ("GETBIT k 7", ":1"),
            ("GETBIT k 6", ":0"),
            ("GETBIT k 100000", ":0"),
            ("GETBIT nokey 5", ":0"),
            ("SET n 12", "+OK"),
            ("GETBIT n 2", ":1"),
            ("GETBIT n 7", ":1"),
            ("GETBIT n 100000", ":0"),
            ("SETBIT z 0 0", ":0"),
            ("GET z", "\"\\x00\""),
        ]);
        assert_eq!(db.encoding("n"), Some("int"));
        assert_eq!(db.encoding("z"), Some("raw"));
    }

    #[test]
    fn setbit_counts_only_real_changes() {
        // Proves dirty and the `setbit` event follow Redis 7.0's rule (created, grown or flipped),
        // while any SETBIT leaves the value raw.
        let mut db = TestDb::new();
        let cases: &[(&str, u64, bool)] = &[
            ("SETBIT k 7 1", 1, true),
            ("SETBIT k 7 1", 1, false),
            ("SETBIT k 0 0", 1, false),
            ("SETBIT k 100 0", 2, true),
            ("SETBIT k 0 1", 3, true),
            ("SETBIT z 0 0", 4, true),
        ];
        for (line, dirty, event) in cases {
            db.cmd(line);
            assert_eq!(db.dirty, *dirty, "{line}");
            let expected = if *event { vec![Some((NotifyClass::STRING, "setbit"))] } else { vec![] };
            let events: Vec<_> = db.own_touches().iter().map(|t| t.event).collect();
            assert_eq!(events, expected, "{line}");
            assert_eq!(db.propagated.is_empty(), !event, "{line}");
        }
        db.check(&[("SET e abc", "+OK"), ("SETBIT e 1 1", ":1")]);
        assert_eq!(db.encoding("e"), Some("raw"));
    }

    #[test]
    fn setbit_errors_in_redis_order() {
        // Proves each error text and that the offset is checked before the value and both before
        // the type, with the offset limit at proto-max-bulk-len bytes.
        let mut db = TestDb::new();
        db.check(&[
            ("SETBIT k -1 1", "-ERR bit offset is not an integer or out of range"),
            ("SETBIT k 4294967296 1", "-ERR bit offset is not an integer or out of range"),
            ("SETBIT k a 2", "-ERR bit offset is not an integer or out of range"),
            ("SETBIT k #1 1", "-ERR bit offset is not an integer or out of range"),
            ("SETBIT k 1 2", "-ERR bit is not an integer or out of range"),
            ("SETBIT k 1 -1", "-ERR bit is not an integer or out of range"),
            ("SETBIT k 1 a", "-ERR bit is not an integer or out of range"),
            ("LPUSH l a", ":1"),
            ("SETBIT l 0 1", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("SETBIT l -1 1", "-ERR bit offset is not an integer or out of range"),
            ("SETBIT l 0 5", "-ERR bit is not an integer or out of range"),
            ("GETBIT l 0", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("GETBIT l -1", "-ERR bit offset is not an integer or out of range"),
            ("SETBIT k 1", "-ERR wrong number of arguments for 'setbit' command"),
            ("GETBIT k", "-ERR wrong number of arguments for 'getbit' command"),
        ]);
        db.config.proto_max_bulk_len = 2;
        db.check(&[
            ("SETBIT k 16 1", "-ERR bit offset is not an integer or out of range"),
            ("SETBIT k 15 1", ":0"),
            ("GETBIT k 16", "-ERR bit offset is not an integer or out of range"),
        ]);
        assert_eq!(db.raw_get("k"), Some(vec![0, 1]));
    }
}
