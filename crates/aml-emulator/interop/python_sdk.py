#!/usr/bin/env python3
"""Drive a running aml-emulator with Microsoft's official Python management SDKs.

    python_sdk.py [BASE_URL [CA_PEM]]

BASE_URL (or $AML_EMULATOR_URL) is the https URL the emulator printed, CA_PEM (or
$AML_EMULATOR_CA) the CA certificate it wrote. The emulator must hold the standard seed (start
it without --seed) and no compute named sdk-attach, sdk-create or sdk-old (a passing run
deletes the ones it makes, so it can be repeated against the same emulator).

Optional environment:
  AML_INTEROP_API_VERSION  api-version the machine-learning client sends (default: the
                           package's own default, 2020-08-01 in azure-mgmt-machinelearningservices
                           1.0.1; the emulator follows 2024-04-01 and accepts any well-formed one)
  AML_EMULATOR_PAGE_SIZE   the emulator's --page-size, to assert how many pages the list walks
  AML_INTEROP_VERBOSE=1    log every HTTP request and response the SDKs make

The calls are the SDKs' ordinary ones (clients, typed models, LRO pollers, pagers, `cls=` to
see the raw body next to the typed result). Two things reach past the public surface: the
2020-08-01 model AKSProperties is subclassed to add `clusterPurpose` (see below), and the
clients' `_config.api_version` is printed. The emulator's admin endpoint (/_emulator/requests)
is read with urllib to prove the SDK's own poller followed `Azure-AsyncOperation`.

Prints one line per step; exits 1 if any step failed, 2 on bad usage.
"""

from __future__ import annotations

import json
import logging
import math
import os
import ssl
import sys
import time
import traceback
import urllib.request
from importlib.metadata import version as package_version

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
from azure.mgmt.machinelearningservices import models as ml

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
ML_GROUP = "aml-rg"
WORKSPACE = "aml-ws"
CLUSTER_GROUP = "aks-rg"
CLUSTER = "aks-prod"
CLUSTER_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{CLUSTER_GROUP}"
    f"/providers/Microsoft.ContainerService/managedClusters/{CLUSTER}"
)
ATTACHED = "sdk-attach"  # attaches aks-prod
OLD = "sdk-old"  # attaches aks-old, whose Kubernetes 1.25.11 is unsupported (R14)
OLD_CLUSTER_ID = CLUSTER_ID.replace("/aks-prod", "/aks-old")
CREATED = "sdk-create"  # creates a new managed cluster
LOCATION = "eastus"
LRO_TIMEOUT = 60  # seconds; operations take --operation-ms in the emulator

# Steps the emulator is known to fail for the official SDK, by step name: the step is skipped
# with this message, and the rest still runs. Each entry records what the SDK expected and what
# the emulator sent. Empty: no deviation found (see README.md).
KNOWN_DEVIATIONS: dict[str, str] = {}


class FakeCredential:
    """A TokenCredential: the emulator accepts any bearer token."""

    def get_token(self, *scopes, **kwargs):  # noqa: ARG002 - the protocol's signature
        return AccessToken("fake", int(time.time()) + 3600)


class AKSPropertiesWithPurpose(ml.AKSProperties):
    """AKSProperties plus the two fields api-version 2024-04-01 added.

    azure-mgmt-machinelearningservices 1.0.1 only has the 2020-08-01 models, which lack
    `clusterPurpose` and `loadBalancerType`; the SDK's serializer walks the instance's
    `_attribute_map`, so a subclass sends them through the ordinary typed path.
    """

    _attribute_map = {
        **ml.AKSProperties._attribute_map,
        "cluster_purpose": {"key": "clusterPurpose", "type": "str"},
        "load_balancer_type": {"key": "loadBalancerType", "type": "str"},
    }

    def __init__(self, *, cluster_purpose=None, load_balancer_type=None, **kwargs):
        super().__init__(**kwargs)
        self.cluster_purpose = cluster_purpose
        self.load_balancer_type = load_balancer_type


def with_raw(pipeline_response, deserialized, _headers):
    """`cls=` callback: the typed result and the raw JSON body the emulator sent."""
    body = pipeline_response.http_response.text()
    return deserialized, (json.loads(body) if body else None)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


class Run:
    def __init__(self):
        self.failures = []
        self.skipped = []
        self.passed = 0

    def step(self, name, func):
        if name in KNOWN_DEVIATIONS:
            self.skipped.append(name)
            print(f"SKIP {name}: emulator deviation: {KNOWN_DEVIATIONS[name]}", flush=True)
            return None
        started = time.monotonic()
        try:
            detail = func()
        except Exception as error:  # noqa: BLE001 - report every failure and go on
            self.failures.append(name)
            summary = f"{type(error).__name__}: {error}".replace("\n", " | ")
            print(f"FAIL {name}: {summary}", flush=True)
            if os.environ.get("AML_INTEROP_VERBOSE"):
                traceback.print_exc()
            return None
        self.passed += 1
        took = (time.monotonic() - started) * 1000
        print(f"ok   {name} ({took:.0f} ms){': ' + detail if detail else ''}", flush=True)
        return detail


def main(argv):
    base_url = (argv[1] if len(argv) > 1 else os.environ.get("AML_EMULATOR_URL", "")).rstrip("/")
    ca = argv[2] if len(argv) > 2 else os.environ.get("AML_EMULATOR_CA", "")
    if not base_url.startswith("https://") or not os.path.isfile(ca):
        print(__doc__, file=sys.stderr)
        print("error: need the emulator's https URL and its CA file", file=sys.stderr)
        return 2
    if os.environ.get("AML_INTEROP_VERBOSE"):
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.INFO)

    options = {"base_url": base_url, "connection_verify": ca}
    api_version = os.environ.get("AML_INTEROP_API_VERSION")
    ml_options = dict(options, api_version=api_version) if api_version else options
    credential = FakeCredential()
    mlc = MachineLearningServicesMgmtClient(credential, SUBSCRIPTION, **ml_options)
    aks = ContainerServiceClient(credential, SUBSCRIPTION, **options)
    computes = mlc.machine_learning_compute
    tls = ssl.create_default_context(cafile=ca)

    def admin(method, path):
        request = urllib.request.Request(f"{base_url}/_emulator{path}", method=method)
        with urllib.request.urlopen(request, context=tls, timeout=10) as response:  # noqa: S310
            body = response.read()
            return json.loads(body) if body else None

    def polls():
        entries = admin("GET", "/requests")
        entries = entries.get("requests", entries) if isinstance(entries, dict) else entries
        return sum(1 for e in entries if "/computeOperationsStatus/" in e["path"] and e["method"] == "GET")

    print(
        "packages: "
        + ", ".join(
            f"{name} {package_version(name)}"
            for name in (
                "azure-mgmt-machinelearningservices",
                "azure-mgmt-containerservice",
                "azure-mgmt-core",
                "azure-core",
            )
        )
        + f"; machine-learning api-version {mlc._config.api_version}"
        + f", container-service api-version {aks._config.api_version}",
        flush=True,
    )
    run = Run()
    state = {}

    def workspace_get():
        workspace = mlc.workspaces.get(ML_GROUP, WORKSPACE)
        check(workspace.name == WORKSPACE, f"name {workspace.name!r}")
        check(workspace.location == LOCATION, f"location {workspace.location!r}")
        return f"{workspace.name} in {workspace.location}"

    def attach():
        before = polls()
        body = ml.ComputeResource(
            location=LOCATION,
            properties=ml.AKS(
                resource_id=CLUSTER_ID,
                description="attached by the official Python SDK",
                properties=AKSPropertiesWithPurpose(cluster_purpose="FastProd"),
            ),
        )
        poller = computes.begin_create_or_update(ML_GROUP, WORKSPACE, ATTACHED, body)
        check(poller.status() == "InProgress", f"poller status after the PUT: {poller.status()}")
        result = poller.result(timeout=LRO_TIMEOUT)
        check(poller.done() and poller.status() == "Succeeded", f"poller ended {poller.status()}")
        check(isinstance(result, ml.ComputeResource), f"result type {type(result).__name__}")
        check(isinstance(result.properties, ml.AKS), f"properties {type(result.properties).__name__}")
        check(result.name == ATTACHED, f"name {result.name!r}")
        check(result.properties.provisioning_state == "Succeeded", f"state {result.properties.provisioning_state}")
        check(result.properties.is_attached_compute is True, "isAttachedCompute is not true")
        check(result.properties.resource_id.lower() == CLUSTER_ID.lower(), result.properties.resource_id)
        polled = polls() - before
        check(polled >= 1, "the poller never read the Azure-AsyncOperation status")
        return f"{poller.status()}, {polled} status polls"

    def get_attached():
        result, raw = computes.get(ML_GROUP, WORKSPACE, ATTACHED, cls=with_raw)
        props = result.properties
        check(result.id.lower().endswith(f"/workspaces/{WORKSPACE}/computes/{ATTACHED}"), f"id {result.id}")
        check(result.type == "Microsoft.MachineLearningServices/workspaces/computes", f"type {result.type}")
        check(props.compute_type == "AKS", f"computeType {props.compute_type}")
        check(props.provisioning_state == "Succeeded", f"state {props.provisioning_state}")
        check(props.properties.agent_count == 3, f"agentCount {props.properties.agent_count}")
        check(props.properties.agent_vm_size == "Standard_D3_v2", f"agentVmSize {props.properties.agent_vm_size}")
        purpose = raw["properties"]["properties"].get("clusterPurpose")
        check(purpose == "FastProd", f"clusterPurpose {purpose!r}")
        return (
            f"{props.compute_type} {props.provisioning_state}, "
            f"{props.properties.agent_count} x {props.properties.agent_vm_size}, {purpose}, "
            f"fqdn {props.properties.cluster_fqdn}"
        )

    def list_keys():
        secrets = computes.list_keys(ML_GROUP, WORKSPACE, ATTACHED)
        check(isinstance(secrets, ml.AksComputeSecrets), f"secrets type {type(secrets).__name__}")
        for which in ("user_kube_config", "admin_kube_config"):
            text = getattr(secrets, which) or ""
            check("apiVersion: v1" in text and "clusters:" in text, f"{which} is not a kubeconfig")
        return f"{secrets.compute_type} secrets, user kubeconfig {len(secrets.user_kube_config)} chars"

    def create():
        body = ml.ComputeResource(
            location=LOCATION,
            properties=ml.AKS(
                compute_location=LOCATION,
                description="created by the official Python SDK",
                properties=AKSPropertiesWithPurpose(
                    agent_count=3, agent_vm_size="Standard_D3_v2", cluster_purpose="FastProd"
                ),
            ),
        )
        poller = computes.begin_create_or_update(ML_GROUP, WORKSPACE, CREATED, body)
        result = poller.result(timeout=LRO_TIMEOUT)
        props = result.properties
        check(poller.status() == "Succeeded", f"poller ended {poller.status()}")
        check(result.name == CREATED, f"name {result.name!r}")
        check(props.provisioning_state == "Succeeded", f"state {props.provisioning_state}")
        check(props.is_attached_compute is False, "isAttachedCompute is not false")
        check(props.properties.agent_count == 3, f"agentCount {props.properties.agent_count}")
        check(props.properties.agent_vm_size == "Standard_D3_v2", f"agentVmSize {props.properties.agent_vm_size}")
        check(props.resource_id and "/managedClusters/" in props.resource_id, f"resourceId {props.resource_id!r}")
        state["created_cluster"] = props.resource_id
        return f"{poller.status()}, new cluster {props.resource_id.rsplit('/', 1)[-1]}"

    def created_cluster_get():
        group, name = cluster_group_and_name(state["created_cluster"])
        cluster = aks.managed_clusters.get(group, name)
        check(cluster.provisioning_state == "Succeeded", f"cluster state {cluster.provisioning_state}")
        pool = cluster.agent_pool_profiles[0]
        check((pool.count, pool.vm_size) == (3, "Standard_D3_v2"), f"pool {pool.count} x {pool.vm_size}")
        return (
            f"{group}/{name} {cluster.provisioning_state}, Kubernetes {cluster.kubernetes_version} "
            f"(running {cluster.current_kubernetes_version})"
        )

    def list_computes():
        pages = computes.list_by_workspace(ML_GROUP, WORKSPACE).by_page()
        names, page_count = [], 0
        for page in pages:
            page_count += 1
            names.extend(compute.name for compute in page)
        check(sorted(names) == sorted([ATTACHED, CREATED]), f"names {names}")
        page_size = os.environ.get("AML_EMULATOR_PAGE_SIZE")
        if page_size:
            wanted = max(1, math.ceil(len(names) / int(page_size)))
            check(page_count == wanted, f"{page_count} pages, wanted {wanted}")
        return f"{len(names)} computes in {page_count} page(s): {', '.join(names)}"

    def cluster_get():
        cluster = aks.managed_clusters.get(CLUSTER_GROUP, CLUSTER)
        check(cluster.name == CLUSTER, f"name {cluster.name!r}")
        check(cluster.location == LOCATION, f"location {cluster.location!r}")
        check(cluster.provisioning_state == "Succeeded", f"state {cluster.provisioning_state}")
        # ARM echoes the requested version (a minor may be given) and reports the running patch.
        check(cluster.current_kubernetes_version == "1.30.4", f"current {cluster.current_kubernetes_version}")
        check("1.30.4".startswith(cluster.kubernetes_version or "-"), f"version {cluster.kubernetes_version}")
        pools = [(p.name, p.count, p.vm_size, p.mode) for p in cluster.agent_pool_profiles]
        check(pools and pools[0][1:3] == (3, "Standard_D3_v2"), f"pools {pools}")
        check(cluster.fqdn, "no fqdn")
        return (
            f"{cluster.name} {cluster.provisioning_state}, Kubernetes {cluster.kubernetes_version} "
            f"(running {cluster.current_kubernetes_version}), pools {pools}"
        )

    def user_credentials():
        result = aks.managed_clusters.list_cluster_user_credentials(CLUSTER_GROUP, CLUSTER)
        check(result.kubeconfigs, "no kubeconfigs")
        first = result.kubeconfigs[0]
        value = first.value
        text = value.decode() if isinstance(value, (bytes, bytearray)) else str(value)
        check("apiVersion: v1" in text and "clusters:" in text, f"kubeconfig {first.name!r} is not a kubeconfig")
        return f"{len(result.kubeconfigs)} kubeconfig(s), {first.name!r} {len(text)} chars (base64-decoded by the SDK)"

    def kubernetes_versions():
        result = aks.managed_clusters.list_kubernetes_versions(LOCATION)
        values = result.values_property  # the wire's `values` (the model is also a Mapping)
        check(values, "no versions")
        defaults = [v.version for v in values if v.is_default]
        check(defaults == ["1.30"], f"defaults {defaults}")
        minors = sorted(v.version for v in values)
        check(minors == ["1.28", "1.29", "1.30", "1.31"], f"minors {minors}")
        preview = [v.version for v in values if v.is_preview]
        check(preview == ["1.31"], f"preview {preview}")
        patches = {v.version: sorted((v.patch_versions or {}).keys()) for v in values}
        check(patches["1.30"] == ["1.30.4", "1.30.5"], f"1.30 patches {patches['1.30']}")
        return f"{', '.join(minors)}; default {defaults[0]}; 1.30 patches {patches['1.30']}"

    def agent_pools():
        pools = list(aks.agent_pools.list(CLUSTER_GROUP, CLUSTER))
        check([p.name for p in pools] == ["nodepool1"], f"pools {[p.name for p in pools]}")
        pool = aks.agent_pools.get(CLUSTER_GROUP, CLUSTER, "nodepool1")
        check(pool.id.endswith(f"/managedClusters/{CLUSTER}/agentPools/nodepool1"), f"id {pool.id}")
        check((pool.count, pool.vm_size, pool.mode) == (3, "Standard_D3_v2", "System"), f"pool {pool}")
        check(pool.enable_auto_scaling is False, f"enableAutoScaling {pool.enable_auto_scaling}")
        return f"{len(pools)} pool(s); nodepool1 {pool.count} x {pool.vm_size}, {pool.mode}, {pool.provisioning_state}"

    def scale_pool():
        # A GET-modify-PUT of the pool, as `az aks nodepool scale` does, through the SDK's own
        # ARMPolling; then the cluster and the attached compute show the new count.
        def put(change):
            pool = aks.agent_pools.get(CLUSTER_GROUP, CLUSTER, "nodepool1")
            change(pool)
            poller = aks.agent_pools.begin_create_or_update(CLUSTER_GROUP, CLUSTER, "nodepool1", pool)
            result = poller.result(timeout=LRO_TIMEOUT)
            check(poller.status() == "Succeeded", f"poller ended {poller.status()}")
            check(result.provisioning_state == "Succeeded", f"pool state {result.provisioning_state}")
            return result

        def to_four(pool):
            pool.count = 4

        scaled = put(to_four)
        check(scaled.count == 4, f"count {scaled.count}")
        cluster = aks.managed_clusters.get(CLUSTER_GROUP, CLUSTER)
        check(cluster.agent_pool_profiles[0].count == 4, f"cluster pool {cluster.agent_pool_profiles[0].count}")
        compute = computes.get(ML_GROUP, WORKSPACE, ATTACHED).properties
        check(compute.properties.agent_count == 4, f"agentCount {compute.properties.agent_count}")

        def autoscale(pool):
            pool.enable_auto_scaling, pool.min_count, pool.max_count = True, 3, 5

        on = put(autoscale)
        check((on.enable_auto_scaling, on.min_count, on.max_count) == (True, 3, 5), f"autoscaler {on}")

        def back(pool):
            pool.enable_auto_scaling, pool.min_count, pool.max_count, pool.count = False, None, None, 3

        off = put(back)
        check((off.enable_auto_scaling, off.min_count, off.count) == (False, None, 3), f"autoscaler {off}")
        try:
            pool = aks.agent_pools.get(CLUSTER_GROUP, CLUSTER, "nodepool1")
            pool.vm_size = "Standard_D8s_v3"
            aks.agent_pools.begin_create_or_update(CLUSTER_GROUP, CLUSTER, "nodepool1", pool)
        except HttpResponseError as error:
            check(error.status_code == 400, f"status {error.status_code}")
            code = error.error.code if error.error else None
            check(code == "PropertyChangeNotAllowed", f"code {code}")
        else:
            raise AssertionError("a VM size change was accepted")
        return "4 nodes (cluster and agentCount follow), autoscaler 3-5 on, off at 3; vmSize change 400 " + code

    def detach():
        poller = computes.begin_delete(ML_GROUP, WORKSPACE, ATTACHED, underlying_resource_action="Detach")
        poller.result(timeout=LRO_TIMEOUT)
        check(poller.status() == "Succeeded", f"poller ended {poller.status()}")
        try:
            computes.get(ML_GROUP, WORKSPACE, ATTACHED)
        except ResourceNotFoundError:
            pass
        else:
            raise AssertionError("the compute is still there after the detach")
        cluster = aks.managed_clusters.get(CLUSTER_GROUP, CLUSTER)
        check(cluster.provisioning_state == "Succeeded", "the detached cluster is gone or changed")
        return f"{poller.status()}; compute 404, {CLUSTER} kept"

    def delete():
        poller = computes.begin_delete(ML_GROUP, WORKSPACE, CREATED, underlying_resource_action="Delete")
        poller.result(timeout=LRO_TIMEOUT)
        check(poller.status() == "Succeeded", f"poller ended {poller.status()}")
        try:
            computes.get(ML_GROUP, WORKSPACE, CREATED)
        except ResourceNotFoundError:
            pass
        else:
            raise AssertionError("the compute is still there after the delete")
        group, name = cluster_group_and_name(state["created_cluster"])
        try:
            aks.managed_clusters.get(group, name)
        except ResourceNotFoundError:
            pass
        else:
            raise AssertionError("the created cluster is still there after the delete")
        return f"{poller.status()}; compute and its cluster 404"

    def list_empty():
        names = [compute.name for compute in computes.list_by_workspace(ML_GROUP, WORKSPACE)]
        check(names == [], f"left over: {names}")
        return "no computes left"

    def error_envelope():
        # Not a happy path: the SDK must map the emulator's ARM error envelope to its exception.
        try:
            computes.get(ML_GROUP, WORKSPACE, "no-such-compute")
        except ResourceNotFoundError as error:
            check(error.status_code == 404, f"status {error.status_code}")
            check(error.error is not None and error.error.code, "the SDK did not parse the ARM error envelope")
            return f"ResourceNotFoundError, code {error.error.code}"
        raise AssertionError("no error for a missing compute")

    def failed_operation():
        # Not a happy path: an operation that ends Failed (R14, reported asynchronously) must
        # make the SDK's poller raise with the operation's error, and leave a Failed compute.
        body = ml.ComputeResource(location=LOCATION, properties=ml.AKS(resource_id=OLD_CLUSTER_ID))
        poller = computes.begin_create_or_update(ML_GROUP, WORKSPACE, OLD, body)
        try:
            poller.result(timeout=LRO_TIMEOUT)
        except HttpResponseError as error:
            check(poller.status() == "Failed", f"poller ended {poller.status()}")
            check("1.25.11" in str(error) and "Supported versions" in str(error), f"message: {error}")
            code = error.error.code if error.error else None
        else:
            raise AssertionError("the attach of an unsupported version succeeded")
        compute = computes.get(ML_GROUP, WORKSPACE, OLD).properties
        check(compute.provisioning_state == "Failed", f"state {compute.provisioning_state}")
        check(compute.provisioning_errors, "no provisioningErrors")
        computes.begin_delete(ML_GROUP, WORKSPACE, OLD, underlying_resource_action="Detach").result(
            timeout=LRO_TIMEOUT
        )
        return f"HttpResponseError {code}, compute Failed with provisioningErrors, then detached"

    run.step("workspaces.get", workspace_get)
    run.step("compute.begin_create_or_update (attach aks-prod, FastProd) .result()", attach)
    run.step("compute.get (attached)", get_attached)
    run.step("compute.list_keys", list_keys)
    run.step("compute.begin_create_or_update (create: 3 x Standard_D3_v2, FastProd, eastus) .result()", create)
    run.step("managed_clusters.get (the cluster the create made)", created_cluster_get)
    run.step("compute.list_by_workspace (every page)", list_computes)
    run.step("managed_clusters.get (aks-prod)", cluster_get)
    run.step("managed_clusters.list_cluster_user_credentials", user_credentials)
    run.step("managed_clusters.list_kubernetes_versions (eastus)", kubernetes_versions)
    run.step("agent_pools.list, agent_pools.get (aks-prod)", agent_pools)
    run.step("agent_pools.begin_create_or_update (scale, autoscaler on and off, vmSize) .result()", scale_pool)
    run.step("compute.begin_delete (Detach) .result()", detach)
    run.step("compute.begin_delete (Delete, the created compute) .result()", delete)
    run.step("compute.list_by_workspace (empty)", list_empty)
    run.step("compute.get (missing: ARM error envelope)", error_envelope)
    run.step("compute.begin_create_or_update (attach aks-old: operation Failed, R14) .result()", failed_operation)

    print(
        f"{run.passed} passed, {len(run.failures)} failed, {len(run.skipped)} skipped (known emulator deviations)",
        flush=True,
    )
    return 1 if run.failures else 0


def cluster_group_and_name(resource_id):
    parts = resource_id.strip("/").split("/")
    lower = [part.lower() for part in parts]
    return parts[lower.index("resourcegroups") + 1], parts[lower.index("managedclusters") + 1]


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except HttpResponseError as error:  # a failure outside a step
        print(f"FAIL {error}", file=sys.stderr)
        sys.exit(1)
