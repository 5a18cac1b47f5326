//! The RESP2/RESP3 codec: request parsing (`decode`) and reply encoding (`encode`).

pub mod decode;
pub mod encode;
