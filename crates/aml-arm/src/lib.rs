#![doc = include_str!("../README.md")]

mod api_error;
mod client;
mod cloud;
mod credential;
mod error;
mod operation_body;
mod options;
mod pager;
mod poller;
mod request;
mod request_ids;
mod response;
mod retry;
mod static_token;
mod token_cache;
mod transport;
mod url;

pub use api_error::{ApiError, OperationError};
pub use client::ArmClient;
pub use cloud::Cloud;
pub use credential::{
    CredentialChain, CredentialChainOptions, CredentialKind, azure_cli_active_cloud,
    azure_cli_config_dir,
};
pub use error::{Error, Result, TimeoutScope, UrlSource};
pub use options::{ArmClientOptions, PollOptions, RequestOptions, Timeouts};
pub use pager::{Page, Pager};
pub use poller::resume::ResumeToken;
pub use poller::{Poller, Progress};
pub use request_ids::RequestIds;
pub use response::ArmResponse;
pub use retry::RetryOptions;
pub use static_token::StaticTokenCredential;

/// The credential types this crate accepts, re-exported from `azure_core`.
pub mod credentials {
    pub use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
}
