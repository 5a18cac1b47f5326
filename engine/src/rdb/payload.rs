//! DUMP/RESTORE payloads: a value as RDB writes it (type byte and body), then the RDB version as
//! 2 bytes little-endian and a CRC64 of everything before it, 8 bytes little-endian (Redis's
//! `createDumpPayload` and `verifyDumpPayload`). FUNCTION DUMP's payload has the same footer
//! after the libraries' `RDB_OPCODE_FUNCTION2` records (Redis's `functionDumpCommand`).

use super::read::{self, Reader, ValueCtx};
use super::{write, Crc64, RdbError, OPCODE_FUNCTION, OPCODE_FUNCTION2, RDB_VERSION};
use crate::config::EngineConfig;
use crate::rng::Rng;
use crate::value::Value;

/// Bytes after the value: version (2) and CRC64 (8).
const FOOTER_LEN: usize = 10;

/// Why a payload could not be restored; each maps to one of Redis's RESTORE errors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Too short, from a newer RDB version, or the checksum does not match: "DUMP payload
    /// version or checksum are wrong".
    #[error("DUMP payload version or checksum are wrong")]
    VersionOrChecksum,
    /// The value itself is malformed (or an empty collection): "Bad data format".
    #[error("bad data format: {0}")]
    BadData(RdbError),
}

/// Why a FUNCTION RESTORE payload could not be read; each is one of Redis's errors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FunctionsPayloadError {
    /// Too short, from a newer RDB version, or the checksum does not match.
    #[error("ERR DUMP payload version or checksum are wrong")]
    VersionOrChecksum,
    /// A record that is not a library (`functionRestoreCommand`'s text).
    #[error("ERR given type is not a function")]
    NotAFunction,
    /// A 7.0 release candidate's record (`RDB_OPCODE_FUNCTION`): Redis 7.0.15 tries to read
    /// that old format and fails with one of several texts; verdis does not read it.
    #[error("ERR Pre-GA function format not supported")]
    PreGa,
    /// A record cut short (the `RdbError` says where).
    #[error("ERR Failed loading library payload")]
    Bad(RdbError),
}

/// The DUMP payload of `value`; `compress` is `rdbcompression`.
pub fn dump(value: &Value, compress: bool) -> Vec<u8> {
    let mut out = vec![write::value_type(value)];
    write::value(&mut out, value, compress);
    with_footer(out)
}

/// FUNCTION DUMP's payload of the libraries whose code is `codes`.
pub fn dump_functions<'a>(codes: impl IntoIterator<Item = &'a [u8]>, compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for code in codes {
        super::write_function(&mut out, code, compress);
    }
    with_footer(out)
}

/// The libraries' code in a FUNCTION RESTORE payload, in order.
pub fn restore_functions(payload: &[u8]) -> Result<Vec<Vec<u8>>, FunctionsPayloadError> {
    if !footer_ok(payload) {
        return Err(FunctionsPayloadError::VersionOrChecksum);
    }
    // As Redis: records are read while they start before the footer, from the whole payload (a
    // record that claims more bytes than the body has reads into the footer).
    let body_len = payload.len() - FOOTER_LEN;
    let mut r = Reader::new(payload);
    let mut codes = Vec::new();
    while r.pos() < body_len {
        match r.u8("a function record").map_err(FunctionsPayloadError::Bad)? {
            OPCODE_FUNCTION2 => {
                codes.push(r.string("a function library's code").map_err(FunctionsPayloadError::Bad)?.into_owned())
            }
            OPCODE_FUNCTION => return Err(FunctionsPayloadError::PreGa),
            _ => return Err(FunctionsPayloadError::NotAFunction),
        }
    }
    Ok(codes)
}

/// `body` followed by the RDB version and the CRC64 of both.
fn with_footer(mut out: Vec<u8>) -> Vec<u8> {
    out.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
    let crc = Crc64::of(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The payload is long enough, from this RDB version or an older one, and its CRC64 matches
/// (Redis's `verifyDumpPayload`).
fn footer_ok(payload: &[u8]) -> bool {
    if payload.len() < FOOTER_LEN {
        return false;
    }
    let footer = &payload[payload.len() - FOOTER_LEN..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let stored = u64::from_le_bytes(footer[2..].try_into().expect("8 bytes"));
    u32::from(version) <= RDB_VERSION && Crc64::of(&payload[..payload.len() - 8]) == stored
}

/// Checks the footer, then decodes the value with `config`'s encoding thresholds.
pub fn restore(payload: &[u8], config: &EngineConfig, rng: &mut Rng) -> Result<Value, PayloadError> {
    if !footer_ok(payload) {
        return Err(PayloadError::VersionOrChecksum);
    }
    // Redis reads the value from the whole payload, footer included, and ignores what is left.
    let mut r = Reader::new(payload);
    let ty = r.u8("the value type").map_err(PayloadError::BadData)?;
    let mut cx = ValueCtx { config, rng };
    match read::value(&mut r, ty, &mut cx).map_err(PayloadError::BadData)? {
        Some(value) => Ok(value),
        None => Err(PayloadError::BadData(r.error(1, "empty collection"))),
    }
}
