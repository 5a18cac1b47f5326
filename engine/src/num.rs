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

/// Runs C's `strtod` on `text` (which must hold no NUL): the value, how many bytes it consumed,
/// and whether it set `ERANGE`.
pub fn strtod(text: &[u8]) -> (f64, usize, bool) {
    debug_assert!(!text.contains(&0));
    let mut c_text = Vec::with_capacity(text.len() + 1);
    c_text.extend_from_slice(text);
    c_text.push(0);
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `c_text` is NUL-terminated and outlives the call; strtod writes only `end`, which
    // it points into `c_text`; errno is the calling thread's own.
    unsafe {
        *libc::__errno_location() = 0;
        let value = libc::strtod(c_text.as_ptr().cast(), &mut end);
        let erange = *libc::__errno_location() == libc::ERANGE;
        let consumed = usize::try_from(end.offset_from(c_text.as_ptr().cast())).expect("end is within the text");
        (value, consumed, erange)
    }
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

/// Why `incr_by_float` refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncrFloatError {
    /// An operand is not a valid float by Redis's `string2ld` rules.
    NotFloat,
    /// The sum is NaN or infinite.
    NanOrInfinity,
}

/// Redis's `MAX_LONG_DOUBLE_CHARS`: the longest float operand and the print buffer size.
const LONG_DOUBLE_CHARS_MAX: usize = 5 * 1024;

extern "C" {
    /// `csrc/long_double.c`: the printed length, or -1 not a float, -2 NaN/inf, -3 no room.
    fn verdis_incrbyfloat(
        cur: *const libc::c_char,
        cur_len: libc::size_t,
        incr: *const libc::c_char,
        incr_len: libc::size_t,
        out: *mut libc::c_char,
        out_len: libc::size_t,
    ) -> libc::c_long;
}

/// INCRBYFLOAT's arithmetic, byte for byte as Redis: `current` (`None` for a missing key, read
/// as 0) plus `increment`, both parsed with `strtold` under `string2ld`'s checks, summed in C
/// `long double` and printed with `%.17Lf` minus trailing zeros. Returns the printed sum.
pub fn incr_by_float(current: Option<&[u8]>, increment: &[u8]) -> Result<Vec<u8>, IncrFloatError> {
    let mut out = [0u8; LONG_DOUBLE_CHARS_MAX];
    let (cur_ptr, cur_len) = current.map_or((std::ptr::null(), 0), |c| (c.as_ptr(), c.len()));
    // SAFETY: every pointer is valid for the length passed beside it (or null with length 0 for
    // `cur`, which the C side reads as "missing"); the C side copies the operands into its own
    // NUL-terminated buffers, writes at most `out.len()` bytes to `out`, and keeps no pointer.
    let n = unsafe {
        verdis_incrbyfloat(
            cur_ptr.cast(),
            cur_len,
            increment.as_ptr().cast(),
            increment.len(),
            out.as_mut_ptr().cast(),
            out.len(),
        )
    };
    match n {
        -1 => Err(IncrFloatError::NotFloat),
        -2 => Err(IncrFloatError::NanOrInfinity),
        n => {
            // A finite long double prints in at most 4951 bytes ("%.17Lf" of LDBL_MAX), so -3
            // (no room) cannot happen with Redis's buffer size.
            let len = usize::try_from(n).expect("a finite long double fits the print buffer");
            assert!(len < out.len());
            Ok(out[..len].to_vec())
        }
    }
}

#[cfg(test)]
mod long_double_tests {
    use super::*;

    /// Each row: stored value (None = missing key), increment, what real Redis 7.0.15 replied.
    const CASES: &[(Option<&str>, &str, Result<&str, IncrFloatError>)] = &[
        (Some("1\x002"), "1", Err(IncrFloatError::NotFloat)),
        (Some("\x00"), "1", Err(IncrFloatError::NotFloat)),
        (None, "1\x00", Err(IncrFloatError::NotFloat)),
        (Some("10.5"), "0.1", Ok("10.6")),
        (Some("0.1"), "0.2", Ok("0.3")),
        (Some("10"), "0", Ok("10")),
        (Some("10"), "0x10", Ok("26")),
        (Some("1"), "+.5", Ok("1.5")),
        (Some("1.5"), "0x1p-3", Ok("1.625")),
        (None, "3.0e3", Ok("3000")),
        (Some("3000"), "-3000", Ok("0")),
        (Some("0"), "-0.0", Ok("0")),
        (Some("26"), "1e5", Ok("100026")),
        (Some("100026"), "1e-4940", Ok("100026")),
        (Some("0"), "0.000000000000000001", Ok("0")),
        (Some("0"), "-0.000000000000000001", Ok("0")),
        (Some("0"), "-0.000000000000000006", Ok("-0.00000000000000001")),
        (Some("10"), " 1", Err(IncrFloatError::NotFloat)),
        (Some("10"), "1 ", Err(IncrFloatError::NotFloat)),
        (Some("10"), "", Err(IncrFloatError::NotFloat)),
        (Some("10"), "nan", Err(IncrFloatError::NotFloat)),
        (Some("10"), "1e5000", Err(IncrFloatError::NotFloat)),
        (Some("10"), "1e-5000", Err(IncrFloatError::NotFloat)),
        (Some("10"), "abc", Err(IncrFloatError::NotFloat)),
        (Some("abc"), "1", Err(IncrFloatError::NotFloat)),
        (Some(""), "1", Err(IncrFloatError::NotFloat)),
        (Some("10"), "inf", Err(IncrFloatError::NanOrInfinity)),
        (Some("10"), "-inf", Err(IncrFloatError::NanOrInfinity)),
        (Some("10"), "infinity", Err(IncrFloatError::NanOrInfinity)),
        (Some("inf"), "1", Err(IncrFloatError::NanOrInfinity)),
    ];

    #[test]
    fn incr_by_float_matches_redis() {
        // Proves the long double sum and its printing give Redis's exact bytes and errors.
        for (cur, incr, want) in CASES {
            let got = incr_by_float(cur.map(str::as_bytes), incr.as_bytes());
            let got = got.map(|v| String::from_utf8(v).unwrap());
            assert_eq!(got.as_deref().map_err(|e| *e), *want, "{cur:?} + {incr:?}");
        }
    }

    #[test]
    fn incr_by_float_prints_huge_values_in_full() {
        // Proves values near the long double range print every digit, as Redis's buffer allows.
        let out = incr_by_float(Some(b"0"), b"1e4930").unwrap();
        assert_eq!(out.len(), 4931);
        assert!(out.starts_with(b"100000000000000000002617378488703793057208195075512250134639"));
        let too_long = vec![b'1'; LONG_DOUBLE_CHARS_MAX];
        assert_eq!(incr_by_float(None, &too_long), Err(IncrFloatError::NotFloat));
    }
}
