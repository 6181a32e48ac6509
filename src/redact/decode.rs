//! Decoded views of a text: what it reads as once percent-decoded,
//! JSON-unescaped, HTML-unescaped or base64-decoded, and chains of those.
//!
//! A spelling list can never be complete (a server may encode only some
//! characters, mix hex cases, or wrap the secret before encoding it), so
//! the sanitizer also asks whether any view of its output still holds a
//! secret, and withholds the text when one does. Every view is wiped.

use base64::alphabet;
use base64::engine::general_purpose::GeneralPurpose;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine;
use zeroize::Zeroizing;

/// Decodings chained on top of each other, at most.
const MAX_DEPTH: u8 = 3;

/// Bytes of views looked at before giving up (and withholding): far more
/// than the views of a 1 KiB message need.
const MAX_VIEW_BYTES: usize = 1 << 20;

/// Base64 in either alphabet (the URL-safe one is mapped onto the standard
/// one first), padded or not, trailing bits ignored.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

type View = Zeroizing<Vec<u8>>;

/// Whether `text`, or any view of it, contains one of `needles`. Also true
/// when the views are too many to look at all of them.
pub(super) fn any_view_contains(text: &[u8], needles: &[&[u8]]) -> bool {
    let needles: Vec<&[u8]> = needles.iter().copied().filter(|n| !n.is_empty()).collect();
    if needles.is_empty() {
        return false;
    }
    let mut budget = MAX_VIEW_BYTES;
    search(text, 0, false, &needles, &mut budget)
}

fn search(
    view: &[u8],
    depth: u8,
    from_base64: bool,
    needles: &[&[u8]],
    budget: &mut usize,
) -> bool {
    if needles.iter().any(|needle| contains(view, needle)) {
        return true;
    }
    if depth == MAX_DEPTH {
        return false;
    }
    let mut next: Vec<(View, bool)> = Vec::new();
    for decoded in [
        percent_decode(view, false),
        percent_decode(view, true),
        json_unescape(view),
        html_unescape(view),
    ]
    .into_iter()
    .flatten()
    {
        next.push((decoded, from_base64));
    }
    // Base64 of base64 is left out: binary runs decode to noise, and the
    // views would multiply.
    if !from_base64 {
        next.extend(base64_runs(view).into_iter().map(|decoded| (decoded, true)));
    }
    for (decoded, from_base64) in next {
        match budget.checked_sub(decoded.len()) {
            Some(left) => *budget = left,
            None => return true,
        }
        if search(&decoded, depth + 1, from_base64, needles, budget) {
            return true;
        }
    }
    false
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.len() <= haystack.len() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).map(|d| d as u8)
}

/// `%XX` in either case (and `+` as a space when `plus`); `None` when
/// nothing changes.
fn percent_decode(text: &[u8], plus: bool) -> Option<View> {
    let changes = text.contains(&b'%') || (plus && text.contains(&b'+'));
    if !changes {
        return None;
    }
    let mut out = Zeroizing::new(Vec::with_capacity(text.len()));
    let mut i = 0;
    while i < text.len() {
        let decoded = match text[i] {
            b'%' if i + 2 < text.len() => match (hex_value(text[i + 1]), hex_value(text[i + 2])) {
                (Some(high), Some(low)) => Some(high << 4 | low),
                _ => None,
            },
            _ => None,
        };
        match (decoded, text[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') if plus => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    Some(out)
}

/// Four hex digits at `text[at..]`.
fn hex4(text: &[u8], at: usize) -> Option<u32> {
    let digits = text.get(at..at + 4)?;
    digits.iter().try_fold(0u32, |value, &d| {
        Some(value << 4 | u32::from(hex_value(d)?))
    })
}

/// JSON string escapes: `\uXXXX` in either case with surrogate pairs, and
/// the short escapes. `None` when there is no backslash.
fn json_unescape(text: &[u8]) -> Option<View> {
    if !text.contains(&b'\\') {
        return None;
    }
    let mut out = Zeroizing::new(Vec::with_capacity(text.len()));
    let mut i = 0;
    while i < text.len() {
        if text[i] != b'\\' || i + 1 == text.len() {
            out.push(text[i]);
            i += 1;
            continue;
        }
        let short = match text[i + 1] {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'/' => Some(b'/'),
            b'\\' => Some(b'\\'),
            b'"' => Some(b'"'),
            b'\'' => Some(b'\''),
            _ => None,
        };
        if let Some(byte) = short {
            out.push(byte);
            i += 2;
            continue;
        }
        let unit = match (text[i + 1], hex4(text, i + 2)) {
            (b'u' | b'U', Some(unit)) => unit,
            _ => {
                out.push(text[i]);
                i += 1;
                continue;
            }
        };
        i += 6;
        let code = if (0xD800..0xDC00).contains(&unit) {
            match (text.get(i..i + 2), hex4(text, i + 2)) {
                (Some(b"\\u" | b"\\U"), Some(low)) if (0xDC00..0xE000).contains(&low) => {
                    i += 6;
                    0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                }
                _ => continue,
            }
        } else {
            unit
        };
        if let Some(c) = char::from_u32(code) {
            let mut utf8 = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
    }
    Some(out)
}

/// HTML character references: `&#NNN;`, `&#xHH;` and the five named ones
/// XML knows. `None` when there is no `&`.
fn html_unescape(text: &[u8]) -> Option<View> {
    if !text.contains(&b'&') {
        return None;
    }
    const NAMED: [(&[u8], u8); 5] = [
        (b"&amp;", b'&'),
        (b"&lt;", b'<'),
        (b"&gt;", b'>'),
        (b"&quot;", b'"'),
        (b"&apos;", b'\''),
    ];
    let mut out = Zeroizing::new(Vec::with_capacity(text.len()));
    let mut i = 0;
    'scan: while i < text.len() {
        if text[i] == b'&' {
            for (name, byte) in NAMED {
                if text[i..].len() >= name.len()
                    && text[i..i + name.len()].eq_ignore_ascii_case(name)
                {
                    out.push(byte);
                    i += name.len();
                    continue 'scan;
                }
            }
            if let Some((c, used)) = numeric_reference(&text[i..]) {
                let mut utf8 = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                i += used;
                continue;
            }
        }
        out.push(text[i]);
        i += 1;
    }
    Some(out)
}

/// `&#NNN;` or `&#xHH;` at the start of `text`: the character and the bytes used.
fn numeric_reference(text: &[u8]) -> Option<(char, usize)> {
    let rest = text.strip_prefix(b"&#")?;
    let (radix, digits_at) = match rest.first()? {
        b'x' | b'X' => (16, 3),
        _ => (10, 2),
    };
    let end = text[digits_at..].iter().position(|&b| b == b';')? + digits_at;
    let digits = std::str::from_utf8(&text[digits_at..end]).ok()?;
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let c = char::from_u32(u32::from_str_radix(digits, radix).ok()?)?;
    Some((c, end + 1))
}

/// Every run of base64 characters (either alphabet, runs joined across
/// ASCII whitespace, `=` ending a run), decoded at each of the four
/// alignments, so that base64 embedded anywhere in a run is found too.
fn base64_runs(text: &[u8]) -> Vec<View> {
    let mut views = Vec::new();
    let mut run: View = Zeroizing::new(Vec::with_capacity(text.len()));
    for &byte in text.iter().chain(std::iter::once(&b'=')) {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => run.push(byte),
            b'-' => run.push(b'+'),
            b'_' => run.push(b'/'),
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => {
                for offset in 0..4 {
                    if let Some(decoded) = run.get(offset..).and_then(decode_base64) {
                        views.push(decoded);
                    }
                }
                run.clear();
            }
        }
    }
    views
}

fn decode_base64(run: &[u8]) -> Option<View> {
    // A lone character after the last group carries no whole byte.
    let run = match run.len() % 4 {
        1 => &run[..run.len() - 1],
        _ => run,
    };
    if run.len() < 2 {
        return None;
    }
    let mut out = Zeroizing::new(vec![0u8; run.len().div_ceil(4) * 3]);
    let written = LENIENT_BASE64.decode_slice(run, &mut out[..]).ok()?;
    out.truncate(written);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(text: &str, secret: &str) -> bool {
        any_view_contains(text.as_bytes(), &[secret.as_bytes()])
    }

    #[test]
    fn each_decoding_reveals_the_secret() {
        let secret = "pä ss/wö+rd";
        for text in [
            "as is: pä ss/wö+rd",
            "percent, mixed case: p%C3%a4%20ss%2Fw%c3%B6%2Brd",
            "only non-ASCII encoded: p%C3%A4 ss/w%C3%B6+rd",
            "only reserved encoded: pä%20ss%2Fwö%2Brd",
            "form: p%C3%A4+ss%2Fw%C3%B6%2Brd",
            r"json: p\u00E4 ss\/w\u00f6+rd",
            "html numeric: p&#228;&#32;ss&#x2F;w&#xF6;+rd",
            "base64: cMOkIHNzL3fDtityZA==",
            "base64 url, no padding, mid-run: xycMOkIHNzL3fDtityZA",
            "base64 of a percent-encoding: cCVDMyVBNCUyMHNzJTJGdyVDMyVCNiUyQnJk",
            "percent-encoded base64: cMOkIHNzL3fDtityZA%3D%3D",
        ] {
            assert!(holds(text, secret), "{text}");
        }
        assert!(!holds("nothing here: cGFzcw== p%C3%A4", secret));
    }

    #[test]
    fn surrogate_pairs_and_wrappers() {
        assert!(holds(r"\ud83d\ude00x", "😀x"));
        assert!(holds(r"\uD83D\uDE00x", "😀x"));
        // Basic auth: base64 of email:password.
        let basic = LENIENT_BASE64.encode("max@example.com:Geheim-42");
        assert!(holds(&format!("Authorization: Basic {basic}"), "Geheim-42"));
    }

    #[test]
    fn runaway_views_are_withheld_not_searched_forever() {
        let mut budget = 0;
        assert!(search(b"%41", 0, false, &[b"zz"], &mut budget));
    }
}
