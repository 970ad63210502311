"""Grafana Mimir tenants (docs/prometheus.md "Thanos and Mimir"): `--tenant` sends `X-Scope-OrgID` (repeatable or
`a|b`); with several tenants, `__tenant_id__` is the cluster discriminator of a fleet run; one tenant adds no label.
Mimir is not packaged for Debian or PyPI: tests.prom.backends.Mimir requires the header and answers as Mimir's tenant
federation does (pkg/querier/tenantfederation), each tenant's series held by one of the bed's real Prometheus."""

from __future__ import annotations

import json
import re

import pytest

from tests.fleet.test_fleet_stat import check_cluster, write_fleet_kubeconfig
from tests.helpers import run
from tests.prom.backends import Mimir

pytestmark = pytest.mark.bed


@pytest.fixture
def mimir(bed_linkerd, bed_istio):
    # tenant ids differ from the context names on purpose in the mapped case; "east"/"west" match them
    stub = Mimir(
        {
            "east": bed_linkerd.prometheus_url,
            "west": bed_istio.prometheus_url,
            "t-east": bed_linkerd.prometheus_url,
            "t-west": bed_istio.prometheus_url,
        }
    )
    yield stub
    stub.close()


def _orgs(stub: Mimir) -> set[str | None]:
    return {q["headers"].get("X-Scope-OrgID") for q in stub.requests}


def test_one_tenant_sends_the_header_and_no_label(mimir, bed_linkerd):
    env = bed_linkerd.env(prometheus=False)
    r = run(["--prometheus-url", mimir.url, "--tenant", "east", "stat", "deploy", "-n", "shop", "-o", "json"], env=env)
    assert r.code == 0, r.stderr
    check_cluster(bed_linkerd, json.loads(r.stdout))
    assert _orgs(mimir) == {"east"}
    assert not any("__tenant_id__" in q["params"]["query"] for q in mimir.requests)
    # the environment variable works the same
    mimir.requests.clear()
    r = run(["stat", "deploy", "-n", "shop"], env={**env, "MESHCTL_PROMETHEUS_URL": mimir.url,
                                                   "MESHCTL_PROMETHEUS_TENANT": "east"})  # fmt: skip
    assert r.code == 0, r.stderr
    assert _orgs(mimir) == {"east"}


def test_no_tenant_is_one_clear_line(mimir, bed_linkerd):
    r = run(["--prometheus-url", mimir.url, "stat", "deploy", "-n", "shop"], env=bed_linkerd.env(prometheus=False))
    assert r.code == 1 and r.stdout == ""
    assert "needs a tenant: HTTP 401 (no org id)" in r.stderr and "--tenant" in r.stderr
    assert "Traceback" not in r.stderr
    # the tenant header given twice (as --tenant and as a raw header) is a usage error before any request
    r = run(["--prometheus-url", mimir.url, "--tenant", "east", "--prometheus-header", "X-Scope-OrgID: west",
             "stat", "deploy", "-n", "shop"], env=bed_linkerd.env(prometheus=False))  # fmt: skip
    assert r.code == 2 and "--tenant" in r.stderr
    r = run(["--tenant", "a b", "stat", "deploy"], env=bed_linkerd.env())
    assert r.code == 2 and "'a b' is not a tenant id" in r.stderr
    # several tenants for one cluster would add up every tenant's series under its name
    mimir.requests.clear()
    r = run(["--prometheus-url", mimir.url, "--tenant", "east|west", "stat", "deploy", "-n", "shop"],
            env=bed_linkerd.env(prometheus=False))  # fmt: skip
    assert r.code == 2 and "several --context" in r.stderr and r.stdout == "" and mimir.requests == []


@pytest.mark.parametrize(
    "tenant_args",
    [["--tenant", "east|west"], ["--tenant", "east", "--tenant", "west"], ["--tenant", "east=t-east|west=t-west"]],
    ids=["a|b", "repeated", "context=tenant"],
)
def test_several_tenants_split_the_fleet_by_tenant_id(tmp_path, mimir, bed_linkerd, bed_istio, tenant_args):
    from tests.bed.sim.truth_edges import edges_truth
    from tests.edges.test_edges_bed import check

    beds = {"east": bed_linkerd, "west": bed_istio}
    env = {"KUBECONFIG": write_fleet_kubeconfig(tmp_path / "k.yaml", beds)}
    base = ["--context", "east", "--context", "west", "--prometheus-url", mimir.url, *tenant_args]
    r = run([*base, "stat", "deploy", "-n", "shop", "-o", "json"], env=env)
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    for name, bed in beds.items():
        check_cluster(bed, [row for row in doc["rows"] if row["cluster"] == name])
    mapped = "t-east" in tenant_args[-1]
    assert _orgs(mimir) == {"t-east|t-west" if mapped else "east|west"}
    # `__tenant_id__` is the cluster label, no --cluster-label needed: every query selects the run's tenants at
    # once and groups by it (one query per PromQL and mesh, meshctl.fleet.grouped), each once
    queries = [q["params"]["query"] for q in mimir.requests]
    # regex-escaped as meshctl's selectors escape names (`t-east` matches only itself), then PromQL-quoted
    tenants = "|".join(re.escape(t) for t in (("t-east", "t-west") if mapped else ("east", "west"))).replace(
        "\\", "\\\\"
    )
    assert all(f'__tenant_id__=~"{tenants}"' in q and "__tenant_id__)" in q for q in queries), queries
    assert len(queries) == len(set(queries)) == 14  # stat deploy: 7 queries per mesh, whatever the number of tenants

    r = run([*base, "edges", "-A", "-o", "json"], env=env)
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    for name, bed in beds.items():
        check(
            bed, {"edges": [e for e in doc["edges"] if e["cluster"] == name]}, edges_truth(bed.topology, bed.mesh, 60)
        )


def test_verbose_never_shows_the_token(mimir, bed_linkerd):
    secret = "s3cr3t-token-value"
    args = ["-v", "--prometheus-url", mimir.url, "--tenant", "east", "--prometheus-token", secret, "stat", "deploy"]
    r = run([*args, "-n", "shop"], env=bed_linkerd.env(prometheus=False))
    assert r.code == 0, r.stderr
    assert secret not in r.stderr and secret not in r.stdout
    assert {q["headers"].get("Authorization") for q in mimir.requests} == {f"Bearer {secret}"}


@pytest.mark.parametrize(
    ("tenant_args", "words"),
    [
        (["--tenant", "east=t-east", "--tenant", "wset=t-west"], "--tenant 'wset=t-west': no selected context 'wset'"),
        (["--tenant", "east=t-east|t-other"], "context 'west' has no tenant among t-east|t-other"),
    ],
    ids=["typo", "unmapped"],
)
def test_a_tenant_map_that_misses_a_context_is_a_usage_error(tmp_path, mimir, bed_linkerd, tenant_args, words):
    """Review: `--tenant east=a --tenant wset=b` (a typo) ran: `west` was then queried as tenant "west", which the
    header (a|b) did not even send, and came back empty ("without metrics"), exit 0. Every CONTEXT= names a selected
    context, and every selected context has its tenant in the header: exit 2 before any request."""
    env = {"KUBECONFIG": write_fleet_kubeconfig(tmp_path / "k.yaml", {"east": bed_linkerd}, down="west")}
    mimir.requests.clear()
    base = ["--context", "east", "--context", "west", "--prometheus-url", mimir.url, *tenant_args]
    r = run([*base, "stat", "deploy", "-n", "shop"], env=env)
    assert r.code == 2, r.stderr
    assert r.stderr.startswith(f"Error: {words}") and r.stdout == "" and mimir.requests == []
