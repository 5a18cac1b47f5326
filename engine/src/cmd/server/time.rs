//! TIME: the server's clock as `[seconds, microseconds]`, both as bulk strings. The time is the
//! command's event time (`Ctx::now_us`), so a simulator's virtual clock shows through.

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;

/// TIME
pub fn time(ctx: &mut Ctx, _argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let seconds = ctx.now_us.div_euclid(1_000_000);
    let micros = ctx.now_us.rem_euclid(1_000_000);
    Ok(Reply::Array(vec![Reply::bulk_i64(seconds), Reply::bulk_i64(micros)]))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;
    use crate::error::CmdError;
    use crate::reply::Reply;

    #[test]
    fn time_splits_the_event_time_into_seconds_and_microseconds() {
        // Proves TIME reads Ctx::now_us (never a clock), formats both parts as bulk strings, and
        // rejects arguments with Redis's arity error.
        let mut db = TestDb::new();
        db.now_ms = 1_795_675_796_238;
        let want = Reply::Array(vec![Reply::bulk(b"1795675796"), Reply::bulk(b"238000")]);
        assert_eq!(db.run(&[b"time"]), want);
        assert_eq!(db.run(&[b"TIME", b"x"]), Reply::Error(CmdError::WrongArity("time".into())));
    }
}
