//! Virtual connections: two FIFO byte streams per connection, with the bookkeeping each end needs
//! (which request ends where in the stream, which replies are owed).

use std::collections::VecDeque;

use verdis_server::node::ClientId;

use super::refusal::ActiveFaults;
use crate::history::OpId;
use crate::resp::ReplyFramer;

/// What travels on a link.
#[derive(Clone, Debug)]
pub enum Chunk {
    /// Stream bytes.
    Data(Vec<u8>),
    /// The sender closed or reset the connection (FIN/RST), after any bytes before it.
    Close,
}

/// One direction of a connection: chunks in flight with their arrival times, in order.
#[derive(Default)]
pub struct Link {
    /// In-flight chunks; arrival times never decrease (TCP keeps order).
    pub queue: VecDeque<(u64, Chunk)>,
    /// Arrival time of the last chunk queued.
    pub last_arrival_us: u64,
}

/// A request the node executed whose reply the world has not yet seen.
pub struct Deferred {
    /// The request.
    pub op: OpId,
    /// The model's reply, as bytes (`None`: not checked).
    pub predicted: Option<Vec<u8>>,
    /// The faults active when it executed (what may explain a refusal).
    pub faults: ActiveFaults,
    /// It was queued in a transaction (a refusal then aborts that transaction).
    pub queued: bool,
}

/// A client's connection to the server.
pub struct Conn {
    /// The client process.
    pub client: usize,
    /// The server incarnation it reached (0 before accept).
    pub incarnation: u64,
    /// The node's id for it, once accepted.
    pub node_id: Option<ClientId>,
    /// Client to server.
    pub up: Link,
    /// Server to client.
    pub down: Link,
    /// The server side is open (accepted, not closed by either end).
    pub server_open: bool,
    /// The client may send (accepted and acknowledged, not closed).
    pub established: bool,
    /// Bytes the client has written.
    pub up_written: u64,
    /// Bytes the node has received.
    pub up_delivered: u64,
    /// Requests in the up stream: where each ends, and its operation.
    pub requests: VecDeque<(u64, OpId)>,
    /// Server-side view of the reply stream (the world's tap on the node's output).
    pub tap: ReplyFramer,
    /// Executed requests whose replies the node has not sent yet (e.g. held for an fsync).
    pub deferred: VecDeque<Deferred>,
    /// Client-side reply framing.
    pub framer: ReplyFramer,
    /// Requests the client awaits replies for, oldest first.
    pub outstanding: VecDeque<OpId>,
}

impl Conn {
    /// A connection being opened by `client`.
    pub fn new(client: usize) -> Conn {
        Conn {
            client,
            incarnation: 0,
            node_id: None,
            up: Link::default(),
            down: Link::default(),
            server_open: false,
            established: false,
            up_written: 0,
            up_delivered: 0,
            requests: VecDeque::new(),
            tap: ReplyFramer::default(),
            deferred: VecDeque::new(),
            framer: ReplyFramer::default(),
            outstanding: VecDeque::new(),
        }
    }
}
