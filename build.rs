//! Generates the C header with cbindgen.
//!
//! The header always goes to `$OUT_DIR/ovok.h`. Outside CI it is also copied
//! to `include/ovok.h`, so a developer's build keeps the committed header
//! fresh; in CI (`CI` set) the copy is skipped, and `tests/header.rs` fails
//! if the committed header is stale.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=CI");

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
