//! Comparing two replies under a rule. Pure functions on parsed replies; the rules that need to
//! ask the servers again (RANDOMKEY membership, full scans) are driven by `campaign`, which uses
//! these helpers for the final comparison.

use crate::resp::{Reply, Value};
use crate::rules::Rule;

/// The outcome of comparing one pair of replies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Equal under the rule.
    Match,
    /// Different; the text says how.
    Mismatch(String),
}

impl Verdict {
    /// True for `Match`.
    pub fn is_match(&self) -> bool {
        *self == Verdict::Match
    }
}

/// Compares replies under a rule that needs nothing more than the two replies.
/// `KeyspaceMember` and `ScanAll` fall back to exact comparison here.
pub fn compare(rule: Rule, oracle: &Reply, subject: &Reply) -> Verdict {
    if oracle.raw == subject.raw {
        return Verdict::Match;
    }
    // Errors are always compared exactly: their text is part of the contract.
    if oracle.value.is_error() || subject.value.is_error() {
        return Verdict::Mismatch("different bytes".into());
    }
    let equal = match rule {
        Rule::Exact | Rule::KeyspaceMember | Rule::ScanAll(_) | Rule::SetPop | Rule::Excluded(_) => false,
        Rule::Unordered => unordered(&oracle.value) == unordered(&subject.value),
        Rule::UnorderedDeep => unordered_deep(&oracle.value) == unordered_deep(&subject.value),
        Rule::UnorderedPairs => unordered_pairs(&oracle.value) == unordered_pairs(&subject.value),
        Rule::Tolerance(tolerance) => within(&oracle.value, &subject.value, tolerance),
        Rule::SameShape => shape(&oracle.value) == shape(&subject.value),
        Rule::MaskFields(fields) => mask(&oracle.value, fields) == mask(&subject.value, fields),
        Rule::DumpPayload => match (&oracle.value, &subject.value) {
            (Value::Bulk(a), Value::Bulk(b)) => dump_contents(a).is_some_and(|x| Some(x) == dump_contents(b)),
            _ => false,
        },
    };
    if equal {
        Verdict::Match
    } else {
        Verdict::Mismatch(match rule {
            Rule::Exact => "different bytes".into(),
            other => format!("different under rule {other:?}"),
        })
    }
}

/// What a DUMP payload holds, in a canonical order: its type byte, then each element as bytes
/// (set members and hash pairs sorted; list and sorted set order kept). `None` when the payload
/// does not decode (bad checksum or version, bad data).
fn dump_contents(payload: &[u8]) -> Option<(u8, Vec<Vec<u8>>)> {
    use verdis_engine::value::Value as V;
    let mut rng = verdis_engine::Rng::new(0);
    let config = verdis_engine::EngineConfig::default();
    let value = verdis_engine::rdb::payload::restore(payload, &config, &mut rng).ok()?;
    let items: Vec<Vec<u8>> = match &value {
        V::Str(s) => vec![s.to_bytes()],
        V::List(l) => l.iter().map(<[u8]>::to_vec).collect(),
        V::Zset(z) => z.iter().flat_map(|(m, score)| [m.to_vec(), score.to_bits().to_le_bytes().to_vec()]).collect(),
        V::Hash(h) => {
            let mut pairs: Vec<[Vec<u8>; 2]> = h.iter().map(|(f, v)| [f.to_vec(), v.to_vec()]).collect();
            pairs.sort();
            pairs.into_iter().flatten().collect()
        }
        V::Set(s) => {
            let mut members: Vec<Vec<u8>> = s.iter().map(|m| m.into_owned()).collect();
            members.sort();
            members
        }
    };
    Some((payload[0], items))
}

/// Integer replies within `tolerance`; negative values (no key, no TTL) must be equal.
pub fn within(a: &Value, b: &Value, tolerance: i64) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) if *x >= 0 && *y >= 0 => x.abs_diff(*y) <= tolerance.unsigned_abs(),
        _ => a == b,
    }
}

/// The value with its top-level elements sorted.
fn unordered(v: &Value) -> Value {
    let sorted = |items: &[Value]| {
        let mut items = items.to_vec();
        items.sort_by_cached_key(Value::encode);
        items
    };
    match v {
        Value::Array(items) => Value::Array(sorted(items)),
        Value::Set(items) => Value::Set(sorted(items)),
        other => other.clone(),
    }
}

/// A canonical encoding of the value with every aggregate, at every depth, sorted: built bottom
/// up from the children's canonical bytes, so each node is encoded once.
fn unordered_deep(v: &Value) -> Vec<u8> {
    let aggregate = |prefix: u8, mut parts: Vec<Vec<u8>>| {
        parts.sort();
        let mut out = format!("{}{}\r\n", prefix as char, parts.len()).into_bytes();
        out.extend(parts.concat());
        out
    };
    match v {
        Value::Array(items) => aggregate(b'*', items.iter().map(unordered_deep).collect()),
        Value::Set(items) => aggregate(b'~', items.iter().map(unordered_deep).collect()),
        Value::Push(items) => aggregate(b'>', items.iter().map(unordered_deep).collect()),
        Value::Map(pairs) => {
            aggregate(b'%', pairs.iter().map(|(k, v)| [unordered_deep(k), unordered_deep(v)].concat()).collect())
        }
        other => other.encode(),
    }
}

/// The value with its field/value pairs sorted.
fn unordered_pairs(v: &Value) -> Value {
    match v {
        Value::Map(pairs) => {
            let mut pairs = pairs.clone();
            pairs.sort_by_cached_key(|(k, v)| (k.encode(), v.encode()));
            Value::Map(pairs)
        }
        Value::Array(flat) if flat.len() % 2 == 0 => {
            let mut pairs: Vec<&[Value]> = flat.chunks(2).collect();
            pairs.sort_by_cached_key(|p| (p[0].encode(), p[1].encode()));
            Value::Array(pairs.concat())
        }
        other => other.clone(),
    }
}

/// The reply's type and length, without its content.
pub fn shape(v: &Value) -> (u8, usize) {
    match v {
        Value::Array(items) => (b'*', items.len()),
        Value::Set(items) => (b'~', items.len()),
        Value::Push(items) => (b'>', items.len()),
        Value::Map(pairs) => (b'%', pairs.len()),
        other => (other.encode()[0], 0),
    }
}

/// The value with the named fields' values replaced by a placeholder.
fn mask(v: &Value, fields: &[&str]) -> Value {
    let hidden = |k: &Value| k.bytes().is_some_and(|b| fields.iter().any(|f| f.as_bytes() == b));
    match v {
        Value::Map(pairs) => Value::Map(
            pairs.iter().map(|(k, val)| (k.clone(), if hidden(k) { Value::Null } else { val.clone() })).collect(),
        ),
        Value::Array(flat) if flat.len() % 2 == 0 => Value::Array(
            flat.chunks(2)
                .flat_map(|p| [p[0].clone(), if hidden(&p[0]) { Value::Null } else { p[1].clone() }])
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Escapes bytes for a transcript: printable ASCII as is, the rest as `\xNN`, CR/LF visible.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// Longest reply shown whole in a transcript.
const SHOWN_BYTES_MAX: usize = 400;

/// `escape`, cut after `SHOWN_BYTES_MAX` bytes with the full length noted.
pub fn escape_clipped(bytes: &[u8]) -> String {
    if bytes.len() <= SHOWN_BYTES_MAX {
        escape(bytes)
    } else {
        format!("{}... ({} bytes)", escape(&bytes[..SHOWN_BYTES_MAX]), bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::parse;

    fn reply(raw: &[u8]) -> Reply {
        let (value, used) = parse(raw).unwrap();
        assert_eq!(used, raw.len());
        Reply { raw: raw.to_vec(), value }
    }

    #[test]
    fn dump_payloads_compare_by_content() {
        // Proves DUMP replies match when the payloads hold the same set in another table order
        // (the bytes Redis 7.0.15 and verdis gave for SADD k a b), and not when a member differs
        // or the checksum is broken.
        let redis = reply(b"$16\r\n\x02\x02\x01a\x01b\n\x00\xfed!%\xeb\x03=\r\r\n");
        let ours = reply(b"$16\r\n\x02\x02\x01b\x01a\n\x00u\xd9\x9d\x83^\xf8_e\r\n");
        assert!(compare(Rule::DumpPayload, &redis, &ours).is_match());
        let other = verdis_engine::rdb::payload::dump(
            &verdis_engine::value::Value::Str(verdis_engine::value::StrValue::from_bytes(b"ab")),
            false,
        );
        let mut raw = format!("${}\r\n", other.len()).into_bytes();
        raw.extend_from_slice(&other);
        raw.extend_from_slice(b"\r\n");
        assert!(!compare(Rule::DumpPayload, &redis, &reply(&raw)).is_match());
        let broken = reply(b"$16\r\n\x02\x02\x01b\x01a\n\x00u\xd9\x9d\x83^\xf8_f\r\n");
        assert!(!compare(Rule::DumpPayload, &redis, &broken).is_match());
    }

    #[test]
    fn rules_accept_what_they_should_and_nothing_more() {
        // Proves each rule matches its legitimate difference and still catches a real one.
        let cases: &[(Rule, &[u8], &[u8], bool)] = &[
            (Rule::Exact, b"$1\r\na\r\n", b"$1\r\na\r\n", true),
            (Rule::Exact, b"$1\r\na\r\n", b"$1\r\nb\r\n", false),
            (Rule::Unordered, b"*2\r\n$1\r\na\r\n$1\r\nb\r\n", b"*2\r\n$1\r\nb\r\n$1\r\na\r\n", true),
            (Rule::Unordered, b"*2\r\n$1\r\na\r\n$1\r\nb\r\n", b"*2\r\n$1\r\nb\r\n$1\r\nb\r\n", false),
            (Rule::Unordered, b"~1\r\n$1\r\na\r\n", b"*1\r\n$1\r\na\r\n", false),
            (Rule::UnorderedDeep, b"*2\r\n*2\r\n:1\r\n:2\r\n:3\r\n", b"*2\r\n:3\r\n*2\r\n:2\r\n:1\r\n", true),
            (Rule::UnorderedDeep, b"*2\r\n*2\r\n:1\r\n:2\r\n:3\r\n", b"*2\r\n:3\r\n*2\r\n:2\r\n:2\r\n", false),
            (Rule::UnorderedPairs, b"*4\r\n+f\r\n+1\r\n+g\r\n+2\r\n", b"*4\r\n+g\r\n+2\r\n+f\r\n+1\r\n", true),
            (Rule::UnorderedPairs, b"*4\r\n+f\r\n+1\r\n+g\r\n+2\r\n", b"*4\r\n+g\r\n+1\r\n+f\r\n+2\r\n", false),
            (Rule::Tolerance(1), b":100\r\n", b":99\r\n", true),
            (Rule::Tolerance(1), b":100\r\n", b":98\r\n", false),
            (Rule::Tolerance(1000), b":-1\r\n", b":-2\r\n", false),
            (Rule::Tolerance(1000), b":0\r\n", b":-2\r\n", false),
            (Rule::SameShape, b"*1\r\n$1\r\na\r\n", b"*1\r\n$1\r\nb\r\n", true),
            (Rule::SameShape, b"*1\r\n$1\r\na\r\n", b"*2\r\n$1\r\nb\r\n$1\r\nc\r\n", false),
            (Rule::MaskFields(&["id"]), b"%2\r\n+id\r\n:1\r\n+v\r\n:3\r\n", b"%2\r\n+id\r\n:7\r\n+v\r\n:3\r\n", true),
            (Rule::MaskFields(&["id"]), b"%2\r\n+id\r\n:1\r\n+v\r\n:3\r\n", b"%2\r\n+id\r\n:1\r\n+v\r\n:2\r\n", false),
            (Rule::Unordered, b"-ERR a\r\n", b"-ERR b\r\n", false),
        ];
        for (rule, a, b, expected) in cases {
            let got = compare(*rule, &reply(a), &reply(b)).is_match();
            assert_eq!(got, *expected, "{rule:?} {} vs {}", escape(a), escape(b));
        }
    }

    #[test]
    fn escape_makes_any_bytes_readable() {
        // Proves transcripts show control and non-UTF-8 bytes unambiguously.
        assert_eq!(escape(b"a\r\n\xff\\"), "a\\r\\n\\xff\\\\");
    }
}
