//! TYPE key

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

/// TYPE: the type name of the value at `key` as a status reply, `none` when absent. Counts a
/// hit or miss without touching the access time.
pub fn type_of(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let name = ctx.lookup_read_notouch(argv[1]).map_or("none", |obj| obj.value.type_name());
    Ok(Reply::simple(name))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn type_names_the_value_or_none() {
        // Proves TYPE's status replies for present, missing and expired keys, and its arity error.
        let mut t = TestDb::new();
        t.check(&[
            ("SET s v", "+OK"),
            ("SET n 12", "+OK"),
            ("PEXPIRE n 1", ":1"),
            ("TYPE s", "+string"),
            ("TYPE nokey", "+none"),
            ("TYPE", "-ERR wrong number of arguments for 'type' command"),
        ]);
        t.now_ms += 2;
        t.check(&[("TYPE n", "+none")]);
        assert_eq!((t.keyspace.stats.keyspace_hits, t.keyspace.stats.keyspace_misses), (1, 2));
    }
}
