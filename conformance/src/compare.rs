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

/// Compares replies under a rule that needs nothing more than the two replies. The rules that
/// ask the servers again (`KeyspaceMember`, `ScanAll`, `SetPop`, `RandomPick`, `ClockMs`,
/// `DumpPayload`, `ExactAfterOracleReset`) fall back to exact comparison here.
pub fn compare(rule: Rule, oracle: &Reply, subject: &Reply) -> Verdict {
    if oracle.raw == subject.raw {
        return Verdict::Match;
    }
    // Errors are always compared exactly: their text is part of the contract.
    if oracle.value.is_error() || subject.value.is_error() {
        return Verdict::Mismatch("different bytes".into());
    }
    let equal = match rule {
        Rule::Exact
        | Rule::KeyspaceMember
        | Rule::ScanAll(_)
        | Rule::SetPop
        | Rule::RandomPick
        | Rule::ClockMs
        | Rule::DumpPayload
        | Rule::ExactAfterOracleReset(_)
        | Rule::Excluded(_) => false,
        Rule::Unordered => unordered(&oracle.value) == unordered(&subject.value),
        Rule::UnorderedDeep => unordered_deep(&oracle.value) == unordered_deep(&subject.value),
        Rule::UnorderedPairs => unordered_pairs(&oracle.value) == unordered_pairs(&subject.value),
        Rule::Tolerance(tolerance) => within(&oracle.value, &subject.value, tolerance),
        Rule::DeepTolerance(tolerance) => within_deep(&oracle.value, &subject.value, tolerance),
        Rule::SameShape => shape(&oracle.value) == shape(&subject.value),
        Rule::MaskFields(fields) => mask(&oracle.value, fields) == mask(&subject.value, fields),
    };
    if equal {
        Verdict::Match
    } else {
        Verdict::Mismatch(match rule {
            Rule::Exact | Rule::ExactAfterOracleReset(_) => "different bytes".into(),
            other => format!("different under rule {other:?}"),
        })
    }
}

/// Integer replies within `tolerance`; negative values (no key, no TTL) must be equal.
pub fn within(a: &Value, b: &Value, tolerance: i64) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) if *x >= 0 && *y >= 0 => x.abs_diff(*y) <= tolerance.unsigned_abs(),
        _ => a == b,
    }
}

/// `within` at every depth: aggregates of the same kind and length whose elements are each
/// `within_deep`.
pub fn within_deep(a: &Value, b: &Value, tolerance: i64) -> bool {
    let all =
        |x: &[Value], y: &[Value]| x.len() == y.len() && x.iter().zip(y).all(|(x, y)| within_deep(x, y, tolerance));
    match (a, b) {
        (Value::Array(x), Value::Array(y)) | (Value::Set(x), Value::Set(y)) | (Value::Push(x), Value::Push(y)) => {
            all(x, y)
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((ka, va), (kb, vb))| ka == kb && within_deep(va, vb, tolerance))
        }
        _ => within(a, b, tolerance),
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

/// The reply's type and length, without its content. Every null form is told apart from the
/// non-null reply of the same prefix (RESP2's `$-1` is not a bulk, `*-1` not an array).
pub fn shape(v: &Value) -> (u8, usize) {
    match v {
        Value::NullBulk => (b'$', usize::MAX),
        Value::NullArray => (b'*', usize::MAX),
        Value::Array(items) => (b'*', items.len()),
        Value::Set(items) => (b'~', items.len()),
        Value::Push(items) => (b'>', items.len()),
        Value::Map(pairs) => (b'%', pairs.len()),
        other => (other.encode()[0], 0),
    }
}

/// What a random-pick command (SRANDMEMBER, HRANDFIELD, ZRANDMEMBER) may return from a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickSource {
    /// Set members: the key read with SMEMBERS.
    Set,
    /// Hash fields, with their values: HGETALL.
    Hash,
    /// Sorted set members, with their scores: ZRANGE 0 -1 WITHSCORES.
    Zset,
}

impl PickSource {
    /// The source of a command name, if it is a random pick.
    pub fn of(name: &str) -> Option<PickSource> {
        match name {
            "srandmember" => Some(PickSource::Set),
            "hrandfield" => Some(PickSource::Hash),
            "zrandmember" => Some(PickSource::Zset),
            _ => None,
        }
    }

    /// The read-only command that lists the whole key (the key goes after its first word).
    pub fn reader(self) -> &'static [&'static str] {
        match self {
            PickSource::Set => &["SMEMBERS"],
            PickSource::Hash => &["HGETALL"],
            PickSource::Zset => &["ZRANGE", "0", "-1", "WITHSCORES"],
        }
    }
}

/// `[a, b]` pairs of a RESP3 map, of an array of 2-element arrays, or of a flat RESP2 array.
fn pairs(v: &Value) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let pair = |a: &Value, b: &Value| Some((a.bytes()?.to_vec(), b.bytes()?.to_vec()));
    if let Value::Map(entries) = v {
        return entries.iter().map(|(a, b)| pair(a, b)).collect();
    }
    let items = v.elements()?;
    if items.iter().all(|i| matches!(i, Value::Array(_))) {
        items.iter().map(|i| if let [a, b] = i.elements()? { pair(a, b) } else { None }).collect()
    } else if items.len() % 2 == 0 {
        items.chunks(2).map(|p| pair(&p[0], &p[1])).collect()
    } else {
        None
    }
}

/// Checks a random pick against Redis's contract, given the key as `reader` lists it
/// (`content`): every element is a member; with values (WITHVALUES, WITHSCORES) each value is the
/// member's; a positive count gives `min(count, size)` distinct members, a negative one
/// `|count|` members with repeats allowed. `argv` is the command as sent, already known not to
/// be an error (so its count and option parse).
pub fn check_picks(source: PickSource, argv: &[Vec<u8>], content: &Value, reply: &Value) -> Result<(), String> {
    let members: Vec<(Vec<u8>, Option<Vec<u8>>)> = match source {
        PickSource::Set => content
            .elements()
            .ok_or("the key's members are not a list")?
            .iter()
            .map(|m| m.bytes().map(|b| (b.to_vec(), None)))
            .collect::<Option<_>>()
            .ok_or("a member is not a string")?,
        PickSource::Hash | PickSource::Zset => {
            pairs(content).ok_or("the key's pairs do not parse")?.into_iter().map(|(m, v)| (m, Some(v))).collect()
        }
    };
    let count = match argv.get(2) {
        None => None,
        Some(c) => Some(std::str::from_utf8(c).ok().and_then(|c| c.parse::<i64>().ok()).ok_or("unreadable count")?),
    };
    let with_values = argv.len() > 3;
    let picks: Vec<(Vec<u8>, Option<Vec<u8>>)> = match (count, reply) {
        (None, Value::Bulk(b)) => vec![(b.clone(), None)],
        (None, other) => return Err(format!("one pick expected, got {}", escape_clipped(&other.encode()))),
        (Some(_), reply) if with_values => {
            pairs(reply).ok_or("the picked pairs do not parse")?.into_iter().map(|(m, v)| (m, Some(v))).collect()
        }
        (Some(_), reply) => reply
            .elements()
            .ok_or("the picks are not a list")?
            .iter()
            .map(|m| m.bytes().map(|b| (b.to_vec(), None)))
            .collect::<Option<_>>()
            .ok_or("a pick is not a string")?,
    };
    for (member, value) in &picks {
        let Some((_, held)) = members.iter().find(|(m, _)| m == member) else {
            return Err(format!("picked {}, which is not in the key", escape(member)));
        };
        if value.is_some() && value != held {
            return Err(format!(
                "picked {} with {}, but the key holds {}",
                escape(member),
                escape(value.as_deref().unwrap_or_default()),
                escape(held.as_deref().unwrap_or_default())
            ));
        }
    }
    let expected_len = match count {
        None => 1,
        Some(n) if n >= 0 => (n as u64).min(members.len() as u64) as usize,
        Some(_) if members.is_empty() => 0,
        Some(n) => n.unsigned_abs() as usize,
    };
    if picks.len() != expected_len {
        return Err(format!("{} picks, {expected_len} expected from a key of {}", picks.len(), members.len()));
    }
    if count.is_some_and(|n| n > 0) {
        let mut seen: Vec<&[u8]> = picks.iter().map(|(m, _)| m.as_slice()).collect();
        seen.sort();
        if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("a positive count promises distinct picks, but {} came twice", escape(w[0])));
        }
    }
    Ok(())
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
            (Rule::DeepTolerance(200), b"*2\r\n*1\r\n:1000\r\n$1\r\na\r\n", b"*2\r\n*1\r\n:1150\r\n$1\r\na\r\n", true),
            (Rule::DeepTolerance(200), b"*2\r\n*1\r\n:1000\r\n$1\r\na\r\n", b"*2\r\n*1\r\n:1300\r\n$1\r\na\r\n", false),
            (Rule::DeepTolerance(200), b"*2\r\n*1\r\n:1000\r\n$1\r\na\r\n", b"*2\r\n*1\r\n:1000\r\n$1\r\nb\r\n", false),
            (Rule::DeepTolerance(200), b"*1\r\n:1\r\n", b"*2\r\n:1\r\n:1\r\n", false),
            (Rule::SameShape, b"*1\r\n$1\r\na\r\n", b"*1\r\n$1\r\nb\r\n", true),
            (Rule::SameShape, b"*1\r\n$1\r\na\r\n", b"*2\r\n$1\r\nb\r\n$1\r\nc\r\n", false),
            (Rule::SameShape, b"$-1\r\n", b"$1\r\na\r\n", false),
            (Rule::SameShape, b"*-1\r\n", b"*0\r\n", false),
            (Rule::SameShape, b"_\r\n", b"$1\r\na\r\n", false),
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
    fn random_picks_must_come_from_the_key_and_keep_redis_promises() {
        // Proves check_picks accepts Redis's legitimate picks and refuses a non-member, a wrong
        // value or score, a repeat under a positive count, and a wrong count.
        let argv = |words: &[&str]| words.iter().map(|w| w.as_bytes().to_vec()).collect::<Vec<_>>();
        let set = reply(b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n").value;
        let hash = reply(b"%2\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\ng\r\n$1\r\n2\r\n").value;
        let zset = reply(b"*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n").value;
        // (source, command, the key as listed, the pick, accepted)
        type Case<'a> = (PickSource, &'a [&'a str], &'a Value, &'a [u8], bool);
        let cases: &[Case] = &[
            (PickSource::Set, &["SRANDMEMBER", "k"], &set, b"$1\r\nb\r\n", true),
            (PickSource::Set, &["SRANDMEMBER", "k"], &set, b"$1\r\nz\r\n", false),
            (PickSource::Set, &["SRANDMEMBER", "k", "5"], &set, b"*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n", true),
            (PickSource::Set, &["SRANDMEMBER", "k", "5"], &set, b"*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\na\r\n", false),
            (PickSource::Set, &["SRANDMEMBER", "k", "2"], &set, b"*1\r\n$1\r\nc\r\n", false),
            (
                PickSource::Set,
                &["SRANDMEMBER", "k", "-4"],
                &set,
                b"*4\r\n$1\r\nc\r\n$1\r\nc\r\n$1\r\nc\r\n$1\r\na\r\n",
                true,
            ),
            (PickSource::Set, &["SRANDMEMBER", "k", "-2"], &set, b"*2\r\n$1\r\nc\r\n$1\r\nx\r\n", false),
            (
                PickSource::Hash,
                &["HRANDFIELD", "k", "2", "WITHVALUES"],
                &hash,
                b"*4\r\n$1\r\ng\r\n$1\r\n2\r\n$1\r\nf\r\n$1\r\n1\r\n",
                true,
            ),
            (
                PickSource::Hash,
                &["HRANDFIELD", "k", "2", "WITHVALUES"],
                &hash,
                b"*4\r\n$1\r\ng\r\n$1\r\n1\r\n$1\r\nf\r\n$1\r\n2\r\n",
                false,
            ),
            (
                PickSource::Zset,
                &["ZRANDMEMBER", "k", "-1", "WITHSCORES"],
                &zset,
                b"*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n",
                true,
            ),
            (
                PickSource::Zset,
                &["ZRANDMEMBER", "k", "-1", "WITHSCORES"],
                &zset,
                b"*1\r\n*2\r\n$1\r\nb\r\n,2\r\n",
                false,
            ),
        ];
        for (source, words, content, picked, ok) in cases {
            let got = check_picks(*source, &argv(words), content, &reply(picked).value);
            assert_eq!(got.is_ok(), *ok, "{words:?} {}: {got:?}", escape(picked));
        }
    }

    #[test]
    fn escape_makes_any_bytes_readable() {
        // Proves transcripts show control and non-UTF-8 bytes unambiguously.
        assert_eq!(escape(b"a\r\n\xff\\"), "a\\r\\n\\xff\\\\");
    }
}
