//! A token cache with single-flight refresh.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use azure_core::credentials::{AccessToken, TokenCredential};
use reqwest::header::HeaderValue;
use time::OffsetDateTime;

use crate::error::{Error, Result};

/// A token and its ready-made `Authorization` header value (marked sensitive).
#[derive(Clone)]
struct Cached {
    token: Arc<AccessToken>,
    header: HeaderValue,
}

/// How long before `expires_on` a cached token is replaced.
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Caches one scope's access token and refreshes it once for all concurrent callers.
///
/// A token is reused until [`REFRESH_MARGIN`] (5 minutes) before its `expires_on`. When it has
/// to be refreshed, the first caller asks the credential and every concurrent caller waits for
/// that one answer: the credential sees one `get_token`, not one per request. Some credentials
/// (the Azure CLI one) do not cache at all, so this matters.
///
/// If the refreshing caller is dropped (cancelled), the next waiter refreshes instead.
pub(crate) struct TokenCache {
    credential: Arc<dyn TokenCredential>,
    scope: String,
    current: RwLock<Option<Cached>>,
    refresh: tokio::sync::Mutex<()>,
    now: fn() -> OffsetDateTime,
}

impl TokenCache {
    /// A cache for `scope` (e.g. `https://management.azure.com/.default`) over `credential`.
    pub(crate) fn new(credential: Arc<dyn TokenCredential>, scope: impl Into<String>) -> Self {
        Self::with_clock(credential, scope, OffsetDateTime::now_utc)
    }

    /// Like [`TokenCache::new`] with an injected wall clock, for tests of expiry handling.
    pub(crate) fn with_clock(
        credential: Arc<dyn TokenCredential>,
        scope: impl Into<String>,
        now: fn() -> OffsetDateTime,
    ) -> Self {
        Self {
            credential,
            scope: scope.into(),
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            now,
        }
    }

    /// A token valid for at least [`REFRESH_MARGIN`] more, from the cache or the credential.
    #[cfg(test)]
    pub(crate) async fn get(&self) -> Result<Arc<AccessToken>> {
        Ok(self.get_cached().await?.token)
    }

    /// The token and its `Authorization: Bearer` header value, built once per token.
    pub(crate) async fn get_with_header(&self) -> Result<(Arc<AccessToken>, HeaderValue)> {
        let c = self.get_cached().await?;
        Ok((c.token, c.header))
    }

    async fn get_cached(&self) -> Result<Cached> {
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        let _guard = self.refresh.lock().await;
        // Someone else may have refreshed while we waited for the lock.
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        let token = self
            .credential
            .get_token(&[self.scope.as_str()], None)
            .await
            .map_err(|source| Error::Credential {
                scope: self.scope.clone(),
                source,
            })?;
        let mut header = HeaderValue::from_str(&format!("Bearer {}", token.token.secret()))
            .map_err(|_| Error::InvalidConfig {
                message: "the credential returned a token that is not a valid header value"
                    .to_owned(),
            })?;
        header.set_sensitive(true);
        tracing::debug!(
            scope = %self.scope,
            expires_on = %token.expires_on,
            "acquired an access token"
        );
        let cached = Cached {
            token: Arc::new(token),
            header,
        };
        *self.write() = Some(cached.clone());
        Ok(cached)
    }

    /// Drops `used` from the cache (after ARM rejected it with 401), unless it was already
    /// replaced by a newer token.
    pub(crate) fn invalidate(&self, used: &Arc<AccessToken>) {
        let mut slot = self.write();
        if slot.as_ref().is_some_and(|c| Arc::ptr_eq(&c.token, used)) {
            *slot = None;
        }
    }

    fn fresh(&self) -> Option<Cached> {
        let slot = self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.as_ref()
            .filter(|c| is_fresh(&c.token, (self.now)()))
            .cloned()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Option<Cached>> {
        self.current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether `token` can still be used at `now`: more than [`REFRESH_MARGIN`] before expiry.
pub(crate) fn is_fresh(token: &AccessToken, now: OffsetDateTime) -> bool {
    token.expires_on - REFRESH_MARGIN > now
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expires_on = self
            .current
            .read()
            .ok()
            .and_then(|s| s.as_ref().map(|c| c.token.expires_on));
        f.debug_struct("TokenCache")
            .field("scope", &self.scope)
            .field("cached_until", &expires_on)
            .field("token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::credentials::TokenRequestOptions;
    use std::sync::atomic::{AtomicU32, Ordering};
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2025-01-01 12:00:00 UTC);

    #[derive(Debug)]
    struct Counting {
        calls: AtomicU32,
        lifetime: time::Duration,
    }

    #[async_trait::async_trait]
    impl TokenCredential for Counting {
        async fn get_token(
            &self,
            scopes: &[&str],
            _: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            assert_eq!(scopes, ["scope/.default"]);
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            // Yield so concurrent callers really overlap with the refresh.
            tokio::task::yield_now().await;
            Ok(AccessToken::new(format!("token-{n}"), NOW + self.lifetime))
        }
    }

    fn cache(lifetime: time::Duration) -> (Arc<Counting>, TokenCache) {
        let cred = Arc::new(Counting {
            calls: AtomicU32::new(0),
            lifetime,
        });
        let cache = TokenCache::with_clock(cred.clone(), "scope/.default", || NOW);
        (cred, cache)
    }

    #[test]
    fn freshness_uses_a_five_minute_margin() {
        let t = AccessToken::new("x", NOW + time::Duration::minutes(10));
        assert!(is_fresh(&t, NOW));
        assert!(is_fresh(&t, NOW + time::Duration::minutes(4)));
        assert!(!is_fresh(&t, NOW + time::Duration::minutes(5)));
        assert!(!is_fresh(&t, NOW + time::Duration::minutes(11)));
    }

    #[tokio::test]
    async fn one_get_token_serves_many_requests() {
        let (cred, cache) = cache(time::Duration::hours(1));
        for _ in 0..10 {
            assert_eq!(cache.get().await.unwrap().token.secret(), "token-1");
        }
        assert_eq!(cred.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_token_near_expiry_is_refreshed_every_time() {
        let (cred, cache) = cache(time::Duration::minutes(4));
        cache.get().await.unwrap();
        cache.get().await.unwrap();
        assert_eq!(cred.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_one_refresh() {
        let (cred, cache) = cache(time::Duration::hours(1));
        let cache = Arc::new(cache);
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let c = Arc::clone(&cache);
                tokio::spawn(async move { c.get().await.map(|t| t.token.secret().to_owned()) })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), "token-1");
        }
        assert_eq!(cred.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn invalidate_forces_a_new_token_but_ignores_stale_handles() {
        let (cred, cache) = cache(time::Duration::hours(1));
        let first = cache.get().await.unwrap();
        cache.invalidate(&first);
        let second = cache.get().await.unwrap();
        assert_eq!(second.token.secret(), "token-2");
        // Invalidating the old handle again does not drop the new token.
        cache.invalidate(&first);
        assert_eq!(cache.get().await.unwrap().token.secret(), "token-2");
        assert_eq!(cred.calls.load(Ordering::SeqCst), 2);
        assert!(!format!("{cache:?}").contains("token-2"));
    }
}
