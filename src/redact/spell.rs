//! The spellings of a secret that servers and their frameworks are known to
//! echo: as sent, JSON-escaped in the styles of serde, Python and Go,
//! percent- and form-encoded, and base64 in both alphabets.
//!
//! Every spelling is written into a buffer sized for its worst case up
//! front, so no outgrown copy is ever freed unwiped.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use zeroize::Zeroizing;

/// How a JSON encoder escapes a string.
#[derive(Clone, Copy)]
enum Json {
    /// serde_json, JavaScript's `JSON.stringify`: only `"`, `\` and controls.
    Minimal,
    /// Python's `json.dumps` (`ensure_ascii`): every non-ASCII character as
    /// `\uxxxx`, lowercase hex, surrogate pairs beyond U+FFFF.
    Ascii,
    /// The same with uppercase hex, as Java's and .NET's encoders write it.
    AsciiUpper,
    /// Go's `encoding/json`: also `<`, `>`, `&`, U+2028 and U+2029 as `\u00XX`.
    GoHtmlSafe,
}

/// Every spelling of `secret`, deduplicated, longest first (so that a
/// padded base64 is replaced before the unpadded one it contains).
pub(super) fn spellings(secret: &str) -> Vec<Zeroizing<String>> {
    let mut all = vec![Zeroizing::new(secret.to_owned())];
    for style in [
        Json::Minimal,
        Json::Ascii,
        Json::AsciiUpper,
        Json::GoHtmlSafe,
    ] {
        all.push(json(secret, style));
    }
    for (upper, plus) in [(true, false), (false, false), (true, true), (false, true)] {
        all.push(percent(secret, upper, plus));
    }
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        all.push(base64(secret.as_bytes(), engine));
    }
    all.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    all.dedup();
    all
}

/// The JSON string content (without quotes) that `style` writes for `text`.
fn json(text: &str, style: Json) -> Zeroizing<String> {
    // At most 12 bytes per character: a surrogate pair of `\uXXXX`.
    let mut out = Zeroizing::new(String::with_capacity(text.len() * 12));
    let hex = |out: &mut String, unit: u32, upper: bool| {
        const LOWER: &[u8; 16] = b"0123456789abcdef";
        const UPPER: &[u8; 16] = b"0123456789ABCDEF";
        let digits = if upper { UPPER } else { LOWER };
        out.push_str("\\u");
        for shift in [12, 8, 4, 0] {
            out.push(char::from(digits[((unit >> shift) & 0xF) as usize]));
        }
    };
    let upper = matches!(style, Json::AsciiUpper);
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => hex(&mut out, c as u32, upper),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' if matches!(style, Json::GoHtmlSafe) => {
                hex(&mut out, c as u32, false)
            }
            c if !c.is_ascii() || c == '\u{7f}' => match style {
                Json::Minimal | Json::GoHtmlSafe => out.push(c),
                Json::Ascii | Json::AsciiUpper => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        hex(&mut out, u32::from(*unit), upper);
                    }
                }
            },
            c => out.push(c),
        }
    }
    out
}

/// `text` percent-encoded: everything but RFC 3986's unreserved characters,
/// with `+` for a space when `plus` (HTML form encoding).
fn percent(text: &str, upper: bool, plus: bool) -> Zeroizing<String> {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = Zeroizing::new(String::with_capacity(text.len() * 3));
    for &byte in text.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte))
            }
            b' ' if plus => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(digits[usize::from(byte >> 4)]));
                out.push(char::from(digits[usize::from(byte & 0xF)]));
            }
        }
    }
    out
}

fn base64(bytes: &[u8], engine: &impl Engine) -> Zeroizing<String> {
    // Four characters for every three bytes or part of three, padded or not.
    let mut encoded = Zeroizing::new(vec![0u8; bytes.len().div_ceil(3) * 4]);
    let written = engine.encode_slice(bytes, &mut encoded[..]).unwrap_or(0);
    let text = std::str::from_utf8(&encoded[..written]).unwrap_or("");
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    out.push_str(text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled(secret: &str) -> Vec<String> {
        spellings(secret).iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_spellings_of_common_encoders() {
        let all = spelled("pä<ss wörd😀\n");
        for expected in [
            "pä<ss wörd😀\n",
            r"pä<ss wörd😀\n",
            r"p\u00e4<ss w\u00f6rd\ud83d\ude00\n",
            r"p\u00E4<ss w\u00F6rd\uD83D\uDE00\n",
            r"pä\u003css wörd😀\n",
            "p%C3%A4%3Css%20w%C3%B6rd%F0%9F%98%80%0A",
            "p%c3%a4%3css%20w%c3%b6rd%f0%9f%98%80%0a",
            "p%C3%A4%3Css+w%C3%B6rd%F0%9F%98%80%0A",
            "cMOkPHNzIHfDtnJk8J+YgAo=",
            "cMOkPHNzIHfDtnJk8J+YgAo",
            "cMOkPHNzIHfDtnJk8J-YgAo=",
            "cMOkPHNzIHfDtnJk8J-YgAo",
        ] {
            assert!(
                all.iter().any(|s| s == expected),
                "{expected} not in {all:?}"
            );
        }
        let lengths: Vec<usize> = all.iter().map(String::len).collect();
        assert!(lengths.windows(2).all(|w| w[0] >= w[1]), "longest first");
    }

    #[test]
    fn a_plain_secret_has_few_distinct_spellings() {
        // As sent (= JSON = percent), and base64 padded and not (both
        // alphabets agree here).
        assert_eq!(
            spelled("hunter22"),
            ["aHVudGVyMjI=", "aHVudGVyMjI", "hunter22"]
        );
    }
}
