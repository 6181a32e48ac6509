//! Keeping secrets out of messages.
//!
//! Every piece of server-controlled text (a body's `message`, a content
//! type, a `Location` or `Retry-After` value, a TLS or parser error that may
//! quote the peer) passes through [`Secrets::server_text`] on its way into a
//! message, and every finished message through [`Secrets::message`].
//!
//! The rules, in order:
//! 1. Each secret of the call is replaced with `<redacted>` in every
//!    spelling a server is known to echo (see `spell`), before and after
//!    the text's invisible characters are neutralised.
//! 2. Unicode's control (`Cc`), line and paragraph separator (`Zl`, `Zp`)
//!    characters become spaces; format characters (`Cf`: bidi controls,
//!    zero-width characters, U+FEFF, U+00AD, tags...) are removed. A message
//!    is then one line that reads as it prints.
//! 3. The text is cut to [`MAX_MESSAGE_LEN`] bytes.
//! 4. If any decoded view of the result (percent-, JSON-, HTML- or
//!    base64-decoded, chained) still holds a secret, the server's text is
//!    replaced with [`WITHHELD`]: a spelling nobody listed, or a secret too
//!    short to replace (under [`MIN_REPLACED_LEN`] bytes, which would match
//!    inside ordinary words). For a 1- or 2-byte password that withholds
//!    nearly every server text: the honest answer, since no replacement
//!    could hide it.
//!
//! Every spelling and every decoded view is wiped when it is dropped; the
//! spellings are built on first use, so a successful call builds none.

mod decode;
mod invisible;
mod spell;

use std::cell::OnceCell;

use zeroize::Zeroizing;

/// What replaces a secret in a message.
pub const REDACTED: &str = "<redacted>";

/// What replaces a server's text that still held a secret after redaction.
pub const WITHHELD: &str = "<withheld: the server's text contained a credential>";

/// Messages, and each server text in them, are cut to this many bytes.
pub const MAX_MESSAGE_LEN: usize = 1024;

/// Secrets shorter than this are never replaced inside a text (they would
/// match inside ordinary words); a text that holds one is withheld.
pub const MIN_REPLACED_LEN: usize = 4;

/// The secrets of one call (the password, or the refresh token), and every
/// spelling of them, wiped when this is dropped.
pub struct Secrets<'a> {
    given: &'a [&'a str],
    derived: OnceCell<Derived>,
}

/// Built from the secrets on first use.
struct Derived {
    /// The bytes to look for in decoded views: each secret as given, and
    /// with its invisible characters neutralised when that differs.
    needles: Vec<Zeroizing<String>>,
    /// The spellings to replace, longest first.
    spellings: Vec<Zeroizing<String>>,
}

impl<'a> Secrets<'a> {
    /// The secrets of a call. Empty strings are ignored.
    pub fn new(given: &'a [&'a str]) -> Secrets<'a> {
        Secrets {
            given,
            derived: OnceCell::new(),
        }
    }

    /// No secrets: only neutralises and cuts (for text the caller supplied).
    pub fn none() -> Secrets<'static> {
        Secrets::new(&[])
    }

    fn derived(&self) -> &Derived {
        self.derived.get_or_init(|| {
            let mut needles: Vec<Zeroizing<String>> = Vec::new();
            for secret in self.given.iter().filter(|s| !s.is_empty()) {
                needles.push(Zeroizing::new((*secret).to_owned()));
                let neutral = neutralise(secret);
                if neutral.as_str() != *secret && !neutral.trim().is_empty() {
                    needles.push(neutral);
                }
            }
            let mut spellings: Vec<Zeroizing<String>> = needles
                .iter()
                .filter(|n| n.len() >= MIN_REPLACED_LEN)
                .flat_map(|n| spell::spellings(n))
                .collect();
            spellings.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
            spellings.dedup();
            Derived { needles, spellings }
        })
    }

    /// Server-controlled `text`, made safe to put into a message: secrets
    /// replaced, invisible characters neutralised, cut to
    /// [`MAX_MESSAGE_LEN`], or [`WITHHELD`] when a secret would remain in
    /// any spelling, however short the secret.
    pub fn server_text(&self, text: &str) -> String {
        self.clean(text, 0)
    }

    /// A finished message (ovok's own words around server texts that have
    /// passed [`Secrets::server_text`]): the same cleaning, but only secrets
    /// of at least [`MIN_REPLACED_LEN`] bytes withhold it, since a shorter
    /// one matches inside ovok's own words.
    pub fn message(&self, text: &str) -> String {
        self.clean(text, MIN_REPLACED_LEN)
    }

    fn clean(&self, text: &str, withhold_from_len: usize) -> String {
        if self.given.iter().all(|s| s.is_empty()) {
            return cut(&neutralise(text), MAX_MESSAGE_LEN).to_string();
        }
        let derived = self.derived();
        let mut work = Zeroizing::new(text.to_owned());
        derived.redact(&mut work);
        let mut work = neutralise(&work);
        derived.redact(&mut work);
        let out = cut(&work, MAX_MESSAGE_LEN);
        let needles: Vec<&[u8]> = derived
            .needles
            .iter()
            .filter(|n| n.len() >= withhold_from_len)
            .map(|n| n.as_bytes())
            .collect();
        if decode::any_view_contains(out.as_bytes(), &needles) {
            WITHHELD.to_owned()
        } else {
            out.to_string()
        }
    }
}

impl Derived {
    fn redact(&self, text: &mut Zeroizing<String>) {
        for spelling in &self.spellings {
            if let Some(replaced) = replace_all(text, spelling) {
                *text = replaced;
            }
        }
    }
}

impl std::fmt::Debug for Secrets<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets(<{} redacted>)", self.given.len())
    }
}

/// `text` with each `spelling` replaced by [`REDACTED`], in a buffer sized
/// exactly; `None` when `spelling` does not occur.
fn replace_all(text: &str, spelling: &str) -> Option<Zeroizing<String>> {
    let count = text.matches(spelling).count();
    if count == 0 {
        return None;
    }
    let len = text.len() - count * spelling.len() + count * REDACTED.len();
    let mut out = Zeroizing::new(String::with_capacity(len));
    let mut last = 0;
    for (at, _) in text.match_indices(spelling) {
        out.push_str(&text[last..at]);
        out.push_str(REDACTED);
        last = at + spelling.len();
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// Whether `c` is in Unicode's category Cc, Cf, Zl or Zp: a character that
/// can forge a line break, hide text, or reorder what a log viewer shows.
pub fn is_invisible(c: char) -> bool {
    let code = u32::from(c);
    invisible::RANGES
        .binary_search_by(|&(first, last)| {
            if last < code {
                std::cmp::Ordering::Less
            } else if first > code {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Controls and separators (Cc, Zl, Zp) become spaces; format characters
/// (Cf) are removed. Never longer than `text`.
pub fn neutralise(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    for c in text.chars() {
        match c {
            c if !is_invisible(c) => out.push(c),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => out.push(' '),
            _ => {}
        }
    }
    out
}

/// `text` cut to at most `max` bytes on a character boundary, with `...`
/// when something was cut.
pub fn cut(text: &str, max: usize) -> Zeroizing<String> {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let dots = if end < text.len() { "..." } else { "" };
    let mut out = Zeroizing::new(String::with_capacity(end + dots.len()));
    out.push_str(&text[..end]);
    out.push_str(dots);
    out
}

/// The Unicode version of the table behind [`is_invisible`].
pub const UNICODE_VERSION: &str = invisible::UNICODE_VERSION;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_controls_and_length() {
        let secrets = Secrets::new(&["hunter22"]);
        assert_eq!(
            secrets.server_text("bad password hunter22\r\nX-Injected: 1"),
            "bad password <redacted>  X-Injected: 1"
        );
        let long = "é".repeat(MAX_MESSAGE_LEN);
        let cut = Secrets::none().server_text(&long);
        assert!(cut.len() <= MAX_MESSAGE_LEN + 3 && cut.ends_with("..."));
    }

    #[test]
    fn known_spellings_are_replaced_and_the_rest_withheld() {
        let secret = "Geh eim/42ä\"";
        let given = [secret];
        let secrets = Secrets::new(&given);
        let cases = [
            ("got Geh eim/42ä\" back", "got <redacted> back"),
            (
                r#"{"password":"Geh eim/42ä\""}"#,
                r#"{"password":"<redacted>"}"#,
            ),
            (r#"p=Geh eim/42\u00e4\""#, "p=<redacted>"),
            (r#"p=Geh eim/42\u00E4\""#, "p=<redacted>"),
            ("next=/?p=Geh%20eim%2F42%C3%A4%22", "next=/?p=<redacted>"),
            ("next=/?p=Geh%20eim%2f42%c3%a4%22", "next=/?p=<redacted>"),
            ("next=/?p=Geh+eim%2F42%C3%A4%22", "next=/?p=<redacted>"),
            ("b64 R2VoIGVpbS80MsOkIg==.", "b64 <redacted>."),
            ("b64 R2VoIGVpbS80MsOkIg.", "b64 <redacted>."),
            // Mixed hex case, partial encodings, entities: withheld.
            ("next=/?p=Geh%20eim%2F42%c3%A4%22", WITHHELD),
            ("next=/?p=Geh eim/42%C3%A4\"", WITHHELD),
            ("p=Geh eim&#x2F;42&#228;&quot;", WITHHELD),
            (
                "zero width: Geh\u{200b} eim/42ä\"",
                "zero width: <redacted>",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(secrets.server_text(text), expected, "{text}");
        }
    }

    #[test]
    fn short_secrets_withhold_the_server_text_but_not_ovoks_words() {
        for short in ["x", "ab", "p@s"] {
            let given = [short];
            let secrets = Secrets::new(&given);
            let text = format!("wrong password {short}!");
            assert_eq!(secrets.server_text(&text), WITHHELD, "{short}");
            let encoded = base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("user:{short}"),
            );
            assert_eq!(secrets.server_text(&encoded), WITHHELD, "{short}");
        }
        let given = ["p@s"];
        assert_eq!(
            Secrets::new(&given).message("the connection was refused"),
            "the connection was refused"
        );
        assert_eq!(
            Secrets::new(&given).server_text("Invalid credentials"),
            "Invalid credentials"
        );
    }

    #[test]
    fn a_secret_with_invisible_characters_is_found_both_ways() {
        let secret = "tab\there\u{202e}x";
        let given = [secret];
        let secrets = Secrets::new(&given);
        assert_eq!(
            secrets.server_text(&format!("a {secret} b")),
            "a <redacted> b"
        );
        assert_eq!(secrets.server_text("a tab herex b"), "a <redacted> b");
    }

    #[test]
    fn invisible_characters_are_neutralised() {
        let text =
            "a\u{2028}b\u{2029}c\u{202e}d\u{2066}e\u{200b}f\u{feff}g\u{ad}h\u{e0041}i\u{85}j";
        assert_eq!(neutralise(text).as_str(), "a b cdefghi j");
        assert!(!is_invisible('a') && !is_invisible(' ') && !is_invisible('é'));
    }
}
