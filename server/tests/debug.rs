//! DEBUG against real processes, verdis beside redis-server 7.0.15: the `enable-debug-command`
//! gate, DIGEST and DIGEST-VALUE giving the same digests for the same dataset (every type and
//! encoding, integers, odd scores, expiry, several databases), and PROTOCOL's bytes in RESP2 and
//! RESP3.

mod common;

use common::{Backend, Server};

fn debug_server(backend: Backend) -> Server {
    Server::start_with(backend, &["--enable-debug-command", "yes"])
}

/// Fills the server with one key of every type in each encoding Redis picks by size, integers,
/// scores Redis prints with 17 digits, keys with a time to live, and a second database.
fn fill(con: &mut redis::Connection) {
    let mut run = |args: Vec<String>| {
        let _: redis::Value = redis::cmd(&args[0]).arg(&args[1..]).query(con).expect("fill command");
    };
    let words = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
    for line in [
        "SET s hello",
        "SET n 12345",
        "SET neg -7",
        "RPUSH l a b 3 c",
        "SADD si 1 2 3 -40",
        "SADD ss a b c",
        "ZADD z 0.1 a 1e300 b -inf c 2 d 3.3333333333333335 e",
        "HSET h f v f2 2",
        "SET e v PX 100000",
        "EXPIRE l 10000",
        "XADD x 1-1 a 1 b 2",
        "XADD x 5-0 c 3",
        "XGROUP CREATE x g 0",
    ] {
        run(words(line));
    }
    run([&["SET".into(), "big".into()][..], &["x".repeat(300)]].concat());
    let many = |cmd: &str, key: &str, n: usize, item: &dyn Fn(usize) -> Vec<String>| {
        let mut args = vec![cmd.to_string(), key.to_string()];
        (0..n).for_each(|i| args.extend(item(i)));
        args
    };
    run(many("RPUSH", "lbig", 300, &|i| vec![format!("element-{i}")]));
    run(many("SADD", "sbig", 600, &|i| vec![format!("m{i}")]));
    run(many("SADD", "sibig", 600, &|i| vec![(i * 7).to_string()]));
    run(many("ZADD", "zbig", 200, &|i| vec![format!("{}", i as f64 / 3.0), format!("z{i}")]));
    run(many("HSET", "hbig", 300, &|i| vec![format!("f{i}"), format!("{i}")]));
    run(words("SELECT 3"));
    run(words("SET other x"));
    run(words("SELECT 0"));
}

fn digest(con: &mut redis::Connection) -> String {
    redis::cmd("DEBUG").arg("DIGEST").query(con).expect("DEBUG DIGEST")
}

#[test]
fn digest_is_redis_digest_for_every_type() {
    // Proves verdis computes Redis's digest: the same dataset gives the same DEBUG DIGEST and the
    // same DEBUG DIGEST-VALUE per key as redis-server 7.0.15; an empty dataset is all zeros; and
    // the digest moves when a time to live goes (PERSIST), as Redis's does.
    let (verdis, redis) = (debug_server(Backend::Verdis), debug_server(Backend::Redis));
    let (mut v, mut r) = (verdis.client(), redis.client());
    assert_eq!(digest(&mut v), "0".repeat(40));
    assert_eq!(digest(&mut r), "0".repeat(40));
    fill(&mut v);
    fill(&mut r);
    let before = digest(&mut r);
    assert_ne!(before, "0".repeat(40));
    assert_eq!(digest(&mut v), before);
    let keys =
        ["s", "n", "neg", "big", "l", "lbig", "si", "ss", "sbig", "sibig", "z", "zbig", "h", "hbig", "x", "e", "nope"];
    let values = |con: &mut redis::Connection| -> Vec<String> {
        redis::cmd("DEBUG").arg("DIGEST-VALUE").arg(&keys[..]).query(con).expect("DIGEST-VALUE")
    };
    let redis_values = values(&mut r);
    assert_eq!(values(&mut v), redis_values);
    assert_eq!(redis_values.last().map(String::as_str), Some("0".repeat(40).as_str()));
    for con in [&mut v, &mut r] {
        let _: i64 = redis::cmd("PERSIST").arg("l").query(con).expect("PERSIST");
    }
    let after = digest(&mut r);
    assert_ne!(after, before);
    assert_eq!(digest(&mut v), after);
}

#[test]
fn debug_is_refused_unless_enabled() {
    // Proves the 7.0 gate on both servers: by default DEBUG answers Redis's refusal text.
    for backend in [Backend::Verdis, Backend::Redis] {
        let server = Server::start(backend);
        server.raw().step(
            "DEBUG DIGEST",
            "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n",
        );
    }
}

/// DEBUG PROTOCOL's replies from redis-server 7.0.15: (type, RESP2 bytes, RESP3 bytes).
const PROTOCOL: &[(&str, &str, &str)] = &[
    ("string", "$11\r\nHello World\r\n", "$11\r\nHello World\r\n"),
    ("integer", ":12345\r\n", ":12345\r\n"),
    ("double", "$5\r\n3.141\r\n", ",3.141\r\n"),
    ("bignum", "$37\r\n1234567999999999999999999999999999999\r\n", "(1234567999999999999999999999999999999\r\n"),
    ("null", "$-1\r\n", "_\r\n"),
    ("array", "*3\r\n:0\r\n:1\r\n:2\r\n", "*3\r\n:0\r\n:1\r\n:2\r\n"),
    ("set", "*3\r\n:0\r\n:1\r\n:2\r\n", "~3\r\n:0\r\n:1\r\n:2\r\n"),
    ("map", "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n", "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"),
    (
        "attrib",
        "$39\r\nSome real reply following the attribute\r\n",
        "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n",
    ),
    (
        "push",
        "-ERR RESP2 is not supported by this command\r\n",
        ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n",
    ),
    ("verbatim", "$25\r\nThis is a verbatim\nstring\r\n", "=29\r\ntxt:This is a verbatim\nstring\r\n"),
    ("true", ":1\r\n", "#t\r\n"),
    ("false", ":0\r\n", "#f\r\n"),
    (
        "bogus",
        "-ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false\r\n",
        "-ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false\r\n",
    ),
];

#[test]
fn protocol_sends_each_type_as_redis_does() {
    // Proves DEBUG PROTOCOL's bytes for every type, in RESP2 and after HELLO 3, on both servers.
    for backend in [Backend::Verdis, Backend::Redis] {
        let server = debug_server(backend);
        let mut resp2 = server.raw();
        let mut resp3 = server.raw();
        resp3.send(b"HELLO 3\r\nPING\r\n");
        let mut hello = Vec::new();
        while !hello.ends_with(b"+PONG\r\n") {
            hello.extend(resp3.read_n(1));
        }
        for (name, two, three) in PROTOCOL {
            resp2.step(&format!("DEBUG PROTOCOL {name}"), two);
            resp3.step(&format!("DEBUG PROTOCOL {name}"), three);
        }
    }
}

#[test]
fn populate_change_repl_id_and_pause_cron_behave_as_in_redis() {
    // Proves on both servers: POPULATE's key names, values, sizes, kept keys and errors; a
    // WATCHed key it creates fails the transaction; CHANGE-REPL-ID draws a new master_replid;
    // PAUSE-CRON 1 stops the active expire cycle (an expired key stays counted) until 0.
    for backend in [Backend::Verdis, Backend::Redis] {
        let server = debug_server(backend);
        let mut raw = server.raw();
        raw.script(&[
            ("DEBUG DIGEST-VALUE", "*0\r\n"),
            (
                "DEBUG PAUSE-CRON",
                "-ERR unknown subcommand or wrong number of arguments for 'PAUSE-CRON'. Try DEBUG HELP.\r\n",
            ),
            ("SET key:1 kept", "+OK\r\n"),
            ("DEBUG POPULATE 3", "+OK\r\n"),
            ("MGET key:0 key:1 key:2 key:3", "*4\r\n$7\r\nvalue:0\r\n$4\r\nkept\r\n$7\r\nvalue:2\r\n$-1\r\n"),
            ("DEBUG POPULATE 2 p 3", "+OK\r\n"),
            ("GET p:1", "$3\r\nval\r\n"),
            ("DEBUG POPULATE 1 z 10", "+OK\r\n"),
            ("GET z:0", "$10\r\nvalue:0\0\0\0\r\n"),
            ("DEBUG POPULATE -1", "-ERR value is out of range, must be positive\r\n"),
            ("DEBUG POPULATE x", "-ERR value is out of range, must be positive\r\n"),
            ("DBSIZE", ":6\r\n"),
            ("WATCH w:0", "+OK\r\n"),
            ("DEBUG POPULATE 1 w", "+OK\r\n"),
            ("MULTI", "+OK\r\n"),
            ("PING", "+QUEUED\r\n"),
            ("EXEC", "*-1\r\n"),
        ]);
        let replid = |con: &mut redis::Connection| -> String {
            let info: String = redis::cmd("INFO").arg("replication").query(con).expect("INFO");
            info.lines().find_map(|l| l.strip_prefix("master_replid:")).expect("master_replid").to_string()
        };
        let mut con = server.client();
        let before = replid(&mut con);
        raw.step("DEBUG CHANGE-REPL-ID", "+OK\r\n");
        let after = replid(&mut con);
        assert!(after != before && after.len() == 40, "{backend:?}: {before} -> {after}");
        raw.script(&[("FLUSHALL", "+OK\r\n"), ("DEBUG PAUSE-CRON 1", "+OK\r\n"), ("SET t v PX 1", "+OK\r\n")]);
        std::thread::sleep(std::time::Duration::from_millis(400));
        raw.step("DBSIZE", ":1\r\n");
        raw.step("DEBUG PAUSE-CRON 0", "+OK\r\n");
        let mut size = String::new();
        for _ in 0..50 {
            std::thread::sleep(std::time::Duration::from_millis(50));
            size = redis::cmd("DBSIZE").query::<i64>(&mut con).expect("DBSIZE").to_string();
            if size == "0" {
                break;
            }
        }
        assert_eq!(size, "0", "{backend:?}: the cron expires the key once resumed");
    }
}
