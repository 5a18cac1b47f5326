//! Differential testing of verdis against real Redis. Built by its own issue; empty until then.
