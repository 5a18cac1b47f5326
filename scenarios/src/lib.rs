//! Declarative use-case and crash-recovery scenarios for verdis. Built by its own issue; empty until then.
