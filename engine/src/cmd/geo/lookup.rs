//! GEOPOS key [member ...]
//! GEOHASH key [member ...]
//! GEODIST key member1 member2 [M|KM|FT|MI]
//!
//! Redis's `geoposCommand`, `geohashCommand` and `geodistCommand`. Any score decodes (a member
//! added by ZADD gets the point its score stands for), so only a missing member answers null.
//! GEODIST checks its unit and argument count before it looks the key up.

use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::reply::Reply;
use crate::types::geohash::{decode_score, distance, standard_geohash};

use super::{distance_reply, parse_unit, position_reply};

/// GEOPOS: each member's `[longitude, latitude]`, or a null array.
pub fn geopos(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let zset = ctx.read_zset(argv[1])?;
    let reply = argv[2..]
        .iter()
        .map(|member| zset.and_then(|z| z.score(member)).map_or(Reply::NullArray, |s| position_reply(decode_score(s))))
        .collect();
    Ok(Reply::Array(reply))
}

/// GEOHASH: each member's 11-character standard geohash, or null.
pub fn geohash(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let zset = ctx.read_zset(argv[1])?;
    let reply = argv[2..]
        .iter()
        .map(|member| {
            zset.and_then(|z| z.score(member)).map_or(Reply::Null, |s| Reply::Bulk(standard_geohash(s).to_vec()))
        })
        .collect();
    Ok(Reply::Array(reply))
}

/// GEODIST: the distance between two members in the unit (meters by default), or null.
pub fn geodist(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let to_meters = match argv.len() {
        4 => 1.0,
        5 => parse_unit(argv[4])?,
        _ => return Err(CmdError::Syntax),
    };
    let Some(zset) = ctx.read_zset(argv[1])? else {
        return Ok(Reply::Null);
    };
    let (Some(a), Some(b)) = (zset.score(argv[2]), zset.score(argv[3])) else {
        return Ok(Reply::Null);
    };
    let ((lon1, lat1), (lon2, lat2)) = (decode_score(a), decode_score(b));
    Ok(distance_reply(distance(lon1, lat1, lon2, lat2), to_meters))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn lookups_reply_as_redis() {
        // Proves GEOPOS, GEOHASH and GEODIST replies (values asked of Redis 7.0.15), including
        // scores ZADD wrote that GEOADD never would.
        TestDb::new().check(&[
            ("GEOADD g 1 1 Palermo 15.087269 37.502669 Catania", ":2"),
            ("GEOPOS g Palermo nope", "[[,0.99999994039535522, ,0.99999945914297683], (nil array)]"),
            ("GEOPOS nokey a", "[(nil array)]"),
            ("GEOHASH g Palermo Catania nope", "[\"s00twy01mt0\", \"sqdtr74hyu0\", (nil)]"),
            ("GEOHASH nokey a", "[(nil)]"),
            ("GEODIST g Palermo Catania", "\"4309103.2395\""),
            ("GEODIST g Palermo Catania km", "\"4309.1032\""),
            ("GEODIST g Palermo Catania MI", "\"2677.5593\""),
            ("GEODIST g Palermo Catania ft", "\"14137477.8200\""),
            ("GEODIST g Palermo nope", "(nil)"),
            ("GEODIST nokey a b", "(nil)"),
            ("GEODIST g Palermo Catania yard", "-ERR unsupported unit provided. please use M, KM, FT, MI"),
            ("GEODIST g Palermo Catania km x", "-ERR syntax error"),
            ("ZADD g -1 neg 1e30 big inf top -inf bottom 4503599627370495 max", ":5"),
            ("GEOPOS g neg big top bottom max", "[[,180, ,85.0511287799999991], [,-179.99999731779098511, ,-85.05112751263942528], [,-179.99999731779098511, ,-85.05112751263942528], [,180, ,-85.05112751263942528], [,179.99999731779098511, ,85.05112751263942528]]"),
            ("GEOHASH g neg big top bottom max", "[\"bp05b5048p0\", \"00bh0hbj200\", \"00bh0hbj200\", \"00bh0hbj200\", \"zzpgzgpfxz0\"]"),
            ("GEODIST g neg big", "\"18919844.5891\""),
            ("GEOADD a 0 0 x 180 0 y -180 0 z 0 85 n 0 -85 s 179.9999 10 e -179.9999 10 w", ":7"),
            ("GEODIST a x y", "\"20020733.6202\""),
            ("GEODIST a y z", "\"0.2983\""),
            ("GEODIST a n s km", "\"18908.4709\""),
            ("GEODIST a e w", "\"21.7412\""),
            ("SET s v", "+OK"),
            ("GEOPOS s a", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("GEODIST s a b km", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("GEODIST s a b yard", "-ERR unsupported unit provided. please use M, KM, FT, MI"),
        ]);
    }
}
