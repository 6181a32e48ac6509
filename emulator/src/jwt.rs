//! Minimal HS256 JWTs: enough to issue real, verifiable tokens without pulling
//! in a JWT framework. The secret is random per run, so tokens from one
//! emulator process are worthless to any other.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// `typ` claim of access tokens.
pub const ACCESS_TYP: &str = "access";
/// `typ` claim of refresh tokens; what stops an access token being used to refresh.
pub const REFRESH_TYP: &str = "refresh";

/// Claims carried by every token the emulator issues.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iat: u64,
    pub exp: u64,
    /// 128 random bits as 32 hex digits, so two tokens in one second differ.
    pub jti: String,
    pub typ: String,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// Signs and verifies tokens with one secret.
pub struct Signer {
    secret: [u8; 32],
}

impl Signer {
    /// A signer with a fresh random secret.
    pub fn random() -> std::io::Result<Signer> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(std::io::Error::other)?;
        Ok(Signer { secret })
    }

    /// A signer with a known secret, so tests can check signatures independently.
    #[cfg(test)]
    pub fn with_secret(secret: [u8; 32]) -> Signer {
        Signer { secret }
    }

    /// Issues a token for `sub` valid for `lifetime_secs` from `now`.
    /// Returns the token and its `jti` as a number (cheap to keep in a set).
    pub fn issue(
        &self,
        typ: &str,
        sub: &str,
        now: u64,
        lifetime_secs: u64,
    ) -> std::io::Result<(String, u128)> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(std::io::Error::other)?;
        let jti = u128::from_be_bytes(id);
        let claims = Claims {
            sub: sub.to_owned(),
            iat: now,
            exp: now.saturating_add(lifetime_secs),
            jti: format!("{jti:032x}"),
            typ: typ.to_owned(),
        };
        let payload = serde_json::to_vec(&claims).map_err(std::io::Error::other)?;
        let mut token = String::with_capacity(300);
        URL_SAFE_NO_PAD.encode_string(br#"{"alg":"HS256","typ":"JWT"}"#, &mut token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let signature = self.mac(token.as_bytes()).finalize().into_bytes();
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok((token, jti))
    }

    /// Checks shape, algorithm and signature (in constant time) and returns the
    /// claims. Expiry is the caller's business, since it needs the clock.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let header: Header = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        if header.alg != "HS256" {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let signed_len = token.len() - signature_len(token);
        self.mac(&token.as_bytes()[..signed_len])
            .verify_slice(&signature)
            .ok()?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }

    fn mac(&self, data: &[u8]) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(data);
        mac
    }
}

/// Length of the `.signature` suffix, i.e. what is not covered by the MAC.
fn signature_len(token: &str) -> usize {
    token.rfind('.').map_or(0, |dot| token.len() - dot)
}

/// Seconds since the Unix epoch; a clock before 1970 counts as 1970.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const SECRET: [u8; 32] = [7; 32];

    fn decode_json(part: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn token_structure_and_claims() {
        let signer = Signer::with_secret(SECRET);
        let (token, jti) = signer.issue(ACCESS_TYP, "Patient/1", 1000, 3600).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            decode_json(parts[0]),
            serde_json::json!({"alg": "HS256", "typ": "JWT"})
        );
        let claims = decode_json(parts[1]);
        assert_eq!(claims["sub"], "Patient/1");
        assert_eq!(claims["iat"], 1000);
        assert_eq!(claims["exp"], 4600);
        assert_eq!(claims["typ"], "access");
        assert_eq!(claims["jti"], format!("{jti:032x}"));
        assert!(!token.contains('='), "must be unpadded: {token}");
    }

    #[test]
    fn signature_is_hs256_over_header_and_payload() {
        let signer = Signer::with_secret(SECRET);
        let (token, _) = signer.issue(REFRESH_TYP, "Patient/1", 1, 2).unwrap();
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let mut mac = HmacSha256::new_from_slice(&SECRET).unwrap();
        mac.update(signed.as_bytes());
        let expected = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert_eq!(signature, expected);
        assert_eq!(signer.verify(&token).unwrap().typ, "refresh");
    }

    #[test]
    fn tokens_differ_within_one_second() {
        let signer = Signer::with_secret(SECRET);
        let (a, ja) = signer.issue(ACCESS_TYP, "Patient/1", 5, 60).unwrap();
        let (b, jb) = signer.issue(ACCESS_TYP, "Patient/1", 5, 60).unwrap();
        assert_ne!(a, b);
        assert_ne!(ja, jb);
    }

    #[test]
    fn verify_rejects_tampering_and_other_secrets() {
        let signer = Signer::with_secret(SECRET);
        let (token, _) = signer.issue(ACCESS_TYP, "Patient/1", 5, 60).unwrap();
        assert!(signer.verify(&token).is_some());
        assert!(Signer::with_secret([8; 32]).verify(&token).is_none());
        let parts: Vec<&str> = token.split('.').collect();
        let forged_payload = URL_SAFE_NO_PAD
            .encode(br#"{"sub":"Patient/2","iat":5,"exp":65,"jti":"00","typ":"access"}"#);
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert!(signer.verify(&forged).is_none());
        let none_alg = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
            parts[1],
            parts[2]
        );
        assert!(signer.verify(&none_alg).is_none());
        for junk in ["", "a", "a.b", "a.b.c", "a.b.c.d", &format!("{token}.x")] {
            assert!(signer.verify(junk).is_none(), "{junk}");
        }
    }

    #[test]
    fn random_secrets_differ() {
        let a = Signer::random().unwrap();
        let b = Signer::random().unwrap();
        assert_ne!(a.secret, b.secret);
    }
}
