//! The rules for Redis's random and clock-dependent replies are contracts, not blanket passes:
//! each test plants one fault in a subject (real Redis behind a rewriting proxy) that the looser
//! rule it replaced let through, and shows the rule catches it, while two honest Redis processes
//! still match.

use std::sync::Arc;

use verdis_conformance::campaign::{Campaign, SeqOutcome};
use verdis_conformance::compare::compare;
use verdis_conformance::proxy::FaultProxy;
use verdis_conformance::resp::{Reply, Value};
use verdis_conformance::rules::Rule;
use verdis_conformance::{Server, Target};

type Argv = Vec<Vec<u8>>;

fn argv(words: &[&str]) -> Argv {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

fn honest() -> Campaign {
    let redis = || Server::start(&Target::Redis).expect("redis-server (apt-get install redis-server)");
    Campaign::new(redis(), redis(), 2).expect("campaign")
}

/// A campaign whose subject is Redis behind a proxy that alters commands (`request`) and
/// replies (`reply`); the proxy and its upstream live as long as the campaign.
struct Planted {
    campaign: Campaign,
    _proxy: FaultProxy,
    _upstream: Server,
}

fn planted(
    request: impl Fn(&mut Argv) + Send + Sync + 'static,
    reply: impl Fn(&[Vec<u8>], &Reply) -> Option<Vec<u8>> + Send + Sync + 'static,
) -> Planted {
    let upstream = Server::start(&Target::Redis).expect("redis-server");
    let proxy = FaultProxy::start_with(&upstream.addr, Arc::new(request), Arc::new(reply)).expect("proxy");
    let subject = Server::start(&Target::Address { addr: proxy.addr.clone(), password: None }).unwrap();
    let campaign = Campaign::new(Server::start(&Target::Redis).unwrap(), subject, 2).unwrap();
    Planted { campaign, _proxy: proxy, _upstream: upstream }
}

fn is(argv: &[Vec<u8>], words: &[&str]) -> bool {
    argv.len() == words.len() && argv.iter().zip(words).all(|(a, w)| a.eq_ignore_ascii_case(w.as_bytes()))
}

fn no_request_change(_: &mut Argv) {}

/// The step that mismatched, asserting the outcome's signature.
fn mismatch<'a>(outcome: &'a SeqOutcome, signature: &str) -> &'a verdis_conformance::campaign::Step {
    assert_eq!(outcome.signature().as_deref(), Some(signature), "{}", outcome.transcript());
    outcome.steps.last().unwrap()
}

fn random_pick_sequences() -> Vec<Vec<Argv>> {
    let set = argv(&["SADD", "k0", "a", "b", "c", "d", "e"]);
    let hash = argv(&["HSET", "k1", "f1", "v1", "f2", "v2", "f3", "v3"]);
    let zset = argv(&["ZADD", "k2", "1", "a", "2", "b", "3.5", "c"]);
    vec![
        vec![set.clone(), argv(&["SRANDMEMBER", "k0"])],
        vec![set.clone(), argv(&["SRANDMEMBER", "k0", "3"])],
        vec![set, argv(&["SRANDMEMBER", "k0", "-7"])],
        vec![hash, argv(&["HRANDFIELD", "k1", "2", "WITHVALUES"])],
        vec![zset, argv(&["ZRANDMEMBER", "k2", "2", "WITHSCORES"])],
        // Queued picks answer QUEUED, which is no pick; one member makes EXEC's reply certain.
        vec![argv(&["SADD", "k3", "a"]), argv(&["MULTI"]), argv(&["SRANDMEMBER", "k3"]), argv(&["EXEC"])],
    ]
}

#[test]
fn random_picks_match_between_two_redis_processes() {
    // Proves the random-pick contract absorbs Redis's own randomness: two Redis processes agree
    // on every pick sequence, many times over, in RESP2 and RESP3.
    for resp in [2, 3] {
        let redis = || Server::start(&Target::Redis).unwrap();
        let mut c = Campaign::new(redis(), redis(), resp).unwrap();
        for _ in 0..20 {
            for seq in random_pick_sequences() {
                let outcome = c.run_sequence(&seq);
                assert_eq!(outcome.signature(), None, "RESP{resp}: {}", outcome.transcript());
            }
        }
    }
}

#[test]
fn random_picks_that_break_the_contract_are_caught() {
    // Proves each planted pick fault is found at its command, while a type-and-length check
    // (the rule it replaced) passes all but the nil: a nil for a pick, a non-member, a repeat
    // under a positive count, a value not the field's, a score not the member's.
    type Fault = fn(&Reply) -> Value;
    let faults: [(&str, usize, Fault, bool); 5] = [
        ("srandmember", 0, |_| Value::NullBulk, false),
        (
            "srandmember",
            1,
            |r| {
                let mut items = r.value.elements().unwrap().to_vec();
                items[2] = Value::Bulk(b"zzz".to_vec());
                Value::Array(items)
            },
            true,
        ),
        (
            "srandmember",
            1,
            |r| {
                let mut items = r.value.elements().unwrap().to_vec();
                items[2] = items[0].clone();
                Value::Array(items)
            },
            true,
        ),
        (
            "hrandfield",
            3,
            |r| {
                let mut items = r.value.elements().unwrap().to_vec();
                items.swap(1, 3);
                Value::Array(items)
            },
            true,
        ),
        (
            "zrandmember",
            4,
            |r| {
                let mut items = r.value.elements().unwrap().to_vec();
                items[1] = Value::Bulk(b"9".to_vec());
                Value::Array(items)
            },
            true,
        ),
    ];
    for (name, seq_at, fault, shape_passes) in faults {
        let seq = random_pick_sequences().remove(seq_at);
        let target = seq[1].clone();
        let mut p = planted(no_request_change, move |argv: &[Vec<u8>], reply: &Reply| {
            (argv == target.as_slice()).then(|| fault(reply).encode())
        });
        let outcome = p.campaign.run_sequence(&seq);
        let step = mismatch(&outcome, name);
        assert_eq!(compare(Rule::SameShape, &step.oracle, &step.subject).is_match(), shape_passes, "{name}");
    }
}

#[test]
fn spop_with_a_repeated_or_unremoved_pick_is_caught_at_the_spop() {
    // Proves the SPOP contract's two new checks: a reply naming one member twice (the subject
    // popped 2, so the states still agree and SREM's count is still right) and picks the subject
    // did not remove (it ran SRANDMEMBER) are both caught at the SPOP itself.
    let seq = vec![argv(&["SADD", "k0", "a", "b", "c", "d", "e", "f"]), argv(&["SPOP", "k0", "3"])];
    let mut repeats = planted(
        |a: &mut Argv| {
            if is(a, &["SPOP", "k0", "3"]) {
                a[2] = b"2".to_vec();
            }
        },
        |a: &[Vec<u8>], reply: &Reply| {
            let items = reply.value.elements().filter(|_| is(a, &["SPOP", "k0", "3"]))?;
            Some(Value::Array(vec![items[0].clone(), items[1].clone(), items[0].clone()]).encode())
        },
    );
    let outcome = repeats.campaign.run_sequence(&seq);
    assert!(mismatch(&outcome, "spop").verdict != verdis_conformance::compare::Verdict::Match);
    assert!(outcome.transcript().contains("twice"), "{}", outcome.transcript());

    let mut kept = planted(
        |a: &mut Argv| {
            if is(a, &["SPOP", "k0", "3"]) {
                a[0] = b"SRANDMEMBER".to_vec();
            }
        },
        |_: &[Vec<u8>], _: &Reply| None,
    );
    let outcome = kept.campaign.run_sequence(&seq);
    mismatch(&outcome, "spop");
    assert!(outcome.transcript().contains("SISMEMBER"), "{}", outcome.transcript());

    let mut c = honest();
    for _ in 0..20 {
        let outcome = c.run_sequence(&seq);
        assert_eq!(outcome.signature(), None, "{}", outcome.transcript());
    }
}

fn dump_sequences() -> Vec<Vec<Argv>> {
    let members: Vec<String> = (0..200).map(|i| format!("m{i}")).collect();
    let mut big_set = argv(&["SADD", "k0"]);
    big_set.extend(members.iter().map(|m| m.as_bytes().to_vec()));
    vec![
        vec![argv(&["SET", "k0", "123"]), argv(&["DUMP", "k0"])],
        vec![argv(&["SET", "k0", &"x".repeat(100)]), argv(&["DUMP", "k0"])],
        vec![argv(&["RPUSH", "k0", "a", "1", "b"]), argv(&["DUMP", "k0"])],
        vec![argv(&["SADD", "k0", "a", "b", "c"]), argv(&["DUMP", "k0"])],
        vec![argv(&["SADD", "k0", "1", "2", "3"]), argv(&["DUMP", "k0"])],
        vec![big_set, argv(&["DUMP", "k0"])],
        vec![argv(&["HSET", "k0", "f", "v", "g", "w"]), argv(&["DUMP", "k0"])],
        vec![argv(&["ZADD", "k0", "1", "a", "2.5", "b"]), argv(&["DUMP", "k0"])],
    ]
}

#[test]
fn dump_payloads_match_between_two_redis_processes() {
    // Proves the DUMP rule absorbs hash-table order (sets and hashes RESTORE to the same value)
    // and that Redis's deterministic payloads are byte-identical across processes.
    let mut c = honest();
    for seq in dump_sequences() {
        let outcome = c.run_sequence(&seq);
        assert_eq!(outcome.signature(), None, "{}", outcome.transcript());
    }
}

#[test]
fn a_payload_in_another_encoding_is_caught_though_it_decodes_the_same() {
    // Proves deterministic payloads are compared by bytes: the subject dumps the integer string
    // "123" as a raw string with a valid checksum; verdis's decoder (what the old rule compared)
    // reads both as "123", Redis RESTOREs it fine, and the bytes still differ.
    let raw_string = |reply: &Reply| -> Option<Vec<u8>> {
        let Value::Bulk(payload) = &reply.value else { return None };
        let mut body = b"\x00\x03123".to_vec();
        body.extend_from_slice(&payload[payload.len() - 10..payload.len() - 8]);
        let crc = verdis_engine::rdb::Crc64::of(&body);
        body.extend_from_slice(&crc.to_le_bytes());
        Some(body)
    };
    let mut p = planted(no_request_change, move |a: &[Vec<u8>], reply: &Reply| {
        is(a, &["DUMP", "k0"]).then(|| raw_string(reply)).flatten().map(|b| Value::Bulk(b).encode())
    });
    let outcome = p.campaign.run_sequence(&dump_sequences()[0]);
    let step = mismatch(&outcome, "dump");
    assert!(outcome.transcript().contains("RDB type 0"), "{}", outcome.transcript());
    let decode = |reply: &Reply| {
        let Value::Bulk(payload) = &reply.value else { panic!("not a payload") };
        let config = verdis_engine::EngineConfig::default();
        verdis_engine::rdb::payload::restore(payload, &config, &mut verdis_engine::Rng::new(0)).unwrap()
    };
    assert_eq!(decode(&step.oracle), decode(&step.subject));
}

#[test]
fn a_subject_that_cannot_restore_redis_payloads_is_caught_at_dump() {
    // Proves the subject must load the oracle's payload: a subject whose RESTORE refuses every
    // payload (the old rule never asked it to load one) is caught at the DUMP of a set.
    let mut p = planted(no_request_change, |a: &[Vec<u8>], _: &Reply| {
        a[0].eq_ignore_ascii_case(b"restore").then(|| b"-ERR Bad data format\r\n".to_vec())
    });
    let outcome = p.campaign.run_sequence(&dump_sequences()[3]);
    mismatch(&outcome, "dump");
    assert!(outcome.transcript().contains("subject: RESTORE of the other side's payload"), "{}", outcome.transcript());
}

/// Runs of the clock test whose commands crossed no millisecond boundary, wanted.
const CLOSE_RUNS_WANTED: u32 = 20;
/// Most runs the clock test makes to get them.
const CLOCK_RUNS_MAX: u32 = 3000;

#[test]
fn a_one_millisecond_clock_error_is_caught_when_the_calls_are_close() {
    // Proves the clock tolerance is measured, not a blanket second: two Redis processes always
    // agree on PTTL and PEXPIRETIME, and a subject whose replies are 1 ms late (a rounding bug)
    // is caught every time no millisecond boundary was crossed during the sequence's commands
    // (most runs on an idle machine).
    let seq = vec![argv(&["SET", "k0", "v", "PX", "100000"]), argv(&["PTTL", "k0"]), argv(&["PEXPIRETIME", "k0"])];
    let mut c = honest();
    for _ in 0..200 {
        let outcome = c.run_sequence(&seq);
        assert_eq!(outcome.signature(), None, "{}", outcome.transcript());
    }
    let mut p = planted(no_request_change, |a: &[Vec<u8>], reply: &Reply| match reply.value {
        Value::Int(ms)
            if ms >= 0 && (a[0].eq_ignore_ascii_case(b"pttl") || a[0].eq_ignore_ascii_case(b"pexpiretime")) =>
        {
            Some(Value::Int(ms + 1).encode())
        }
        _ => None,
    });
    // On a loaded machine fewer runs are close: run until enough are, within a bound.
    let (mut runs, mut close_runs) = (0, 0);
    while close_runs < CLOSE_RUNS_WANTED && runs < CLOCK_RUNS_MAX {
        runs += 1;
        let outcome = p.campaign.run_sequence(&seq);
        if p.campaign.clock_tolerance_ms() == 0 {
            close_runs += 1;
            assert_eq!(outcome.signature().as_deref(), Some("pttl"), "{}", outcome.transcript());
        }
    }
    assert_eq!(close_runs, CLOSE_RUNS_WANTED, "only {close_runs} of {runs} runs crossed no millisecond boundary");
}

#[test]
fn sort_is_not_judged_by_the_oracles_stale_errno() {
    // Proves the oracle's errno is reset before SORT: Redis 7.0's numeric SORT of non-integer
    // numbers fails after any earlier command left errno at ERANGE (here a ZCOUNT with 1e400 on
    // the oracle alone, as an earlier sequence can), yet the two Redis processes still match,
    // inside a transaction too.
    let mut c = honest();
    let seqs = [
        vec![argv(&["RPUSH", "k0", "-0", "1.5"]), argv(&["SORT", "k0"])],
        vec![argv(&["RPUSH", "k0", "2.5", "1"]), argv(&["SORT_RO", "k0", "DESC"])],
        vec![argv(&["RPUSH", "k0", "2.5"]), argv(&["MULTI"]), argv(&["SORT", "k0"]), argv(&["EXEC"])],
    ];
    for seq in seqs {
        assert_eq!(c.oracle.call_str(&["ZCOUNT", "z", "1e400", "2"]).value, Value::Int(0));
        let outcome = c.run_sequence(&seq);
        assert_eq!(outcome.signature(), None, "{}", outcome.transcript());
    }
}
