//! Every code point of Unicode's categories Cc, Cf, Zl and Zp (taken from
//! Python's `unicodedata`, not from the library's table) is neutralised in
//! every message, and no other code point is.

use std::process::Command;

use ovok::redact::{self, Secrets};

/// The code points of those categories, from Python: one number a line
/// per code point of Cc, Cf, Zl and Zp, after the Unicode version.
fn python_invisible() -> (String, Vec<u32>) {
    let script = "import sys, unicodedata\n\
        print(unicodedata.unidata_version)\n\
        for c in range(sys.maxunicode + 1):\n\
        \x20   if unicodedata.category(chr(c)) in ('Cc', 'Cf', 'Zl', 'Zp'):\n\
        \x20       print(c)\n";
    let output = Command::new("python3")
        .args(["-c", script])
        .output()
        .expect("python3 runs (make test installs it)");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    let version = lines.next().unwrap().to_string();
    (version, lines.map(|l| l.parse().unwrap()).collect())
}

#[test]
fn every_cc_cf_zl_zp_code_point_is_neutralised_and_no_other() {
    let (version, expected) = python_invisible();
    assert!(expected.len() > 200, "{} code points", expected.len());
    assert_eq!(
        version,
        redact::UNICODE_VERSION,
        "regenerate the table: scripts/gen-invisible-table.py"
    );
    let mut wrong = Vec::new();
    let mut next = expected.iter().peekable();
    for code in 0..=0x10FFFF {
        let Some(c) = char::from_u32(code) else {
            continue;
        };
        let invisible = next.next_if_eq(&&code).is_some();
        if redact::is_invisible(c) != invisible {
            wrong.push(format!("U+{code:04X}"));
        }
    }
    assert!(wrong.is_empty(), "misclassified: {wrong:?}");

    // Through the sanitizer itself, with and without secrets: none survives.
    let given = ["Geheim-Passwort-1"];
    let with_secrets = Secrets::new(&given);
    for chunk in expected.chunks(64) {
        let text: String = chunk
            .iter()
            .map(|&code| format!("a{}b", char::from_u32(code).unwrap()))
            .collect();
        for clean in [
            Secrets::none().server_text(&text),
            with_secrets.server_text(&text),
            with_secrets.message(&text),
        ] {
            assert!(!clean.chars().any(redact::is_invisible), "{clean:?}");
            assert_eq!(clean.matches('a').count(), chunk.len(), "{clean:?}");
        }
    }
}

#[test]
fn a_forged_line_reads_as_one_line() {
    let forged = "Invalid credentials\u{2028}INFO login ok user=admin\u{202e}nimda\u{200b}";
    let clean = Secrets::none().server_text(forged);
    assert_eq!(clean, "Invalid credentials INFO login ok user=adminnimda");
}
