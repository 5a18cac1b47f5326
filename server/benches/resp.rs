//! Criterion benches for the RESP codec: parsing a pipeline of 16 GET/SET requests (what
//! `redis-benchmark -P 16` sends) and encoding their replies.
//!
//! `cargo bench -p verdis-server --bench resp`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use verdis_engine::Reply;
use verdis_server::resp::decode::{ParseLimits, RequestParser};
use verdis_server::resp::encode::encode;

/// Requests in one pipeline, as `redis-benchmark -P 16`.
const PIPELINE_LEN: usize = 16;
/// Redis's default `proto-max-bulk-len`.
const LIMITS: ParseLimits = ParseLimits { bulk_len_max: 512 * 1024 * 1024, unauthenticated: false };

/// `args` as one RESP multibulk request.
fn resp_command(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// Alternating `SET key:<n> <16 bytes>` and `GET key:<n>`, `PIPELINE_LEN` requests in all.
fn pipeline() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..PIPELINE_LEN / 2 {
        let key = format!("key:{i:012}");
        resp_command(&[b"SET", key.as_bytes(), b"0123456789abcdef"], &mut out);
        resp_command(&[b"GET", key.as_bytes()], &mut out);
    }
    out
}

fn bench_parse(c: &mut Criterion) {
    let input = pipeline();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("pipeline of 16 GET/SET", |b| {
        let mut parser = RequestParser::default();
        b.iter(|| {
            let mut buf = black_box(input.as_slice());
            let mut args_total = 0;
            while let Some(consumed) = parser.parse(buf, LIMITS).expect("valid requests") {
                args_total += parser.args(buf).len();
                parser.reset();
                buf = &buf[consumed..];
            }
            assert_eq!(args_total, PIPELINE_LEN / 2 * 5);
            black_box(args_total)
        })
    });
    // The same pipeline arriving in 64-byte reads, parsed after each read as the node does: the
    // parser resumes where it stopped instead of rescanning.
    group.bench_function("pipeline of 16 GET/SET in 64-byte reads", |b| {
        let mut parser = RequestParser::default();
        b.iter(|| {
            let (mut start, mut end, mut requests) = (0, 0, 0);
            while end < input.len() {
                end = (end + 64).min(input.len());
                while let Some(consumed) = parser.parse(black_box(&input[start..end]), LIMITS).expect("valid requests")
                {
                    black_box(parser.args(&input[start..end]));
                    parser.reset();
                    start += consumed;
                    requests += 1;
                }
            }
            assert_eq!(requests, PIPELINE_LEN);
        })
    });
    group.finish();
}

fn bench_encode(c: &mut Criterion) {
    let replies: Vec<Reply> = (0..PIPELINE_LEN)
        .map(|i| if i % 2 == 0 { Reply::Ok } else { Reply::Bulk(b"0123456789abcdef".to_vec()) })
        .collect();
    let mut group = c.benchmark_group("encode");
    group.bench_function("replies to 16 GET/SET, RESP2", |b| {
        let mut out = Vec::with_capacity(1024);
        b.iter(|| {
            out.clear();
            for reply in black_box(&replies) {
                encode(reply, 2, &mut out);
            }
            black_box(out.len())
        })
    });
    let array = Reply::Array((0..10).map(|_| Reply::Bulk(b"0123456789abcdef".to_vec())).collect());
    group.bench_function("MGET reply of 10 values, RESP3", |b| {
        let mut out = Vec::with_capacity(1024);
        b.iter(|| {
            out.clear();
            encode(black_box(&array), 3, &mut out);
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_parse, bench_encode);
criterion_main!(benches);
