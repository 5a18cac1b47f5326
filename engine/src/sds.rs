//! Redis's `sds` text helpers that files and config lines share: splitting a line into
//! arguments (`sdssplitargs`) and quoting bytes for such a line (`sdscatrepr`). redis.conf, the
//! inline protocol and the AOF manifest all use them, so they follow the C byte for byte.

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
pub fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

/// Quotes `bytes` the way Redis's `sdscatrepr` does (config errors show `port "99999"` as Redis
/// does; the AOF manifest quotes file names that need it).
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

/// True when `bytes` must be quoted with `repr` to survive `split_args` (Redis's `sdsneedsrepr`):
/// it holds a backslash, a double quote, a blank or a byte C's `isprint` rejects.
pub fn needs_repr(bytes: &[u8]) -> bool {
    bytes.iter().any(|&c| matches!(c, b'\\' | b'"') || is_c_space(c) || !(0x20..=0x7e).contains(&c))
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
    fn needs_repr_follows_sdsneedsrepr() {
        // Proves which names the AOF manifest quotes: blanks, quotes, backslashes, unprintables.
        assert!(!needs_repr(b"appendonly.aof.1.incr.aof"));
        assert!(!needs_repr(b"it's"));
        for quoted in [&b"a b"[..], b"a\"b", b"a\\b", b"a\tb", b"a\x01", b"\xff"] {
            assert!(needs_repr(quoted), "{quoted:?}");
        }
    }
}
