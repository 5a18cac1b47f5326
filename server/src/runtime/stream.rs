//! Connections over a tokio stream: TLS sessions (tokio-rustls) and unix sockets. The plain TCP
//! path in `mod.rs` drives its socket through `AsyncFd` to save a syscall per request; these
//! streams keep their own buffering (TLS records) and are served through tokio's
//! `AsyncRead`/`AsyncWrite` instead. The node sees the same plaintext bytes either way.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixListener};
use tokio::sync::Notify;

use super::{Outbox, Shell, READ_CHUNK_BYTES};
use crate::node::{ClientId, LogLevel};

/// Completes the TLS handshake of an accepted TCP connection, then serves it. A failed
/// handshake (no client certificate where one is required, an untrusted or expired one, a
/// client speaking plain RESP) is logged as Redis logs it and never reaches the node.
pub async fn tls_handshake(
    shell: Rc<Shell>,
    stream: TcpStream,
    context: Arc<rustls::ServerConfig>,
    peer: SocketAddr,
    local: String,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(context);
    match acceptor.accept(stream).await {
        Ok(tls) => {
            let (id, outbox, wake) = shell.register(peer.to_string(), local);
            shell.drain_actions(None);
            serve(shell, id, tls, outbox, wake).await;
        }
        Err(e) => shell.logger.log(LogLevel::Warning, &format!("Error accepting a client connection: {e}")),
    }
}

/// Accepts clients on the `unixsocket`; they appear to the node as `path:0` (Redis's form).
pub async fn unix_accept_loop(shell: Rc<Shell>, listener: UnixListener, path: String) {
    // Absolute, so the node can tell a unix peer from an IP address (it is local to protected
    // mode and enable-*-command).
    let path = std::path::absolute(&path).map(|p| p.display().to_string()).unwrap_or(path);
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let addr = format!("{path}:0");
                let (id, outbox, wake) = shell.register(addr.clone(), addr);
                tokio::task::spawn_local(serve(shell.clone(), id, stream, outbox, wake));
                shell.drain_actions(None);
            }
            Err(e) => shell.logger.log(LogLevel::Warning, &format!("Accepting client connection: {e}")),
        }
    }
}

/// One connection's task: reads feed the node; what the node queued for this connection is
/// written from this task (as `connection` in `mod.rs` does for plain TCP).
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    shell: Rc<Shell>,
    id: ClientId,
    mut stream: S,
    outbox: Rc<RefCell<Outbox>>,
    wake: Rc<Notify>,
) {
    let mut buf = vec![0u8; READ_CHUNK_BYTES];
    'serve: loop {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => break 'serve,
                Ok(n) => {
                    let now = shell.now();
                    shell.node.borrow_mut().handle_input(now, id, &buf[..n]);
                    shell.drain_actions(Some(id));
                }
            },
            _ = wake.notified() => {}
        }
        loop {
            let (chunk, close, dropped) = {
                let mut ob = outbox.borrow_mut();
                (coalesce(&mut ob.chunks), ob.close, ob.dropped)
            };
            if dropped {
                // The node dropped this connection and already forgot it.
                return;
            }
            match chunk {
                Some(bytes) => {
                    if write_all(&shell, id, &mut stream, &bytes, &outbox, &wake).await.is_err() {
                        if outbox.borrow().dropped {
                            return;
                        }
                        break 'serve;
                    }
                }
                None if close => {
                    // The node closed this connection and already forgot it.
                    let _ = stream.shutdown().await;
                    return;
                }
                None => {
                    if stream.flush().await.is_err() {
                        break 'serve;
                    }
                    break;
                }
            }
        }
    }
    shell.unregister(id);
}

/// Bytes gathered into one write: a TLS record holds at most 16 KiB of plaintext, so a few
/// records' worth per write call keeps the call count low without copying much.
const COALESCE_BYTES_MAX: usize = 64 * 1024;

/// The next chunk to write: the queued chunks joined while they fit in `COALESCE_BYTES_MAX`.
/// Pipelined replies arrive as many small chunks; written one by one over TLS, each would be its
/// own record and its own syscall.
fn coalesce(chunks: &mut std::collections::VecDeque<Vec<u8>>) -> Option<Vec<u8>> {
    let mut first = chunks.pop_front()?;
    while let Some(next) = chunks.front() {
        if first.len() + next.len() > COALESCE_BYTES_MAX {
            break;
        }
        first.extend_from_slice(next);
        chunks.pop_front();
    }
    Some(first)
}

/// Writes all of `bytes`, telling the node what each write took; gives up when the node drops
/// the connection meanwhile (a peer that stopped reading must not hold its output here).
async fn write_all<S: AsyncWrite + Unpin>(
    shell: &Shell,
    id: ClientId,
    stream: &mut S,
    mut bytes: &[u8],
    outbox: &RefCell<Outbox>,
    wake: &Notify,
) -> std::io::Result<()> {
    while !bytes.is_empty() {
        tokio::select! {
            biased;
            written = stream.write(bytes) => {
                let written = written?;
                if written == 0 {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                bytes = &bytes[written..];
                let now = shell.now();
                shell.node.borrow_mut().handle_sent(now, id, written);
            }
            _ = wake.notified() => {
                if outbox.borrow().dropped {
                    return Err(std::io::ErrorKind::ConnectionAborted.into());
                }
            }
        }
    }
    Ok(())
}
