//! Compiles the engine's C helpers (`csrc/`): the few computations Redis does in C types Rust
//! lacks, such as INCRBYFLOAT's `long double`.

fn main() {
    println!("cargo:rerun-if-changed=csrc/long_double.c");
    cc::Build::new().file("csrc/long_double.c").warnings(true).extra_warnings(true).compile("verdis_csrc");
}
