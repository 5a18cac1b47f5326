//! Snapshot benches: the time to serialize 1,000,000 small string keys a step at a time, and the
//! longest single step (the event loop's stall), alone and with writes between steps. Steps are
//! timed on the wall clock and in thread CPU time: on a shared machine the wall time includes
//! being descheduled, which is not the snapshot's doing.
//!
//! `cargo bench -p verdis-engine --bench snapshot`

use criterion::{criterion_group, criterion_main, Criterion};
use std::time::{Duration, Instant};
use verdis_engine::rdb::{EntryOptions, LruField};
use verdis_engine::snapshot::{Format, Snapshot};
use verdis_engine::value::{Object, StrValue, Value};
use verdis_engine::{Keyspace, Rng};

/// Keys in the benched keyspace.
const KEYS: usize = 1_000_000;
/// Bytes a step may write: what the node's persistence cron asks for per call.
const STEP_BUDGET_BYTES: usize = 64 * 1024;
/// Writes between two steps in the "with writes" run (a busy server's commands per cron tick).
const WRITES_PER_STEP: usize = 200;

/// `KEYS` keys `key:<n>` holding 16-byte strings, in db 0.
fn keyspace() -> Keyspace {
    let mut keyspace = Keyspace::new(16, &mut Rng::new(1));
    for i in 0..KEYS {
        let value = Value::Str(StrValue::from_bytes(format!("{i:016}").as_bytes()));
        keyspace.dbs[0].add(format!("key:{i}").as_bytes(), Object::new(value, 0));
    }
    keyspace
}

/// CPU time this thread has used.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant libc knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// What one whole snapshot took.
struct Run {
    total: Duration,
    step_max: Duration,
    step_cpu_max: Duration,
    steps_cpu: Duration,
    steps: u64,
    bytes: usize,
    held_max: usize,
}

/// Snapshots `keyspace` to the end, doing `writes` overwrites of random keys between steps
/// (those are not timed as part of a step).
fn snapshot(keyspace: &mut Keyspace, format: Format, writes: usize, rng: &mut Rng) -> Run {
    let start = Instant::now();
    let mut run = Run {
        total: Duration::ZERO,
        step_max: Duration::ZERO,
        step_cpu_max: Duration::ZERO,
        steps_cpu: Duration::ZERO,
        steps: 0,
        bytes: 0,
        held_max: 0,
    };
    let mut snapshot = Snapshot::begin(keyspace, format);
    let mut out = Vec::with_capacity(2 * STEP_BUDGET_BYTES);
    let mut written_elsewhere = Duration::ZERO;
    loop {
        let (step_start, step_cpu_start) = (Instant::now(), thread_cpu_time());
        let done = snapshot.step(keyspace, &mut out, STEP_BUDGET_BYTES);
        run.step_max = run.step_max.max(step_start.elapsed());
        let step_cpu = thread_cpu_time() - step_cpu_start;
        run.step_cpu_max = run.step_cpu_max.max(step_cpu);
        run.steps_cpu += step_cpu;
        run.steps += 1;
        run.bytes += out.len();
        // The bytes would go to the disk here; the buffer is reused.
        out.clear();
        if done {
            break;
        }
        let writes_start = Instant::now();
        for _ in 0..writes {
            let key = format!("key:{}", rng.below(KEYS as u64));
            let value = Value::Str(StrValue::from_bytes(b"overwritten-value"));
            keyspace.dbs[0].set(key.as_bytes(), Object::new(value, 0), false);
        }
        run.held_max = run.held_max.max(snapshot.held_bytes(keyspace));
        written_elsewhere += writes_start.elapsed();
    }
    run.total = start.elapsed() - written_elsewhere;
    run
}

fn formats() -> [(&'static str, Format); 2] {
    [("rdb", Format::Rdb(EntryOptions { compress: false, lru: LruField::None })), ("aof", Format::Aof)]
}

fn bench_snapshot(c: &mut Criterion) {
    let mut keyspace = keyspace();
    let mut rng = Rng::new(2);
    // The figures the issue asks for: whole time, longest stall, extra memory.
    for (name, format) in formats() {
        for writes in [0, WRITES_PER_STEP] {
            let run = snapshot(&mut keyspace, format, writes, &mut rng);
            println!(
                "snapshot/{name} {KEYS} keys, {writes} writes per step: {:?} total ({:?} CPU in steps), {} steps, longest step {:?} \
                 ({:?} CPU), {} bytes, most held {} bytes",
                run.total, run.steps_cpu, run.steps, run.step_max, run.step_cpu_max, run.bytes, run.held_max
            );
        }
    }
    let mut group = c.benchmark_group("snapshot");
    group.sample_size(10);
    for (name, format) in formats() {
        group.bench_function(format!("{name}_1m_keys"), |b| b.iter(|| snapshot(&mut keyspace, format, 0, &mut rng)));
    }
    group.finish();
}

criterion_group!(benches, bench_snapshot);
criterion_main!(benches);
