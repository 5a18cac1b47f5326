//! LOLWUT [VERSION version] [args...]: Redis 7.0's computer art (`lolwut.c`, `lolwut5.c`,
//! `lolwut6.c`), drawn the same way: version 5 is Georg Nees's *Schotter* in braille dots,
//! version 6 a skyline in the terminal's four grays, any other version Redis's version line.
//!
//! Both pieces are random where Redis calls `rand()`; verdis draws those numbers from the node's
//! seeded RNG, so the art has Redis's shape and randomness (a simulator run is reproducible),
//! and the parts Redis draws without randomness (Schotter's first two rows, a skyline one row
//! tall) are Redis's bytes exactly.

use verdis_engine::{CmdError, Reply, Rng};

/// The Redis version LOLWUT prints (the one verdis reports in INFO and HELLO).
const REDIS_VERSION: &str = verdis_engine::cmd::redis_specs::REDIS_VERSION;
/// glibc's RAND_MAX: `rand()` draws from `0..=RAND_MAX`.
const RAND_MAX: u32 = i32::MAX as u32;
/// √2 as Redis's `lwDrawSquare` writes it: its ten decimals, not `SQRT_2`, decide how the
/// square's corners round, so the dots land where Redis's do.
#[allow(clippy::approx_constant)]
const REDIS_SQRT_2: f64 = 1.4142135623;
/// Largest canvas side LOLWUT accepts (Redis's limits keep it cheap).
const COLUMNS_MAX: i64 = 1000;
/// Largest count of squares per row or column in version 5.
const SQUARES_MAX: i64 = 200;

/// A canvas of small integer colors, `(0, 0)` top left; writes outside it are dropped.
struct Canvas {
    width: i32,
    height: i32,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: i32, height: i32, color: u8) -> Canvas {
        Canvas { width, height, pixels: vec![color; (width.max(0) * height.max(0)) as usize] }
    }

    fn draw(&mut self, x: i32, y: i32, color: u8) {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize] = color;
        }
    }

    fn get(&self, x: i32, y: i32) -> u8 {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize]
        } else {
            0
        }
    }

    /// Bresenham's line, as `lwDrawLine`.
    fn line(&mut self, (mut x1, mut y1): (i32, i32), (x2, y2): (i32, i32), color: u8) {
        let (dx, dy) = ((x2 - x1).abs(), (y2 - y1).abs());
        let (sx, sy) = (if x1 < x2 { 1 } else { -1 }, if y1 < y2 { 1 } else { -1 });
        let mut err = dx - dy;
        // A line visits at most dx + dy + 1 points.
        for _ in 0..=(dx + dy) {
            self.draw(x1, y1, color);
            if x1 == x2 && y1 == y2 {
                break;
            }
            let e2 = err * 2;
            if e2 > -dy {
                err -= dy;
                x1 += sx;
            }
            if e2 < dx {
                err += dx;
                y1 += sy;
            }
        }
    }

    /// A square centred on `(x, y)` with side `size`, turned by `angle` radians (`lwDrawSquare`,
    /// with C's float and double steps kept, so the corners round as Redis's do).
    fn square(&mut self, (x, y): (i32, i32), size: f32, angle: f32, color: u8) {
        let size = (f64::from(size) / REDIS_SQRT_2) as f32;
        let size = f64::from(size).round() as f32;
        let mut k = (std::f64::consts::FRAC_PI_4 + f64::from(angle)) as f32;
        let mut corners = [(0i32, 0i32); 4];
        for corner in &mut corners {
            let px = (f64::from(k).sin() * f64::from(size) + f64::from(x)).round() as i32;
            let py = (f64::from(k).cos() * f64::from(size) + f64::from(y)).round() as i32;
            *corner = (px, py);
            k = (f64::from(k) + std::f64::consts::FRAC_PI_2) as f32;
        }
        for j in 0..4 {
            self.line(corners[j], corners[(j + 1) % 4], color);
        }
    }
}

/// C's `rand()` from the node's RNG.
fn rand(rng: &mut Rng) -> u32 {
    rng.below(u64::from(RAND_MAX) + 1) as u32
}

/// LOLWUT's reply for `argv`.
pub fn lolwut(argv: &[&[u8]], rng: &mut Rng) -> Result<Reply, CmdError> {
    let (version, args) = if argv.len() >= 3 && argv[1].eq_ignore_ascii_case(b"version") {
        let version = verdis_engine::num::parse_i64(argv[2]).ok_or(CmdError::NotInteger)?;
        // Redis keeps the low 32 bits (`(unsigned int)ver`).
        (Some(version as u32), &argv[3..])
    } else {
        (None, &argv[1..])
    };
    let text = match version {
        Some(5) => schotter(args, rng)?,
        Some(6) => skyline(args, rng)?,
        _ => format!("Redis ver. {REDIS_VERSION}\n"),
    };
    Ok(Reply::Verbatim(*b"txt", text.into_bytes()))
}

/// The `index`th argument as an integer, or `default` when absent.
fn arg_or(args: &[&[u8]], index: usize, default: i64) -> Result<i64, CmdError> {
    match args.get(index) {
        Some(a) => verdis_engine::num::parse_i64(a).ok_or(CmdError::NotInteger),
        None => Ok(default),
    }
}

/// Version 5: LOLWUT [columns] [squares-per-row] [squares-per-col] (66, 8, 12).
fn schotter(args: &[&[u8]], rng: &mut Rng) -> Result<String, CmdError> {
    let cols = arg_or(args, 0, 66)?.clamp(1, COLUMNS_MAX) as i32;
    let per_row = arg_or(args, 1, 8)?.clamp(1, SQUARES_MAX) as i32;
    let per_col = arg_or(args, 2, 12)?.clamp(1, SQUARES_MAX) as i32;
    let width = cols * 2;
    let padding = if width > 4 { 2 } else { 0 };
    let side = (width - padding * 2) as f32 / per_row as f32;
    let height = (side * per_col as f32 + (padding * 2) as f32) as i32;
    let mut canvas = Canvas::new(width, height, 0);
    for y in 0..per_col {
        for x in 0..per_row {
            let mut sx = (x as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut sy = (y as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut angle = 0.0f32;
            // Lower rows are turned and shifted more and more at random.
            if y > 1 {
                let mut draw = || rand(rng) as f32 / RAND_MAX as f32 / per_col as f32 * y as f32;
                let (mut r1, mut r2, mut r3) = (draw(), draw(), draw());
                for r in [&mut r1, &mut r2, &mut r3] {
                    if rand(rng) % 2 == 1 {
                        *r = -*r;
                    }
                }
                angle = r1;
                sx = (sx as f32 + r2 * side / 3.0) as i32;
                sy = (sy as f32 + r3 * side / 3.0) as i32;
            }
            canvas.square((sx, sy), side, angle, 1);
        }
    }
    let mut out = String::new();
    for y in (0..canvas.height).step_by(4) {
        for x in (0..canvas.width).step_by(2) {
            // A braille cell is 2x4 dots, numbered down the left column, then the right, then
            // the bottom row.
            let dots = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3)];
            let byte = dots
                .iter()
                .enumerate()
                .fold(0u32, |b, (bit, &(dx, dy))| b | (u32::from(canvas.get(x + dx, y + dy) != 0) << bit));
            out.push(char::from_u32(0x2800 + byte).expect("braille block"));
        }
        if y != canvas.height - 1 {
            out.push('\n');
        }
    }
    out.push_str(&format!("\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. {REDIS_VERSION}\n"));
    Ok(out)
}

/// One building of the skyline.
struct Skyscraper {
    xoff: i32,
    width: i32,
    height: i32,
    windows: bool,
    color: u8,
}

/// Draws `s` from the canvas's bottom up (`generateSkyscraper`).
fn skyscraper(canvas: &mut Canvas, s: &Skyscraper, rng: &mut Rng) {
    let starty = canvas.height - 1;
    let endy = starty - s.height + 1;
    for y in (endy..=starty).rev() {
        for x in s.xoff..s.xoff + s.width {
            // The roof is four pixels narrower.
            if y == endy && (x <= s.xoff + 1 || x >= s.xoff + s.width - 2) {
                continue;
            }
            let mut color = s.color;
            let inner = x > s.xoff + 1 && x < s.xoff + s.width - 2 && y > endy + 1 && y < starty - 1;
            if s.windows && inner {
                let relx = x - (s.xoff + 1);
                let rely = y - (endy + 1);
                // Windows two pixels wide, one tall, both pixels one color.
                // Only the foreground (black) has windows, so one draw always differs from it.
                if (relx / 2) % 2 != 0 && rely % 2 != 0 {
                    color = 1 + (rand(rng) % 2) as u8;
                    if relx % 2 != 0 {
                        color = canvas.get(x - 1, y);
                    }
                }
            }
            canvas.draw(x, y, color);
        }
    }
}

/// Version 6: LOLWUT [columns] [rows] (80, 20).
fn skyline(args: &[&[u8]], rng: &mut Rng) -> Result<String, CmdError> {
    let cols = arg_or(args, 0, 80)?.clamp(1, COLUMNS_MAX) as i32;
    let rows = arg_or(args, 1, 20)?.clamp(1, COLUMNS_MAX) as i32;
    let mut canvas = Canvas::new(cols, rows, 3);
    let h = canvas.height;
    let r = |rng: &mut Rng| rand(rng) as i32;
    // Background buildings without windows, the lighter gray farther back; each one moves the
    // offset right by at least 5, so the loops end.
    for color in [2u8, 1] {
        let mut offset = -10;
        while offset < canvas.width {
            offset += r(rng) % 8;
            let width = 10 + r(rng) % 9;
            let height = if color == 2 { h / 2 + (r(rng) % h) / 2 } else { h / 2 + (r(rng) % h) / 3 };
            skyscraper(&mut canvas, &Skyscraper { xoff: offset, width, height, windows: false, color }, rng);
            offset += if color == 2 { width / 2 } else { width + 1 };
        }
    }
    // Foreground buildings with windows.
    let mut offset = -10;
    while offset < canvas.width {
        offset += r(rng) % 8;
        let mut width = 5 + r(rng) % 14;
        if width % 4 != 0 {
            width += width % 3;
        }
        let height = h / 3 + (r(rng) % h) / 2;
        skyscraper(&mut canvas, &Skyscraper { xoff: offset, width, height, windows: true, color: 0 }, rng);
        offset += width + 5;
    }
    let mut out = String::new();
    for y in 0..canvas.height {
        for x in 0..canvas.width {
            let escape = match canvas.get(x, y) {
                1 => "0;90;100m",
                2 => "0;37;47m",
                3 => "0;97;107m",
                _ => "0;30;40m",
            };
            out.push_str(&format!("\x1b[{escape} \x1b[0m"));
        }
        if y != canvas.height - 1 {
            out.push('\n');
        }
    }
    out.push_str(&format!(
        "\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. {REDIS_VERSION}\n"
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(argv: &[&str], rng: &mut Rng) -> String {
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        match lolwut(&argv, rng).expect("art") {
            Reply::Verbatim(_, bytes) => String::from_utf8(bytes).expect("UTF-8"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deterministic_art_is_redis_bytes() {
        // Proves the parts drawn without randomness equal what redis-server 7.0.15 printed:
        // Schotter with one square, a one-row skyline, and the version-wrap of 2^32 + 5.
        let mut rng = Rng::new(1);
        assert_eq!(
            text(&["LOLWUT", "VERSION", "5", "1", "1", "1"], &mut rng),
            "\u{280b}\n\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n"
        );
        assert_eq!(
            text(&["LOLWUT", "VERSION", "6", "1", "1"], &mut rng),
            "\x1b[0;97;107m \x1b[0m\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15\n"
        );
        assert_eq!(text(&["LOLWUT", "VERSION", "7"], &mut rng), "Redis ver. 7.0.15\n");
        let wrapped = text(&["LOLWUT", "VERSION", "4294967301"], &mut rng);
        assert!(wrapped.ends_with("\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n"));
    }

    #[test]
    fn default_schotter_has_redis_s_size() {
        // Proves the default Schotter's canvas (66 columns, 8x12 squares: 132x196 dots, so 49
        // text rows of 66 braille cells) and that its first two rows are unrotated, so two
        // different seeds draw them the same.
        let a = text(&["LOLWUT", "VERSION", "5"], &mut Rng::new(1));
        let b = text(&["LOLWUT", "VERSION", "5"], &mut Rng::new(2));
        let rows: Vec<&str> = a.lines().collect();
        assert_eq!(rows.len(), 49 + 2);
        assert!(rows[..49].iter().all(|r| r.chars().count() == 66));
        assert_eq!(a.lines().take(7).collect::<Vec<_>>(), b.lines().take(7).collect::<Vec<_>>());
        assert_ne!(a, b, "lower rows are random");
    }
}
