"""PromClient and Thanos Query / Mimir details against a real HTTP server on 127.0.0.1 (canned answers whose shapes
are Thanos' and Mimir's: thanos docs/components/query.md, mimir pkg/querier/tenantfederation)."""

from __future__ import annotations

import pytest

from meshctl.errors import ExitCode, MeshctlError, UsageError
from meshctl.prom import connect
from meshctl.prom.tenants import parse
from meshctl.settings import Settings
from tests.prom.server import Answer, PromStub, vector

# what Thanos answers under partial_response=false when a store does not answer (the "abort" strategy)
THANOS_ABORT = {
    "status": "error",
    "errorType": "execution",
    "error": 'receive series from Addr: 10.0.0.7:10901 LabelSets: {cluster="east"}: rpc error: code = Unavailable',
}


@pytest.fixture
def stub():
    s = PromStub()
    yield s
    s.close()


def test_every_query_asks_for_dedup_and_no_partial_response(stub):
    connect(Settings(prometheus_url=stub.url)).query("up")
    connect(Settings(prometheus_url=stub.url, allow_partial=True)).query("up")
    first, second = (r["params"] for r in stub.requests)
    assert first["dedup"] == ["true"] and first["partial_response"] == ["false"]
    assert second["dedup"] == ["true"] and second["partial_response"] == ["true"]


def test_a_store_failure_is_unreachable_and_names_allow_partial(stub):
    stub.default = Answer(422, THANOS_ABORT)
    with pytest.raises(MeshctlError) as err:
        connect(Settings(prometheus_url=stub.url)).query("up")
    assert err.value.exit_code == ExitCode.UNREACHABLE and "part of the data did not answer" in err.value.message
    assert "--allow-partial" in (err.value.hint or "")


def test_warnings_and_infos_are_kept_apart(stub):
    doc = vector(({"job": "a"}, "1"), warnings=["store down"])
    doc["infos"] = ["PromQL info: metric might not be a counter"]
    stub.default = Answer(200, doc)
    prom = connect(Settings(prometheus_url=stub.url))
    samples = prom.query("up")
    assert prom.warnings == ["store down"] and prom.infos == ["PromQL info: metric might not be a counter"]
    assert prom.partial and samples.warnings == ["store down", "PromQL info: metric might not be a counter"]


def test_tenant_header_and_no_org_id(stub):
    connect(Settings(prometheus_url=stub.url, tenants=("east", "west|east"))).query("up")
    assert stub.requests[-1]["headers"]["X-Scope-OrgID"] == "east|west"
    stub.default = Answer(401, "no org id\n", content_type="text/plain; charset=utf-8")
    with pytest.raises(MeshctlError) as err:
        connect(Settings(prometheus_url=stub.url)).query("up")
    assert err.value.exit_code == ExitCode.FAILED and "needs a tenant" in err.value.message
    assert "--tenant" in (err.value.hint or "")


def test_tenant_parsing():
    assert parse(["a|b", "b", "c"]).ids == ("a", "b", "c")
    assert parse(["a|b"]).label == "__tenant_id__" and parse(["a"]).label is None
    mapped = parse(["ctx-1=east|west"])
    assert mapped.ids == ("east", "west") and mapped.of("ctx-1") == "east" and mapped.of("west") == "west"
    for bad in ("", "a b", "..", "=x", "x" * 151):
        with pytest.raises(UsageError):
            parse([bad])
