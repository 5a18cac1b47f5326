//! The geo family: points kept as sorted-set members scored by their 52-bit geohash (Redis's
//! `geo.c`; the geohash math is `types::geohash`).
//!
//! | file | commands |
//! |---|---|
//! | `geoadd.rs` | GEOADD (run as the ZADD it propagates as) |
//! | `lookup.rs` | GEOPOS, GEOHASH, GEODIST |
//! | `pqsort.rs` | Redis's partial quicksort, for COUNT's tie order |
//! | `search.rs` | GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and their `_RO` forms |
//!
//! Numbers print as Redis prints them: distances `%.4f` as bulk strings, coordinates as
//! `%.17Lf` without trailing zeros (a RESP3 double), errors quoting coordinates with `%f`.

mod geoadd;
mod lookup;
mod pqsort;
mod search;

use super::redis_specs as s;
use super::table::{engine, Command};
use super::zset::{is_opt, parse_score};
use crate::error::CmdError;
use crate::reply::Reply;
use crate::types::geohash::{LAT_MAX, LAT_MIN, LONG_MAX, LONG_MIN};

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    engine(&s::GEOADD, geoadd::geoadd),
    engine(&s::GEOPOS, lookup::geopos),
    engine(&s::GEOHASH, lookup::geohash),
    engine(&s::GEODIST, lookup::geodist),
    engine(&s::GEOSEARCH, search::geosearch),
    engine(&s::GEOSEARCHSTORE, search::geosearchstore),
    engine(&s::GEORADIUS, search::georadius),
    engine(&s::GEORADIUS_RO, search::georadius_ro),
    engine(&s::GEORADIUSBYMEMBER, search::georadiusbymember),
    engine(&s::GEORADIUSBYMEMBER_RO, search::georadiusbymember_ro),
];

/// A longitude and latitude argument pair (`extractLongLatOrReply`): floats as ZADD reads
/// scores, then the range check whose error quotes both with `%f`.
fn parse_lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CmdError> {
    let (lon, lat) = (parse_score(lon)?, parse_score(lat)?);
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        let text = format!("ERR invalid longitude,latitude pair {},{}", c_fixed(lon, 6), c_fixed(lat, 6));
        return Err(CmdError::Message(text.into()));
    }
    Ok((lon, lat))
}

/// Meters per unit (`extractUnitOrReply`), any case.
fn parse_unit(arg: &[u8]) -> Result<f64, CmdError> {
    [("m", 1.0), ("km", 1000.0), ("ft", 0.3048), ("mi", 1609.34)]
        .into_iter()
        .find(|(name, _)| is_opt(arg, name))
        .map(|(_, to_meters)| to_meters)
        .ok_or_else(|| CmdError::msg("ERR unsupported unit provided. please use M, KM, FT, MI"))
}

/// A non-negative size (radius, width, height) with the error Redis names it by.
fn parse_size(arg: &[u8], not_numeric: &'static str) -> Result<f64, CmdError> {
    parse_score(arg).map_err(|_| CmdError::msg(not_numeric))
}

/// C's `printf("%.*f", digits, d)`: Rust's exact decimal expansion rounds as glibc does, and
/// only the spelling of the non-finite values differs.
fn c_fixed(d: f64, digits: usize) -> String {
    if d.is_nan() {
        return if d.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if d.is_infinite() {
        return if d < 0.0 { "-inf" } else { "inf" }.into();
    }
    format!("{d:.digits$}")
}

/// A distance as Redis replies it (`addReplyDoubleDistance`): `%.4f`, a bulk string.
fn distance_reply(meters: f64, to_meters: f64) -> Reply {
    Reply::Bulk(c_fixed(meters / to_meters, 4).into_bytes())
}

/// A coordinate as Redis replies it (`addReplyHumanLongDouble`): `%.17Lf` of the double, trailing
/// zeros and dot removed, `-0` as `0`.
fn coordinate_reply(d: f64) -> Reply {
    let mut text = c_fixed(d, 17);
    if text.contains('.') {
        text.truncate(text.trim_end_matches('0').trim_end_matches('.').len());
    }
    if text == "-0" {
        text = "0".into();
    }
    Reply::DoubleText(text.into_bytes())
}

/// `[longitude, latitude]` of a decoded point.
fn position_reply((longitude, latitude): (f64, f64)) -> Reply {
    Reply::Array(vec![coordinate_reply(longitude), coordinate_reply(latitude)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testing::TestDb;

    /// Runs `line` and returns (events as `event:key`, propagated commands as text). `new` and
    /// `keymiss` (raised centrally by key creation and read lookups) are left out:
    /// engine/tests/keyspace_events.rs checks them.
    fn effects(db: &mut TestDb, line: &str) -> (Vec<String>, Vec<String>) {
        db.cmd(line);
        let events = db
            .own_touches()
            .iter()
            .filter_map(|t| t.event.map(|(_, event)| format!("{event}:{}", String::from_utf8_lossy(&t.key))))
            .collect();
        let words =
            |argv: &Vec<Vec<u8>>| argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>();
        (events, db.propagated.iter().map(|(_, argv)| words(argv).join(" ")).collect())
    }

    #[test]
    fn events_and_propagation_follow_redis() {
        // Proves the keyspace events (seen with PSUBSCRIBE on Redis 7.0.15) and what is
        // propagated (read from its AOF): GEOADD as the ZADD it runs, the STORE forms as called.
        let mut db = TestDb::new();
        let ev = |db: &mut TestDb, line| effects(db, line);
        assert_eq!(
            ev(&mut db, "GEOADD g2 1 1 a 2 2 b"),
            (vec!["zadd:g2".into()], vec!["zadd g2 3377822707026402 a 3378191666521995 b".into()])
        );
        assert_eq!(
            ev(&mut db, "GEOADD g2 ch xx 1 1.5 a"),
            (vec!["zadd:g2".into()], vec!["zadd g2 ch xx 3378015980833971 a".into()])
        );
        assert_eq!(ev(&mut db, "GEOADD g2 1 1.5 a"), (vec![], vec![]));
        let store = "GEORADIUS g2 1 1 500 km STORE d1";
        assert_eq!(ev(&mut db, store), (vec!["georadiusstore:d1".into()], vec![store.into()]));
        let store = "GEOSEARCHSTORE d3 g2 FROMLONLAT 1 1 BYRADIUS 1 m";
        assert_eq!(ev(&mut db, store), (vec![], vec![]));
        let store = "GEOSEARCHSTORE d1 g2 FROMLONLAT 2 2 BYRADIUS 1 m";
        assert_eq!(ev(&mut db, store), (vec!["geosearchstore:d1".into()], vec![store.into()]));
        let store = "GEOSEARCHSTORE d1 g2 FROMLONLAT 50 50 BYRADIUS 1 m";
        assert_eq!(ev(&mut db, store), (vec!["del:d1".into()], vec![store.into()]));
        db.cmd("SET d1 x");
        let store = "GEORADIUS nokey 1 1 1 km STORE d1";
        assert_eq!(ev(&mut db, store), (vec!["del:d1".into()], vec![store.into()]));
        assert_eq!(ev(&mut db, "GEORADIUS g2 1 1 500 km"), (vec![], vec![]));
    }

    #[test]
    fn numbers_print_as_redis_does() {
        // Proves the three formats against bytes real Redis 7.0.15 printed.
        let text = |r: Reply| match r {
            Reply::DoubleText(t) | Reply::Bulk(t) => String::from_utf8(t).unwrap(),
            other => panic!("{other:?}"),
        };
        assert_eq!(text(coordinate_reply(0.9999999403953552)), "0.99999994039535522");
        assert_eq!(text(coordinate_reply(15.087267458438873)), "15.08726745843887329");
        assert_eq!(text(coordinate_reply(-180.0)), "-180");
        assert_eq!(text(coordinate_reply(-1e-20)), "0");
        assert_eq!(text(distance_reply(4309103.2395, 1000.0)), "4309.1032");
        assert_eq!(c_fixed(200.0, 6), "200.000000");
        assert_eq!(c_fixed(f64::NEG_INFINITY, 6), "-inf");
    }
}
