//! The client side of RESP: requests are encoded with the server's own encoder (an array of bulk
//! strings), and the reply stream is cut into whole replies by a small framer, so that each reply
//! can be matched to the request it answers and compared byte for byte.

use verdis_engine::Reply;
use verdis_server::resp::encode::encode;

/// Appends `args` as one RESP request (an array of bulk strings).
pub fn encode_request(args: &[Vec<u8>], out: &mut Vec<u8>) {
    let reply = Reply::Array(args.iter().map(|a| Reply::Bulk(a.clone())).collect());
    encode(&reply, 2, out);
}

/// Encodes a reply as RESP2 bytes (what the node sends to a RESP2 client).
pub fn encode_reply(reply: &Reply) -> Vec<u8> {
    let mut out = Vec::new();
    encode(reply, 2, &mut out);
    out
}

/// Nesting bound for reply framing: our workloads never nest deeper than 2.
const FRAME_DEPTH_MAX: usize = 16;

/// The length of the first complete RESP2 reply in `buf`, if it is all there. `Err` on bytes
/// that are not RESP2 (a server bug, reported by the caller).
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, String> {
    let mut pos = 0;
    // Elements still to read at each open array level.
    let mut pending: Vec<i64> = Vec::new();
    loop {
        let Some(line_end) = find_crlf(buf, pos) else { return Ok(None) };
        let kind = buf[pos];
        let body = &buf[pos + 1..line_end];
        pos = line_end + 2;
        match kind {
            b'+' | b'-' | b':' => {}
            b'$' => {
                let n = parse_len(body)?;
                if n >= 0 {
                    let end = pos + n as usize + 2;
                    if buf.len() < end {
                        return Ok(None);
                    }
                    if &buf[end - 2..end] != b"\r\n" {
                        return Err("bulk string without CRLF".into());
                    }
                    pos = end;
                }
            }
            b'*' => {
                let n = parse_len(body)?;
                if n > 0 {
                    if pending.len() >= FRAME_DEPTH_MAX {
                        return Err("reply nested too deep".into());
                    }
                    pending.push(n);
                    continue;
                }
            }
            other => return Err(format!("unexpected reply type byte {other:#04x}")),
        }
        // One element done: close every array it completes.
        loop {
            match pending.last_mut() {
                None => return Ok(Some(pos)),
                Some(left) => {
                    *left -= 1;
                    if *left > 0 {
                        break;
                    }
                    pending.pop();
                }
            }
        }
    }
}

fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    if from >= buf.len() {
        return None;
    }
    let rel = buf[from..].windows(2).position(|w| w == b"\r\n")?;
    Some(from + rel)
}

fn parse_len(body: &[u8]) -> Result<i64, String> {
    std::str::from_utf8(body)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|&n| n >= -1)
        .ok_or_else(|| format!("bad length {:?}", String::from_utf8_lossy(body)))
}

/// Cuts a byte stream into replies as bytes arrive.
#[derive(Default)]
pub struct ReplyFramer {
    buf: Vec<u8>,
}

impl ReplyFramer {
    /// Adds bytes that arrived.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole reply, if one is complete.
    pub fn next_reply(&mut self) -> Result<Option<Vec<u8>>, String> {
        match frame_len(&self.buf)? {
            None => Ok(None),
            Some(n) => {
                let rest = self.buf.split_off(n);
                Ok(Some(std::mem::replace(&mut self.buf, rest)))
            }
        }
    }

    /// Bytes held that do not yet form a whole reply.
    pub fn pending_len(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_anywhere_come_out_whole() {
        let stream: &[u8] = b"+OK\r\n$-1\r\n*2\r\n$1\r\na\r\n*1\r\n:5\r\n-ERR x\r\n$3\r\na\r\n\r\n*0\r\n";
        let want: Vec<&[u8]> = vec![
            b"+OK\r\n",
            b"$-1\r\n",
            b"*2\r\n$1\r\na\r\n*1\r\n:5\r\n",
            b"-ERR x\r\n",
            b"$3\r\na\r\n\r\n",
            b"*0\r\n",
        ];
        for cut in 0..stream.len() {
            let mut f = ReplyFramer::default();
            let mut got = Vec::new();
            for part in [&stream[..cut], &stream[cut..]] {
                f.push(part);
                while let Some(r) = f.next_reply().unwrap() {
                    got.push(r);
                }
            }
            assert_eq!(got, want, "cut at {cut}");
            assert_eq!(f.pending_len(), 0);
        }
        assert!(frame_len(b"?x\r\n").is_err());
    }

    #[test]
    fn requests_are_arrays_of_bulks() {
        let mut out = Vec::new();
        encode_request(&[b"GET".to_vec(), b"k".to_vec()], &mut out);
        assert_eq!(out, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    }
}
