//! C's number text as glibc writes and reads it: `printf("%.Ng")` for cjson's encoder and
//! `strtod` for its decoder. Both are exact: the digits come from Rust's exact float formatting
//! and parsing (correctly rounded, ties to even, as glibc's are), and only the layout rules of C
//! are applied on top.

/// `printf("%.{precision}g", x)` (precision 1..=17; 0 reads as 1, as in C).
pub fn format_g(x: f64, precision: usize) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let precision = precision.max(1);
    // %e's exponent of x rounded to `precision` significant digits decides the style.
    let scientific = format!("{:.*e}", precision - 1, x);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if exponent < -4 || exponent >= precision as i32 {
        let mantissa = strip_fraction_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
    } else {
        let decimals = (precision as i32 - 1 - exponent).max(0) as usize;
        strip_fraction_zeros(&format!("{x:.decimals$}")).to_string()
    }
}

/// `%g` drops trailing zeros of the fraction, and the point when nothing is left after it.
fn strip_fraction_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// `strtod(text, &end)` in the C locale: the value and how many bytes it read (0: no number).
/// Reads what glibc reads: optional sign, then a decimal number with optional exponent, a hex
/// number (`0x1.8p3`), `inf`/`infinity` or `nan`/`nan(chars)`, case-insensitively. Leading
/// whitespace is not skipped: cjson never hands any over.
pub fn strtod(text: &[u8]) -> (f64, usize) {
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    let mut i = 0;
    let negative = match at(0) {
        b'-' => {
            i = 1;
            true
        }
        b'+' => {
            i = 1;
            false
        }
        _ => false,
    };
    let signed = |v: f64| if negative { -v } else { v };
    let rest = &text[i.min(text.len())..];
    if starts_with_ignore_case(rest, b"inf") {
        let len = if starts_with_ignore_case(rest, b"infinity") { 8 } else { 3 };
        return (signed(f64::INFINITY), i + len);
    }
    if starts_with_ignore_case(rest, b"nan") {
        let mut len = 3;
        // `nan(n-char-sequence)` is read whole only when the parenthesis closes.
        if rest.get(3) == Some(&b'(') {
            let chars = rest[4..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_').count();
            if rest.get(4 + chars) == Some(&b')') {
                len = 5 + chars;
            }
        }
        return (signed(f64::NAN), i + len);
    }
    if at(i) == b'0' && (at(i + 1) | 0x20) == b'x' {
        if let Some((value, len)) = hex(&text[i + 2..]) {
            return (signed(value), i + 2 + len);
        }
        // "0x" without hex digits: the "0" alone is the number.
        return (signed(0.0), i + 1);
    }
    let digits = |from: usize| text[from.min(text.len())..].iter().take_while(|c| c.is_ascii_digit()).count();
    let start = i;
    let int_digits = digits(i);
    i += int_digits;
    let mut frac_digits = 0;
    if at(i) == b'.' {
        frac_digits = digits(i + 1);
        if int_digits + frac_digits > 0 {
            i += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return (0.0, 0);
    }
    if at(i) | 0x20 == b'e' {
        let sign = usize::from(matches!(at(i + 1), b'+' | b'-'));
        let exp_digits = digits(i + 1 + sign);
        if exp_digits > 0 {
            i += 1 + sign + exp_digits;
        }
    }
    // Rust's parser rounds correctly, as glibc's does; it wants no "1." or "." alone, so the
    // point goes when no fraction digit follows it.
    let mut number = String::with_capacity(i - start + 1);
    for (k, &c) in text[start..i].iter().enumerate() {
        let is_bare_point = c == b'.' && frac_digits == 0 && k == int_digits;
        if !is_bare_point {
            number.push(c as char);
        }
    }
    let value: f64 = number.parse().unwrap_or(0.0);
    (signed(value), i)
}

fn starts_with_ignore_case(text: &[u8], word: &[u8]) -> bool {
    text.len() >= word.len() && text[..word.len()].eq_ignore_ascii_case(word)
}

/// The hex digits of `0x<digits>[.<digits>][p[+-]<digits>]` after the `0x`: the value, correctly
/// rounded to the nearest double (ties to even), and the bytes read; `None` without a hex digit.
fn hex(text: &[u8]) -> Option<(f64, usize)> {
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    // The first 60 significant bits exactly, then one sticky bit for anything non-zero after.
    let mut mantissa: u64 = 0;
    let mut sticky = false;
    let mut exponent: i64 = 0;
    let mut any_digit = false;
    let mut seen_point = false;
    let mut i = 0;
    loop {
        let c = at(i);
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            b'.' if !seen_point => {
                seen_point = true;
                i += 1;
                continue;
            }
            _ => break,
        };
        any_digit = true;
        if mantissa >> 56 == 0 {
            mantissa = (mantissa << 4) | u64::from(digit);
            if seen_point {
                exponent -= 4;
            }
        } else {
            sticky |= digit != 0;
            if !seen_point {
                exponent += 4;
            }
        }
        i += 1;
    }
    if !any_digit {
        return None;
    }
    if at(i) | 0x20 == b'p' {
        let sign = usize::from(matches!(at(i + 1), b'+' | b'-'));
        let start = i + 1 + sign;
        let count = text[start.min(text.len())..].iter().take_while(|c| c.is_ascii_digit()).count();
        if count > 0 {
            // Saturate: beyond this the result is 0 or infinity anyway.
            let mut power: i64 = 0;
            for &d in &text[start..start + count] {
                power = (power * 10 + i64::from(d - b'0')).min(1 << 20);
            }
            exponent += if at(i + 1) == b'-' { -power } else { power };
            i = start + count;
        }
    }
    Some((compose(mantissa, sticky, exponent), i))
}

/// `mantissa * 2^exponent` (plus a sticky fraction below the mantissa) rounded to a double.
fn compose(mantissa: u64, sticky: bool, exponent: i64) -> f64 {
    if mantissa == 0 {
        return 0.0;
    }
    let bits = 64 - i64::from(mantissa.leading_zeros());
    // The exponent of the leading bit, and how many bits the double can keep from it.
    let top = exponent + bits - 1;
    if top > 1023 {
        return f64::INFINITY;
    }
    let keep = if top >= -1022 { 53 } else { 53 - (-1022 - top) };
    if keep <= 0 {
        // Below half the smallest subnormal (or exactly half with nothing after: ties to 0).
        let half = keep == 0 && (mantissa.count_ones() > 1 || sticky);
        return if half { f64::from_bits(1) } else { 0.0 };
    }
    let drop = bits - keep;
    let (mut kept, round_up) = if drop > 0 {
        let kept = mantissa >> drop;
        let rest = mantissa & ((1u64 << drop) - 1);
        let half = 1u64 << (drop - 1);
        let above = rest > half || (rest == half && (sticky || kept & 1 == 1));
        (kept, above)
    } else {
        (mantissa << -drop, false)
    };
    if round_up {
        // May carry into one more bit: still exactly representable (the next binade).
        kept += 1;
    }
    // kept * 2^scale is exact now; scale lies in [-1074, 971], so each half-power is a normal
    // double and the product rounds only where the value itself overflows.
    let scale = top - keep + 1;
    let half = (scale / 2) as i32;
    kept as f64 * 2f64.powi(half) * 2f64.powi(scale as i32 - half)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `%.14g` as glibc prints it (each value checked against C's printf).
    #[test]
    fn format_g_matches_printf() {
        for (x, want) in [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (0.1, "0.1"),
            (1.5, "1.5"),
            (100.0, "100"),
            (1e100, "1e+100"),
            (1e14, "1e+14"),
            (12345678901234.0, "12345678901234"),
            (123456789012345.0, "1.2345678901234e+14"),
            (1.0 / 3.0, "0.33333333333333"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (-1.5e-7, "-1.5e-07"),
            (f64::MAX, "1.7976931348623e+308"),
            (5e-324, "4.9406564584125e-324"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(format_g(x, 14), want, "{x:e}");
        }
        assert_eq!(format_g(2.71, 1), "3");
        assert_eq!(format_g(0.125, 2), "0.12");
        assert_eq!(format_g(0.375, 2), "0.38");
    }

    /// `strtod` reads the prefix C reads and gives its value.
    #[test]
    fn strtod_reads_as_glibc() {
        for (text, want, len) in [
            (&b"12x"[..], 12.0, 2),
            (b"1.5e3,", 1500.0, 5),
            (b"1e", 1.0, 1),
            (b"1e+", 1.0, 1),
            (b"5.", 5.0, 2),
            (b".5", 0.5, 2),
            (b"-0", -0.0, 2),
            (b"+7", 7.0, 2),
            (b"0x10]", 16.0, 4),
            (b"0x", 0.0, 1),
            (b"0x1.8p1", 3.0, 7),
            (b"0x.8", 0.5, 4),
            (b"-Infinity", f64::NEG_INFINITY, 9),
            (b"infin", f64::INFINITY, 3),
            (b"1e400", f64::INFINITY, 5),
            (b"1e-400", 0.0, 6),
            (b"-", 0.0, 0),
            (b".", 0.0, 0),
            (b"x", 0.0, 0),
        ] {
            let (value, read) = strtod(text);
            assert_eq!((value.to_bits(), read), (want.to_bits(), len), "{:?}", String::from_utf8_lossy(text));
        }
        let (nan, read) = strtod(b"nan(123)x");
        assert!(nan.is_nan() && read == 8);
        let (nan, read) = strtod(b"-nan(");
        assert!(nan.is_nan() && nan.is_sign_negative() && read == 4);
    }

    /// Hex numbers round to nearest, ties to even, including into the subnormal range.
    #[test]
    fn hex_rounds_correctly() {
        for (text, want) in [
            (&b"0x1fffffffffffff"[..], 9007199254740991.0),
            (b"0x20000000000001", 9007199254740992.0),
            (b"0x20000000000003", 9007199254740996.0),
            (b"0x20000000000001000001", 9007199254740994.0 * 16777216.0),
            (b"0x1p-1074", 5e-324),
            (b"0x1p-1075", 0.0),
            (b"0x1.8p-1075", 5e-324),
            (b"0x1p1024", f64::INFINITY),
            (b"0x1p1023", 8.98846567431158e307),
        ] {
            assert_eq!(strtod(text).0, want, "{:?}", String::from_utf8_lossy(text));
        }
    }
}
