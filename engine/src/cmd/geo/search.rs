//! GEOSEARCH key FROMMEMBER member|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit
//!           [ASC|DESC] [COUNT n [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
//! GEOSEARCHSTORE dst key ... [STOREDIST]
//! GEORADIUS[_RO] key lon lat radius unit [options] [STORE dst] [STOREDIST dst]
//! GEORADIUSBYMEMBER[_RO] key member radius unit [options] [STORE dst] [STOREDIST dst]
//!
//! All are Redis's `georadiusGeneric`, in its order: the source key is looked up first (so
//! WRONGTYPE wins), the center and radius of the legacy forms are read next (a missing member
//! wins over a bad radius; with no key the member form skips both), then the options left to
//! right, each failing on the spot, then the conflicts. The search reads the nine geohash cells
//! around the center (`Search::cells`), keeps the points inside the shape, and sorts them by
//! distance when asked (COUNT without ANY implies ASC): all of them with glibc's stable `qsort`,
//! or, when COUNT keeps fewer, with Redis's unstable `pqsort`, whose tie order is reproduced.
//!
//! The STORE forms notify `georadiusstore` / `geosearchstore` (or `del` when nothing was found and
//! the destination existed) and propagate as called, as Redis 7.0 does.

use std::cmp::Ordering;

use crate::cmd::ctx::Ctx;
use crate::cmd::effects::NotifyClass;
use crate::error::CmdError;
use crate::num::parse_i64;
use crate::reply::Reply;
use crate::types::geohash::{decode_score, score_range, Cell, Search, Shape};
use crate::types::zset::{ScoreRange, ZsetValue};
use crate::value::Value;

use super::pqsort::pqsort;
use super::{coordinate_reply, distance_reply, is_opt, parse_lon_lat, parse_size, parse_unit};

/// Which command runs `georadius_generic`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// GEORADIUS: center from coordinates; `no_store` for the `_RO` form.
    Radius { no_store: bool },
    /// GEORADIUSBYMEMBER: center from a member; `no_store` for the `_RO` form.
    RadiusByMember { no_store: bool },
    /// GEOSEARCH.
    Search,
    /// GEOSEARCHSTORE.
    SearchStore,
}

/// Result order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// One point found: the member, its score, decoded position and distance in meters.
struct Point {
    member: Vec<u8>,
    score: f64,
    position: (f64, f64),
    distance_m: f64,
}

/// GEOSEARCH: members inside a circle or box.
pub fn geosearch(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    georadius_generic(ctx, argv, Form::Search)
}

/// GEOSEARCHSTORE: GEOSEARCH stored at `dst`; replies the number stored.
pub fn geosearchstore(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    georadius_generic(ctx, argv, Form::SearchStore)
}

/// GEORADIUS: members within a radius of a point.
pub fn georadius(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    georadius_generic(ctx, argv, Form::Radius { no_store: false })
}

/// GEORADIUS_RO: GEORADIUS without STORE.
pub fn georadius_ro(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    georadius_generic(ctx, argv, Form::Radius { no_store: true })
}

/// GEORADIUSBYMEMBER: members within a radius of a member.
pub fn georadiusbymember(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    georadius_generic(ctx, argv, Form::RadiusByMember { no_store: false })
}

/// GEORADIUSBYMEMBER_RO: GEORADIUSBYMEMBER without STORE.
pub fn georadiusbymember_ro(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    georadius_generic(ctx, argv, Form::RadiusByMember { no_store: true })
}

/// The position of `member` in `zset`, with Redis's error when it is missing.
fn member_position(zset: &ZsetValue, member: &[u8]) -> Result<(f64, f64), CmdError> {
    zset.score(member).map(decode_score).ok_or_else(|| CmdError::msg("ERR could not decode requested zset member"))
}

/// A radius argument and its unit (`extractDistanceOrReply`): `(radius, meters per unit)`.
fn parse_radius(radius: &[u8], unit: &[u8]) -> Result<(f64, f64), CmdError> {
    let radius = parse_size(radius, "ERR need numeric radius")?;
    if radius < 0.0 {
        return Err(CmdError::msg("ERR radius cannot be negative"));
    }
    Ok((radius, parse_unit(unit)?))
}

/// A box argument triple (`extractBoxOrReply`): `(width, height, meters per unit)`.
fn parse_box(width: &[u8], height: &[u8], unit: &[u8]) -> Result<(f64, f64, f64), CmdError> {
    let width = parse_size(width, "ERR need numeric width")?;
    let height = parse_size(height, "ERR need numeric height")?;
    if height < 0.0 || width < 0.0 {
        return Err(CmdError::msg("ERR height or width cannot be negative"));
    }
    Ok((width, height, parse_unit(unit)?))
}

fn georadius_generic(ctx: &mut Ctx, argv: &[&[u8]], form: Form) -> Result<Reply, CmdError> {
    let src = if form == Form::SearchStore { argv[2] } else { argv[1] };
    let zset = ctx.read_zset(src)?;
    let mut center = None;
    let mut shape = None;
    let mut to_meters = 0.0;
    let mut store: Option<&[u8]> = None;
    let mut storedist = false;
    let base = match form {
        Form::Radius { .. } => {
            center = Some(parse_lon_lat(argv[2], argv[3])?);
            let (radius, unit) = parse_radius(argv[4], argv[5])?;
            (shape, to_meters) = (Some(Shape::Circle { radius }), unit);
            6
        }
        Form::RadiusByMember { .. } => {
            if let Some(zset) = zset {
                center = Some(member_position(zset, argv[2])?);
                let (radius, unit) = parse_radius(argv[3], argv[4])?;
                (shape, to_meters) = (Some(Shape::Circle { radius }), unit);
            }
            5
        }
        Form::Search => 2,
        Form::SearchStore => {
            store = Some(argv[1]);
            3
        }
    };
    let searching = matches!(form, Form::Search | Form::SearchStore);
    let may_store = matches!(form, Form::Radius { no_store: false } | Form::RadiusByMember { no_store: false });
    let (mut withdist, mut withhash, mut withcoord, mut any) = (false, false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut count: i64 = 0;
    let options = &argv[base..];
    let mut i = 0;
    while i < options.len() {
        let arg = options[i];
        let left = options.len() - i - 1;
        match () {
            _ if is_opt(arg, "withdist") => withdist = true,
            _ if is_opt(arg, "withhash") => withhash = true,
            _ if is_opt(arg, "withcoord") => withcoord = true,
            _ if is_opt(arg, "any") => any = true,
            _ if is_opt(arg, "asc") => sort = Sort::Asc,
            _ if is_opt(arg, "desc") => sort = Sort::Desc,
            _ if is_opt(arg, "count") && left >= 1 => {
                count = parse_i64(options[i + 1]).ok_or(CmdError::NotInteger)?;
                if count <= 0 {
                    return Err(CmdError::msg("ERR COUNT must be > 0"));
                }
                i += 1;
            }
            _ if (is_opt(arg, "store") || is_opt(arg, "storedist")) && left >= 1 && may_store => {
                store = Some(options[i + 1]);
                storedist = is_opt(arg, "storedist");
                i += 1;
            }
            _ if is_opt(arg, "storedist") && form == Form::SearchStore => storedist = true,
            _ if is_opt(arg, "frommember") && left >= 1 && searching && !fromloc => {
                if let Some(zset) = zset {
                    center = Some(member_position(zset, options[i + 1])?);
                }
                frommember = true;
                i += 1;
            }
            _ if is_opt(arg, "fromlonlat") && left >= 2 && searching && !frommember => {
                center = Some(parse_lon_lat(options[i + 1], options[i + 2])?);
                fromloc = true;
                i += 2;
            }
            _ if is_opt(arg, "byradius") && left >= 2 && searching && !bybox => {
                let (radius, unit) = parse_radius(options[i + 1], options[i + 2])?;
                (shape, to_meters) = (Some(Shape::Circle { radius }), unit);
                byradius = true;
                i += 2;
            }
            _ if is_opt(arg, "bybox") && left >= 3 && searching && !byradius => {
                let (width, height, unit) = parse_box(options[i + 1], options[i + 2], options[i + 3])?;
                (shape, to_meters) = (Some(Shape::Box { width, height }), unit);
                bybox = true;
                i += 3;
            }
            _ => return Err(CmdError::Syntax),
        }
        i += 1;
    }
    if store.is_some() && (withdist || withhash || withcoord) {
        return Err(CmdError::msg(if form == Form::SearchStore {
            "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        } else {
            "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        }));
    }
    let name = || String::from_utf8_lossy(argv[0]).into_owned();
    if searching && !(frommember || fromloc) {
        let text = format!("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {}", name());
        return Err(CmdError::Message(text.into()));
    }
    if searching && !(byradius || bybox) {
        let text = format!("ERR exactly one of BYRADIUS and BYBOX can be specified for {}", name());
        return Err(CmdError::Message(text.into()));
    }
    if any && count == 0 {
        return Err(CmdError::msg("ERR the ANY argument requires COUNT argument"));
    }
    let (Some(zset), Some((longitude, latitude)), Some(shape)) = (zset, center, shape) else {
        return Ok(match store {
            Some(dst) => {
                if ctx.db().delete(dst).is_some() {
                    ctx.notify(NotifyClass::GENERIC, "del", dst);
                    ctx.dirty += 1;
                }
                Reply::Int(0)
            }
            None => Reply::Array(Vec::new()),
        });
    };
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let search = Search { longitude, latitude, shape, to_meters };
    let mut points = points_in_cells(zset, &search, if any { count as usize } else { 0 });
    let returned = if count == 0 { points.len() } else { points.len().min(count as usize) };
    match sort {
        Sort::None => {}
        Sort::Asc => sort_points(&mut points, returned, by_distance),
        Sort::Desc => sort_points(&mut points, returned, |a, b| by_distance(a, b).reverse()),
    }
    points.truncate(returned);
    let Some(dst) = store else {
        return Ok(Reply::Array(
            points.into_iter().map(|p| point_reply(p, to_meters, withdist, withhash, withcoord)).collect(),
        ));
    };
    if points.is_empty() {
        if ctx.db().delete(dst).is_some() {
            ctx.notify(NotifyClass::GENERIC, "del", dst);
            ctx.dirty += 1;
        }
        return Ok(Reply::Int(0));
    }
    let entries = points
        .into_iter()
        .map(|p| {
            let score = if storedist { p.distance_m / to_meters } else { p.score };
            (p.member, score)
        })
        .collect();
    let stored = ZsetValue::from_entries(entries, ctx.zset_limits(), ctx.rng);
    ctx.set_key(dst, Value::Zset(Box::new(stored)), false);
    let event = if searching { "geosearchstore" } else { "georadiusstore" };
    ctx.notify(NotifyClass::ZSET, event, dst);
    ctx.dirty += returned as u64;
    Ok(Reply::Int(returned as i64))
}

/// Redis's `sort_gp_asc`: equal distances compare equal (and a NaN below anything).
fn by_distance(a: &Point, b: &Point) -> Ordering {
    a.distance_m.partial_cmp(&b.distance_m).unwrap_or(Ordering::Less)
}

/// Sorts the points so the first `returned` are in `order`: all of them with glibc's stable
/// `qsort` when all are returned, else with Redis's `pqsort`.
fn sort_points(points: &mut [Point], returned: usize, order: impl Fn(&Point, &Point) -> Ordering) {
    if returned == points.len() {
        points.sort_by(order);
    } else {
        pqsort(points, order, 0, returned - 1);
    }
}

/// The points of `zset` inside the search, cell by cell (`membersOfAllNeighbors`); with a
/// `limit` (COUNT ... ANY) reading stops once that many were found.
fn points_in_cells(zset: &ZsetValue, search: &Search, limit: usize) -> Vec<Point> {
    let mut points = Vec::new();
    // Redis's `last_processed` is an index that starts at 0, so the center never counts as read.
    let mut last: Option<Cell> = None;
    let full = |points: &Vec<Point>| limit != 0 && points.len() >= limit;
    for (index, cell) in search.cells().into_iter().enumerate() {
        if cell == Cell::default() {
            continue;
        }
        // Huge radii make neighbours repeat the previous cell: Redis reads it once.
        if last == Some(cell) {
            continue;
        }
        if full(&points) {
            break;
        }
        let (min, max) = score_range(cell);
        let range = ScoreRange { min: min as f64, max: max as f64, min_ex: false, max_ex: true };
        if let Some(first) = zset.first_in_score(&range) {
            zset.walk(first, false, |member, score| {
                if !range.lte_max(score) {
                    return false;
                }
                let position = decode_score(score);
                if let Some(distance_m) = search.distance_if_within(position.0, position.1) {
                    points.push(Point { member: member.to_vec(), score, position, distance_m });
                }
                !full(&points)
            });
        }
        if index > 0 {
            last = Some(cell);
        }
    }
    points
}

/// One result: the bare member, or `[member, dist?, hash?, [lon, lat]?]`.
fn point_reply(point: Point, to_meters: f64, withdist: bool, withhash: bool, withcoord: bool) -> Reply {
    if !(withdist || withhash || withcoord) {
        return Reply::Bulk(point.member);
    }
    let mut item = vec![Reply::Bulk(point.member)];
    if withdist {
        item.push(distance_reply(point.distance_m, to_meters));
    }
    if withhash {
        item.push(Reply::Int(point.score as i64));
    }
    if withcoord {
        item.push(Reply::Array(vec![coordinate_reply(point.position.0), coordinate_reply(point.position.1)]));
    }
    Reply::Array(item)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::TestDb;

    #[test]
    fn searches_reply_as_redis() {
        // Proves search replies byte for byte (each row asked of Redis 7.0.15): both shapes, both
        // centers, every WITH option, COUNT with and without ANY, radius 0, radii past the
        // earth's size, points at the poles and across the antimeridian, the STORE forms, and
        // the order of points at equal distances under COUNT (Redis's pqsort).
        TestDb::new().check(&[
            ("GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 13.583333 37.316667 Agrigento", ":3"),
            ("GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km ASC", "[\"Catania\", \"Agrigento\", \"Palermo\"]"),
            ("GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km DESC WITHCOORD WITHDIST WITHHASH", "[[\"Palermo\", \"190.4424\", :3479099956230698, [,13.36138933897018433, ,38.11555639549629859]], [\"Agrigento\", \"130.4235\", :3479030013248308, [,13.5833314061164856, ,37.31666804993816555]], [\"Catania\", \"56.4413\", :3479447370796909, [,15.08726745843887329, ,37.50266842333162032]]]"),
            ("GEOSEARCH g FROMMEMBER Palermo BYBOX 400 400 km ASC WITHDIST", "[[\"Palermo\", \"0.0000\"], [\"Agrigento\", \"90.9778\"], [\"Catania\", \"166.2742\"]]"),
            ("GEOSEARCH g FROMMEMBER Palermo BYBOX 100 400 km ASC WITHDIST", "[[\"Palermo\", \"0.0000\"], [\"Agrigento\", \"90.9778\"]]"),
            ("GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 0 m", "[]"),
            ("GEOSEARCH g FROMMEMBER Palermo BYRADIUS 0 m WITHDIST", "[[\"Palermo\", \"0.0000\"]]"),
            ("GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 40000 km COUNT 2", "[\"Catania\", \"Agrigento\"]"),
            ("GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 40000 km COUNT 1 ANY", "[\"Agrigento\"]"),
            ("GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 40000 km COUNT 2 ANY DESC", "[\"Palermo\", \"Agrigento\"]"),
            ("GEORADIUS g 15 37 200 km WITHDIST ASC", "[[\"Catania\", \"56.4413\"], [\"Agrigento\", \"130.4235\"], [\"Palermo\", \"190.4424\"]]"),
            ("GEORADIUS_RO g 15 37 200 mi WITHDIST DESC COUNT 2", "[[\"Palermo\", \"118.3357\"], [\"Agrigento\", \"81.0416\"]]"),
            ("GEORADIUSBYMEMBER g Agrigento 100 km", "[\"Agrigento\", \"Palermo\"]"),
            ("GEORADIUSBYMEMBER_RO g Agrigento 100000 ft WITHDIST", "[[\"Agrigento\", \"0.0000\"]]"),
            ("GEORADIUS g 15 37 200 km STORE dst", ":3"),
            ("ZRANGE dst 0 -1 WITHSCORES", "[\"Agrigento\", ,3479030013248308, \"Palermo\", ,3479099956230698, \"Catania\", ,3479447370796909]"),
            ("GEORADIUS g 15 37 200 km STOREDIST dst ASC COUNT 1", ":1"),
            ("ZRANGE dst 0 -1 WITHSCORES", "[\"Catania\", ,56.4412578701582]"),
            ("GEOSEARCHSTORE dst g FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST", ":3"),
            ("ZRANGE dst 0 -1 WITHSCORES", "[\"Catania\", ,56.4412578701582, \"Agrigento\", ,130.42348706714702, \"Palermo\", ,190.44242984775784]"),
            ("GEOSEARCHSTORE dst g FROMLONLAT 0 0 BYRADIUS 1 km", ":0"),
            ("EXISTS dst", ":0"),
            ("GEOSEARCHSTORE dst nokey FROMLONLAT 0 0 BYRADIUS 1 km", ":0"),
            ("GEOADD poles 0 85.05112878 n1 180 85.05112878 n2 -180 85 n3 90 -85.05112878 s1 -90 -85 s2", ":5"),
            ("GEOSEARCH poles FROMLONLAT 0 85 BYRADIUS 2000 km ASC WITHDIST", "[[\"n3\", \"1112.2630\"]]"),
            ("GEOSEARCH poles FROMLONLAT 45 -85.05 BYBOX 20000 1000 km ASC WITHDIST", "[[\"s1\", \"420.8929\"], [\"s2\", \"1022.2727\"]]"),
            ("GEOSEARCH poles FROMLONLAT 0 0 BYRADIUS 20000 km DESC WITHDIST", "[[\"n3\", \"10566.4985\"], [\"s1\", \"10010.3670\"], [\"s2\", \"10010.3670\"]]"),
            ("GEOADD am 179.99 0 e1 -179.99 0 w1 179.5 10 e2 -179.5 -10 w2 0 0 far", ":5"),
            ("GEOSEARCH am FROMLONLAT 180 0 BYRADIUS 100 km ASC WITHDIST WITHCOORD", "[[\"e1\", \"1.1125\", [,179.98999804258346558, ,0.00000126736058093]]]"),
            ("GEOSEARCH am FROMLONLAT -180 0 BYBOX 300 3000 km ASC WITHDIST", "[[\"e1\", \"1.1125\"], [\"w1\", \"1.1125\"], [\"w2\", \"1113.6384\"], [\"e2\", \"1113.6384\"]]"),
            ("GEORADIUS am -179.999 0 2500 km ASC WITHDIST", "[[\"w1\", \"1.0013\"], [\"e1\", \"1.2237\"], [\"w2\", \"1113.6329\"], [\"e2\", \"1113.6439\"]]"),
            ("GEOADD ties 1 1 a 1 1 b 1 1 c 1 1 d 1 1 e 1 1 f 1 1 g 1 1 h 2 2 i 0.5 0.5 j", ":10"),
            ("GEOSEARCH ties FROMLONLAT 1.1 1.1 BYRADIUS 500 km COUNT 3", "[\"g\", \"a\", \"b\"]"),
            ("GEOSEARCH ties FROMLONLAT 1.1 1.1 BYRADIUS 500 km COUNT 9 DESC", "[\"i\", \"j\", \"a\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\"]"),
            ("GEOSEARCH ties FROMLONLAT 1.1 1.1 BYRADIUS 500 km ASC", "[\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"j\", \"i\"]"),
        ]);
    }

    #[test]
    fn search_errors_come_in_redis_order() {
        // Proves every search error text and which one wins when several apply (Redis 7.0.15).
        TestDb::new().check(&[
            ("GEOADD g 13.361389 38.115556 Palermo", ":1"),
            ("SET s v", "+OK"),
            ("ZADD z 1 a", ":1"),
            (
                "GEOSEARCH s FROMLONLAT 1 1 BYRADIUS x km",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            ("GEOSEARCH g FROMMEMBER nope BYRADIUS 1 km", "-ERR could not decode requested zset member"),
            ("GEOSEARCH z FROMMEMBER Palermo BYRADIUS 1 km", "-ERR could not decode requested zset member"),
            ("GEOSEARCH nokey FROMMEMBER Palermo BYRADIUS 1 km", "[]"),
            ("GEOSEARCH g FROMLONLAT 1 1 BYRADIUS -1 km", "-ERR radius cannot be negative"),
            ("GEOSEARCH g FROMLONLAT 1 1 BYRADIUS x km", "-ERR need numeric radius"),
            (
                "GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 furlong",
                "-ERR unsupported unit provided. please use M, KM, FT, MI",
            ),
            ("GEOSEARCH g FROMLONLAT 1 1 BYBOX x 1 km", "-ERR need numeric width"),
            ("GEOSEARCH g FROMLONLAT 1 1 BYBOX 1 x km", "-ERR need numeric height"),
            ("GEOSEARCH g FROMLONLAT 1 1 BYBOX 1 -1 km", "-ERR height or width cannot be negative"),
            ("GEOSEARCH g FROMLONLAT 1 91 BYBOX 1 1 km", "-ERR invalid longitude,latitude pair 1.000000,91.000000"),
            ("GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km COUNT 0", "-ERR COUNT must be > 0"),
            ("GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km COUNT x", "-ERR value is not an integer or out of range"),
            ("GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km ANY", "-ERR the ANY argument requires COUNT argument"),
            ("GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km COUNT", "-ERR syntax error"),
            ("GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km STORE d", "-ERR syntax error"),
            ("GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km STOREDIST", "-ERR syntax error"),
            ("GEOSEARCH g FROMLONLAT 1 1 FROMMEMBER Palermo BYRADIUS 1 km", "-ERR syntax error"),
            ("GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km BYBOX 1 1 km", "-ERR syntax error"),
            (
                "GeoSearch g BYRADIUS 1 km ASC ASC",
                "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GeoSearch",
            ),
            (
                "GEOSEARCH g FROMLONLAT 1 1 ASC ASC",
                "-ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH",
            ),
            (
                "GEOSEARCHSTORE d g FROMLONLAT 1 1 BYRADIUS 1 km WITHDIST",
                "-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            ),
            (
                "GEORADIUS g 1 1 1 km STORE d WITHHASH",
                "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            ),
            ("GEORADIUS_RO g 1 1 1 km STORE d", "-ERR syntax error"),
            ("GEORADIUSBYMEMBER_RO g Palermo 1 km STOREDIST d", "-ERR syntax error"),
            ("GEORADIUS g 1 1 1 km STORE", "-ERR syntax error"),
            ("GEORADIUS g 200 1 1 km", "-ERR invalid longitude,latitude pair 200.000000,1.000000"),
            ("GEORADIUS g 1 1 x km", "-ERR need numeric radius"),
            ("GEORADIUS g 1 1 1 km ANY", "-ERR the ANY argument requires COUNT argument"),
            ("GEORADIUS g 1 1 1 km FROMLONLAT 1 1", "-ERR syntax error"),
            ("GEORADIUSBYMEMBER g nope x km", "-ERR could not decode requested zset member"),
            ("GEORADIUSBYMEMBER nokey nope x furlong", "[]"),
            (
                "GEORADIUSBYMEMBER nokey nope x km STORE d WITHDIST",
                "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            ),
            ("GEORADIUS s 1 1 1 km", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            (
                "GEOSEARCHSTORE d s FROMLONLAT 1 1 BYRADIUS 1 km",
                "-WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
        ]);
    }
}
