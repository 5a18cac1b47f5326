//! The production shell: drives a `Node` with tokio, TCP sockets and the real clock.
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

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use std::io::{Read, Write};

use tokio::io::unix::AsyncFd;
use tokio::net::{TcpListener, TcpStream};
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
    let mut listeners = Vec::new();
    for addr in listen_addrs(&config) {
        match bind(addr) {
            Ok(l) => listeners.push(l),
            Err(e) if addr.is_ipv6() && config.bind.iter().any(|b| b.starts_with('-')) => {
                logger.log(crate::node::LogLevel::Verbose, &format!("Skipping optional address {addr}: {e}"));
            }
            Err(e) => {
                logger.log(
                    crate::node::LogLevel::Warning,
                    &format!("Warning: Could not create server TCP listening socket {addr}: {e}"),
                );
                logger.log(crate::node::LogLevel::Warning, "Failed listening on port (tcp), aborting.");
                return Ok(1);
            }
        }
    }
    let origin = Instant::now();
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
        ^ u64::from(std::process::id()).rotate_left(32);
    let mut node = Node::new(config, seed, Time { unix_us: 0, mono_us: 0, stopwatch: Stopwatch::FROZEN });
    node.set_process(process::info(), ProcessProbe { sample: process::sample });
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
    for listener in listeners {
        tokio::task::spawn_local(accept_loop(shell.clone(), listener));
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

/// The socket addresses `bind` names (`*` = every IPv4 address, `::*` = every IPv6 address; a
/// leading `-` marks an address whose failure is not fatal, as in redis.conf).
fn listen_addrs(config: &Config) -> Vec<SocketAddr> {
    config
        .bind
        .iter()
        .flat_map(|b| b.split_whitespace())
        .filter_map(|b| {
            let b = b.trim_start_matches('-');
            let ip = match b {
                "*" => "0.0.0.0",
                "::*" => "::",
                other => other,
            };
            ip.parse().ok().map(|ip| SocketAddr::new(ip, config.port))
        })
        .collect()
}

async fn accept_loop(shell: Rc<Shell>, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let local = stream.local_addr().map(|a| a.to_string()).unwrap_or_default();
                let now = shell.now();
                let id = shell.node.borrow_mut().handle_connect(now, peer.to_string(), local);
                let conn = Conn { outbox: Rc::default(), wake: Rc::new(Notify::new()) };
                let (outbox, wake) = (conn.outbox.clone(), conn.wake.clone());
                shell.conns.borrow_mut().insert(id, conn);
                tokio::task::spawn_local(connection(shell.clone(), id, stream, outbox, wake));
                shell.drain_actions(None);
            }
            Err(e) => shell.logger.log(crate::node::LogLevel::Warning, &format!("Accepting client connection: {e}")),
        }
    }
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
    let now = shell.now();
    shell.node.borrow_mut().handle_disconnect(now, id);
    shell.conns.borrow_mut().remove(&id);
    shell.drain_actions(None);
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
