//! Number parsing and formatting with Redis's exact rules.
//!
//! Clients see these rules directly (`INCR` on " 1" fails, `INCRBYFLOAT` prints `3.0000000000000004`
//! one way and not another), so they follow Redis's `string2ll`, `strtod` checks and printf
//! formats rather than Rust's parsers and `Display`.

/// Parses a canonical decimal i64 exactly as Redis's `string2ll`: optional `-`, no `+`, no leading
/// zeros (except "0" itself), no spaces, no overflow.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if negative {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// Writes `n` in decimal into `buf` and returns the digits.
pub fn format_i64(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut v = n.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_i64_follows_string2ll() {
        let ok: &[(&[u8], i64)] =
            &[(b"0", 0), (b"-1", -1), (b"9223372036854775807", i64::MAX), (b"-9223372036854775808", i64::MIN)];
        for (s, v) in ok {
            assert_eq!(parse_i64(s), Some(*v), "{:?}", String::from_utf8_lossy(s));
        }
        let bad: &[&[u8]] = &[b"", b"-", b"+1", b" 1", b"1 ", b"01", b"-0", b"9223372036854775808", b"1.0", b"0x1"];
        for s in bad {
            assert_eq!(parse_i64(s), None, "{:?}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn format_i64_matches_display() {
        let mut buf = [0u8; 20];
        for n in [0, 7, -7, 1234567890, i64::MIN, i64::MAX] {
            assert_eq!(format_i64(n, &mut buf), n.to_string().as_bytes());
        }
    }
}

/// Formats `d` as C's `printf("%.17g")`, which Redis uses for doubles in replies
/// (`inf`/`-inf` for infinities, as Redis special-cases them). Returns the text in `buf`.
pub fn format_double_17g(d: f64, buf: &mut [u8; 32]) -> &[u8] {
    if d.is_infinite() {
        return if d > 0.0 { b"inf" } else { b"-inf" };
    }
    // SAFETY: `buf` is 32 bytes and "%.17g" of a finite double needs at most 24 plus the NUL;
    // snprintf writes at most `buf.len()` bytes including the terminator.
    let n = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), c"%.17g".as_ptr(), d) };
    assert!(n > 0 && (n as usize) < buf.len(), "snprintf %.17g failed");
    &buf[..n as usize]
}

#[cfg(test)]
mod double_tests {
    use super::*;

    #[test]
    fn format_double_17g_matches_printf() {
        let mut buf = [0u8; 32];
        let cases: &[(f64, &str)] = &[
            (1.5, "1.5"),
            (0.1, "0.10000000000000001"),
            (-0.0, "-0"),
            (1e300, "1.0000000000000001e+300"),
            (3.0, "3"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (d, s) in cases {
            assert_eq!(std::str::from_utf8(format_double_17g(*d, &mut buf)).unwrap(), *s);
        }
    }
}
