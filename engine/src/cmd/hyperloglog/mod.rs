//! The HyperLogLog family (Redis's `hyperloglog.c`): PFADD, PFCOUNT, PFMERGE, PFDEBUG and
//! PFSELFTEST over string values holding Redis's exact HLL bytes (`types::hll`).
//!
//! | file | commands |
//! |---|---|
//! | `pfadd.rs` | PFADD |
//! | `pfcount.rs` | PFCOUNT (one key: cached cardinality; many keys: the union) |
//! | `pfmerge.rs` | PFMERGE |
//! | `pfdebug.rs` | PFDEBUG GETREG/DECODE/ENCODING/TODENSE, PFSELFTEST |
//!
//! Deliberate difference from Redis: PFSELFTEST draws its random registers and elements from
//! the node's seeded RNG instead of `rand()`.

mod pfadd;
mod pfcount;
mod pfdebug;
mod pfmerge;

use super::redis_specs as s;
use super::table::{engine, Command};
use crate::cmd::ctx::Ctx;
use crate::error::CmdError;
use crate::types::hll::{self, Encoding, HllError};
use crate::value::StrValue;

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    engine(&s::PFADD, pfadd::pfadd),
    engine(&s::PFCOUNT, pfcount::pfcount),
    engine(&s::PFMERGE, pfmerge::pfmerge),
    engine(&s::PFDEBUG, pfdebug::pfdebug),
    engine(&s::PFSELFTEST, pfdebug::pfselftest),
];

/// The reply for an HLL error, Redis's strings.
fn hll_error(error: HllError) -> CmdError {
    match error {
        HllError::NotHll => CmdError::msg("WRONGTYPE Key is not a valid HyperLogLog string value."),
        HllError::Corrupt => CmdError::msg("INVALIDOBJ Corrupted HLL object detected"),
    }
}

/// Checks that a string holds an HLL (Redis's `isHLLObjectOrReply`).
fn check(value: &StrValue) -> Result<Encoding, CmdError> {
    value.with_bytes(hll::check).map_err(hll_error)
}

/// The bytes of the HLL at `key`, which the caller checked exists and holds an HLL, made raw as
/// Redis's `dbUnshareStringValue` does before writing.
fn hll_bytes<'c>(ctx: &'c mut Ctx, key: &[u8]) -> &'c mut Vec<u8> {
    let value = ctx.db().get_mut(key).map(|obj| &mut obj.value);
    match value {
        Some(crate::value::Value::Str(s)) => s.make_raw(),
        _ => panic!("hll_bytes on a key not checked as an HLL"),
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::effects::NotifyClass;
    use crate::cmd::testing::{show, TestDb};

    /// Values written by Redis 7.0.15 (GET after the commands in each test).
    const SPARSE_100: &[u8] = include_bytes!("testdata/sparse100.hll");
    const DENSE_5000: &[u8] = include_bytes!("testdata/dense5000.hll");
    const MERGED_SPARSE: &[u8] = include_bytes!("testdata/merge_sparse.hll");
    /// PFCOUNT after each N of PFADD e1..eN, from Redis 7.0.15.
    const COUNTS: &str = include_str!("testdata/counts.txt");

    /// Asserts two values are equal, naming the first differing byte (dumps are 12 KB).
    fn assert_bytes(got: &[u8], want: &[u8]) {
        let first = got.iter().zip(want).position(|(a, b)| a != b);
        assert!(got == want, "lengths {} vs {}, first difference at {first:?}", got.len(), want.len());
    }

    fn add_range(db: &mut TestDb, key: &str, elements: std::ops::RangeInclusive<u32>) {
        for n in elements {
            db.run(&[b"PFADD", key.as_bytes(), format!("e{n}").as_bytes()]);
        }
    }

    #[test]
    fn pfadd_writes_redis_bytes_and_caches_the_count() {
        // Proves the sparse opcodes, the stale-cache bit PFADD sets and the cache PFCOUNT
        // fills, against Redis's GET output byte for byte.
        let mut db = TestDb::new();
        db.check(&[
            ("PFADD h a b c", ":1"),
            ("GET h", "\"HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80`\\xf3\\x80P\\xb1\\x84K\\xfb\\x80BZ\""),
            ("PFCOUNT h", ":3"),
            ("GET h", "\"HYLL\\x01\\x00\\x00\\x00\\x03\\x00\\x00\\x00\\x00\\x00\\x00\\x00`\\xf3\\x80P\\xb1\\x84K\\xfb\\x80BZ\""),
            ("PFDEBUG DECODE h", "\"Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603\""),
            ("PFADD h a", ":0"),
            ("PFADD e", ":1"),
            ("PFADD e", ":0"),
            ("PFCOUNT e", ":0"),
        ]);
    }

    #[test]
    fn sparse_and_dense_values_equal_redis() {
        // Proves the sparse representation after 100 elements and the promotion to dense
        // (hll-sparse-max-bytes 3000) after 5000 (then counted, so cached) are Redis's exact
        // bytes.
        let mut db = TestDb::new();
        add_range(&mut db, "s", 1..=100);
        assert_bytes(&db.raw_get("s").unwrap(), SPARSE_100);
        db.check(&[("PFDEBUG ENCODING s", "+sparse")]);
        add_range(&mut db, "d", 1..=5000);
        db.check(&[("PFDEBUG ENCODING d", "+dense"), ("PFCOUNT d", ":4968")]);
        assert_bytes(&db.raw_get("d").unwrap(), DENSE_5000);
        assert_eq!(db.encoding("d"), Some("raw"));
    }

    #[test]
    fn the_promotion_threshold_is_the_config() {
        // Proves hll-sparse-max-bytes is read: with a lower limit the same elements go dense.
        let mut db = TestDb::new();
        db.config.hll_sparse_max_bytes = 100;
        add_range(&mut db, "s", 1..=100);
        db.check(&[("PFDEBUG ENCODING s", "+dense")]);
    }

    #[test]
    fn counts_equal_redis_up_to_100000() {
        // Proves the estimator (hllSigma/hllTau) and both encodings give Redis's PFCOUNT after
        // every element count in the table, from 1 to 100,000.
        let mut db = TestDb::new();
        let mut added = 0;
        for line in COUNTS.lines().filter(|l| !l.starts_with('#')) {
            let (n, want) = line.split_once(' ').unwrap();
            let n: u32 = n.parse().unwrap();
            add_range(&mut db, "h", added + 1..=n);
            added = n;
            assert_eq!(db.cmd("PFCOUNT h"), format!(":{want}"), "after {n} elements");
        }
        assert_eq!(added, 100_000);
    }

    #[test]
    fn merge_of_sparse_and_dense_equals_redis() {
        // Proves PFMERGE and PFCOUNT of many keys: a dense source makes the target dense, a
        // sparse-only merge stays sparse with Redis's bytes, missing keys count as empty.
        let mut db = TestDb::new();
        add_range(&mut db, "s", 1..=100);
        add_range(&mut db, "d", 1..=5000);
        db.check(&[
            ("PFMERGE m s d", "+OK"),
            ("PFCOUNT m", ":4968"),
            ("PFCOUNT s d", ":4968"),
            ("PFDEBUG ENCODING m", "+dense"),
            ("PFMERGE m2 s", "+OK"),
            ("PFCOUNT m2", ":100"),
            ("PFCOUNT nokey s", ":100"),
            ("PFMERGE m3 nokey", "+OK"),
            ("PFCOUNT m3", ":0"),
        ]);
        db.check(&[("PFMERGE m4 s", "+OK")]);
        assert_bytes(&db.raw_get("m4").unwrap(), MERGED_SPARSE);
    }

    #[test]
    fn bad_values_get_redis_errors() {
        // Proves each not-an-HLL and corrupt value gets the reply Redis 7.0.15 gave for it, and
        // that the values Redis left alone stay unchanged here.
        let hdr = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";
        let with = |body: &[u8]| [&hdr[..], body].concat();
        let mut dense_short = b"HYLL\x00".to_vec();
        dense_short.resize(116, 0);
        let invalid = "-INVALIDOBJ Corrupted HLL object detected";
        let wrong = "-WRONGTYPE Key is not a valid HyperLogLog string value.";
        // (value, [PFADD k a, PFCOUNT k, PFCOUNT k k2, PFMERGE d k, PFDEBUG DECODE k,
        //  PFDEBUG GETREG k, PFDEBUG TODENSE k])
        let cases: Vec<(Vec<u8>, [&str; 7])> = vec![
            (with(b"\x7f"), [":1", ":0", invalid, invalid, "\"Z:16129\"", invalid, invalid]),
            (with(b"\x7f\xfe"), [":1", ":0", invalid, invalid, "\"Z:16383\"", invalid, invalid]),
            (with(b"\x7f\xff\x00"), [":1", ":0", invalid, invalid, "\"Z:16384 z:1\"", invalid, invalid]),
            (with(b"\x7f\xfe\x83"), [":1", ":0", invalid, invalid, "\"Z:16383 v:1,4\"", invalid, invalid]),
            (with(b""), [invalid, ":0", invalid, invalid, "\"\"", invalid, invalid]),
            (dense_short, [wrong; 7]),
            (b"HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff".to_vec(), [wrong; 7]),
            (b"HYLL\x01\x00".to_vec(), [wrong; 7]),
            (
                b"HYLL\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x7f\xff".to_vec(),
                [":1", ":7", ":0", "+OK", "\"Z:16384\"", "[16384]", ":1"],
            ),
        ];
        let commands: [&[&[u8]]; 7] = [
            &[b"PFADD", b"k", b"a"],
            &[b"PFCOUNT", b"k"],
            &[b"PFCOUNT", b"k", b"k2"],
            &[b"PFMERGE", b"d", b"k"],
            &[b"PFDEBUG", b"DECODE", b"k"],
            &[b"PFDEBUG", b"GETREG", b"k"],
            &[b"PFDEBUG", b"TODENSE", b"k"],
        ];
        for (value, wants) in cases {
            for (argv, want) in commands.iter().zip(wants) {
                let mut db = TestDb::new();
                db.run(&[b"SET", b"k", &value]);
                let got = match db.run(argv) {
                    crate::reply::Reply::Array(items) => format!("[{}]", items.len()),
                    other => show(&other),
                };
                assert_eq!(got, want, "{argv:?} on {value:?}");
                if want == invalid || want == wrong || argv[0] == b"PFCOUNT" || argv[1] == b"DECODE" {
                    assert_eq!(db.raw_get("k").unwrap(), value, "{argv:?} changed {value:?}");
                }
            }
        }
        let mut db = TestDb::new();
        db.check(&[
            ("SET s foo", "+OK"),
            ("PFADD s x", wrong),
            ("LPUSH l x", ":1"),
            ("PFADD l x", "-WRONGTYPE Operation against a key holding the wrong kind of value"),
            ("PFDEBUG GETREG nokey", "-ERR The specified key does not exist"),
            ("PFADD h a", ":1"),
            ("PFDEBUG foo h", "-ERR Unknown PFDEBUG subcommand 'foo'"),
            ("PFDEBUG TODENSE h", ":1"),
            ("PFDEBUG TODENSE h", ":0"),
            ("PFDEBUG DECODE h", "-ERR HLL encoding is not sparse"),
        ]);
    }

    #[test]
    fn effects_match_redis() {
        // Proves dirty counts, modified keys, `pfadd` events and propagation: PFADD counts each
        // change, PFCOUNT writes (and so propagates) only when it refreshes the cache, PFMERGE
        // raises `pfadd`, PFDEBUG TODENSE propagates without signalling.
        let own = TestDb::own_touches;
        let mut db = TestDb::new();
        let pfadd_event = Some((NotifyClass::STRING, "pfadd"));
        db.check(&[("PFADD h a b c", ":1")]);
        assert_eq!(db.dirty, 4);
        assert_eq!(own(&db).len(), 1);
        assert_eq!(own(&db)[0].event, pfadd_event);
        db.check(&[("PFADD h a", ":0")]);
        assert_eq!((db.dirty, own(&db).len(), db.propagated.len()), (4, 0, 0));
        db.check(&[("PFCOUNT h", ":3")]);
        assert_eq!((db.dirty, own(&db).len(), own(&db)[0].event), (5, 1, None));
        assert_eq!(db.propagated, vec![(0, vec![b"PFCOUNT".to_vec(), b"h".to_vec()])]);
        db.check(&[("PFCOUNT h", ":3")]);
        assert_eq!((db.dirty, own(&db).len(), db.propagated.len()), (5, 0, 0));
        db.check(&[("PFMERGE h h", "+OK")]);
        assert_eq!((db.dirty, own(&db)[0].event), (6, pfadd_event));
        db.check(&[("PFDEBUG TODENSE h", ":1")]);
        assert_eq!((db.dirty, own(&db).len(), db.propagated.len()), (7, 0, 1));
    }

    #[test]
    fn selftest_passes() {
        // Proves PFSELFTEST's register round trip and estimate bounds hold for our code.
        let mut db = TestDb::new();
        db.check(&[("PFSELFTEST", "+OK")]);
    }
}
