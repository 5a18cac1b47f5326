//! Criterion benches for the hot string commands, executed through the command table the way the
//! node runs them: the handler looked up by name, called with a fresh `Ctx` per command.
//!
//! `cargo bench -p verdis-engine --bench commands`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use verdis_engine::cmd::table::EngineFn;
use verdis_engine::{lookup, Ctx, EngineConfig, Handler, Keyspace, Reply, Rng};

/// Keys preloaded before measuring, so lookups walk a realistically sized table.
const KEYS: usize = 100_000;
/// A fixed instant (2023-11-14) so runs are identical; no key has a TTL, so it never matters.
const NOW_US: i64 = 1_700_000_000_000_000;

/// The engine handler registered for `name`.
fn handler(name: &[u8]) -> EngineFn {
    match lookup(name).map(|c| c.handler) {
        Some(Handler::Engine(f)) => f,
        other => panic!("{} is not an engine command: {other:?}", String::from_utf8_lossy(name)),
    }
}

/// What a command runs against: the keyspace and the node state a `Ctx` borrows.
struct Fixture {
    keyspace: Keyspace,
    rng: Rng,
    config: EngineConfig,
}

impl Fixture {
    /// A keyspace holding `keys`, each with a 16-byte value.
    fn new(keys: &[Vec<u8>]) -> Fixture {
        let mut rng = Rng::new(1);
        let keyspace = Keyspace::new(16, &mut rng);
        let mut fixture = Fixture { keyspace, rng, config: EngineConfig::default() };
        let set = handler(b"set");
        for (i, key) in keys.iter().enumerate() {
            fixture.run(set, &[b"SET", key, format!("{i:016}").as_bytes()]);
        }
        fixture
    }

    /// Runs one command; every benched command must succeed.
    fn run(&mut self, f: EngineFn, argv: &[&[u8]]) -> Reply {
        let mut ctx = Ctx::new(&mut self.keyspace, 0, NOW_US, &mut self.rng, 2, &self.config, 0);
        f(&mut ctx, argv).expect("benched commands succeed")
    }
}

fn bench_commands(c: &mut Criterion) {
    let keys: Vec<Vec<u8>> = (0..KEYS).map(|i| format!("key:{i}").into_bytes()).collect();
    let mut fixture = Fixture::new(&keys);
    let (get, set) = (handler(b"get"), handler(b"set"));
    // Walk the keys with a stride coprime to KEYS so successive commands touch unrelated buckets.
    let mut i = 0usize;
    let mut next_key = move || {
        i = (i + 7919) % KEYS;
        i
    };

    c.bench_function("GET hit", |b| {
        b.iter(|| {
            let key = &keys[next_key()];
            black_box(fixture.run(get, &[b"GET", black_box(key)]))
        })
    });
    // Misses walk the same stride over names that are not in the keyspace.
    let absent: Vec<Vec<u8>> = (0..KEYS).map(|i| format!("absent:{i}").into_bytes()).collect();
    c.bench_function("GET miss", |b| {
        b.iter(|| {
            let key = &absent[next_key()];
            black_box(fixture.run(get, &[b"GET", black_box(key)]))
        })
    });
    c.bench_function("SET overwrite 16 B", |b| {
        b.iter(|| {
            let key = &keys[next_key()];
            black_box(fixture.run(set, &[b"SET", black_box(key), black_box(b"0123456789abcdef")]))
        })
    });
    c.bench_function("SET overwrite 1 KiB EX", |b| {
        let value = vec![b'v'; 1024];
        b.iter(|| {
            let key = &keys[next_key()];
            black_box(fixture.run(set, &[b"SET", black_box(key), black_box(&value), b"EX", b"3600"]))
        })
    });
}

criterion_group!(benches, bench_commands);
criterion_main!(benches);
