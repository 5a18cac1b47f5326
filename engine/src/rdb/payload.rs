//! DUMP/RESTORE payloads: a value as RDB writes it (type byte and body), then the RDB version as
//! 2 bytes little-endian and a CRC64 of everything before it, 8 bytes little-endian (Redis's
//! `createDumpPayload` and `verifyDumpPayload`).

use super::read::{self, Reader, ValueCtx};
use super::{write, Crc64, RdbError, RDB_VERSION};
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

/// The DUMP payload of `value`; `compress` is `rdbcompression`.
pub fn dump(value: &Value, compress: bool) -> Vec<u8> {
    let mut out = vec![write::value_type(value)];
    write::value(&mut out, value, compress);
    out.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
    let crc = Crc64::of(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Checks the footer, then decodes the value with `config`'s encoding thresholds.
pub fn restore(payload: &[u8], config: &EngineConfig, rng: &mut Rng) -> Result<Value, PayloadError> {
    if payload.len() < FOOTER_LEN {
        return Err(PayloadError::VersionOrChecksum);
    }
    let footer = &payload[payload.len() - FOOTER_LEN..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if u32::from(version) > RDB_VERSION {
        return Err(PayloadError::VersionOrChecksum);
    }
    let stored = u64::from_le_bytes(footer[2..].try_into().expect("8 bytes"));
    if Crc64::of(&payload[..payload.len() - 8]) != stored {
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
