"""PromClient: result parsing (pure), and every answer shape against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import math
import socket
import time

import pytest

from meshctl.errors import ExitCode, FailedError, UnreachableError, UsageError
from meshctl.prom import connect
from meshctl.prom.client import Sample, parse_instant, parse_range, parse_value
from meshctl.settings import Settings
from tests.prom.server import Answer, PromStub, vector


@pytest.fixture
def stub():
    s = PromStub()
    yield s
    s.close()


def client(url: str, **kw):
    kw.setdefault("request_timeout", 2.0)
    return connect(Settings(prometheus_url=url, **kw))


# -- pure parsing ---------------------------------------------------------------------------------------------------


def test_parse_value():
    assert parse_value("1.5") == 1.5
    assert parse_value("NaN") is None
    assert parse_value("+Inf") == float("inf")
    assert parse_value(None) is None


def test_parse_instant_vector_and_scalar():
    data = {
        "resultType": "vector",
        "result": [{"metric": {"pod": "a"}, "value": [1.0, "2"]}, {"metric": {}, "value": [1.0, "NaN"]}],
    }
    assert parse_instant(data, "q") == [Sample({"pod": "a"}, 2.0, 1.0), Sample({}, None, 1.0)]
    assert parse_instant({"resultType": "scalar", "result": [3.0, "4.5"]}, "q") == [Sample({}, 4.5, 3.0)]
    odd = {"resultType": "vector", "result": [{"metric": {"pod": "b"}, "value": [1.0, "+Inf"]},
                                              {"metric": {"pod": "c"}}, {"metric": {"pod": "d"}, "value": [1.0]}]}  # fmt: skip
    assert parse_instant(odd, "q") == [Sample({"pod": "b"}, math.inf, 1.0), Sample({"pod": "c"}, None, None),
                                       Sample({"pod": "d"}, None, None)]  # fmt: skip


def test_parse_instant_rejects_matrix_and_string():
    with pytest.raises(FailedError, match="unexpected Prometheus result type 'matrix'") as err:
        parse_instant({"resultType": "matrix", "result": []}, "x[5m]")
    assert "rate()" in err.value.hint
    with pytest.raises(FailedError, match="'string'"):
        parse_instant({"resultType": "string", "result": [1, "a"]}, "q")


def test_parse_range():
    data = {"resultType": "matrix", "result": [{"metric": {"a": "b"}, "values": [[1, "1"], [2, "NaN"]]}]}
    (series,) = parse_range(data, "q")
    assert series.labels == {"a": "b"} and series.points == [(1.0, 1.0), (2.0, None)]
    with pytest.raises(FailedError, match="expected matrix"):
        parse_range({"resultType": "vector", "result": []}, "q")


# -- against a real server ------------------------------------------------------------------------------------------


def test_query_success_nan_and_warnings(stub):
    stub.by_query["up"] = Answer(200, vector(({"job": "a"}, "1"), ({"job": "b"}, "NaN"), warnings=["partial data"]))
    prom = client(stub.url)
    samples = prom.query("up")
    assert [(s.labels, s.value) for s in samples] == [({"job": "a"}, 1.0), ({"job": "b"}, None)]
    assert samples.warnings == ["partial data"] and prom.warnings == ["partial data"]
    assert prom.how_found == "from --prometheus-url" and prom.url == stub.url
    assert prom.request_count == 1
    req = stub.requests[0]
    assert req["method"] == "GET" and req["path"] == "/api/v1/query" and req["params"]["timeout"] == ["2s"]


def test_url_forms_are_normalized(stub):
    prom = client(stub.url.removeprefix("http://") + "/api/v1/")
    assert prom.url == stub.url
    prom.query("vector(1)")
    assert stub.requests[0]["path"] == "/api/v1/query"
    with pytest.raises(UsageError, match="invalid Prometheus URL"):
        client("ftp://x")


def test_query_at_and_range(stub):
    stub.by_path["/api/v1/query_range"] = Answer(
        200,
        {
            "status": "success",
            "data": {"resultType": "matrix", "result": [{"metric": {}, "values": [[10, "1"], [20, "2"]]}]},
        },
    )
    prom = client(stub.url)
    prom.query("up", at=1700000000.5)
    assert stub.requests[0]["params"]["time"] == ["1700000000.500"]
    (series,) = prom.query_range("sum(up)", start=10, end=20, step=10)
    assert series.points == [(10.0, 1.0), (20.0, 2.0)]
    assert stub.requests[1]["params"]["step"] == ["10"]


def test_bad_promql_shows_error_type_and_message(stub):
    stub.by_query["sum(("] = Answer(
        400, {"status": "error", "errorType": "bad_data", "error": "1:6: parse error: unclosed left parenthesis"}
    )
    with pytest.raises(FailedError) as err:
        client(stub.url).query("sum((")
    assert err.value.message == (
        "Prometheus rejected the query: bad_data: 1:6: parse error: unclosed left parenthesis (query: sum(()"
    )
    assert err.value.exit_code == ExitCode.FAILED


def test_non_json_body_names_status_and_type(stub):
    stub.default = Answer(200, "<html><body>Please log in</body></html>", "text/html")
    with pytest.raises(FailedError) as err:
        client(stub.url).query("up")
    assert "answered HTTP 200 with a body that is not a Prometheus API answer" in err.value.message
    assert "text/html" in err.value.message and "Please log in" in err.value.message


def test_500_plain_text_is_failed(stub):
    stub.default = Answer(500, "internal error", "text/plain")
    with pytest.raises(FailedError, match="answered HTTP 500"):
        client(stub.url).query("up")


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_unreachable(stub, status):
    stub.default = Answer(status, "upstream down", "text/plain")
    with pytest.raises(UnreachableError, match=f"HTTP {status}") as err:
        client(stub.url).query("up")
    assert err.value.exit_code == ExitCode.UNREACHABLE


def test_prometheus_unavailable_and_timeout_errors(stub):
    stub.by_query["slowq"] = Answer(503, {"status": "error", "errorType": "timeout", "error": "query timed out"})
    with pytest.raises(UnreachableError, match="timed out"):
        client(stub.url).query("slowq")


def test_404_is_no_prometheus_api(stub):
    stub.default = Answer(404, "404 page not found", "text/plain")
    with pytest.raises(UnreachableError, match="no Prometheus API at"):
        client(stub.url).query("up")


def test_auth_failure(stub):
    stub.default = Answer(401, {"status": "error", "errorType": "unauthorized", "error": "no token"})
    with pytest.raises(FailedError, match="refused the request: HTTP 401") as err:
        client(stub.url).query("up")
    assert "--prometheus-token" in err.value.hint


def test_slow_server_times_out_within_the_timeout(stub):
    stub.default = Answer(200, vector(), delay=3)
    prom = client(stub.url, request_timeout=0.5)
    start = time.monotonic()
    with pytest.raises(UnreachableError, match=r"timed out after 0.5s"):
        prom.query("up")
    assert time.monotonic() - start < 2.5


def test_closed_port_is_unreachable_naming_the_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the with-block ends: nothing listens there
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(UnreachableError) as err:
        client(url).query("up")
    assert err.value.message == f"cannot reach Prometheus at {url} (from --prometheus-url): connection refused"
    assert err.value.exit_code == 3


def test_env_source_is_named():
    prom = connect(Settings(prometheus_url="http://127.0.0.1:1", sources={"prometheus_url": "environment"}))
    assert prom.how_found == "from MESHCTL_PROMETHEUS_URL"


def test_long_queries_go_by_post(stub):
    long_query = "sum(up{" + ",".join(f'l{i}="{"x" * 20}"' for i in range(200)) + "})"
    stub.by_query[long_query] = Answer(200, vector(({}, "7")))
    assert client(stub.url).query(long_query)[0].value == 7.0
    assert stub.requests[0]["method"] == "POST"


def test_auth_options_and_headers_are_sent(stub):
    client(stub.url, prometheus_token="tok123", prometheus_headers=["X-Scope-OrgID: tenant-a"]).query("up")
    client(stub.url, prometheus_user="alice", prometheus_password="pw").query("up")
    first, second = (r["headers"] for r in stub.requests)
    assert first["Authorization"] == "Bearer tok123" and first["X-Scope-OrgID"] == "tenant-a"
    assert second["Authorization"].startswith("Basic ")


def test_credentials_in_url_are_not_shown():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UnreachableError) as err:
        client(f"http://bob:hunter2@127.0.0.1:{port}").query("up")
    assert "hunter2" not in err.value.message and "bob" not in err.value.message


def test_query_many_is_concurrent_deduplicated_and_counted(stub):
    for i in range(6):
        stub.by_query[f"q{i}"] = Answer(200, vector(({"i": str(i)}, str(i))), delay=0.3)
    prom = client(stub.url)
    queries = {f"k{i}": f"q{i}" for i in range(6)} | {"dup": "q0"}
    start = time.monotonic()
    out = prom.query_many(queries)
    elapsed = time.monotonic() - start
    assert {k: v[0].value for k, v in out.items()} == {**{f"k{i}": float(i) for i in range(6)}, "dup": 0.0}
    assert prom.request_count == 6  # "dup" reused q0's answer
    assert elapsed < 1.2  # six 0.3 s answers in parallel, not 1.8 s in a row
    times = {tuple(r["params"]["time"]) for r in stub.requests}
    assert len(times) == 1  # one evaluation time for all


def test_query_many_raises_first_failure_in_order(stub):
    stub.by_query["bad1"] = Answer(400, {"status": "error", "errorType": "bad_data", "error": "first"})
    stub.by_query["bad2"] = Answer(400, {"status": "error", "errorType": "bad_data", "error": "second"})
    with pytest.raises(FailedError, match="first"):
        client(stub.url).query_many({"a": "up", "b": "bad1", "c": "bad2"})
    assert client(stub.url).query_many({}) == {}


def test_start_many_returns_at_once_and_yields_answers_as_they_arrive(stub):
    for name, delay in (("slow", 0.6), ("fast", 0.0), ("mid", 0.3)):
        stub.by_query[name] = Answer(200, vector(({"q": name}, "1")), delay=delay)
    prom = client(stub.url)
    start = time.monotonic()
    with prom.start_many({"s": "slow", "f": "fast", "m": "mid", "f2": "fast"}) as pending:
        assert time.monotonic() - start < 0.3  # the caller works while Prometheus evaluates
        arrived = [(key, samples[0].labels["q"]) for key, samples in pending.as_completed()]
    assert arrived[-1] == ("s", "slow") and {k for k, _ in arrived[:3]} == {"f", "f2", "m"}
    assert prom.request_count == 3  # "f2" shares "fast"'s answer


def test_start_many_raises_the_first_failure_in_order_after_the_others(stub):
    stub.by_query["bad1"] = Answer(400, {"status": "error", "errorType": "bad_data", "error": "first"}, delay=0.3)
    stub.by_query["bad2"] = Answer(400, {"status": "error", "errorType": "bad_data", "error": "second"})
    got = []
    with pytest.raises(FailedError, match="first"), client(stub.url).start_many({"b": "bad1", "c": "bad2"}) as p:
        got.extend(p.as_completed())
    assert got == []


def test_tls_to_a_plain_http_server_is_a_short_tls_error(stub):
    with pytest.raises(UnreachableError) as err:
        client(stub.url.replace("http://", "https://")).query("up")
    assert err.value.message.endswith("(from --prometheus-url): TLS error: wrong version number")
    assert "--prometheus-ca-file" in err.value.hint
