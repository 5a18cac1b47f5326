//! redis.conf's lexical rules, as Redis's C helpers implement them: splitting a line into
//! arguments (`sdssplitargs`), quoting a value for display (`sdscatrepr`), and the number forms
//! options accept (`memtoull`, `strtoll`). Operators see these rules directly (which quotes work,
//! whether `1GB` parses), so they follow Redis byte for byte rather than Rust's parsers.

use verdis_engine::sds::is_c_space;
pub use verdis_engine::sds::{repr, split_args};

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
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::config::{command_line_options, Config, ConfigHost};

    /// A host with no files and no directories: the round trips below need neither.
    struct NoHost;

    impl ConfigHost for NoHost {
        fn read_file(&mut self, _: &str) -> std::io::Result<Vec<u8>> {
            Err(std::io::Error::from_raw_os_error(libc::ENOENT))
        }

        fn chdir(&mut self, _: &str) -> std::io::Result<()> {
            Err(std::io::Error::from_raw_os_error(libc::ENOENT))
        }
    }

    proptest! {
        // Few cases: `ci/test` runs this in a debug build. Failures shrink, and proptest saves
        // them under server/proptest-regressions/ to replay first: commit that file.
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn quoting_round_trips_through_splitting(args in vec(vec(any::<u8>(), 0..24), 0..6)) {
            // Proves sdscatrepr and sdssplitargs are inverses: any arguments, quoted and joined
            // by blanks, split back into exactly themselves (what CONFIG REWRITE and the AOF
            // manifest rely on).
            let line: Vec<String> = args.iter().map(|a| repr(a)).collect();
            prop_assert_eq!(split_args(line.join(" ").as_bytes()), Some(args));
        }

        #[test]
        fn splitting_garbage_never_panics(line in vec(prop_oneof![
            Just(b'"'), Just(b'\''), Just(b'\\'), Just(b' '), Just(b'x'), any::<u8>()
        ], 0..64)) {
            // Proves any line (biased to quotes, escapes and blanks) splits or is refused as
            // unbalanced, never panics, and that what splits re-quotes to the same arguments.
            if let Some(args) = split_args(&line) {
                let requoted: Vec<String> = args.iter().map(|a| repr(a)).collect();
                prop_assert_eq!(split_args(requoted.join(" ").as_bytes()), Some(args));
            }
        }

        #[test]
        fn any_string_value_survives_a_config_line_and_the_command_line(value in any::<String>()) {
            // Proves a string option's value, quoted into a config line or passed as a
            // command-line argument, loads back unchanged (`-` alone means stdin, as in Redis).
            prop_assume!(value != "-");
            let mut config = Config::default();
            config.load_str(&format!("logfile {}", repr(value.as_bytes())), &mut NoHost).unwrap();
            prop_assert_eq!(&config.logfile, &value);
            let command_line = command_line_options(&["--logfile".to_string(), value.clone()]);
            let mut config = Config::default();
            config.load(None, None, &command_line.options, &mut NoHost).unwrap();
            prop_assert_eq!(&config.logfile, &value);
        }
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
