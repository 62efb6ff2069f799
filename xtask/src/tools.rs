//! The pinned book tools, installed with `cargo install --locked` into
//! `<repo>/target/tools/` (never into `~/.cargo/bin`).

use crate::{Failure, Result, cargo, fail, run_command, show};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// `(crate, version)`: the binary has the crate's name. Keep in sync with
/// .github/workflows/ci.yml (its cache key) and docs/tooling.md.
pub const PINNED: [(&str, &str); 2] = [("mdbook", "0.5.4"), ("mdbook-katex", "0.10.0")];

/// `<repo>/target/tools`.
pub fn root(repo: &Path) -> PathBuf {
    repo.join("target").join("tools")
}

/// `<repo>/target/tools/bin`.
pub fn bin_dir(repo: &Path) -> PathBuf {
    root(repo).join("bin")
}

/// PATH with `target/tools/bin` first, so that mdbook finds mdbook-katex.
pub fn path_with_tools(repo: &Path) -> Result<OsString> {
    let mut dirs = vec![bin_dir(repo)];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).map_err(|error| Failure(format!("cannot extend PATH: {error}")))
}

/// Install every pinned tool that is missing or has another version.
/// Returns the bin directory.
pub fn ensure(repo: &Path) -> Result<PathBuf> {
    for (name, version) in PINNED {
        ensure_one(
            repo,
            name,
            version,
            &["--version"],
            "installing the book tools needs crates.io and a C compiler",
        )?;
    }
    Ok(bin_dir(repo))
}

/// Install the binary `name` of the crate `name@version` into `target/tools/`
/// unless `<exe> <version_args...>` already reports that version. `hint` is
/// added to the message of a failed install. Returns the executable's path.
pub fn ensure_one(
    repo: &Path,
    name: &str,
    version: &str,
    version_args: &[&str],
    hint: &str,
) -> Result<PathBuf> {
    let exe = bin_dir(repo).join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    match installed_version(&exe, version_args) {
        Some(found) if found == version => {
            eprintln!("tools: {name} {version} ok");
            return Ok(exe);
        }
        Some(found) => eprintln!("tools: {name} is {found}, want {version}: reinstalling"),
        None => eprintln!("tools: {name} {version} not in target/tools/bin: installing"),
    }
    let start = Instant::now();
    let mut cmd = cargo();
    // With target/tools/bin in PATH, cargo does not warn "be sure to add
    // `.../target/tools/bin` to your PATH": the xtask runs the tools from there.
    cmd.current_dir(repo)
        .env("PATH", path_with_tools(repo)?)
        .args(["install", "--locked", "--force", "--root"])
        .arg(root(repo))
        .arg(format!("{name}@{version}"));
    run_command(&mut cmd).map_err(|Failure(message)| {
        Failure(format!("{message}\n({hint}; retry with `{}`)", show(&cmd)))
    })?;
    eprintln!(
        "tools: installed {name} {version} in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    match installed_version(&exe, version_args) {
        Some(found) if found == version => Ok(exe),
        Some(found) => fail!(
            "{} reports version {found} after installing {version}",
            exe.display()
        ),
        None => fail!("{} does not run after `cargo install`", exe.display()),
    }
}

/// The version that `<exe> <version_args...>` reports (`mdbook v0.5.4` →
/// `0.5.4`; a cargo subcommand's binary such as cargo-mutants wants the
/// subcommand's name first: `cargo-mutants mutants --version`).
fn installed_version(exe: &Path, version_args: &[&str]) -> Option<String> {
    let output = Command::new(exe).args(version_args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.split_whitespace().last()?;
    Some(last.trim_start_matches('v').to_owned())
}
