//! MGET key [key ...]
//!
//! A key holding another type reads as nil, not WRONGTYPE (Redis's `mgetCommand`).

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::value::Value;

/// MGET: the string at each key, nil where there is none.
pub fn mget(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let keys = &argv[1..];
    let mut values = Vec::with_capacity(keys.len());
    for key in keys {
        values.push(match ctx.lookup_read(key) {
            None => Reply::Null,
            // Every other type will reply Null here as well.
            Some(obj) => match &obj.value {
                Value::Str(s) => Reply::Bulk(s.to_bytes()),
                _ => Reply::Null,
            },
        });
    }
    Ok(Reply::Array(values))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn mget_reads_each_key() {
        // Proves MGET's order, nils for missing keys, repeated keys, and its arity error.
        TestDb::new().check(&[
            ("MSET a 1 b hello", "+OK"),
            ("MGET a nokey b a", "[\"1\", (nil), \"hello\", \"1\"]"),
            ("MGET nokey", "[(nil)]"),
            ("MGET", "-ERR wrong number of arguments for 'mget' command"),
        ]);
    }
}
