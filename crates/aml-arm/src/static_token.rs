//! A fixed token, for emulators and tests.

use std::sync::Arc;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};

/// A credential that always returns the same token: for the local emulator and tests. Its
/// `Debug` never shows the token.
pub struct StaticTokenCredential {
    token: azure_core::credentials::Secret,
}

impl StaticTokenCredential {
    /// A credential returning `token`.
    pub fn new(token: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            token: azure_core::credentials::Secret::new(token.into()),
        })
    }
}

impl std::fmt::Debug for StaticTokenCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaticTokenCredential { token: [redacted] }")
    }
}

#[async_trait::async_trait]
impl TokenCredential for StaticTokenCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            self.token.secret().to_owned(),
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn static_token_returns_the_token_and_hides_it() {
        let c = StaticTokenCredential::new("tok-123");
        let t = c.get_token(&["s"], None).await.unwrap();
        assert_eq!(t.token.secret(), "tok-123");
        assert!(!format!("{c:?}").contains("tok-123"));
    }
}
