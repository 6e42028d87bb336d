//! Building the bodies of GET-modify-PUT writes, and running the plan's reads.

use aml_model::config::{Autoscale, ScaleConfiguration};
use aml_model::plan::Read;
use aml_model::request::Request;
use aml_model::wire::{AgentPool, AgentPoolListResult};
use futures::TryStreamExt;

use super::{Lookup, clone_request, refused_update};
use crate::error::{Error, Result};
use crate::operation::ComputeOperation;

impl ComputeOperation {
    /// The `PUT` of a GET-modify-PUT step: the compute as the latest read found it, changed.
    pub(super) fn modified(
        &self,
        target: &Request,
        update: &aml_model::config::AksUpdateConfiguration,
    ) -> Result<Request> {
        let (Lookup::Found(current), Some(id)) = (&self.seen.compute, self.plan.compute()) else {
            return Err(self.workspace.not_found(self.name()));
        };
        let current = serde_json::to_value(current).map_err(|source| Error::Decode {
            what: format!("compute {:?}", self.name()),
            source,
        })?;
        let mut put = self
            .workspace
            .requests
            .update(id, &current, update)
            .map_err(|e| refused_update(e, self.name()))?;
        *put.uri_mut() = target.uri().clone();
        Ok(put)
    }

    /// The `PUT` that adds the missing control-plane prefixes to a cluster's authorized ranges:
    /// the planned body of a new cluster, or the cluster as the latest read found it.
    pub(super) fn admitted(&self, target: &Request) -> Result<Request> {
        let missing = &self.seen.missing_prefixes;
        let decode = |source| Error::Decode {
            what: "the managed cluster".to_owned(),
            source,
        };
        // Both bodies count the ranges through `control_plane::admitted`: more than AKS accepts
        // is refused here, before the write.
        let body = if target.body().is_empty() {
            let Some((id, cluster)) = &self.seen.cluster else {
                return Err(Error::Refused {
                    action: self.kind().as_str(),
                    name: self.name().to_owned(),
                    reason: "the cluster was not read before changing its authorized IP ranges"
                        .to_owned(),
                    rule: None,
                });
            };
            let admitted = aml_model::request::admit_body(cluster, missing)
                .map_err(|e| crate::secured::too_many_ranges(id.to_string(), &e))?;
            aml_model::request::Body::json(&admitted)
        } else {
            let planned = serde_json::from_slice(target.body()).map_err(decode)?;
            let admitted = aml_model::request::admit_in_new_body(planned, missing)
                .map_err(|e| crate::secured::too_many_ranges(target.uri().path().to_owned(), &e))?;
            aml_model::request::Body::json(&admitted)
        };
        let mut put = clone_request(target);
        *put.body_mut() = body.map_err(decode)?;
        put.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        Ok(put)
    }

    /// The `PUT` of a scale: the pool as the latest read found it, with its node count or
    /// autoscaler changed (never its VM size) and its read-only state left out.
    pub(super) fn scaled(
        &self,
        target: &Request,
        name: &str,
        scale: &ScaleConfiguration,
    ) -> Result<Request> {
        let pool = crate::checks::pool_named(self, name)?;
        let mut profile = pool.properties.clone().unwrap_or_default();
        profile.provisioning_state = None;
        let current = profile.count.unwrap_or(1);
        match scale.autoscale() {
            Some(Autoscale::On { min, max }) => {
                profile.enable_auto_scaling = Some(true);
                profile.min_count = Some(min);
                profile.max_count = Some(max);
                profile.count = Some(scale.node_count().unwrap_or(current).clamp(min, max));
            }
            Some(Autoscale::Off) => {
                profile.enable_auto_scaling = Some(false);
                profile.min_count = None;
                profile.max_count = None;
                profile.count = Some(scale.node_count().unwrap_or(current));
            }
            None => {
                if let Some(count) = scale.node_count() {
                    profile.count = Some(count);
                }
            }
        }
        let body = AgentPool {
            properties: Some(profile),
            ..pool.clone()
        };
        let body = serde_json::to_value(&body).map_err(|source| Error::Decode {
            what: format!("agent pool {name:?}"),
            source,
        })?;
        let mut put = clone_request(target);
        *put.body_mut() =
            aml_model::request::Body::json(&body).map_err(|source| Error::Decode {
                what: format!("agent pool {name:?}"),
                source,
            })?;
        put.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        Ok(put)
    }

    pub(super) async fn read(&mut self, read: &Read, request: Option<Request>) -> Result<()> {
        let ws = self.workspace.clone();
        match read {
            Read::Compute => {
                let request = match (request, self.plan.compute()) {
                    (Some(request), _) => request,
                    (None, Some(id)) => ws.requests.get(id),
                    (None, None) => return Err(self.workspace.not_found(self.name())),
                };
                self.seen.compute = match ws.get_resource(request).await? {
                    Some(found) => Lookup::Found(Box::new(found)),
                    None => Lookup::Absent,
                };
            }
            Read::Cluster(id) => {
                let request = request.unwrap_or_else(|| ws.requests.cluster(id));
                let cluster =
                    ws.get_cluster(request)
                        .await?
                        .ok_or_else(|| Error::ClusterNotFound {
                            cluster: id.to_string(),
                        })?;
                self.seen.cluster = Some((id.clone(), cluster));
            }
            Read::KubernetesVersions => {
                let location = self
                    .seen
                    .cluster
                    .as_ref()
                    .and_then(|(_, c)| c.location.clone());
                self.seen.versions = match location {
                    Some(location) => Some(ws.kubernetes_versions(&location).await?),
                    None => None,
                };
            }
            Read::Computes => {
                // From this listing (the R10 and R11 checks) to the attach's `PUT`, no other
                // attach through this workspace (or a clone of it) may run: two concurrent
                // attaches of one cluster would both pass the check. Attaches from other
                // processes cannot be seen here.
                if self.attach_guard.is_none() {
                    self.attach_guard = Some(ws.attach_lock.clone().lock_owned().await);
                }
                self.seen.computes = Some(ws.list().try_collect().await?);
            }
            Read::NewCluster(id) => {
                let request = request.unwrap_or_else(|| ws.requests.cluster(id));
                self.seen.new_cluster_exists = Some(ws.get_cluster(request).await?.is_some());
            }
            Read::RegionVersions(location) => {
                self.seen.versions = Some(ws.kubernetes_versions(location).await?);
            }
            Read::Workspace => {
                let mut fresh = ws.clone();
                Box::pin(fresh.refresh()).await?;
                self.seen.workspace_location = fresh.location;
            }
            Read::Locations => {
                let request = request.unwrap_or_else(|| {
                    ws.requests
                        .locations(self.plan.workspace().subscription_id())
                });
                self.seen.locations = Some(ws.arm.send(request).await?.json()?);
            }
            Read::ServiceTags => {
                let request = if let Some(r) = request {
                    r
                } else {
                    let location = self
                        .workspace_region()
                        .ok_or_else(Error::unknown_workspace_region)?;
                    ws.requests
                        .service_tags(self.plan.workspace().subscription_id(), &location)
                };
                self.seen.service_tags = Some(ws.arm.send(request).await?.json()?);
            }
            Read::AgentPools(cluster) => {
                let request = request.unwrap_or_else(|| ws.requests.agent_pools(cluster));
                let list: AgentPoolListResult = match ws.arm.send(request).await {
                    Ok(response) => response.json()?,
                    Err(e) if e.is_not_found() => {
                        return Err(Error::ClusterNotFound {
                            cluster: cluster.to_string(),
                        });
                    }
                    Err(e) => return Err(e.into()),
                };
                self.seen.pools = Some(list.value.unwrap_or_default());
            }
            _ => {}
        }
        Ok(())
    }
}
