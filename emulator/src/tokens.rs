//! What the emulator remembers about the tokens it issued: which refresh
//! token is still unused, which session each access token belongs to, and
//! which access tokens were logged out. A session is one login and every
//! refresh that follows it, so logging out with any of its access tokens
//! revokes the refresh token the session holds at that moment.

use std::collections::HashMap;

/// An issued refresh token that has not been used yet.
struct Grant {
    user: usize,
    session: u64,
    exp: u64,
}

/// An issued access token.
struct Access {
    user: usize,
    session: u64,
    exp: u64,
    denied: bool,
}

/// Expired entries are swept this often so long benchmark runs stay bounded.
const PRUNE_EVERY: u32 = 4096;

/// All token state of one emulator; the caller holds it under one lock.
#[derive(Default)]
pub struct TokenStore {
    /// Unused refresh tokens by `jti`; removal on use makes them single-use.
    refresh: HashMap<u128, Grant>,
    /// Each live session's current refresh token.
    session_refresh: HashMap<u64, u128>,
    /// Access tokens by `jti`, kept until they expire.
    access: HashMap<u128, Access>,
    next_session: u64,
    inserts_since_prune: u32,
}

/// Why an access token was refused; every case answers the same 401.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused;

impl TokenStore {
    /// Starts a session for a login.
    pub fn new_session(&mut self) -> u64 {
        self.next_session += 1;
        self.next_session
    }

    /// Records a freshly issued pair as the session's current tokens.
    pub fn insert_pair(&mut self, pair: IssuedPair, now: u64) {
        self.inserts_since_prune += 1;
        if self.inserts_since_prune >= PRUNE_EVERY {
            self.inserts_since_prune = 0;
            self.prune(now);
        }
        self.refresh.insert(
            pair.refresh_jti,
            Grant {
                user: pair.user,
                session: pair.session,
                exp: pair.refresh_exp,
            },
        );
        self.session_refresh.insert(pair.session, pair.refresh_jti);
        self.access.insert(
            pair.access_jti,
            Access {
                user: pair.user,
                session: pair.session,
                exp: pair.access_exp,
                denied: false,
            },
        );
    }

    /// Consumes a refresh token: `Some((user, session))` once, then `None`.
    pub fn redeem(&mut self, jti: u128, now: u64) -> Option<(usize, u64)> {
        let grant = self.refresh.remove(&jti)?;
        if self.session_refresh.get(&grant.session) == Some(&jti) {
            self.session_refresh.remove(&grant.session);
        }
        (grant.exp > now).then_some((grant.user, grant.session))
    }

    /// The user and session of a live access token: issued here, not
    /// expired, not logged out.
    pub fn check_access(&self, jti: u128, now: u64) -> Result<(usize, u64), Refused> {
        match self.access.get(&jti) {
            Some(access) if access.exp > now && !access.denied => Ok((access.user, access.session)),
            _ => Err(Refused),
        }
    }

    /// Logs out: denylists the access token until its expiry and revokes its
    /// session's refresh token. A second logout with the same token succeeds too.
    pub fn logout(&mut self, jti: u128, now: u64) -> Result<(), Refused> {
        let access = self.access.get_mut(&jti).ok_or(Refused)?;
        if access.exp <= now {
            return Err(Refused);
        }
        access.denied = true;
        let session = access.session;
        if let Some(refresh) = self.session_refresh.remove(&session) {
            self.refresh.remove(&refresh);
        }
        Ok(())
    }

    /// Sessions of `user` that still hold an unused refresh token.
    pub fn live_sessions(&self, user: usize) -> Vec<u64> {
        let mut sessions: Vec<u64> = self
            .session_refresh
            .iter()
            .filter(|(_, jti)| {
                self.refresh
                    .get(jti)
                    .is_some_and(|grant| grant.user == user)
            })
            .map(|(session, _)| *session)
            .collect();
        sessions.sort_unstable();
        sessions
    }

    /// Number of refresh tokens issued and not yet used, revoked or swept.
    #[cfg(test)]
    pub fn outstanding_refresh_tokens(&self) -> usize {
        self.refresh.len()
    }

    fn prune(&mut self, now: u64) {
        self.refresh.retain(|_, grant| grant.exp > now);
        let refresh = &self.refresh;
        self.session_refresh
            .retain(|_, jti| refresh.contains_key(jti));
        self.access.retain(|_, access| access.exp > now);
    }
}

/// The ids and expiries of an access/refresh pair just signed.
pub struct IssuedPair {
    pub user: usize,
    pub session: u64,
    pub access_jti: u128,
    pub access_exp: u64,
    pub refresh_jti: u128,
    pub refresh_exp: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(store: &mut TokenStore, session: u64, access: u128, refresh: u128) {
        store.insert_pair(
            IssuedPair {
                user: 0,
                session,
                access_jti: access,
                access_exp: 100,
                refresh_jti: refresh,
                refresh_exp: 1000,
            },
            10,
        );
    }

    #[test]
    fn logout_revokes_the_sessions_current_refresh_token_after_rotation() {
        let mut store = TokenStore::default();
        let session = store.new_session();
        pair(&mut store, session, 1, 2);
        assert_eq!(store.redeem(2, 10), Some((0, session)));
        pair(&mut store, session, 3, 4);
        // The first access token still belongs to the session.
        assert_eq!(store.check_access(1, 10), Ok((0, session)));
        assert_eq!(store.logout(1, 10), Ok(()));
        assert_eq!(store.check_access(1, 10), Err(Refused));
        assert_eq!(store.check_access(3, 10), Ok((0, session)));
        assert_eq!(store.redeem(4, 10), None);
        assert_eq!(store.logout(1, 10), Ok(()), "idempotent");
        assert_eq!(store.outstanding_refresh_tokens(), 0);
    }

    #[test]
    fn unknown_and_expired_access_tokens_are_refused() {
        let mut store = TokenStore::default();
        let session = store.new_session();
        pair(&mut store, session, 1, 2);
        assert_eq!(store.check_access(9, 10), Err(Refused));
        assert_eq!(store.logout(9, 10), Err(Refused));
        assert_eq!(store.check_access(1, 100), Err(Refused));
        assert_eq!(store.logout(1, 100), Err(Refused));
        assert_eq!(store.live_sessions(0), vec![session]);
        assert!(store.live_sessions(1).is_empty());
    }
}
