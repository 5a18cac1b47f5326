//! Criterion bench for one request's trip through the sans-IO node: bytes in, parse, admission,
//! dispatch, execution, reply encoding, bytes out, with no sockets. Compared with the codec
//! (`resp`) and command (`verdis-engine`'s `commands`) benches, it shows what the node adds.
//!
//! `cargo bench -p verdis-server --bench node`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use verdis_server::config::Config;
use verdis_server::node::Stopwatch;
use verdis_server::{Action, Node, Time};

/// Requests per pipeline, as `redis-benchmark -P 16`.
const PIPELINE_LEN: usize = 16;
/// A fixed instant (2023-11-14), so runs are identical.
const NOW: Time = Time { unix_us: 1_700_000_000_000_000, mono_us: 1_000_000, stopwatch: Stopwatch::FROZEN };

/// `args` as one RESP multibulk request.
fn resp_command(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// Feeds `input` to the node as one read and returns how many reply bytes it sent back.
fn roundtrip(node: &mut Node, client: verdis_server::node::ClientId, input: &[u8]) -> usize {
    node.handle_input(NOW, client, input);
    let mut sent_bytes = 0;
    while let Some(action) = node.poll_action() {
        match action {
            Action::Send { bytes, .. } => sent_bytes += bytes.len(),
            Action::Log { .. } => {}
            other => panic!("unexpected action in a benchmark: {other:?}"),
        }
    }
    sent_bytes
}

fn bench_node(c: &mut Criterion) {
    let mut node = Node::new(Config::default(), 1, NOW);
    node.handle_start(NOW);
    let client = node.handle_connect(NOW, "127.0.0.1:50000".into(), "127.0.0.1:6379".into());
    while node.poll_action().is_some() {}

    let mut pipeline = Vec::new();
    for i in 0..PIPELINE_LEN / 2 {
        let key = format!("key:{i:012}");
        resp_command(&[b"SET", key.as_bytes(), b"0123456789abcdef"], &mut pipeline);
        resp_command(&[b"GET", key.as_bytes()], &mut pipeline);
    }
    let mut single = Vec::new();
    resp_command(&[b"GET", b"key:000000000000"], &mut single);
    // Every reply is `+OK` or the 16-byte bulk: a wrong reply shows up as a wrong length.
    let pipeline_reply_bytes = PIPELINE_LEN / 2 * (5 + 23);
    assert_eq!(roundtrip(&mut node, client, &pipeline), pipeline_reply_bytes);

    let mut group = c.benchmark_group("node");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one GET, parse to reply bytes", |b| {
        b.iter(|| assert_eq!(roundtrip(&mut node, client, black_box(&single)), 23))
    });
    group.throughput(Throughput::Elements(PIPELINE_LEN as u64));
    group.bench_function("pipeline of 16 GET/SET, parse to reply bytes", |b| {
        b.iter(|| assert_eq!(roundtrip(&mut node, client, black_box(&pipeline)), pipeline_reply_bytes))
    });
    group.finish();
}

criterion_group!(benches, bench_node);
criterion_main!(benches);
