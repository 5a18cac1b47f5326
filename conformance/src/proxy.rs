//! A fault-injecting RESP proxy: forwards every command to a real server and lets a rewrite
//! function alter chosen replies. Pointed at as the subject, it proves the harness can fail:
//! the planted difference must be found, shrunk and saved.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::ConformError;
use crate::gen::Argv;
use crate::resp::{parse, Conn, ParseError, Reply, Value};

/// Decides a reply's bytes: `Some(bytes)` replaces the upstream reply for this command.
pub type Rewrite = Arc<dyn Fn(&[Vec<u8>], &Reply) -> Option<Vec<u8>> + Send + Sync>;
/// Alters a command before it is forwarded (the client still sees its own command's reply).
pub type RequestRewrite = Arc<dyn Fn(&mut Argv) + Send + Sync>;

/// A running proxy; dropping it stops accepting connections.
pub struct FaultProxy {
    /// `host:port` clients connect to.
    pub addr: String,
    stop: Arc<AtomicBool>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(&self.addr);
    }
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`, applying `rewrite`.
    pub fn start(upstream: &str, rewrite: Rewrite) -> Result<FaultProxy, ConformError> {
        FaultProxy::start_with(upstream, Arc::new(|_: &mut Argv| {}), rewrite)
    }

    /// Like `start`, also altering each command with `request` before forwarding it.
    pub fn start_with(upstream: &str, request: RequestRewrite, rewrite: Rewrite) -> Result<FaultProxy, ConformError> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| ConformError::io("binding the proxy", e))?;
        let addr = listener.local_addr().map_err(|e| ConformError::io("proxy address", e))?.to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let (stop_flag, upstream) = (stop.clone(), upstream.to_string());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop_flag.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let (upstream, request, rewrite) = (upstream.clone(), request.clone(), rewrite.clone());
                std::thread::spawn(move || {
                    let _ = serve(client, &upstream, &request, &rewrite);
                });
            }
        });
        Ok(FaultProxy { addr, stop })
    }
}

/// Forwards one client's commands one at a time until it disconnects.
fn serve(
    mut client: TcpStream,
    upstream: &str,
    request: &RequestRewrite,
    rewrite: &Rewrite,
) -> Result<(), ConformError> {
    let mut server = Conn::connect(upstream)?;
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let (parsed, used) = match parse(&buf) {
            Ok(parsed) => parsed,
            Err(ParseError::Incomplete) => {
                let n = client.read(&mut chunk).map_err(|e| ConformError::io("proxy read", e))?;
                if n == 0 {
                    return Ok(());
                }
                buf.extend_from_slice(&chunk[..n]);
                continue;
            }
            Err(ParseError::Invalid(detail)) => {
                return Err(ConformError::Protocol { peer: "proxy client".into(), detail })
            }
        };
        buf.drain(..used);
        let argv: Argv =
            parsed.elements().unwrap_or(&[]).iter().filter_map(|v| v.bytes().map(<[u8]>::to_vec)).collect();
        let mut forwarded = argv.clone();
        request(&mut forwarded);
        let reply =
            server.call(&forwarded).unwrap_or_else(|e| Reply::from_value(Value::Error(e.to_string().into_bytes())));
        let bytes = rewrite(&argv, &reply).unwrap_or(reply.raw);
        client.write_all(&bytes).map_err(|e| ConformError::io("proxy write", e))?;
    }
}
