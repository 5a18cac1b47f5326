//! redis.conf's lexical rules, as Redis's C helpers implement them: splitting a line into
//! arguments (`sdssplitargs`), quoting a value for display (`sdscatrepr`), and the number forms
//! options accept (`memtoull`, `strtoll`). Operators see these rules directly (which quotes work,
//! whether `1GB` parses), so they follow Redis byte for byte rather than Rust's parsers.

/// Splits a configuration line into arguments like Redis's `sdssplitargs`: blanks separate
/// arguments; `"double quotes"` understand `\n \r \t \b \a \xHH` and `\<c>` escapes; `'single
/// quotes'` understand only `\'`; a closing quote must be followed by a blank or the end of the
/// line. `None` when quotes are unbalanced or a closing quote is followed by text.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args = Vec::new();
    let mut p = 0;
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    loop {
        while p < line.len() && is_c_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Some(args);
        }
        let mut current = Vec::new();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = at(p);
            if in_double {
                if c == b'\\' && at(p + 1) == b'x' && at(p + 2).is_ascii_hexdigit() && at(p + 3).is_ascii_hexdigit() {
                    current.push(hex_value(at(p + 2)) * 16 + hex_value(at(p + 3)));
                    p += 3;
                } else if c == b'\\' && p + 1 < line.len() {
                    p += 1;
                    current.push(match line[p] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if p + 1 < line.len() && !is_c_space(line[p + 1]) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if p >= line.len() {
                    return None;
                } else {
                    current.push(c);
                }
            } else if in_single {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    if p + 1 < line.len() && !is_c_space(line[p + 1]) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if p >= line.len() {
                    return None;
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    _ if p >= line.len() => break,
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        p += 1;
                        break;
                    }
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    _ => current.push(c),
                }
            }
            p += 1;
        }
        args.push(current);
    }
}

/// C's `isspace` in the "C" locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

/// Quotes `bytes` the way Redis's `sdscatrepr` does (used to turn command-line options into
/// config lines, so a FATAL CONFIG error shows `port "99999"` as Redis does).
pub fn repr(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &c in bytes {
        match c {
            b'\\' | b'"' => {
                out.push('\\');
                out.push(c as char);
            }
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            0x20..=0x7e => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('"');
    out
}

/// Parses a memory amount like Redis's `memtoull`: digits, then an optional unit `b`, `k`
/// (1000), `kb` (1024), `m`, `mb`, `g`, `gb`, any case. No sign, no spaces; an empty number is
/// 0. Overflow saturates in the digits and wraps in the unit multiplication, as the C does.
pub fn parse_memory(s: &str) -> Option<u64> {
    let digits_end = s.bytes().position(|c| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(digits_end);
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let value = digits.bytes().fold(0u64, |v, c| v.saturating_mul(10).saturating_add(u64::from(c - b'0')));
    Some(value.wrapping_mul(multiplier))
}

/// Parses an integer like C's `strtoll(s, &end, 10)` with a check that `end` reached the end:
/// leading blanks and a sign are allowed, overflow saturates. `None` for an empty number or
/// trailing text.
pub fn parse_strtoll(s: &str) -> Option<i64> {
    let t = s.trim_start_matches(|c: char| c.is_ascii() && is_c_space(c as u8));
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.bytes().fold(0i128, |v, c| (v * 10 + i128::from(c - b'0')).min(1 << 64));
    let value = if negative { -magnitude } else { magnitude };
    Some(value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// The text C's `strerror` gives for an I/O error ("No such file or directory"), which Redis
/// prints in its configuration errors; Rust's `Display` would add " (os error 2)".
pub fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        // SAFETY: strerror returns a pointer to a NUL-terminated static or thread-local string.
        Some(code) => unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) }.to_string_lossy().into_owned(),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Option<Vec<String>> {
        split_args(line.as_bytes()).map(|v| v.into_iter().map(|a| String::from_utf8(a).unwrap()).collect())
    }

    #[test]
    fn split_args_follows_sdssplitargs() {
        // Proves blanks, both quote styles, escapes and mid-word quotes split as Redis does.
        let cases: &[(&str, &[&str])] = &[
            ("port 7000", &["port", "7000"]),
            ("  save   900 1  ", &["save", "900", "1"]),
            ("save \"\"", &["save", ""]),
            ("a \"b c\" 'd e'", &["a", "b c", "d e"]),
            ("x \"\\x41\\n\\\"\"", &["x", "A\n\""]),
            ("x 'it\\'s'", &["x", "it's"]),
            ("x ab\"cd\"", &["x", "abcd"]),
            ("", &[]),
        ];
        for (line, want) in cases {
            assert_eq!(
                split(line).as_deref(),
                Some(want.iter().map(|s| s.to_string()).collect::<Vec<_>>().as_slice()),
                "{line}"
            );
        }
        for bad in ["port \"7000", "x 'a", "x \"a\"b", "x 'a'b"] {
            assert_eq!(split(bad), None, "{bad}");
        }
    }

    #[test]
    fn repr_quotes_like_sdscatrepr() {
        // Proves the quoting used for command-line options matches Redis's error display.
        assert_eq!(repr(b"99999"), "\"99999\"");
        assert_eq!(repr(b"a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\x01\"");
    }

    #[test]
    fn parse_memory_follows_memtoull() {
        // Proves units, case, the empty number and rejections match Redis's memtoull.
        let ok: &[(&str, u64)] = &[
            ("0", 0),
            ("", 0),
            ("100", 100),
            ("1k", 1000),
            ("1KB", 1024),
            ("2mb", 2 << 20),
            ("1gb", 1 << 30),
            ("1G", 1_000_000_000),
            ("5b", 5),
            ("18446744073709551615", u64::MAX),
            ("18446744073709551616", u64::MAX),
        ];
        for (s, v) in ok {
            assert_eq!(parse_memory(s), Some(*v), "{s}");
        }
        for bad in ["-1", "1x", "1.5gb", " 1", "+1", "1 gb"] {
            assert_eq!(parse_memory(bad), None, "{bad}");
        }
    }

    #[test]
    fn parse_strtoll_accepts_what_strtoll_accepts() {
        // Proves signs and leading blanks are accepted, trailing text and empty input are not.
        assert_eq!(parse_strtoll("+10"), Some(10));
        assert_eq!(parse_strtoll(" -3"), Some(-3));
        assert_eq!(parse_strtoll("99999999999999999999"), Some(i64::MAX));
        for bad in ["", "x", "1x", "1 ", "-"] {
            assert_eq!(parse_strtoll(bad), None, "{bad}");
        }
    }
}
