//! The deterministic simulator and fault-injection campaigns for verdis. Built by its own issue; empty until then.
