//! The production shell: drives a `Node` with tokio, TCP, TLS and unix sockets and the real
//! clock.
//!
//! Threading model: one thread runs the node and every socket (a tokio current-thread runtime with
//! a `LocalSet`), as Redis runs commands on one thread. Commands on one keyspace are serialised
//! anyway, and a single thread keeps the node free of locks and the shell free of cross-thread
//! hand-offs on the hot path: a read is parsed, executed and its reply queued without leaving the
//! thread. The shell only moves bytes and arms the timer; every decision is the node's.

pub mod alloc;
mod disk;
mod log;
mod process;
mod stream;
pub mod tls;

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use std::io::{Read, Write};

use tokio::io::unix::AsyncFd;
use tokio::net::{TcpListener, TcpStream, UnixListener};
use tokio::sync::Notify;

use crate::config::Config;
use crate::node::{Action, ClientId, Node, ProcessProbe, Stopwatch, Time};
pub use log::Logger;

/// Read buffer size per connection read call.
const READ_CHUNK_BYTES: usize = 16 * 1024;

/// Replies waiting to be written to one connection.
#[derive(Default)]
struct Outbox {
    chunks: VecDeque<Vec<u8>>,
    /// Close once the chunks are written.
    close: bool,
    /// Close now, unwritten chunks dropped (the node closed a client over its output limit).
    dropped: bool,
}

struct Conn {
    outbox: Rc<RefCell<Outbox>>,
    wake: Rc<Notify>,
}

/// The shell's state, shared by the tasks of the one runtime thread.
struct Shell {
    node: RefCell<Node>,
    conns: RefCell<HashMap<ClientId, Conn>>,
    origin: Instant,
    logger: Logger,
    exit: RefCell<Option<i32>>,
    exit_wake: Notify,
    timer_wake: Notify,
    timer_armed_us: std::cell::Cell<u64>,
    disk: RefCell<disk::Disk>,
}

impl Shell {
    /// Tells the node a connection from `peer` (on local address `local`) opened, and keeps its
    /// outbox: the caller spawns the task that serves it, then drains the node's actions.
    fn register(&self, peer: String, local: String) -> (ClientId, Rc<RefCell<Outbox>>, Rc<Notify>) {
        let now = self.now();
        let id = self.node.borrow_mut().handle_connect(now, peer, local);
        let conn = Conn { outbox: Rc::default(), wake: Rc::new(Notify::new()) };
        let (outbox, wake) = (conn.outbox.clone(), conn.wake.clone());
        self.conns.borrow_mut().insert(id, conn);
        (id, outbox, wake)
    }

    /// Tells the node connection `id` ended, and forgets it.
    fn unregister(&self, id: ClientId) {
        let now = self.now();
        self.node.borrow_mut().handle_disconnect(now, id);
        self.conns.borrow_mut().remove(&id);
        self.drain_actions(None);
    }

    fn now(&self) -> Time {
        let unix = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970");
        Time {
            unix_us: unix.as_micros() as i64,
            mono_us: self.origin.elapsed().as_micros() as u64,
            stopwatch: Stopwatch(process::clock_us),
        }
    }

    /// Carries out every action the node has queued. `current` is the connection whose task is
    /// calling: it flushes its own outbox next, so it needs no wake-up.
    fn drain_actions(&self, current: Option<ClientId>) {
        loop {
            let Some(action) = self.node.borrow_mut().poll_action() else { break };
            match action {
                Action::Send { client, bytes } => {
                    if let Some(conn) = self.conns.borrow().get(&client) {
                        conn.outbox.borrow_mut().chunks.push_back(bytes);
                        if current != Some(client) {
                            conn.wake.notify_one();
                        }
                    }
                }
                Action::Close { client } => {
                    if let Some(conn) = self.conns.borrow_mut().remove(&client) {
                        conn.outbox.borrow_mut().close = true;
                        if current != Some(client) {
                            conn.wake.notify_one();
                        }
                    }
                }
                Action::Drop { client } => {
                    if let Some(conn) = self.conns.borrow_mut().remove(&client) {
                        let mut outbox = conn.outbox.borrow_mut();
                        outbox.dropped = true;
                        outbox.chunks.clear();
                        // Even the calling task may be waiting in a write to this connection.
                        conn.wake.notify_one();
                    }
                }
                Action::Log { level, message } => self.logger.log(level, &message),
                // DEBUG SLEEP: Redis blocks its whole event loop; so does this one thread.
                Action::Pause { duration_us } => std::thread::sleep(std::time::Duration::from_micros(duration_us)),
                Action::Exit { code } => {
                    *self.exit.borrow_mut() = Some(code);
                    self.exit_wake.notify_one();
                }
                Action::Disk { id, op } => {
                    let result = self.disk.borrow_mut().run(id, op);
                    if let Some(result) = result {
                        let now = self.now();
                        self.node.borrow_mut().handle_disk(now, id, result);
                    }
                }
            }
        }
        // Re-arm the timer only when the node now wants an earlier tick than the one armed.
        if self.node.borrow().poll_timeout() < self.timer_armed_us.get() {
            self.timer_wake.notify_one();
        }
    }
}

/// Runs the server until it asks to exit; returns the process exit code.
pub fn run(config: Config, logger: Logger) -> anyhow::Result<i32> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, serve(config, logger))
}

async fn serve(config: Config, logger: Logger) -> anyhow::Result<i32> {
    let tls_port: u16 = config.get_by_name("tls-port").parse().unwrap_or(0);
    let tls_context = if tls_port != 0 {
        let settings = tls::TlsSettings::from_config(&config);
        match settings.server_config() {
            Ok(context) => Some(Rc::new(RefCell::new((settings, context)))),
            Err(e) => {
                logger.log(crate::node::LogLevel::Warning, &e);
                logger.log(crate::node::LogLevel::Warning, "Failed to configure TLS. Check logs for more info.");
                return Ok(1);
            }
        }
    } else {
        None
    };
    let mut listeners = Vec::new();
    for (port, kind) in [(config.port, "tcp"), (tls_port, "tls")] {
        if port == 0 {
            continue;
        }
        for (addr, optional) in listen_addrs(&config, port) {
            match bind(addr) {
                Ok(l) => listeners.push((l, kind == "tls")),
                // Redis skips an optional address only when the system lacks it (no IPv6, no
                // such interface); any other failure (the port is taken) stays fatal.
                Err(e) if optional && is_missing_address(&e) => {
                    logger.log(crate::node::LogLevel::Verbose, &format!("Skipping optional address {addr}: {e}"));
                }
                Err(e) => {
                    logger.log(
                        crate::node::LogLevel::Warning,
                        &format!("Warning: Could not create server TCP listening socket {addr}: {e}"),
                    );
                    logger.log(
                        crate::node::LogLevel::Warning,
                        &format!("Failed listening on port {port} ({kind}), aborting."),
                    );
                    return Ok(1);
                }
            }
        }
    }
    let unix_listener = match unix_listener(&config) {
        Ok(l) => l,
        Err(e) => {
            logger.log(crate::node::LogLevel::Warning, &e);
            return Ok(1);
        }
    };
    if listeners.is_empty() && unix_listener.is_none() {
        logger.log(crate::node::LogLevel::Warning, "Configured to not listen anywhere, exiting.");
        return Ok(1);
    }
    let origin = Instant::now();
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
        ^ u64::from(std::process::id()).rotate_left(32);
    let mut node = Node::new(config, seed, Time { unix_us: 0, mono_us: 0, stopwatch: Stopwatch::FROZEN });
    node.set_process(process::info(), ProcessProbe { sample: process::sample });
    node.set_tls_check(tls::check);
    let (fsync_done, mut fsync_results) = tokio::sync::mpsc::unbounded_channel();
    let shell = Rc::new(Shell {
        node: RefCell::new(node),
        conns: RefCell::new(HashMap::new()),
        origin,
        logger,
        exit: RefCell::new(None),
        exit_wake: Notify::new(),
        timer_wake: Notify::new(),
        timer_armed_us: std::cell::Cell::new(0),
        disk: RefCell::new(disk::Disk::new(fsync_done)),
    });
    {
        let now = shell.now();
        shell.node.borrow_mut().handle_start(now);
        shell.drain_actions(None);
    }
    for (listener, is_tls) in listeners {
        let tls = if is_tls { tls_context.clone() } else { None };
        tokio::task::spawn_local(accept_loop(shell.clone(), listener, tls));
    }
    let unix_path = unix_listener.as_ref().map(|(_, path)| path.clone());
    if let Some((listener, path)) = unix_listener {
        tokio::task::spawn_local(stream::unix_accept_loop(shell.clone(), listener, path));
    }
    tokio::task::spawn_local(timer_loop(shell.clone()));
    tokio::task::spawn_local(signal_loop(shell.clone()));
    let fsync_shell = shell.clone();
    tokio::task::spawn_local(async move {
        while let Some((id, result)) = fsync_results.recv().await {
            let now = fsync_shell.now();
            fsync_shell.node.borrow_mut().handle_disk(now, id, result);
            fsync_shell.drain_actions(None);
        }
    });
    loop {
        if let Some(code) = *shell.exit.borrow() {
            // Redis removes its unix socket file on shutdown.
            if let Some(path) = &unix_path {
                let _ = std::fs::remove_file(path);
            }
            return Ok(code);
        }
        shell.exit_wake.notified().await;
    }
}

/// A listening socket; IPv6 sockets are IPv6-only (as Redis sets them) so `*` and `::*` can share
/// a port.
fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(511)?;
    TcpListener::from_std(socket.into())
}

/// The socket addresses `bind` names on `port` (`*` = every IPv4 address, `::*` = every IPv6
/// address), each with whether it is optional (a leading `-`, as in redis.conf: failing to bind
/// it is not fatal).
fn listen_addrs(config: &Config, port: u16) -> Vec<(SocketAddr, bool)> {
    config
        .bind
        .iter()
        .flat_map(|b| b.split_whitespace())
        .filter_map(|b| {
            let optional = b.starts_with('-');
            let ip = match b.trim_start_matches('-') {
                "*" => "0.0.0.0",
                "::*" => "::",
                other => other,
            };
            ip.parse().ok().map(|ip| (SocketAddr::new(ip, port), optional))
        })
        .collect()
}

/// True for the errors Redis treats as "this address does not exist here".
fn is_missing_address(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc::ENOPROTOOPT
                | libc::EPROTONOSUPPORT
                | libc::ESOCKTNOSUPPORT
                | libc::EPFNOSUPPORT
                | libc::EAFNOSUPPORT
                | libc::EADDRNOTAVAIL
        )
    )
}

/// The `unixsocket` listener and its path, when one is configured: a stale socket file is
/// removed first and `unixsocketperm` (when not 0) set on the new one, as Redis does.
fn unix_listener(config: &Config) -> Result<Option<(UnixListener, String)>, String> {
    let path = config.get_by_name("unixsocket");
    if path.is_empty() {
        return Ok(None);
    }
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).map_err(|e| format!("Failed opening Unix socket: {e}"))?;
    let perm = u32::from_str_radix(&config.get_by_name("unixsocketperm"), 8).unwrap_or(0);
    if perm != 0 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(perm))
            .map_err(|e| format!("Failed opening Unix socket: {e}"))?;
    }
    Ok(Some((listener, path)))
}

/// The TLS settings a listener's context was built from, and the context: rebuilt on accept
/// when CONFIG SET changed a TLS option (Redis reloads its context then).
type TlsContext = Rc<RefCell<(tls::TlsSettings, Arc<rustls::ServerConfig>)>>;

async fn accept_loop(shell: Rc<Shell>, listener: TcpListener, tls: Option<TlsContext>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let local = stream.local_addr().map(|a| a.to_string()).unwrap_or_default();
                if let Some(tls) = &tls {
                    let context = current_tls_context(&shell, tls);
                    tokio::task::spawn_local(stream::tls_handshake(shell.clone(), stream, context, peer, local));
                    continue;
                }
                let (id, outbox, wake) = shell.register(peer.to_string(), local);
                tokio::task::spawn_local(connection(shell.clone(), id, stream, outbox, wake));
                shell.drain_actions(None);
            }
            Err(e) => shell.logger.log(crate::node::LogLevel::Warning, &format!("Accepting client connection: {e}")),
        }
    }
}

/// The TLS context to accept with: rebuilt first when the node's TLS options differ from the
/// ones it was built from. CONFIG SET already checked that they load; should the files have
/// changed since, the old context stays and the failure is logged.
fn current_tls_context(shell: &Shell, tls: &TlsContext) -> Arc<rustls::ServerConfig> {
    let settings = tls::TlsSettings::from_config(shell.node.borrow().config());
    let mut current = tls.borrow_mut();
    if current.0 != settings {
        match settings.server_config() {
            Ok(context) => *current = (settings, context),
            Err(e) => {
                shell
                    .logger
                    .log(crate::node::LogLevel::Warning, &format!("Failed to reload the TLS configuration: {e}"));
                current.0 = settings;
            }
        }
    }
    current.1.clone()
}

/// One connection's task: reads feed the node; whatever the node queued for this connection
/// (the replies to this read, or output another client's command produced for it) is written from
/// this same task, so a request-reply round trip costs no task switch.
///
/// The socket is driven through `AsyncFd` rather than `TcpStream` so that a read which returns
/// less than the buffer can mark the socket drained: the next read then waits for epoll instead of
/// trying (and failing with EAGAIN) first. That saves one syscall per request, as Redis's event
/// loop does. It is sound because readiness is edge-triggered and this runtime has one thread:
/// bytes arriving after the read raise a new edge that the reactor records after we clear.
async fn connection(shell: Rc<Shell>, id: ClientId, stream: TcpStream, outbox: Rc<RefCell<Outbox>>, wake: Rc<Notify>) {
    let socket = stream.into_std().and_then(|std_stream| {
        // SAFETY: the AsyncFd owns the TcpStream, whose fd stays open and unchanged until the
        // AsyncFd (and the stream inside it) is dropped.
        unsafe { AsyncFd::register(std_stream) }.map_err(|e| e.into_parts().1)
    });
    let mut buf = vec![0u8; READ_CHUNK_BYTES];
    'serve: while let Ok(socket) = &socket {
        tokio::select! {
            ready = socket.readable() => {
                let Ok(mut guard) = ready else { break 'serve };
                match guard.try_io(|s| s.get_ref().read(&mut buf)) {
                    Err(_would_block) => continue,
                    Ok(Ok(0) | Err(_)) => break 'serve,
                    Ok(Ok(n)) => {
                        if n < buf.len() {
                            guard.clear_ready();
                        }
                        let now = shell.now();
                        shell.node.borrow_mut().handle_input(now, id, &buf[..n]);
                        shell.drain_actions(Some(id));
                    }
                }
            }
            _ = wake.notified() => {}
        }
        loop {
            let (chunk, close, dropped) = {
                let mut ob = outbox.borrow_mut();
                (ob.chunks.pop_front(), ob.close, ob.dropped)
            };
            if dropped {
                // The node dropped this connection and already forgot it: the socket closes
                // as it goes out of scope, unwritten output with it.
                return;
            }
            match chunk {
                Some(bytes) => {
                    if write_all(&shell, id, socket, &bytes, &outbox, &wake).await.is_err() {
                        if outbox.borrow().dropped {
                            return;
                        }
                        break 'serve;
                    }
                }
                None if close => {
                    // The node closed this connection and already forgot it.
                    let _ = socket.get_ref().shutdown(std::net::Shutdown::Write);
                    return;
                }
                None => break,
            }
        }
    }
    shell.unregister(id);
}

/// Writes all of `bytes` to connection `id`, telling the node what each write took
/// (`handle_sent`), and waiting for the socket to drain when its send buffer is full. Gives up
/// with an error when the node drops the connection meanwhile (a peer that stopped reading
/// must not hold its output here).
async fn write_all(
    shell: &Shell,
    id: ClientId,
    socket: &AsyncFd<std::net::TcpStream>,
    mut bytes: &[u8],
    outbox: &RefCell<Outbox>,
    wake: &Notify,
) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let mut guard = tokio::select! {
            // Writability first: on the common path the socket takes the bytes at once and the
            // wake-up is never polled (no waiter registered).
            biased;
            guard = socket.writable() => guard?,
            // Other wake-ups (more output queued) are served once this chunk is written.
            _ = wake.notified() => {
                if outbox.borrow().dropped {
                    return Err(std::io::ErrorKind::ConnectionAborted.into());
                }
                continue;
            }
        };
        if let Ok(written) = guard.try_io(|s| s.get_ref().write(bytes)) {
            let written = written?;
            bytes = &bytes[written..];
            let now = shell.now();
            shell.node.borrow_mut().handle_sent(now, id, written);
        }
    }
    Ok(())
}

async fn timer_loop(shell: Rc<Shell>) {
    loop {
        let deadline_us = shell.node.borrow().poll_timeout();
        let now_us = shell.now().mono_us;
        shell.timer_armed_us.set(deadline_us);
        if deadline_us > now_us {
            let wait = std::time::Duration::from_micros(deadline_us - now_us);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shell.timer_wake.notified() => continue,
            }
        } else {
            // Due now (a snapshot's next step): let the sockets' tasks run first, so a long
            // snapshot proceeds between client requests instead of before them.
            tokio::task::yield_now().await;
        }
        let now = shell.now();
        shell.node.borrow_mut().handle_timer(now);
        shell.drain_actions(None);
    }
}

async fn signal_loop(shell: Rc<Shell>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        return;
    };
    loop {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        let now = shell.now();
        shell.node.borrow_mut().handle_signal(now, name);
        shell.drain_actions(None);
    }
}
