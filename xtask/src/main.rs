//! `cargo xtask`: the repository's chores (being written).
fn main() {
    eprintln!("cargo xtask: nothing here yet");
}
