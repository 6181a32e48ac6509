//! Generates the C header with cbindgen.
//!
//! The header always goes to `$OUT_DIR/ovok.h`. Outside CI it is also copied
//! to `include/ovok.h`, so a developer's build keeps the committed header
//! fresh; in CI (`CI` set) the copy is skipped, and `tests/header.rs` fails
//! if the committed header is stale.
//!
//! On Linux it also gives the shared library its SONAME, `libovok.so.<major>`
//! (`libovok.so.0` while the version is 0.x), so that programs linked against
//! it record that name and `make install` can ship `libovok.so.<version>`.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=CI");

    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("set by cargo");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libovok.so.{major}");
        if links_with_rust_lld() {
            // Identical functions (monomorphized copies that compile to the
            // same code) are kept once. Rust promises no distinct function
            // addresses, and the code that runs is the same: only bytes go.
            println!("cargo:rustc-cdylib-link-arg=-Wl,--icf=all");
        }
    }

    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    // The version as numbers for the preprocessor; tests check them
    // against ovok_version().
    let version = |part| env::var(part).expect("set by cargo");
    config.after_includes = Some(format!(
        "\n#define OVOK_VERSION_MAJOR {}\n#define OVOK_VERSION_MINOR {}\n#define OVOK_VERSION_PATCH {}",
        version("CARGO_PKG_VERSION_MAJOR"),
        version("CARGO_PKG_VERSION_MINOR"),
        version("CARGO_PKG_VERSION_PATCH"),
    ));
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let generated = out_dir.join("ovok.h");
    bindings.write_to_file(&generated);

    if env::var_os("CI").is_none() {
        let committed = crate_dir.join("include").join("ovok.h");
        let fresh = fs::read(&generated).expect("generated header is readable");
        if fs::read(&committed).ok().as_deref() != Some(&fresh[..]) {
            fs::create_dir_all(committed.parent().expect("has a parent"))
                .expect("include/ is creatable");
            fs::write(&committed, fresh).expect("include/ovok.h is writable");
        }
    }
}

/// Whether the cdylib is linked by rustc's own rust-lld: the default for
/// x86_64 Linux since Rust 1.90, unless the build picks another linker
/// (`RUSTC_LINKER` is cargo's `linker` setting).
/// GNU ld does not know `--icf`, so the flag is given only then.
fn links_with_rust_lld() -> bool {
    if env::var("TARGET").as_deref() != Ok("x86_64-unknown-linux-gnu")
        || env::var_os("RUSTC_LINKER").is_some()
    {
        return false;
    }
    let rustflags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if rustflags.contains("linker") || rustflags.contains("link-self-contained") {
        return false;
    }
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .unwrap_or_default();
    // "rustc 1.95.0 (59807616e 2026-04-14)"; a nightly has the same shape.
    let mut numbers = version
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    let (major, minor) = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
    major > 1 || (major == 1 && minor >= 90)
}
