//! The access tokens the sandbox issued, and when each expires.
//!
//! Expiry follows tokio's clock ([`tokio::time::Instant`]), so a test on paused time can expire a
//! token with `tokio::time::advance` instead of sleeping.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use tokio::time::Instant;

/// Random bytes in a token: as many as a 256-bit key, so tokens cannot be guessed.
const TOKEN_BYTES: usize = 32;

/// The most tokens remembered at once; past it the one that expires first is forgotten, so that
/// a client asking for tokens in a loop cannot grow the sandbox's memory without bound.
const MAX_REMEMBERED_TOKENS: usize = 10_000;

/// What the sandbox knows of a presented token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenStatus {
    /// Issued by this sandbox and not expired.
    Valid,
    /// Issued by this sandbox, but its lifetime is over.
    Expired,
    /// Issued by this sandbox, then revoked by the fault `revoke-every`.
    Revoked,
    /// Not issued by this sandbox, or forgotten long after it expired.
    Unknown,
}

/// Issues opaque tokens and checks them. Its `Debug` output counts the tokens without
/// showing them.
pub(crate) struct TokenStore {
    lifetime: Duration,
    issued: Mutex<HashMap<String, Issued>>,
}

/// What the store remembers of one token.
#[derive(Debug, Clone, Copy)]
struct Issued {
    /// `None` when the lifetime is too long for the clock to represent.
    expires_at: Option<Instant>,
    revoked: bool,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TokenStore")
            .field("lifetime", &self.lifetime)
            .field("remembered", &self.issued().len())
            .finish()
    }
}

impl TokenStore {
    /// A store whose tokens live for `lifetime`.
    pub(crate) fn new(lifetime: Duration) -> Self {
        Self {
            lifetime,
            issued: Mutex::new(HashMap::new()),
        }
    }

    /// How long a token lives.
    pub(crate) fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Issues a new token, distinct from every other, valid from now for the lifetime.
    pub(crate) fn issue(&self) -> String {
        let mut bytes = [0_u8; TOKEN_BYTES];
        rand::thread_rng().fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);

        let now = Instant::now();
        let expires_at = now.checked_add(self.lifetime);
        let mut issued = self.issued();

        // Expired tokens are kept for one more lifetime, so that a client using one hears
        // "expired" rather than "not valid".
        let forget_after = self.lifetime;
        issued.retain(|_, token| {
            token
                .expires_at
                .is_none_or(|expiry| now.saturating_duration_since(expiry) <= forget_after)
        });
        if issued.len() >= MAX_REMEMBERED_TOKENS {
            let first_to_expire = issued
                .iter()
                .filter_map(|(token, issued)| issued.expires_at.map(|expiry| (expiry, token)))
                .min()
                .map(|(_, token)| token.clone());
            if let Some(token) = first_to_expire {
                issued.remove(&token);
            }
        }

        let remembered = Issued {
            expires_at,
            revoked: false,
        };
        issued.insert(token.clone(), remembered);
        token
    }

    /// Revokes every token issued so far; tokens issued later are valid as usual. Revoked
    /// tokens are remembered as long as expired ones, so that a client using one hears
    /// "revoked" rather than "not valid".
    pub(crate) fn revoke_all(&self) {
        for token in self.issued().values_mut() {
            token.revoked = true;
        }
    }

    /// Whether `token` is one this sandbox issued, and still valid.
    pub(crate) fn status(&self, token: &str) -> TokenStatus {
        match self.issued().get(token) {
            None => TokenStatus::Unknown,
            Some(Issued { revoked: true, .. }) => TokenStatus::Revoked,
            Some(Issued {
                expires_at: Some(expiry),
                ..
            }) if Instant::now() >= *expiry => TokenStatus::Expired,
            Some(_) => TokenStatus::Valid,
        }
    }

    /// The table, even if a thread panicked while holding it: every update leaves it whole.
    fn issued(&self) -> MutexGuard<'_, HashMap<String, Issued>> {
        self.issued.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokens_are_distinct_and_expire_after_their_lifetime() {
        let store = TokenStore::new(Duration::from_secs(60));
        let first = store.issue();
        let second = store.issue();

        tokio::time::advance(Duration::from_secs(59)).await;
        let before = store.status(&first);
        tokio::time::advance(Duration::from_secs(1)).await;
        let after = store.status(&first);

        assert_ne!(first, second);
        assert_eq!(before, TokenStatus::Valid);
        assert_eq!(after, TokenStatus::Expired);
        assert_eq!(store.status("made-up"), TokenStatus::Unknown);
    }

    #[tokio::test(start_paused = true)]
    async fn long_expired_tokens_are_forgotten() {
        let store = TokenStore::new(Duration::from_secs(10));
        let old = store.issue();

        tokio::time::advance(Duration::from_secs(25)).await;
        store.issue();

        assert_eq!(store.status(&old), TokenStatus::Unknown);
    }

    #[tokio::test(start_paused = true)]
    async fn revoking_affects_only_the_tokens_issued_so_far() {
        let store = TokenStore::new(Duration::from_secs(60));
        let old = store.issue();

        store.revoke_all();
        let new = store.issue();

        assert_eq!(store.status(&old), TokenStatus::Revoked);
        assert_eq!(store.status(&new), TokenStatus::Valid);
    }
}
