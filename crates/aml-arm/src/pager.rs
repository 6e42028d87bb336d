//! `nextLink` paging as a stream of pages or items.

use std::collections::HashSet;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{BoxStream, Stream, StreamExt};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::client::ArmClient;
use crate::error::{Error, Result, UrlSource};
use crate::options::RequestOptions;
use crate::request::Outgoing;
use crate::request_ids::RequestIds;
use crate::url::{api_version_pair, parse_link, redact_url};

/// One page of an ARM list: `{"value": [...], "nextLink": "..."}`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// Whether another page follows.
    pub has_next: bool,
    /// Request ids of the page's response.
    pub request_ids: RequestIds,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPage<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(default)]
    next_link: Option<String>,
}

/// A stream of pages, following `nextLink` until it is absent or empty.
///
/// Every `nextLink` must stay on the ARM endpoint (else [`Error::ForeignHost`], and the link is
/// not requested); a link already fetched ends the stream with [`Error::NextLinkLoop`]. The
/// stream ends after its first error.
pub struct Pager<T> {
    inner: BoxStream<'static, Result<Page<T>>>,
}

struct State {
    client: ArmClient,
    next: Option<Outgoing>,
    /// The first request's api-version override, for `nextLink`s without an api-version.
    api_version: Option<String>,
    /// The first request's options that every page's request carries.
    options: RequestOptions,
    seen: HashSet<String>,
    /// An error about the last page's `nextLink`, reported after that page's items.
    pending: Option<Error>,
}

impl<T> Pager<T>
where
    T: DeserializeOwned + Send + 'static,
{
    /// A pager whose first page is `first`; a request that failed its checks is the stream's
    /// one item.
    pub(crate) fn new(client: ArmClient, first: Result<Outgoing>) -> Self {
        let (first, pending) = match first {
            Ok(first) => (Some(first), None),
            Err(e) => (None, Some(e)),
        };
        let state = State {
            client,
            api_version: first.as_ref().and_then(|f| f.options.api_version.clone()),
            options: first
                .as_ref()
                .map(Outgoing::follow_up_options)
                .unwrap_or_default(),
            next: first,
            seen: HashSet::new(),
            pending,
        };
        let inner = futures::stream::unfold(state, |mut state| async move {
            if let Some(e) = state.pending.take() {
                return Some((Err(e), state));
            }
            let request = state.next.take()?;
            match fetch_page::<T>(&mut state, &request).await {
                Ok(page) => Some((Ok(page), state)),
                Err(e) => Some((Err(e), state)),
            }
        })
        .boxed();
        Self { inner }
    }

    /// The items of every page, in order.
    pub fn into_items(self) -> impl Stream<Item = Result<T>> + Send + 'static {
        self.inner.flat_map(|page| {
            let items: Vec<Result<T>> = match page {
                Ok(p) => p.items.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            futures::stream::iter(items)
        })
    }

    /// Collects every item (convenience for small collections).
    pub async fn collect_all(self) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut items = std::pin::pin!(self.into_items());
        while let Some(item) = items.next().await {
            out.push(item?);
        }
        Ok(out)
    }
}

async fn fetch_page<T: DeserializeOwned>(state: &mut State, request: &Outgoing) -> Result<Page<T>> {
    let response = state.client.send_outgoing(request).await?;
    if !state.seen.insert(response.url().to_string()) {
        // Only reachable for the first request (later links are checked before fetching).
        return Err(Error::NextLinkLoop {
            url: redact_url(response.url().as_str()),
        });
    }
    let raw: RawPage<T> = response.json()?;
    let has_next = match raw.next_link.as_deref().map(str::trim) {
        Some(link) if !link.is_empty() => {
            match next_request(state, response.url(), link) {
                Ok(next) => state.next = Some(next),
                Err(e) => state.pending = Some(e),
            }
            true
        }
        _ => false,
    };
    Ok(Page {
        items: raw.value,
        has_next,
        request_ids: response.request_ids().clone(),
    })
}

/// The request for a `nextLink`: on the endpoint, not fetched before.
fn next_request(state: &State, current: &url::Url, link: &str) -> Result<Outgoing> {
    let mut url = parse_link(current, link)?;
    state.client.check_origin(&url, UrlSource::NextLink)?;
    // A link without api-version inherits the first request's override, if any (on every
    // page, not only the second).
    if let Some(v) = state.api_version.as_deref()
        && !url.query_pairs().any(|(k, _)| k == "api-version")
    {
        let query = match url.query() {
            Some(q) if !q.is_empty() => format!("{q}&{}", api_version_pair(v)),
            _ => api_version_pair(v),
        };
        url.set_query(Some(&query));
    }
    // Compare with what would actually be requested (api-version included).
    let resolved = state.client.url(url.as_str())?;
    if state.seen.contains(resolved.as_str()) {
        return Err(Error::NextLinkLoop {
            url: redact_url(resolved.as_str()),
        });
    }
    Ok(Outgoing::follow_up(
        &resolved,
        state.options.clone(),
        UrlSource::NextLink,
    ))
}

impl<T> Stream for Pager<T> {
    type Item = Result<Page<T>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl<T> fmt::Debug for Pager<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pager").finish_non_exhaustive()
    }
}
