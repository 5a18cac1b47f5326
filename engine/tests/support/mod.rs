//! What the AOF oracle tests share: a real `redis-server` with the AOF on, and the engine driven
//! the way the node drives it, both writing an AOF command stream to compare.
//!
//! The real server listens only on a unix socket inside its own temporary directory, so tests
//! run in parallel without port clashes, and is killed when dropped. A missing `redis-server`
//! fails the test with the fix (`ci/test` installs it): a comparison that runs on one side
//! proves nothing.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use verdis_engine::aof::{write_command, write_select, CommandReader, Manifest, PropagatedOp, Propagation};
use verdis_engine::cmd::ctx::BlockOn;
use verdis_engine::cmd::effects::Touch;
use verdis_engine::cmd::table::lookup_sub;
use verdis_engine::{lookup, CmdError, Ctx, EngineConfig, Handler, Keyspace, Reply, Rng};

/// How long a starting server may take to create its socket.
const START_WAIT_MAX: Duration = Duration::from_secs(10);
/// How often the socket is looked for while the server starts.
const START_POLL: Duration = Duration::from_millis(10);

/// Wall-clock unix milliseconds (the oracle runs on real time, so the engine does too).
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_millis() as i64
}

/// A real `redis-server` with `appendonly yes` in a temporary directory.
pub struct RealRedis {
    child: Child,
    /// The server's `dir` (the AOF lives in `dir/appendonlydir`).
    pub dir: tempfile::TempDir,
    socket: PathBuf,
}

impl RealRedis {
    /// Starts redis-server with the AOF on, `appendfsync always` (the file holds every command
    /// before its reply is sent), DEBUG allowed, plus `extra` options.
    pub fn start(extra: &[&str]) -> RealRedis {
        let dir = tempfile::tempdir().expect("temporary directory");
        let socket = dir.path().join("redis.sock");
        let found = std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join("redis-server").is_file()));
        assert!(found, "redis-server is not on PATH: run ci/test, which installs it (apt-get install redis-server)");
        let mut args: Vec<String> = [
            "--port",
            "0",
            "--unixsocket",
            socket.to_str().expect("utf-8 temp path"),
            "--dir",
            dir.path().to_str().expect("utf-8 temp path"),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--enable-debug-command",
            "yes",
            "--logfile",
            "redis.log",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new("redis-server")
            .args(&args)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let server = RealRedis { child, dir, socket };
        let deadline = std::time::Instant::now() + START_WAIT_MAX;
        while !server.socket.exists() {
            assert!(std::time::Instant::now() < deadline, "redis-server did not start: {}", server.log());
            std::thread::sleep(START_POLL);
        }
        server
    }

    /// A new connection.
    pub fn connect(&self) -> redis::Connection {
        let client = redis::Client::open(format!("unix://{}", self.socket.display())).expect("client");
        // The socket file appears at bind(), a moment before the server listens.
        let deadline = std::time::Instant::now() + START_WAIT_MAX;
        loop {
            match client.get_connection() {
                Ok(con) => return con,
                Err(e) if std::time::Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(START_POLL);
                }
                Err(e) => panic!("connect to redis-server: {e}\n{}", self.log()),
            }
        }
    }

    /// The unix socket the server listens on.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }

    /// `appenddirname`.
    pub fn aof_dir(&self) -> PathBuf {
        self.dir.path().join("appendonlydir")
    }

    /// The manifest as Redis last wrote it.
    pub fn manifest(&self) -> Manifest {
        let bytes = std::fs::read(self.aof_dir().join("appendonly.aof.manifest")).expect("read the manifest");
        Manifest::parse(&bytes).expect("Redis's manifest parses")
    }

    /// The bytes of a file in `appenddirname`.
    pub fn aof_file(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.aof_dir().join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    /// The current incr file's bytes.
    pub fn incr_bytes(&self) -> Vec<u8> {
        let manifest = self.manifest();
        let incr = manifest.incrs().last().expect("an incr file").name.clone();
        self.aof_file(&incr)
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one command; an error reply is returned as `Err` with its text.
pub fn redis_run(con: &mut redis::Connection, argv: &[&[u8]]) -> Result<redis::Value, String> {
    let mut cmd = redis::cmd(std::str::from_utf8(argv[0]).expect("command names are text"));
    for arg in &argv[1..] {
        cmd.arg(*arg);
    }
    cmd.query(con).map_err(|e| e.to_string())
}

/// Splits a command line on spaces.
pub fn words(line: &str) -> Vec<&[u8]> {
    line.split(' ').map(str::as_bytes).collect()
}

/// Every command of an AOF command stream.
pub fn commands(bytes: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut reader = CommandReader::new(bytes);
    let mut out = Vec::new();
    while let Some(next) = reader.next_command() {
        out.push(next.expect("a well-formed AOF").into_iter().map(<[u8]>::to_vec).collect());
    }
    out
}

/// A client parked by a blocking command in the engine harness.
pub struct Parked {
    argv: Vec<Vec<u8>>,
    db: usize,
    block: BlockOn,
}

/// The engine driven as the node drives it for one client: SELECT, MULTI/EXEC, blocking, and
/// the AOF stream its propagation produces (`feedAppendOnlyFile`'s bytes).
pub struct EngineHarness {
    keyspace: Keyspace,
    rng: Rng,
    /// The configuration commands see (planted bugs included).
    pub config: EngineConfig,
    db: usize,
    queued: Option<Vec<Vec<Vec<u8>>>>,
    aof_db: Option<usize>,
    /// The AOF bytes written so far.
    pub aof: Vec<u8>,
    /// The keys the last `run` (every command of an EXEC) or `serve` modified and the events
    /// they raised, in order.
    pub touches: Vec<Touch>,
}

impl Default for EngineHarness {
    fn default() -> Self {
        EngineHarness::new()
    }
}

impl EngineHarness {
    /// Sixteen empty databases, db 0 selected.
    pub fn new() -> EngineHarness {
        let mut rng = Rng::new(11);
        let keyspace = Keyspace::new(16, &mut rng);
        EngineHarness {
            keyspace,
            rng,
            config: EngineConfig::default(),
            db: 0,
            queued: None,
            aof_db: None,
            aof: Vec::new(),
            touches: Vec::new(),
        }
    }

    /// The keyspace, for direct inspection.
    pub fn keyspace(&mut self) -> &mut Keyspace {
        &mut self.keyspace
    }

    /// Runs one command at wall-clock time; a blocking command that would wait is returned as
    /// `Parked` (its reply is not sent).
    pub fn run(&mut self, argv: &[&[u8]]) -> (Result<Reply, CmdError>, Option<Parked>) {
        self.touches.clear();
        let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
        match name.as_str() {
            "select" if self.queued.is_none() => {
                self.db = std::str::from_utf8(argv[1]).expect("text").parse().expect("a db number");
                return (Ok(Reply::Ok), None);
            }
            "multi" => {
                self.queued = Some(Vec::new());
                return (Ok(Reply::Ok), None);
            }
            "exec" => {
                let queued = self.queued.take().expect("EXEC after MULTI");
                let mut unit = Propagation::new();
                let mut replies = Vec::new();
                for argv in queued {
                    let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
                    if argv[0].eq_ignore_ascii_case(b"select") {
                        self.db = std::str::from_utf8(argv[1]).expect("text").parse().expect("a db number");
                        replies.push(Reply::Ok);
                        continue;
                    }
                    let (reply, parked) = self.execute(&argv, &mut unit);
                    assert!(parked.is_none(), "commands in MULTI never block");
                    replies.push(reply.unwrap_or_else(Reply::Error));
                }
                self.feed(unit.finish());
                return (Ok(Reply::Array(replies)), None);
            }
            _ => {}
        }
        if let Some(queue) = &mut self.queued {
            queue.push(argv.iter().map(|a| a.to_vec()).collect());
            return (Ok(Reply::Simple("QUEUED".into())), None);
        }
        let mut unit = Propagation::new();
        let outcome = self.execute(argv, &mut unit);
        self.feed(unit.finish());
        outcome
    }

    /// Serves a parked client from `key`, as the node does once a write readied the key.
    pub fn serve(&mut self, parked: Parked, key: &[u8]) -> Result<Reply, CmdError> {
        let argv: Vec<&[u8]> = parked.argv.iter().map(Vec::as_slice).collect();
        let mut unit = Propagation::new();
        let (reply, propagate) = {
            let mut ctx = ctx(&mut self.keyspace, &mut self.rng, &self.config, parked.db);
            let reply = (parked.block.serve)(&mut ctx, &argv, key).expect("the key holds what the client waits for");
            self.touches = std::mem::take(&mut ctx.touches);
            (reply, ctx.propagate.take())
        };
        unit.add_expired(&mut self.keyspace);
        unit.add_command(parked.db, &argv, propagate, 1);
        self.feed(unit.finish());
        reply
    }

    /// Runs the active expire cycle at `now_ms` and propagates its deletions one by one.
    pub fn active_expire(&mut self, now_ms: i64) {
        verdis_engine::expire::active_expire_cycle(&mut self.keyspace, &self.config, 10, now_ms);
        for op in verdis_engine::aof::expired_deletions(&mut self.keyspace) {
            self.feed(vec![op]);
        }
    }

    fn execute(&mut self, argv: &[&[u8]], unit: &mut Propagation) -> (Result<Reply, CmdError>, Option<Parked>) {
        let mut cmd =
            lookup(argv[0]).unwrap_or_else(|| panic!("unknown command {:?}", String::from_utf8_lossy(argv[0])));
        if let (Handler::Container, Some(sub)) = (cmd.handler, argv.get(1)) {
            cmd =
                lookup_sub(cmd, sub).unwrap_or_else(|| panic!("unknown subcommand {:?}", String::from_utf8_lossy(sub)));
        }
        assert!(cmd.spec.arity_ok(argv.len()), "arity of {:?}", String::from_utf8_lossy(argv[0]));
        let Handler::Engine(f) = cmd.handler else { panic!("{} is not an engine command", cmd.spec.name) };
        let db = self.db;
        let (reply, dirty, propagate, block) = {
            let mut ctx = ctx(&mut self.keyspace, &mut self.rng, &self.config, db);
            let reply = f(&mut ctx, argv);
            self.touches.append(&mut ctx.touches);
            (reply, ctx.dirty, ctx.propagate.take(), ctx.block_on.take())
        };
        unit.add_expired(&mut self.keyspace);
        unit.add_command(db, argv, propagate, dirty);
        let parked = block.map(|block| Parked { argv: argv.iter().map(|a| a.to_vec()).collect(), db, block });
        (reply, parked)
    }

    /// Writes propagated commands as `feedAppendOnlyFile` does: SELECT when the db changes.
    fn feed(&mut self, ops: Vec<PropagatedOp>) {
        for (db, argv) in ops {
            if self.aof_db != Some(db) {
                write_select(&mut self.aof, db);
                self.aof_db = Some(db);
            }
            let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            write_command(&mut self.aof, &argv);
        }
    }
}

/// A command context on `db` at wall-clock time.
fn ctx<'a>(keyspace: &'a mut Keyspace, rng: &'a mut Rng, config: &'a EngineConfig, db: usize) -> Ctx<'a> {
    Ctx::new(keyspace, db, now_ms() * 1000, rng, 2, config, 0)
}

/// Waits until `path` holds at least `len` bytes (a served blocked client's propagation lands a
/// moment after the push's reply).
pub fn wait_for_len(path: &Path, len: usize) {
    for _ in 0..500 {
        if std::fs::metadata(path).map(|m| m.len() as usize).unwrap_or(0) >= len {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{} never reached {len} bytes", path.display());
}
