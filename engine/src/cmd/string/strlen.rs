//! STRLEN key

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

/// STRLEN: the length of the string at `key`, 0 when missing.
pub fn strlen(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::Int(ctx.read_str(argv[1])?.map_or(0, |s| s.len() as i64)))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn strlen_counts_bytes() {
        // Proves STRLEN for missing, empty, text and int-encoded values, and its arity error.
        TestDb::new().check(&[
            ("STRLEN k", ":0"),
            ("SET k \"\"", "+OK"),
            ("STRLEN k", ":0"),
            ("SET k hello", "+OK"),
            ("STRLEN k", ":5"),
            ("SET n -123", "+OK"),
            ("STRLEN n", ":4"),
            ("STRLEN", "-ERR wrong number of arguments for 'strlen' command"),
        ]);
    }
}
