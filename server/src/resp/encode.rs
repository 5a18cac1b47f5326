//! Reply encoding: a `Reply` to RESP2 or RESP3 bytes, as Redis's `addReply*` functions write them.

use verdis_engine::num::format_double_17g;
use verdis_engine::Reply;

/// Appends `n` in decimal.
fn push_int(out: &mut Vec<u8>, n: i64) {
    let mut buf = [0u8; 20];
    out.extend_from_slice(verdis_engine::num::format_i64(n, &mut buf));
}

fn push_header(out: &mut Vec<u8>, prefix: u8, n: i64) {
    out.push(prefix);
    push_int(out, n);
    out.extend_from_slice(b"\r\n");
}

fn push_bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    push_header(out, b'$', bytes.len() as i64);
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// Appends an error line; like Redis, newlines in the text become spaces so the line stays one.
pub fn push_error(out: &mut Vec<u8>, text: &[u8]) {
    out.push(b'-');
    out.extend(text.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
    out.extend_from_slice(b"\r\n");
}

/// The header of an array of `len` elements, the same in RESP2 and RESP3 (for replies written a
/// piece at a time, as EXEC's).
pub fn encode_array_header(len: usize, out: &mut Vec<u8>) {
    push_header(out, b'*', len as i64);
}

/// Appends `reply` encoded for protocol version `resp` (2 or 3).
pub fn encode(reply: &Reply, resp: u8, out: &mut Vec<u8>) {
    let resp3 = resp >= 3;
    match reply {
        Reply::Ok => out.extend_from_slice(b"+OK\r\n"),
        Reply::Simple(s) => {
            out.push(b'+');
            out.extend_from_slice(s.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        Reply::Error(e) => push_error(out, &e.to_bytes()),
        Reply::Int(n) => push_header(out, b':', *n),
        Reply::Bulk(b) => push_bulk(out, b),
        Reply::Null if resp3 => out.extend_from_slice(b"_\r\n"),
        Reply::Null => out.extend_from_slice(b"$-1\r\n"),
        Reply::NullArray if resp3 => out.extend_from_slice(b"_\r\n"),
        Reply::NullArray => out.extend_from_slice(b"*-1\r\n"),
        Reply::Array(items) => {
            push_header(out, b'*', items.len() as i64);
            items.iter().for_each(|r| encode(r, resp, out));
        }
        Reply::Set(items) => {
            push_header(out, if resp3 { b'~' } else { b'*' }, items.len() as i64);
            items.iter().for_each(|r| encode(r, resp, out));
        }
        Reply::Push(items) => {
            push_header(out, if resp3 { b'>' } else { b'*' }, items.len() as i64);
            items.iter().for_each(|r| encode(r, resp, out));
        }
        Reply::Map(pairs) => {
            if resp3 {
                push_header(out, b'%', pairs.len() as i64);
            } else {
                push_header(out, b'*', 2 * pairs.len() as i64);
            }
            for (k, v) in pairs {
                encode(k, resp, out);
                encode(v, resp, out);
            }
        }
        Reply::Double(d) => {
            let mut buf = [0u8; 32];
            let text = format_double_17g(*d, &mut buf);
            if resp3 {
                out.push(b',');
                out.extend_from_slice(text);
                out.extend_from_slice(b"\r\n");
            } else {
                push_bulk(out, text);
            }
        }
        Reply::DoubleText(text) if resp3 => {
            out.push(b',');
            out.extend_from_slice(text);
            out.extend_from_slice(b"\r\n");
        }
        Reply::DoubleText(text) => push_bulk(out, text),
        Reply::Bool(b) if resp3 => out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
        Reply::Bool(b) => push_header(out, b':', *b as i64),
        Reply::Verbatim(format, text) if resp3 => {
            push_header(out, b'=', text.len() as i64 + 4);
            out.extend_from_slice(format);
            out.push(b':');
            out.extend_from_slice(text);
            out.extend_from_slice(b"\r\n");
        }
        Reply::Verbatim(_, text) => push_bulk(out, text),
        Reply::BigNumber(digits) if resp3 => {
            out.push(b'(');
            out.extend_from_slice(digits);
            out.extend_from_slice(b"\r\n");
        }
        Reply::BigNumber(digits) => push_bulk(out, digits),
        Reply::Attribute(pairs, reply) => {
            if resp3 {
                push_header(out, b'|', pairs.len() as i64);
                for (k, v) in pairs {
                    encode(k, resp, out);
                    encode(v, resp, out);
                }
            }
            encode(reply, resp, out);
        }
        Reply::Bulks(bulks) => {
            push_header(out, b'*', bulks.len() as i64);
            out.extend_from_slice(bulks.encoded());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verdis_engine::CmdError;

    fn enc(r: &Reply, resp: u8) -> String {
        let mut out = Vec::new();
        encode(r, resp, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn resp2_and_resp3_shapes() {
        let map = Reply::Map(vec![(Reply::bulk(b"a"), Reply::Int(1))]);
        assert_eq!(enc(&map, 2), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&map, 3), "%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&Reply::Null, 2), "$-1\r\n");
        assert_eq!(enc(&Reply::NullArray, 2), "*-1\r\n");
        assert_eq!(enc(&Reply::Null, 3), "_\r\n");
        assert_eq!(enc(&Reply::Double(1.5), 2), "$3\r\n1.5\r\n");
        assert_eq!(enc(&Reply::Double(f64::INFINITY), 3), ",inf\r\n");
        assert_eq!(enc(&Reply::DoubleText(b"1.25".to_vec()), 2), "$4\r\n1.25\r\n");
        assert_eq!(enc(&Reply::DoubleText(b"1.25".to_vec()), 3), ",1.25\r\n");
        assert_eq!(enc(&Reply::Bool(true), 2), ":1\r\n");
        assert_eq!(enc(&Reply::Bool(false), 3), "#f\r\n");
        assert_eq!(enc(&Reply::Verbatim(*b"txt", b"hi".to_vec()), 3), "=6\r\ntxt:hi\r\n");
        let bulks: verdis_engine::reply::BulkArray = [&b"a"[..], b"", b"bc"].into_iter().collect();
        let array = Reply::Array(vec![Reply::bulk(b"a"), Reply::bulk(b""), Reply::bulk(b"bc")]);
        assert_eq!(enc(&Reply::Bulks(bulks.clone()), 2), enc(&array, 2));
        assert_eq!(enc(&Reply::Bulks(bulks), 3), enc(&array, 3));
        assert_eq!(enc(&Reply::Error(CmdError::msg("ERR a\r\nb")), 2), "-ERR a  b\r\n");
    }
}
