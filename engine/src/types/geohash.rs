//! Redis's geohash: the 52-bit cell a point is stored as (the score of a geo sorted set), the
//! nine cells a search reads, and the distances it filters by (Redis 7.0's `geohash.c` and
//! `geohash_helper.c`, operation for operation, so every score, coordinate and distance is the
//! same double).
//!
//! A cell at `step` bits per axis interleaves latitude bits (even positions) with longitude bits
//! (odd positions); a stored score is the step-26 cell as an integer. Latitudes are limited to
//! ±85.05112878 (the Web Mercator square), longitudes to ±180.

/// Longitude bounds.
pub const LONG_MIN: f64 = -180.0;
/// Longitude bounds.
pub const LONG_MAX: f64 = 180.0;
/// Latitude bounds (Web Mercator).
pub const LAT_MIN: f64 = -85.05112878;
/// Latitude bounds (Web Mercator).
pub const LAT_MAX: f64 = 85.05112878;
/// Bits per axis of a stored point (Redis's `GEO_STEP_MAX`): 52 bits in all.
pub const STEP_MAX: u8 = 26;
/// The earth's quadratic mean radius Redis uses (`EARTH_RADIUS_IN_METERS`).
pub const EARTH_RADIUS_M: f64 = 6372797.560856;
/// Redis's `MERCATOR_MAX`: the radius beyond which one cell covers the world.
const MERCATOR_MAX: f64 = 20037726.37;
/// Redis's `D_R`.
const D_R: f64 = std::f64::consts::PI / 180.0;

fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}

fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// A range of one coordinate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// Lower end.
    pub min: f64,
    /// Upper end.
    pub max: f64,
}

/// The ranges Redis stores points in (`geohashGetCoordRange`).
pub const STORE_LONG: Range = Range { min: LONG_MIN, max: LONG_MAX };
/// The ranges Redis stores points in (`geohashGetCoordRange`).
pub const STORE_LAT: Range = Range { min: LAT_MIN, max: LAT_MAX };

/// A cell: `step` bits per axis, interleaved (Redis's `GeoHashBits`). The zero value (no bits,
/// step 0) marks a neighbour the search skips.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    /// Interleaved bits, latitude at even positions.
    pub bits: u64,
    /// Bits per axis.
    pub step: u8,
}

/// The rectangle a cell covers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Area {
    /// Longitude span.
    pub longitude: Range,
    /// Latitude span.
    pub latitude: Range,
}

/// Spreads the 32 bits of `x` to the even positions of a 64-bit word.
fn spread(x: u32) -> u64 {
    let mut x = u64::from(x);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even positions of `x` into 32 bits.
fn squash(x: u64) -> u32 {
    let mut x = x & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    (x | (x >> 16)) as u32
}

/// C's conversion of a `double` to `uint32_t` as x86-64 code does it for the values geohash
/// encoding produces (0 up to 2^step inclusive): truncation.
fn to_u32(d: f64) -> u32 {
    (d as i64) as u32
}

/// C's `(uint64_t)score` as gcc compiles it on x86-64 (`cvttsd2si`, with the 2^63 adjustment),
/// including the out-of-range results a score not written by GEOADD gives.
pub fn score_bits(score: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let cvtt = |d: f64| if (-TWO_63..TWO_63).contains(&d) { d as i64 } else { i64::MIN };
    if score >= TWO_63 {
        (cvtt(score - TWO_63) as u64) ^ (1 << 63)
    } else {
        cvtt(score) as u64
    }
}

/// The cell of (`longitude`, `latitude`) at `step` within the ranges (`geohashEncode`); `None`
/// outside the ranges or the Web Mercator square.
pub fn encode(long_range: Range, lat_range: Range, longitude: f64, latitude: f64, step: u8) -> Option<Cell> {
    assert!((1..=32).contains(&step), "geohash step {step} out of range");
    if !(LONG_MIN..=LONG_MAX).contains(&longitude) || !(LAT_MIN..=LAT_MAX).contains(&latitude) {
        return None;
    }
    if latitude < lat_range.min || latitude > lat_range.max || longitude < long_range.min || longitude > long_range.max
    {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min) * scale;
    let long_offset = (longitude - long_range.min) / (long_range.max - long_range.min) * scale;
    Some(Cell { bits: spread(to_u32(lat_offset)) | (spread(to_u32(long_offset)) << 1), step })
}

/// The step-26 cell of a valid point, as GEOADD stores it.
pub fn encode_wgs84(longitude: f64, latitude: f64) -> Option<Cell> {
    encode(STORE_LONG, STORE_LAT, longitude, latitude, STEP_MAX)
}

/// The rectangle `cell` covers (`geohashDecode`).
pub fn decode(long_range: Range, lat_range: Range, cell: Cell) -> Area {
    // Redis adds 1 in `uint32_t` before converting, so the last cell of a garbage score wraps.
    let (lat_cell, long_cell) = (squash(cell.bits), squash(cell.bits >> 1));
    let div = (1u64 << cell.step) as f64;
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;
    Area {
        latitude: Range {
            min: lat_range.min + (f64::from(lat_cell) / div) * lat_scale,
            max: lat_range.min + (f64::from(lat_cell.wrapping_add(1)) / div) * lat_scale,
        },
        longitude: Range {
            min: long_range.min + (f64::from(long_cell) / div) * long_scale,
            max: long_range.min + (f64::from(long_cell.wrapping_add(1)) / div) * long_scale,
        },
    }
}

/// The point a stored score stands for: its cell's center, clamped to the valid ranges
/// (`decodeGeohash` → `geohashDecodeAreaToLongLat`). Any score decodes; `(longitude, latitude)`.
pub fn decode_score(score: f64) -> (f64, f64) {
    let area = decode(STORE_LONG, STORE_LAT, Cell { bits: score_bits(score), step: STEP_MAX });
    let longitude = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let latitude = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (longitude, latitude)
}

/// The 52-bit score of `cell` (`geohashAlign52Bits`).
pub fn align52(cell: Cell) -> u64 {
    cell.bits << (52 - u32::from(cell.step) * 2)
}

/// The 11-character standard geohash (latitude range ±90) of a stored score, as GEOHASH
/// prints it: the decoded point re-encoded, its 52 bits in base 32, and a final `0`.
pub fn standard_geohash(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (longitude, latitude) = decode_score(score);
    let world_long = Range { min: -180.0, max: 180.0 };
    let world_lat = Range { min: -90.0, max: 90.0 };
    // A decoded point is inside both the storage square and the world, so it always encodes.
    let bits = encode(world_long, world_lat, longitude, latitude, STEP_MAX).map_or(0, |c| c.bits);
    let mut out = [ALPHABET[0]; 11];
    for (i, ch) in out.iter_mut().take(10).enumerate() {
        *ch = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    out
}

/// `geohash_move_x`: the cell `d` (±1) columns east.
fn move_x(cell: &mut Cell, d: i8) {
    let shift = 64 - u32::from(cell.step) * 2;
    let mut x = cell.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = cell.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64 >> shift;
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    cell.bits = x | y;
}

/// `geohash_move_y`: the cell `d` (±1) rows north.
fn move_y(cell: &mut Cell, d: i8) {
    let shift = 64 - u32::from(cell.step) * 2;
    let x = cell.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = cell.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555_5555_5555_5555u64 >> shift;
    cell.bits = x | y;
}

/// The shape of a search, in the caller's unit (`GeoShape`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// BYRADIUS: a circle.
    Circle {
        /// Radius, in units.
        radius: f64,
    },
    /// BYBOX: a box centered on the search's center.
    Box {
        /// East-west size, in units.
        width: f64,
        /// North-south size, in units.
        height: f64,
    },
}

/// A search: its center, shape and the unit's size in meters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Search {
    /// Center longitude.
    pub longitude: f64,
    /// Center latitude.
    pub latitude: f64,
    /// The shape, in units.
    pub shape: Shape,
    /// Meters per unit.
    pub to_meters: f64,
}

/// The nine cells a search reads, in Redis's order (center, N, S, E, W, NE, NW, SE, SW); cells
/// the search cannot reach are zero.
pub type Cells = [Cell; 9];

impl Search {
    /// The search's bounding box: min longitude, min latitude, max longitude, max latitude
    /// (`geohashBoundingBox`).
    fn bounding_box(&self) -> [f64; 4] {
        let (height, width) = match self.shape {
            Shape::Circle { radius } => (self.to_meters * radius, self.to_meters * radius),
            Shape::Box { width, height } => (self.to_meters * (height / 2.0), self.to_meters * (width / 2.0)),
        };
        let lat_delta = rad_deg(height / EARTH_RADIUS_M);
        let long_delta_top = rad_deg(width / EARTH_RADIUS_M / deg_rad(self.latitude + lat_delta).cos());
        let long_delta_bottom = rad_deg(width / EARTH_RADIUS_M / deg_rad(self.latitude - lat_delta).cos());
        let long_delta = if self.latitude < 0.0 { long_delta_bottom } else { long_delta_top };
        [self.longitude - long_delta, self.latitude - lat_delta, self.longitude + long_delta, self.latitude + lat_delta]
    }

    /// The cells covering the search (`geohashCalculateAreasByShapeWGS84`).
    pub fn cells(&self) -> Cells {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let radius_m = match self.shape {
            Shape::Circle { radius } => radius,
            Shape::Box { width, height } => ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt(),
        } * self.to_meters;
        let mut step = estimate_step(radius_m, self.latitude);
        // The center is a valid point, so it encodes at any step.
        let center = |step| encode(STORE_LONG, STORE_LAT, self.longitude, self.latitude, step).unwrap_or_default();
        let mut cells = neighbours(center(step));
        let area = |cell| decode(STORE_LONG, STORE_LAT, cell);
        // A side cell that does not reach past the box means the step is too fine.
        let too_fine = area(cells[1]).latitude.max < max_lat
            || area(cells[2]).latitude.min > min_lat
            || area(cells[3]).longitude.max < max_lon
            || area(cells[4]).longitude.min > min_lon;
        if step > 1 && too_fine {
            step -= 1;
            cells = neighbours(center(step));
        }
        if step >= 2 {
            let own = area(cells[0]);
            let mut drop = |indexes: [usize; 3]| indexes.iter().for_each(|&i| cells[i] = Cell::default());
            if own.latitude.min < min_lat {
                drop([2, 7, 8]);
            }
            if own.latitude.max > max_lat {
                drop([1, 5, 6]);
            }
            if own.longitude.min < min_lon {
                drop([4, 8, 6]);
            }
            if own.longitude.max > max_lon {
                drop([3, 7, 5]);
            }
        }
        cells
    }

    /// The distance in meters from the center to (`longitude`, `latitude`) when the point is
    /// inside the shape (`geoWithinShape`).
    pub fn distance_if_within(&self, longitude: f64, latitude: f64) -> Option<f64> {
        match self.shape {
            Shape::Circle { radius } => {
                let distance = distance(self.longitude, self.latitude, longitude, latitude);
                // Redis's test is `distance > radius` excludes, so a NaN distance is kept.
                match distance.partial_cmp(&(radius * self.to_meters)) {
                    Some(std::cmp::Ordering::Greater) => None,
                    _ => Some(distance),
                }
            }
            Shape::Box { width, height } => {
                let (width_m, height_m) = (width * self.to_meters, height * self.to_meters);
                // `geohashGetDistanceIfInRectangle`: the cheaper latitude test first.
                if lat_distance(latitude, self.latitude) > height_m / 2.0 {
                    return None;
                }
                if distance(longitude, latitude, self.longitude, latitude) > width_m / 2.0 {
                    return None;
                }
                Some(distance(self.longitude, self.latitude, longitude, latitude))
            }
        }
    }
}

/// `cell` and its eight neighbours, in Redis's order (`geohashNeighbors`).
fn neighbours(cell: Cell) -> Cells {
    let moved = |dx: i8, dy: i8| {
        let mut c = cell;
        if dx != 0 {
            move_x(&mut c, dx);
        }
        if dy != 0 {
            move_y(&mut c, dy);
        }
        c
    };
    [cell, moved(0, 1), moved(0, -1), moved(1, 0), moved(-1, 0), moved(1, 1), moved(-1, 1), moved(1, -1), moved(-1, -1)]
}

/// The step whose cells are about as large as the search (`geohashEstimateStepsByRadius`).
fn estimate_step(range_m: f64, latitude: f64) -> u8 {
    if range_m == 0.0 {
        return 26;
    }
    let mut range_m = range_m;
    let mut step: i32 = 1;
    while range_m < MERCATOR_MAX {
        range_m *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&latitude) {
        step -= 1;
        if !(-80.0..=80.0).contains(&latitude) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// The score range `[min, max)` holding every point of `cell` (`scoresOfGeoHashBox`).
pub fn score_range(cell: Cell) -> (u64, u64) {
    (align52(cell), align52(Cell { bits: cell.bits + 1, step: cell.step }))
}

/// The distance in meters along a meridian (`geohashGetLatDistance`): the haversine with equal
/// longitudes, simplified as Redis does (so it may differ from `distance` in the last bit).
fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// The haversine distance in meters between two points (`geohashGetDistance`), with Redis's
/// shortcut for points on one meridian.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (lon1r, lon2r) = (deg_rad(lon1), deg_rad(lon2));
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1r, lat2r) = (deg_rad(lat1), deg_rad(lat2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_redis() {
        // Proves GEOADD's scores and GEOPOS's decoded centers equal Redis 7.0.15's (asked live).
        for (lon, lat, score, decoded) in [
            (13.361389, 38.115556, 3479099956230698u64, (13.361389338970184, 38.1155563954963)),
            (15.087269, 37.502669, 3479447370796909, (15.087267458438873, 37.50266842333162)),
            (1.0, 1.0, 3377822707026402, (0.9999999403953552, 0.9999994591429768)),
        ] {
            let cell = encode_wgs84(lon, lat).unwrap();
            assert_eq!(align52(cell), score, "{lon},{lat}");
            assert_eq!(decode_score(score as f64), decoded);
        }
    }

    #[test]
    fn out_of_range_scores_convert_as_x86_does() {
        // Proves the C double-to-uint64 conversion of scores GEOADD never writes.
        assert_eq!(score_bits(-1.0), u64::MAX);
        assert_eq!(score_bits(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(score_bits(f64::INFINITY), 0);
        assert_eq!(score_bits(1e19), 10_000_000_000_000_000_000);
        assert_eq!(score_bits(3.9), 3);
    }

    #[test]
    fn neighbours_wrap_at_the_edges() {
        // Proves moving east of the last column wraps to the first, as Redis's bit arithmetic does.
        let mut cell = Cell { bits: 0b10, step: 1 };
        move_x(&mut cell, 1);
        assert_eq!(cell, Cell { bits: 0, step: 1 });
        move_y(&mut cell, -1);
        assert_eq!(cell, Cell { bits: 1, step: 1 });
        assert_eq!(estimate_step(0.0, 0.0), 26);
        assert_eq!(estimate_step(1.0, 0.0), 24);
        assert_eq!(estimate_step(1e9, 89.0), 1);
    }
}
