//! The committed C header must match what cbindgen generates from the sources.

#[test]
fn committed_header_is_fresh() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/ovok.h"));
    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/include/ovok.h");
    let committed = std::fs::read_to_string(committed_path).expect("include/ovok.h exists");
    assert!(
        committed == generated,
        "include/ovok.h is stale: run `cargo build` outside CI and commit the result"
    );
}

#[test]
fn header_declares_the_whole_contract() {
    let header = include_str!(concat!(env!("OUT_DIR"), "/ovok.h"));
    for needle in [
        "#ifndef OVOK_H",
        "extern \"C\" {",
        "OVOK_STATUS_OK = 0,",
        "OVOK_STATUS_INTERNAL = 12,",
        "struct OvokResult *ovok_login(const char *base_url,",
        "void ovok_result_free(struct OvokResult *result);",
        "const char *ovok_status_name(OvokStatus status);",
        "const char *ovok_version(void);",
        "struct OvokResult *ovok_refresh(const char *base_url, const char *refresh_token);",
        "typedef struct OvokClientBuilder OvokClientBuilder;",
        "typedef struct OvokClient OvokClient;",
        "OvokStatus ovok_client_build(struct OvokClientBuilder *builder,",
        "typedef uint32_t OvokStatus;",
        "OVOK_STATUS_LOGIN_REQUIRED = 13,",
        "#define OVOK_VERSION_MAJOR ",
        "#define OVOK_VERSION_MINOR ",
        "#define OVOK_VERSION_PATCH ",
        "typedef struct OvokSession OvokSession;",
        "typedef void (*OvokTokenListener)(void *context, const struct OvokResult *tokens);",
        "struct OvokSession *ovok_session_new(const struct OvokClient *client, const char *base_url);",
        "struct OvokResult *ovok_session_access_token(struct OvokSession *session, int64_t min_ttl_seconds);",
        "void ovok_session_free(struct OvokSession *session);",
        "void ovok_session_invalidate_token(struct OvokSession *session, const char *rejected_access_token);",
        "void ovok_client_free(struct OvokClient *client);",
        "Safe to call from many threads at once.",
    ] {
        assert!(header.contains(needle), "the header lacks {needle:?}");
    }
}

#[test]
fn the_version_macros_match_the_crate_version() {
    let header = include_str!(concat!(env!("OUT_DIR"), "/ovok.h"));
    let number = |name: &str| {
        let line = header
            .lines()
            .find(|line| line.starts_with(&format!("#define {name} ")))
            .unwrap_or_else(|| panic!("the header lacks {name}"));
        line.rsplit(' ').next().unwrap().to_owned()
    };
    let macros = format!(
        "{}.{}.{}",
        number("OVOK_VERSION_MAJOR"),
        number("OVOK_VERSION_MINOR"),
        number("OVOK_VERSION_PATCH")
    );
    let version = unsafe { std::ffi::CStr::from_ptr(ovok::ffi::ovok_version()) };
    assert_eq!(macros, version.to_str().unwrap());
}
