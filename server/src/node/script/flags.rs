//! The shebang line of a script body (`#!lua flags=...`), read as Redis 7.0.15 reads it in
//! `luaCreateFunction`, with its error texts.

use verdis_engine::CmdError;

/// A script's declared flags. A body without a shebang is in Redis's "eval compatibility
/// mode": none of the flags' checks apply before it runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScriptFlags(u8);

const DECLARED: u8 = 1;
const NO_WRITES: u8 = 1 << 1;
const ALLOW_OOM: u8 = 1 << 2;
const ALLOW_STALE: u8 = 1 << 3;
const NO_CLUSTER: u8 = 1 << 4;
const ALLOW_CROSS_SLOT: u8 = 1 << 5;

/// The flag names Redis accepts (`scripts_flags_def`).
const NAMES: &[(&str, u8)] = &[
    ("no-writes", NO_WRITES),
    ("allow-oom", ALLOW_OOM),
    ("allow-stale", ALLOW_STALE),
    ("no-cluster", NO_CLUSTER),
    ("allow-cross-slot-keys", ALLOW_CROSS_SLOT),
];

impl ScriptFlags {
    /// The body had a shebang (so its flags, even none, are checked).
    pub fn declared(self) -> bool {
        self.0 & DECLARED != 0
    }

    /// `no-writes`: the script may only read.
    pub fn no_writes(self) -> bool {
        self.0 & NO_WRITES != 0
    }

    /// A function's flags from their names (`redis.register_function` checked them): always
    /// declared, as functions have no compatibility mode.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> ScriptFlags {
        let bits = names.into_iter().filter_map(|n| NAMES.iter().find(|(name, _)| *name == n)).map(|(_, bit)| bit);
        ScriptFlags(bits.fold(DECLARED, |acc, bit| acc | bit))
    }

    /// The flags' names in Redis's order (`scripts_flags_def`), as FUNCTION LIST shows them.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        NAMES.iter().filter(move |(_, bit)| self.0 & bit != 0).map(|(name, _)| *name)
    }
}

/// The flags of `body` and where its code starts (after the shebang line, whose newline stays
/// so that line numbers are the body's).
pub fn parse_shebang(body: &[u8]) -> Result<(ScriptFlags, usize), CmdError> {
    if !body.starts_with(b"#!") {
        return Ok((ScriptFlags::default(), 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err(CmdError::msg("ERR Invalid script shebang"));
    };
    let quoted = |prefix: &str, part: &[u8]| {
        let mut text = prefix.as_bytes().to_vec();
        text.extend_from_slice(part);
        CmdError::Message(String::from_utf8_lossy(&text).into_owned().into())
    };
    let mut parts = body[..end].split(|&b| b == b' ');
    let engine = parts.next().unwrap_or_default();
    if engine != b"#!lua" {
        return Err(quoted("ERR Unexpected engine in script shebang: ", engine));
    }
    let mut flags = DECLARED;
    for part in parts {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(quoted("ERR Unknown lua shebang option: ", part));
        };
        if list.is_empty() {
            continue;
        }
        for name in list.split(|&b| b == b',') {
            let Some(&(_, bit)) = NAMES.iter().find(|(n, _)| n.as_bytes() == name) else {
                return Err(quoted("ERR Unexpected flag in script shebang: ", name));
            };
            flags |= bit;
        }
    }
    Ok((ScriptFlags(flags), end))
}

#[cfg(test)]
mod tests {
    use super::parse_shebang;

    #[test]
    fn shebangs_parse_as_redis() {
        // Proves Redis 7.0.15's answers to EVAL of these bodies: the errors' texts, and the
        // flags and code start of the accepted ones.
        let err = |body: &[u8]| parse_shebang(body).unwrap_err().to_string();
        assert_eq!(err(b"#!lua"), "ERR Invalid script shebang");
        assert_eq!(err(b"#!luax\nreturn 1"), "ERR Unexpected engine in script shebang: #!luax");
        assert_eq!(err(b"#! lua\nreturn 1"), "ERR Unexpected engine in script shebang: #!");
        assert_eq!(err(b"#!lua name=x\nreturn 1"), "ERR Unknown lua shebang option: name=x");
        assert_eq!(err(b"#!lua flags=no-writes,bad\n"), "ERR Unexpected flag in script shebang: bad");
        let (flags, start) = parse_shebang(b"#!lua flags=no-writes,allow-oom\nreturn 1").unwrap();
        assert!(flags.declared() && flags.no_writes());
        assert_eq!(start, 31);
        let (flags, start) = parse_shebang(b"#!lua flags=\nreturn 1").unwrap();
        assert!(flags.declared() && !flags.no_writes());
        assert_eq!(start, 12);
        let (flags, start) = parse_shebang(b"return 1").unwrap();
        assert!(!flags.declared());
        assert_eq!(start, 0);
    }
}
