//! Glob-style matching exactly as Redis 7.0.15's `stringmatchlen` (util.c), which KEYS and
//! SCAN MATCH use (PSUBSCRIBE and CONFIG GET will too).
//!
//! Supported syntax: `*` (any run, including empty), `?` (one byte), `[abc]`, `[^abc]`, `[a-z]`
//! (reversed ranges like `[z-a]` work), `\x` (a literal `x`, also inside a class). Matching is on
//! bytes. Redis's quirks are kept on purpose because clients see them: an unterminated class
//! `[abc` acts as if closed, `[^` alone matches any byte, a trailing lone `\` matches a backslash,
//! and a pattern made only of stars does not match the empty string (KEYS special-cases `*`).
//!
//! Like Redis this recurses once per `*`, bounded by `NESTING_MAX` (Redis's protection against
//! abusive patterns: deeper patterns simply do not match), and it stops retrying an earlier `*`
//! once a later one has failed everywhere (`skip_longer`), which keeps matching polynomial.
//! `nocase` folds ASCII letters on both sides (C's `tolower` in the C locale), range ends
//! included, as Redis's `nocase` flag does (COMMAND LIST FILTERBY PATTERN uses it).

/// Deepest `*` recursion Redis allows before declaring "no match" (util.c: `nesting > 1000`).
const NESTING_MAX: u32 = 1000;

/// True when `string` matches the glob `pattern` (Redis's `stringmatchlen(.., nocase=0)`).
pub fn string_match(pattern: &[u8], string: &[u8]) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, false, &mut skip_longer, 0)
}

/// True when `string` matches the glob `pattern` ignoring ASCII case (Redis's
/// `stringmatchlen(.., nocase=1)`, which COMMAND LIST FILTERBY PATTERN and CONFIG GET use).
pub fn string_match_nocase(pattern: &[u8], string: &[u8]) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, true, &mut skip_longer, 0)
}

/// One level of Redis's `stringmatchlen_impl`. Indices replace its pointer arithmetic: `p` is
/// the pattern position (pattern bytes left = `pattern.len() - p`), `s` the string position.
/// Reading past the pattern's end yields `None` where C would read the terminating NUL.
fn match_impl(pattern: &[u8], string: &[u8], nocase: bool, skip_longer: &mut bool, nesting: u32) -> bool {
    if nesting > NESTING_MAX {
        return false;
    }
    let at = |i: usize| pattern.get(i).copied();
    let fold = |b: u8| if nocase { b.to_ascii_lowercase() } else { b };
    let mut p = 0usize;
    let mut s = 0usize;
    while p < pattern.len() && s < string.len() {
        match pattern[p] {
            b'*' => {
                while p < pattern.len() && at(p + 1) == Some(b'*') {
                    p += 1;
                }
                if pattern.len() - p == 1 {
                    return true;
                }
                // Bounded by the string's length: each round consumes one byte.
                while s < string.len() {
                    if match_impl(&pattern[p + 1..], &string[s..], nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                }
                // Nothing after this star matches anywhere in the rest of the string, so no
                // earlier star can do better by matching more.
                *skip_longer = true;
                return false;
            }
            b'?' => s += 1,
            b'[' => {
                p += 1;
                let negate = at(p) == Some(b'^');
                if negate {
                    p += 1;
                }
                let c = fold(string[s]);
                let mut matched = false;
                // Bounded by the pattern's length: every round consumes at least one byte.
                loop {
                    let left = pattern.len().saturating_sub(p);
                    match at(p) {
                        Some(b'\\') if left >= 2 => {
                            p += 1;
                            // Redis compares an escaped class byte without folding case.
                            if pattern[p] == string[s] {
                                matched = true;
                            }
                        }
                        Some(b']') => break,
                        None => {
                            // Unterminated class: step back so the shared advance below lands
                            // exactly on the pattern's end.
                            p -= 1;
                            break;
                        }
                        Some(start) if left >= 3 && pattern[p + 1] == b'-' => {
                            let end = pattern[p + 2];
                            // Redis orders the ends before folding them.
                            let (low, high) = if start > end { (end, start) } else { (start, end) };
                            let (low, high) = (fold(low), fold(high));
                            p += 2;
                            if (low..=high).contains(&c) {
                                matched = true;
                            }
                        }
                        Some(b) => {
                            if fold(b) == c {
                                matched = true;
                            }
                        }
                    }
                    p += 1;
                }
                if matched == negate {
                    return false;
                }
                s += 1;
            }
            b => {
                let literal = if b == b'\\' && pattern.len() - p >= 2 {
                    p += 1;
                    pattern[p]
                } else {
                    b
                };
                if fold(literal) != fold(string[s]) {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
        if s == string.len() {
            while at(p) == Some(b'*') {
                p += 1;
            }
            break;
        }
    }
    p >= pattern.len() && s == string.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row was checked against redis-server 7.0.15 with `SET key 1` then
    /// `SCAN 0 MATCH pattern COUNT 100`, except `("*", "")`: both KEYS and SCAN skip matching for
    /// the pattern `*`, so that row follows `stringmatchlen`'s code (the loop never runs on an
    /// empty string) and the callers' shortcut is tested with them.
    const CASES: &[(&str, &str, bool)] = &[
        ("*", "", false),
        ("**", "", false),
        ("*", "abc", true),
        ("a*", "abc", true),
        ("*c", "abc", true),
        ("*b*", "abc", true),
        ("*d*", "abc", false),
        ("a*b*c", "aXbYc", true),
        ("a*b*c", "aXbY", false),
        ("?", "", false),
        ("?", "a", true),
        ("??", "a", false),
        ("a?c", "abc", true),
        ("h[ae]llo", "hello", true),
        ("h[ae]llo", "hillo", false),
        ("h[^e]llo", "hallo", true),
        ("h[^e]llo", "hello", false),
        ("h[a-b]llo", "hbllo", true),
        ("h[b-a]llo", "hallo", true),
        ("h[a-b]llo", "hcllo", false),
        ("[a-]", "-", false),
        ("[a-]", "a", true),
        ("[-a]", "-", true),
        ("[]", "]", false),
        ("[]]", "]", false),
        ("[\\]]", "]", true),
        ("[\\]", "\\", false),
        ("[\\", "\\", true),
        ("[abc", "b", true),
        ("[abc", "bx", false),
        ("[", "a", false),
        ("[^", "a", true),
        ("[^", "ab", false),
        ("[^]", "a", true),
        ("\\*", "*", true),
        ("\\*", "a", false),
        ("\\?", "?", true),
        ("\\[a]", "[a]", true),
        ("a\\", "a\\", true),
        ("\\", "\\", true),
        ("a\\b", "ab", true),
        ("*\\", "x\\", true),
        ("a*", "a", true),
        ("a**", "a", true),
        ("a*?", "a", false),
        ("a[", "a", false),
        ("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
    ];

    #[test]
    fn matches_like_redis_stringmatchlen() {
        // Proves every syntax form and quirk above behaves as Redis 7.0.15 does.
        for (pattern, key, want) in CASES {
            assert_eq!(string_match(pattern.as_bytes(), key.as_bytes()), *want, "pattern {pattern:?} key {key:?}");
        }
    }

    #[test]
    fn matching_is_on_raw_bytes() {
        // Proves NUL and high bytes are ordinary bytes, in literals, classes and ranges.
        assert!(string_match(b"a\0*", b"a\0zz"));
        assert!(!string_match(b"a\0*", b"a"));
        assert!(string_match(b"[\x80-\xff]", b"\xc3"));
        assert!(!string_match(b"[\x80-\xff]", b"c"));
    }

    #[test]
    fn nesting_is_bounded_like_redis() {
        // Proves the recursion limit: 1000 stars still match, 1001 do not (checked on Redis
        // 7.0.15 with key "a" x 1200 and pattern ("a*" x n) + "a").
        let key = vec![b'a'; 1200];
        let pattern = |n: usize| {
            let mut p = b"a*".repeat(n);
            p.push(b'a');
            p
        };
        assert!(string_match(&pattern(1000), &key));
        assert!(!string_match(&pattern(1001), &key));
    }

    #[test]
    fn abusive_patterns_finish_quickly() {
        // Proves skip_longer keeps a many-star pattern on a long non-matching key polynomial.
        let key = vec![b'a'; 5000];
        let mut pattern = b"*a".repeat(30);
        pattern.push(b'b');
        assert!(!string_match(&pattern, &key));
    }

    #[test]
    fn nocase_folds_ascii_like_redis() {
        // Proves the nocase mode: literals, classes and ranges fold ASCII letters, other bytes
        // and escaped class members compare exactly (Redis's tolower use in stringmatchlen).
        let cases: &[(&[u8], &[u8], bool)] = &[
            (b"GET*", b"getrange", true),
            (b"g?T", b"GeT", true),
            (b"[A-C]x", b"bX", true),
            (b"[^a]", b"A", false),
            (b"[\\A]", b"a", false),
            (b"\\A", b"a", true),
            (b"\xc3", b"\xe3", false),
        ];
        for (pattern, string, want) in cases {
            assert_eq!(
                string_match_nocase(pattern, string),
                *want,
                "{:?} {:?}",
                pattern.escape_ascii(),
                string.escape_ascii()
            );
        }
        assert!(!string_match(b"GET*", b"getrange"));
    }
}
