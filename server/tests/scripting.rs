//! Lua scripting with real connections: a corpus of real-world scripts (redis-py's Lock
//! release/extend/reacquire, the Redlock compare-and-delete, a rate limiter, a queue move,
//! counters), error paths, the sandbox, the conversions in RESP2 and RESP3, and the script
//! cache, each sent to verdis and to real Redis side by side with the replies compared byte for
//! byte; then the AOF a script's writes reach, and its replay after a restart, on each backend.

mod common;

use common::{read_reply, resp_command, same_replies, Backend, Raw, Server};

/// redis-py 8.2's `Lock.LUA_RELEASE_SCRIPT`.
const LOCK_RELEASE: &str = "
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        redis.call('del', KEYS[1])
        return 1
    ";

/// redis-py 8.2's `Lock.LUA_EXTEND_SCRIPT`.
const LOCK_EXTEND: &str = "
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        local expiration = redis.call('pttl', KEYS[1])
        if not expiration then
            expiration = 0
        end
        if expiration < 0 then
            return 0
        end

        local newttl = ARGV[2]
        if ARGV[3] == \"0\" then
            newttl = ARGV[2] + expiration
        end
        if tonumber(newttl) <= 0 then
            return 1
        end
        redis.call('pexpire', KEYS[1], newttl)
        return 1
    ";

/// redis-py 8.2's `Lock.LUA_REACQUIRE_SCRIPT`.
const LOCK_REACQUIRE: &str = "
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        if tonumber(ARGV[2]) > 0 then
            redis.call('pexpire', KEYS[1], ARGV[2])
        end
        return 1
    ";

/// Whether the key's PTTL is within ARGV[1]..=ARGV[2] (a TTL read exactly would race the clock).
const PTTL_WITHIN: &str =
    "local t = redis.call('pttl', KEYS[1]) return t >= tonumber(ARGV[1]) and t <= tonumber(ARGV[2])";

/// The Redlock algorithm's release: delete the key only if it holds our value.
const REDLOCK_RELEASE: &str =
    "if redis.call(\"get\",KEYS[1]) == ARGV[1] then return redis.call(\"del\",KEYS[1]) else return 0 end";

/// A fixed-window rate limiter: the count, and whether the limit is passed.
const RATE_LIMIT: &str = "
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if current > tonumber(ARGV[2]) then return {current, 0} end
return {current, 1}";

/// A reliable queue's move: take a job from `pending`, park it in `processing`, and record its
/// deadline in a sorted set (as job queues such as BullMQ do with undeclared keys).
const QUEUE_MOVE: &str = "
local job = redis.call('RPOPLPUSH', KEYS[1], KEYS[2])
if not job then return false end
redis.call('ZADD', 'deadlines', ARGV[1], job)
return job";

#[test]
fn real_world_scripts_match_redis() {
    // Proves the corpus's replies equal Redis 7.0.15's: the redis-py lock cycle (acquire, extend
    // by the wrong and the right token, reacquire, release), Redlock's compare-and-delete, the
    // rate limiter across its limit, the queue move writing an undeclared key, counters, and
    // EVALSHA of the cached bodies.
    let (v, r) = (Server::start(Backend::Verdis), Server::start(Backend::Redis));
    let (mut verdis, mut redis) = (v.raw(), r.raw());
    same_replies(
        &mut verdis,
        &mut redis,
        &[
            &["SET", "lock", "tok1", "NX", "PX", "100000"],
            &["EVAL", LOCK_EXTEND, "1", "lock", "wrong", "5000", "0"],
            &["EVAL", LOCK_EXTEND, "1", "lock", "tok1", "100000", "0"],
            &["EVAL", PTTL_WITHIN, "1", "lock", "150000", "200000"],
            &["EVAL", LOCK_EXTEND, "1", "lock", "tok1", "300000", "1"],
            &["EVAL", PTTL_WITHIN, "1", "lock", "250000", "300000"],
            &["EVAL", LOCK_REACQUIRE, "1", "lock", "tok1", "50000"],
            &["EVAL", PTTL_WITHIN, "1", "lock", "40000", "50000"],
            &["EVAL", LOCK_RELEASE, "1", "lock", "wrong"],
            &["EVAL", LOCK_RELEASE, "1", "lock", "tok1"],
            &["EXISTS", "lock"],
            &["EVAL", LOCK_RELEASE, "1", "lock", "tok1"],
            &["EVAL", LOCK_EXTEND, "1", "lock", "tok1", "100", "0"],
            &["SET", "resource", "my_random_value"],
            &["EVAL", REDLOCK_RELEASE, "1", "resource", "other"],
            &["EVAL", REDLOCK_RELEASE, "1", "resource", "my_random_value"],
            &["EVAL", RATE_LIMIT, "1", "rate:user1", "60", "2"],
            &["EVAL", RATE_LIMIT, "1", "rate:user1", "60", "2"],
            &["EVAL", RATE_LIMIT, "1", "rate:user1", "60", "2"],
            &["TTL", "rate:user1"],
            &["RPUSH", "pending", "job1", "job2"],
            &["EVAL", QUEUE_MOVE, "2", "pending", "processing", "1700000000"],
            &["EVAL", QUEUE_MOVE, "2", "pending", "processing", "1700000001"],
            &["EVAL", QUEUE_MOVE, "2", "pending", "processing", "1700000002"],
            &["LRANGE", "processing", "0", "-1"],
            &["ZRANGE", "deadlines", "0", "-1", "WITHSCORES"],
            &["EVAL", "return redis.call('INCRBY', KEYS[1], ARGV[1])", "1", "counter", "5"],
            &[
                "EVAL",
                "return {redis.call('HINCRBY', KEYS[1], 'a', 1), redis.call('HINCRBYFLOAT', KEYS[1], 'b', '1.5')}",
                "1",
                "h",
            ],
            &["SCRIPT", "LOAD", LOCK_RELEASE],
            &["EVALSHA", "c3f8721cbb97f72bc19e972846bd7aaf91901658", "1", "lock", "x"],
            &[
                "SCRIPT",
                "EXISTS",
                "C3F8721CBB97F72BC19E972846BD7AAF91901658",
                "ffffffffffffffffffffffffffffffffffffffff",
            ],
        ],
    );
}

#[test]
fn errors_and_sandbox_match_redis() {
    // Proves Redis 7.0.15's error replies: compile errors, runtime errors with their
    // `script: <sha>, on @user_script:<line>.` decoration (tail calls included), redis.call's
    // refusals (unknown command, arity, noscript, writes from read-only scripts, bad arguments),
    // pcall's error tables, error_reply/status_reply, the read-only globals and tables, removed
    // globals, shebang errors and the _RO commands, EVAL's argument errors and NOSCRIPT.
    let (v, r) = (Server::start(Backend::Verdis), Server::start(Backend::Redis));
    let (mut verdis, mut redis) = (v.raw(), r.raw());
    same_replies(
        &mut verdis,
        &mut redis,
        &[
            &["EVAL", "return +", "0"],
            &["EVAL", "return 1 end", "0"],
            &["EVAL", "return select('#', ...)", "0"],
            &["EVAL", "#!lua\nlocal a =\nreturn", "0"],
            &["EVAL", "\u{e9}(", "0"],
            &["EVAL", "return x", "0"],
            &["EVAL", "x = 1", "0"],
            &["EVAL", "local function f() y = 1 end f() return 1", "0"],
            &["EVAL", "rawset(_G, 'y', 1)", "0"],
            &["EVAL", "setmetatable(_G, nil)", "0"],
            &["EVAL", "redis.call = nil", "0"],
            &["EVAL", "string.foo = 1", "0"],
            &["EVAL", "getmetatable('').__index.upper = 1", "0"],
            &["EVAL", "return {type(os), type(io)}", "0"],
            &["EVAL", "return print", "0"],
            &["EVAL", "return loadfile", "0"],
            &["EVAL", "return debug", "0"],
            &["EVAL", "return loadstring('x = 1')()", "0"],
            &["EVAL", "local t = {} for k in pairs(redis) do t[#t+1] = k end table.sort(t) return t", "0"],
            &["EVAL", "KEYS[1] = 'changed' return KEYS[1]", "1", "k"],
            &["EVAL", "return getmetatable(redis)", "0"],
            &["EVAL", "return getmetatable(_G) ~= nil", "0"],
            &["EVAL", "return {next(redis) ~= nil, rawget(redis, 'call') ~= nil, rawget(_G, 'nope')}", "0"],
            &["EVAL", "local n = 0 for _, v in ipairs({1, 2, 3}) do n = n + v end return n", "0"],
            &["EVAL", "return load('return 1')", "0"],
            &["EVAL", "return loadstring('return 5')()", "0"],
            &["EVAL", "return loadstring()", "0"],
            &["EVAL", "return {err='cut\\0here'}", "0"],
            &["EVAL", "local ok, e = pcall(error, {err='tbl'}) return e", "0"],
            &["EVAL", "return xpcall(function() error('x') end, function(e) return 'handled: ' .. e end)", "0"],
            &["EVAL", "error('boom')", "0"],
            &["EVAL", "error('boom', 0)", "0"],
            &["EVAL", "error({err='CUSTOM boom'})", "0"],
            &["EVAL", "\n\nreturn nil + 1", "0"],
            &["EVAL", "return redis.call('nosuch')", "0"],
            &["EVAL", "local f = function() return redis.call('nosuch') end return f()", "0"],
            &["EVAL", "\nreturn redis.call('get')", "0"],
            &["EVAL", "return redis.call('subscribe', 'x')", "0"],
            &["EVAL", "return redis.call('eval', 'return 1', '0')", "0"],
            &["EVAL", "return redis.call()", "0"],
            &["EVAL", "return redis.call('get', {})", "0"],
            &["EVAL", "return redis.pcall('get')", "0"],
            &["SET", "str", "x"],
            &["EVAL", "return redis.call('incr', 'str')", "0"],
            &["EVAL", "return redis.pcall('incr', 'str')", "0"],
            &["EVAL", "local r = redis.pcall('incr', 'str') return r.err", "0"],
            &["EVAL", "local ok, e = pcall(redis.call, 'incr', 'str') return {tostring(ok), e}", "0"],
            &["EVAL", "return redis.call('lpush', 'str', 'x')", "0"],
            &["EVAL", "return redis.error_reply('MY oops')", "0"],
            &["EVAL", "return redis.error_reply('oops')", "0"],
            &["EVAL", "return redis.error_reply(1)", "0"],
            &["EVAL", "return {err='no code'}", "0"],
            &["EVAL", "return redis.status_reply('fine')", "0"],
            &["EVAL", "return {ok='a\\r\\nb'}", "0"],
            &["EVAL", "return redis.sha1hex('')", "0"],
            &["EVAL", "return redis.sha1hex()", "0"],
            &["EVAL", "return redis.setresp(4)", "0"],
            &["EVAL", "return redis.log('x')", "0"],
            &["EVAL", "return redis.log(9, 'x')", "0"],
            &["EVAL", "return redis.set_repl(7)", "0"],
            &["EVAL", "return {redis.replicate_commands(), redis.breakpoint(), redis.debug('x')}", "0"],
            &["EVAL", "return {redis.REPL_ALL, redis.REPL_AOF, redis.REPL_NONE, redis.LOG_WARNING, redis.REDIS_VERSION}", "0"],
            &["EVAL", "return math.random(0)", "0"],
            &["EVAL", "return math.random(1, 2, 3)", "0"],
            &["EVAL", "return math.randomseed()", "0"],
            &["EVAL", "return pairs(nil)", "0"],
            &["EVAL_RO", "return redis.call('set', 'k', 'v')", "0"],
            &["EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'k', 'v')", "0"],
            &["EVAL", "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn redis.call('get', 'k')", "0"],
            &["EVAL", "#!lua\nreturn redis.call('set', 'k', 'v')", "0"],
            &["EVAL_RO", "#!lua\nreturn 1", "0"],
            &["EVAL", "#!lua flags=bad\nreturn 1", "0"],
            &["EVAL", "#!lua name=lib\nreturn 1", "0"],
            &["EVAL", "#!luajit\nreturn 1", "0"],
            &["EVAL", "#!lua", "0"],
            &["EVAL", "return 1", "x"],
            &["EVAL", "return 1", "-1"],
            &["EVAL", "return 1", "2", "a"],
            &["EVALSHA", "abc", "0"],
            &["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
            &["SCRIPT", "LOAD", "return +"],
            &["SCRIPT", "FLUSH", "x"],
            &["SCRIPT", "KILL"],
            &["SCRIPT", "HELP"],
            &["SCRIPT", "NOPE"],
        ],
    );
}

#[test]
fn conversions_match_redis() {
    // Proves Redis 7.0.15's conversions both ways in RESP2 and RESP3 (the client's protocol and
    // the script's `redis.setresp`): integers, truncated floats, booleans, nil, arrays stopping
    // at the first nil, nested tables, status/error tables, the RESP3 types (map, set, double,
    // big number, verbatim), numbers as command arguments, SELECT inside a script, and
    // math.random's sequence after a seed.
    let (v, r) = (Server::start(Backend::Verdis), Server::start(Backend::Redis));
    let (mut verdis, mut redis) = (v.raw(), r.raw());
    let rows: &[&[&str]] = &[
        &["HSET", "h", "f", "v"],
        &["SADD", "s", "m"],
        &["ZADD", "z", "1.5", "m"],
        &["EVAL", "return {1, 2.9, -3.7, 'x', true, false, nil, 'after nil'}", "0"],
        &["EVAL", "return {{1, {2, {3}}}, {}, 1e20, 0/0}", "0"],
        &["EVAL", "return {1, 2, [4]=4}", "0"],
        &["EVAL", "redis.call('set', 'nul', 'a\\0b') return redis.call('get', 'nul')", "0"],
        &["EVAL", "return true", "0"],
        &["EVAL", "return false", "0"],
        &["EVAL", "return nil", "0"],
        &["EVAL", "return {double=3.5}", "0"],
        &["EVAL", "return {map={a=1}}", "0"],
        &["EVAL", "return {set={a=true}}", "0"],
        &["EVAL", "return {big_number='12345678901234567890'}", "0"],
        &["EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0"],
        &["EVAL", "redis.setresp(3) return true", "0"],
        &["EVAL", "redis.setresp(3) return false", "0"],
        &["EVAL", "return redis.call('hgetall', 'h')", "0"],
        &["EVAL", "redis.setresp(3) return redis.call('hgetall', 'h')", "0"],
        &["EVAL", "redis.setresp(3) return redis.call('hgetall', 'h').map.f", "0"],
        &["EVAL", "redis.setresp(3) return redis.call('smembers', 's')", "0"],
        &["EVAL", "redis.setresp(3) return redis.call('zscore', 'z', 'm')", "0"],
        &["EVAL", "return redis.call('zscore', 'z', 'm')", "0"],
        &["EVAL", "redis.setresp(3) return {redis.call('get', 'nokey')}", "0"],
        &["EVAL", "return {redis.call('get', 'nokey')}", "0"],
        &["EVAL", "return type(redis.call('get', 'nokey'))", "0"],
        &["EVAL", "redis.setresp(3) return type(redis.call('get', 'nokey'))", "0"],
        &["EVAL", "redis.setresp(3) return redis.call('zrange', 'z', 0, -1, 'withscores')", "0"],
        &["EVAL", "redis.call('set', 'n', 3.5) redis.call('set', 'third', 1/3) return {redis.call('get', 'n'), redis.call('get', 'third')}", "0"],
        &["EVAL", "redis.call('select', 1) redis.call('set', 'in1', 'yes') return redis.call('get', 'in1')", "0"],
        &["GET", "in1"],
        &["EVAL", "math.randomseed(0) local t = {} for i = 1, 4 do t[i] = tostring(math.random()) end return t", "0"],
        &["EVAL", "math.randomseed(-7) return {math.random(1000000), math.random(5, 10), math.random(3)}", "0"],
        &["EVAL", "return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}", "2", "k1", "k2", "a1"],
    ];
    same_replies(&mut verdis, &mut redis, rows);
    // The same rows again with the client in RESP3 (HELLO's own reply holds the client id,
    // which differs between the servers, so it is read and not compared).
    for conn in [&mut verdis, &mut redis] {
        conn.send(&resp_command(&[b"HELLO", b"3"]));
        read_reply(conn);
    }
    same_replies(&mut verdis, &mut redis, rows);
}

/// The lines of the AOF's incr file, CRLF shown as spaces.
fn incr_aof(server: &Server) -> String {
    let incr = std::fs::read(server.dir().join("appendonlydir/appendonly.aof.1.incr.aof")).expect("the incr file");
    String::from_utf8_lossy(&incr).replace("\r\n", " ")
}

fn aof_gets_script_effects(backend: Backend) {
    // Proves a script's writes reach the AOF as the commands it ran (as the script spelled them), once,
    // wrapped in MULTI/EXEC when there are several, bare when there is one, nothing for a
    // read-only script or one whose write changed nothing; a SELECT inside shows in the file;
    // scripts inside a transaction join its one MULTI/EXEC block;
    // and a restart on that AOF replays the same data.
    let server = Server::start_with(backend, &["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = server.raw();
    let eval = |c: &mut Raw, body: &str, expected: &str| {
        c.roundtrip(&resp_command(&[b"EVAL", body.as_bytes(), b"0"]), expected.as_bytes());
    };
    eval(&mut c, "redis.call('set', 'a', '1') redis.call('incr', 'a') return 1", ":1\r\n");
    eval(&mut c, "return redis.call('get', 'a')", "$1\r\n2\r\n");
    eval(&mut c, "return redis.call('set', 'b', 'x')", "+OK\r\n");
    eval(&mut c, "return redis.call('del', 'nokey')", ":0\r\n");
    eval(&mut c, "redis.call('select', 2) redis.call('rpush', 'l', 'x') return 1", ":1\r\n");
    c.step("MULTI", "+OK\r\n");
    eval(&mut c, "return redis.call('set', 'c', '1')", "+QUEUED\r\n");
    eval(&mut c, "return redis.call('get', 'c')", "+QUEUED\r\n");
    eval(&mut c, "return redis.call('set', 'd', '1')", "+QUEUED\r\n");
    c.step("EXEC", "*3\r\n+OK\r\n$1\r\n1\r\n+OK\r\n");
    let text = incr_aof(&server);
    assert_eq!(
        text,
        "*2 $6 SELECT $1 0 *1 $5 MULTI *3 $3 set $1 a $1 1 *2 $4 incr $1 a *1 $4 EXEC *3 $3 set $1 b $1 x \
         *2 $6 SELECT $1 2 *3 $5 rpush $1 l $1 x \
         *2 $6 SELECT $1 0 *1 $5 MULTI *3 $3 set $1 c $1 1 *3 $3 set $1 d $1 1 *1 $4 EXEC "
    );
    // A restart on a copy of that AOF loads the same data.
    let copy = tempfile::Builder::new().prefix("verdis-aof-copy-").tempdir().expect("temp dir");
    std::fs::create_dir(copy.path().join("appendonlydir")).expect("mkdir");
    for entry in std::fs::read_dir(server.dir().join("appendonlydir")).expect("read dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), copy.path().join("appendonlydir").join(entry.file_name())).expect("copy");
    }
    drop(c);
    drop(server);
    let dir = copy.path().to_str().expect("utf-8 path");
    let restarted = Server::start_with(backend, &["--appendonly", "yes", "--dir", dir]);
    let mut c = restarted.raw();
    c.script(&[
        ("GET a", "$1\r\n2\r\n"),
        ("GET b", "$1\r\nx\r\n"),
        ("SELECT 2", "+OK\r\n"),
        ("LRANGE l 0 -1", "*1\r\n$1\r\nx\r\n"),
    ]);
}

fn watch_sees_script_writes(backend: Backend) {
    // Proves a script's write fires another client's WATCH, and a read-only script does not.
    let server = Server::start(backend);
    let (mut watcher, mut other) = (server.raw(), server.raw());
    watcher.step("WATCH k", "+OK\r\n");
    other.roundtrip(&resp_command(&[b"EVAL", b"return redis.call('get', 'k')", b"0"]), b"$-1\r\n");
    watcher.script(&[("MULTI", "+OK\r\n"), ("PING", "+QUEUED\r\n"), ("EXEC", "*1\r\n+PONG\r\n")]);
    watcher.step("WATCH k", "+OK\r\n");
    other.roundtrip(&resp_command(&[b"EVAL", b"return redis.call('set', 'k', 'v')", b"0"]), b"+OK\r\n");
    watcher.script(&[("MULTI", "+OK\r\n"), ("PING", "+QUEUED\r\n"), ("EXEC", "*-1\r\n")]);
}

fn tracking_follows_redis_for_scripts(backend: Backend) {
    // Proves Redis 7.0's tracking of scripts: a read inside a script tracks the keys EVAL
    // declared (not the key read), a script with only writes tracks nothing, EVAL_RO's reads
    // track its declared keys too, and another client's script writing a tracked key invalidates.
    let server = Server::start(backend);
    let (mut a, mut b) = (server.raw(), server.raw());
    a.send(&resp_command(&[b"HELLO", b"3"]));
    read_reply(&mut a);
    a.step("CLIENT TRACKING on", "+OK\r\n");
    a.roundtrip(&resp_command(&[b"EVAL", b"return redis.call('get', 'j')", b"1", b"k"]), b"_\r\n");
    a.roundtrip(&resp_command(&[b"EVAL", b"return redis.call('set', 'x', '1')", b"1", b"y"]), b"+OK\r\n");
    a.roundtrip(&resp_command(&[b"EVAL_RO", b"return redis.call('get', 'z')", b"1", b"w"]), b"_\r\n");
    // Writes to the keys read (j) or declared by the writing script (y) are not tracked: the
    // invalidations that follow are k's and w's only, in order.
    for key in [b"j", b"y", b"k", b"w"] {
        let body = format!("return redis.call('set', '{}', 'v')", key[0] as char);
        b.roundtrip(&resp_command(&[b"EVAL", body.as_bytes(), b"0"]), b"+OK\r\n");
    }
    let push = |key: &str| format!(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\n{key}\r\n");
    let expected = format!("{}{}", push("k"), push("w"));
    a.step("PING", &format!("{expected}+PONG\r\n"));
}

fn client_pause_write_holds_scripts_that_may_write(backend: Backend) {
    // Proves CLIENT PAUSE WRITE holds an EVAL without flags (it may write) until the pause ends,
    // while a `no-writes` script runs at once, as Redis 7.0 admits them.
    let server = Server::start(backend);
    let (mut admin, mut writer, mut reader) = (server.raw(), server.raw(), server.raw());
    admin.step("CLIENT PAUSE 60000 WRITE", "+OK\r\n");
    writer.send(&resp_command(&[b"EVAL", b"return redis.call('set', 'p', '1')", b"0"]));
    let mut held = false;
    for _ in 0..500 {
        admin.send(&resp_command(&[b"CLIENT", b"LIST"]));
        if String::from_utf8_lossy(&read_reply(&mut admin)).contains("flags=b") {
            held = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(held, "the writing script is held by the pause");
    let read = b"#!lua flags=no-writes\nreturn redis.call('get', 'p')";
    reader.roundtrip(&resp_command(&[b"EVAL", read, b"0"]), b"$-1\r\n");
    admin.step("CLIENT UNPAUSE", "+OK\r\n");
    assert_eq!(String::from_utf8_lossy(&read_reply(&mut writer)), "+OK\r\n");
    reader.roundtrip(&resp_command(&[b"EVAL", read, b"0"]), b"$1\r\n1\r\n");
}

fn errorstats_count_script_errors_once(backend: Backend) {
    // Proves INFO errorstats counts an error of a command a script called once (when it fails,
    // even if pcall swallows it, and not again in EVAL's reply), a refusal of redis.call once,
    // and errors of the script itself (runtime, compile, bad arguments, error_reply) at EVAL's
    // reply; and that redis.pcall's error table shows Redis's `ignore_error_stats_update`.
    let server = Server::start(backend);
    let mut c = server.raw();
    c.step("SET str x", "+OK\r\n");
    let bodies: &[&str] = &[
        "return redis.call('incr', 'str')",
        "return redis.pcall('incr', 'str')",
        "local r = redis.pcall('incr', 'str') return 1",
        "return redis.call('nosuch')",
        "error('x')",
        "return +",
        "return redis.call({})",
        "return redis.error_reply('MY x')",
    ];
    for body in bodies {
        c.send(&resp_command(&[b"EVAL", body.as_bytes(), b"0"]));
        read_reply(&mut c);
    }
    c.send(&resp_command(&[b"INFO", b"errorstats"]));
    let info = String::from_utf8_lossy(&read_reply(&mut c)).into_owned();
    assert!(info.contains("errorstat_ERR:count=7\r\nerrorstat_MY:count=1\r\n"), "{info}");
    let keys = b"local t = redis.pcall('incr', 'str') local k = {} for key in pairs(t) do k[#k+1] = key end table.sort(k) return k";
    let expected = "*2\r\n$3\r\nerr\r\n$25\r\nignore_error_stats_update\r\n";
    c.roundtrip(&resp_command(&[b"EVAL", keys, b"0"]), expected.as_bytes());
}

fn keyspace_events_of_a_script_precede_its_reply(backend: Backend) {
    // Proves a RESP3 client subscribed to its own keys' events gets the events of its script's
    // writes before the script's reply, as Redis sends them.
    let server = Server::start(backend);
    let mut c = server.raw();
    c.send(&resp_command(&[b"HELLO", b"3"]));
    read_reply(&mut c);
    c.step("CONFIG SET notify-keyspace-events KEA", "+OK\r\n");
    c.send(&resp_command(&[b"SUBSCRIBE", b"__keyspace@0__:ev"]));
    read_reply(&mut c);
    let body = b"redis.call('set', 'ev', '1') redis.call('lpush', 'other', 'x') return redis.call('incr', 'ev')";
    let event =
        |name: &str| format!(">3\r\n$7\r\nmessage\r\n$17\r\n__keyspace@0__:ev\r\n${}\r\n{name}\r\n", name.len());
    let expected = format!("{}{}:2\r\n", event("set"), event("incrby"));
    c.roundtrip(&resp_command(&[b"EVAL", body, b"0"]), expected.as_bytes());
}

fn blocked_client_wakes_on_script_push(backend: Backend) {
    // Proves a client blocked in BLPOP is served by a script's LPUSH.
    let server = Server::start(backend);
    let (mut blocked, mut pusher) = (server.raw(), server.raw());
    blocked.send(&resp_command(&[b"BLPOP", b"q", b"0"]));
    // The pusher's round trip comes after the BLPOP was read (one connection each, in order
    // of arrival is not guaranteed): wait until the server lists the blocked client.
    for _ in 0..500 {
        pusher.send(&resp_command(&[b"CLIENT", b"LIST"]));
        if String::from_utf8_lossy(&read_reply(&mut pusher)).contains("cmd=blpop") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    pusher.roundtrip(&resp_command(&[b"EVAL", b"return redis.call('lpush', 'q', 'job')", b"0"]), b":1\r\n");
    assert_eq!(String::from_utf8_lossy(&read_reply(&mut blocked)), "*2\r\n$1\r\nq\r\n$3\r\njob\r\n");
}

on_both_backends!(
    aof_gets_script_effects,
    watch_sees_script_writes,
    tracking_follows_redis_for_scripts,
    client_pause_write_holds_scripts_that_may_write,
    errorstats_count_script_errors_once,
    keyspace_events_of_a_script_precede_its_reply,
    blocked_client_wakes_on_script_push,
);
