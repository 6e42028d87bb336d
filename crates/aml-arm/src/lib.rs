#![doc = include_str!("../README.md")]

mod client;
mod credential;
mod error;
mod options;
mod pager;
mod poller;
mod retry;
mod token_cache;

pub use client::{ArmClient, ArmRequest, ArmResponse, Method};
pub use credential::{
    CredentialChain, CredentialChainOptions, CredentialKind, StaticTokenCredential,
};
pub use error::{
    ApiError, ArmAdditionalInfo, ArmErrorDetail, ArmErrorEnvelope, Error, OperationError,
    RequestIds, Result, TimeoutScope, UrlSource,
};
pub use options::{ArmClientOptions, Cloud, PollOptions, RequestOptions, Timeouts};
pub use pager::{Page, Pager};
pub use poller::{OperationStatus, Poller, Progress, ResumeToken};
pub use retry::RetryOptions;
pub use token_cache::{REFRESH_MARGIN, TokenCache};

/// The credential types this crate accepts, re-exported from `azure_core`.
pub mod credentials {
    pub use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
}
