"""I/O adapter: the Prometheus HTTP API client (instant and range queries, many at once).

``PromClient`` speaks the API (``/api/v1/query``, ``/api/v1/query_range``) over a transport (a URL, or the API
server's service proxy; see ``meshctl.prom.transport``) and turns every kind of failure into one clear error:
- ``status: error`` bodies -> FailedError "Prometheus rejected the query: bad_data: parse error ..." (with the query);
- bodies that are not JSON (a login page, a proxy's HTML) -> FailedError naming the status and content type;
- 502/503/504 and 404 without a Prometheus answer -> UnreachableError (exit 3); other 5xx -> FailedError;
- connection failures and timeouts -> UnreachableError naming the URL and how it was found (from the transport).
Every query carries Thanos Query's parameters (a plain Prometheus ignores unknown parameters): ``dedup=true`` and
``partial_response=false`` -- truth over availability: Thanos then fails a query some store could not answer instead
of answering 200 with the other stores' data -- unless ``allow_partial`` (``--allow-partial``) sends ``true``.
Such a failure is UnreachableError (exit 3) with a hint naming --allow-partial.
The answer's ``warnings`` (Thanos: a store that did not answer; Prometheus: remote-read failures, annotations) are
collected in ``.warnings``, ``infos`` (Prometheus >= 2.50 annotations) in ``.infos``; never dropped: the commands show
each on stderr, and a result with warnings is partial (docs/prometheus.md). Core code never prints.
NaN values become None. Long queries go by POST (URL length limits of proxies and servers).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlencode

from meshctl.errors import FailedError, UnreachableError
from meshctl.prom.transport import RawResponse
from meshctl.redact import url as redact_url

MAX_GET_URL = 4000  # bytes of query string above which we POST (Prometheus accepts both)
MAX_WORKERS = 8


class Sample(NamedTuple):
    """One element of an instant vector. A NamedTuple: a refresh over 1,000 workloads builds ~7,000 of them."""

    labels: dict[str, str]
    value: float | None  # None for NaN
    timestamp: float | None = None


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    points: list[tuple[float, float | None]] = field(default_factory=list)


class Samples(list):
    """A list of Samples (or Series) that also carries the warnings Prometheus sent with it."""

    warnings: list[str]

    def __init__(self, items: Sequence[Any] = (), warnings: Sequence[str] = ()) -> None:
        super().__init__(items)
        self.warnings = list(warnings)


class Transport(Protocol):
    url: str
    how_found: str
    timeout: float

    def request(self, method: str, path: str, params: dict[str, str]) -> RawResponse: ...

    def close(self) -> None: ...


def parse_value(raw: Any) -> float | None:
    """Prometheus sends sample values as strings: "1.5", "NaN", "+Inf"; NaN -> None."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def _ts(raw: Any) -> float | None:
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


def parse_instant(data: Mapping[str, Any], promql: str) -> list[Sample]:
    """The ``data`` of an instant query: a vector, or a scalar as one label-less sample."""
    kind, result = data.get("resultType"), data.get("result")
    if kind == "vector" and isinstance(result, list):
        out = []
        for r in result:
            try:
                at, raw = r["value"]
                value = float(raw)
                out.append(Sample(r.get("metric") or {}, None if value != value else value, float(at)))  # NaN -> None
            except (KeyError, TypeError, ValueError):  # a malformed element keeps its labels, without a value
                out.append(Sample(r.get("metric") or {}, None, None))
        return out
    if kind == "scalar" and isinstance(result, list) and len(result) == 2:
        return [Sample({}, parse_value(result[1]), _ts(result[0]))]
    raise FailedError(
        f"unexpected Prometheus result type {kind!r} for an instant query (expected vector or scalar): {promql}",
        hint="a range selector like x[5m] must be wrapped in a function such as rate()" if kind == "matrix" else None,
    )


def parse_range(data: Mapping[str, Any], promql: str) -> list[Series]:
    kind, result = data.get("resultType"), data.get("result")
    if kind != "matrix" or not isinstance(result, list):
        raise FailedError(f"unexpected Prometheus result type {kind!r} for a range query (expected matrix): {promql}")
    return [
        Series(dict(r.get("metric") or {}), [(float(t), parse_value(v)) for t, v in r.get("values") or []])
        for r in result
    ]


def _q(promql: str) -> str:
    text = " ".join(promql.split())
    return text if len(text) <= 300 else text[:297] + "..."


def _snippet(body: bytes) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text if len(text) <= 80 else text[:77] + "..."


def _store_failure(error: str) -> bool:
    """Thanos under partial_response=false names the store (a StoreAPI, an endpoint) that did not answer."""
    text = error.lower()
    return any(k in text for k in ("store", "endpoint", "code = unavailable", "partial response"))


class PromClient:
    def __init__(self, transport: Transport, max_workers: int = MAX_WORKERS, *, allow_partial: bool = False) -> None:
        self.transport = transport
        self.max_workers = max_workers
        self.allow_partial = allow_partial
        self.warnings: list[str] = []
        self.infos: list[str] = []

    @property
    def partial(self) -> bool:
        """Some answer came with warnings: a store or tenant may be missing from the figures."""
        return bool(self.warnings)

    @property
    def url(self) -> str:
        """The URL for people (messages, `check -v`): without userinfo. The transport keeps the real one."""
        return redact_url(getattr(self.transport, "display_url", None) or self.transport.url)

    @property
    def how_found(self) -> str:
        return self.transport.how_found

    @property
    def request_count(self) -> int:
        return self.transport.counter.value  # type: ignore[attr-defined]

    def describe(self) -> str:
        return f"{self.url} ({self.how_found})"

    # -- one request --------------------------------------------------------------------------------------------
    def _api(self, endpoint: str, params: dict[str, str], promql: str) -> tuple[Any, list[str]]:
        # let Prometheus give up when we do, so a slow query does not keep running server-side
        params = dict(params, timeout=f"{self.transport.timeout:g}s")
        params.update(dedup="true", partial_response="true" if self.allow_partial else "false")
        method = "POST" if len(urlencode(params)) > MAX_GET_URL else "GET"
        resp = self.transport.request(method, f"/api/v1/{endpoint}", params)
        where = self.describe()
        try:
            doc = json.loads(resp.body)
            if not isinstance(doc, dict) or "status" not in doc:
                raise ValueError("not a Prometheus API answer")
        except ValueError:
            if resp.status in (404, 502, 503, 504):
                raise UnreachableError(
                    f"no Prometheus API at {where}: HTTP {resp.status} for /api/v1/{endpoint} ({_snippet(resp.body)})",
                    hint="check the URL: it should serve /api/v1/query",
                ) from None
            if resp.status == 401 and b"org id" in resp.body.lower():
                # Mimir/Cortex (and Thanos with --query.enforce-tenancy) answer "no org id" without a tenant header
                raise FailedError(
                    f"Prometheus at {where} needs a tenant: HTTP 401 ({_snippet(resp.body)})",
                    hint="pass --tenant TENANT (Grafana Mimir / Cortex: sent as X-Scope-OrgID; several: a|b)",
                ) from None
            raise FailedError(
                f"Prometheus at {where} answered HTTP {resp.status} with a body that is not a Prometheus API answer "
                f"({resp.content_type or 'no content type'}: {_snippet(resp.body)!r})",
                hint="is this URL a Prometheus API? an auth proxy may need --prometheus-token or --prometheus-header",
            ) from None
        warnings = [str(w) for w in doc.get("warnings") or []]
        infos = [str(w) for w in doc.get("infos") or []]
        if doc.get("status") != "success":
            etype, error = doc.get("errorType") or "error", doc.get("error") or "no message"
            if resp.status in (401, 403):
                raise FailedError(
                    f"Prometheus at {where} refused the request: HTTP {resp.status}: {error}",
                    hint="check --prometheus-token, --prometheus-user or --prometheus-header",
                )
            if etype in ("unavailable",) or resp.status in (502, 503, 504):
                raise UnreachableError(f"Prometheus at {where} is unavailable: {etype}: {error}")
            if not self.allow_partial and etype != "bad_data" and _store_failure(str(error)):
                raise UnreachableError(
                    f"Prometheus at {where}: part of the data did not answer: {etype}: {error}",
                    hint="partial_response=false (the default) refuses an answer missing a store; "
                    "--allow-partial accepts it, marked partial",
                )
            if etype == "timeout":
                raise UnreachableError(
                    f"Prometheus at {where} timed out running the query: {error} (query: {_q(promql)})",
                    hint="raise --request-timeout or shorten the time window",
                )
            raise FailedError(f"Prometheus rejected the query: {etype}: {error} (query: {_q(promql)})")
        if not 200 <= resp.status < 300:
            raise FailedError(f"Prometheus at {where} answered HTTP {resp.status} with status success")
        if "data" not in doc or not isinstance(doc["data"], dict):
            raise FailedError(f"Prometheus at {where} sent an answer without data for: {promql}")
        if warnings:
            self.warnings.extend(w for w in warnings if w not in self.warnings)
        if infos:
            self.infos.extend(w for w in infos if w not in self.infos)
        return doc["data"], warnings + infos

    # -- queries -------------------------------------------------------------------------------------------------
    def query(self, promql: str, at: float | None = None) -> Samples:
        """An instant query (at a unix time, default now) -> Samples (list of Sample, with .warnings)."""
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data, warnings = self._api("query", params, promql)
        return Samples(parse_instant(data, promql), warnings)

    def query_range(self, promql: str, start: float, end: float, step: float) -> Samples:
        """A range query -> Samples of Series (points: [(unix time, value or None)])."""
        params = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        data, warnings = self._api("query_range", params, promql)
        return Samples(parse_range(data, promql), warnings)

    def query_many(self, queries: Mapping[Any, str], at: float | None = None) -> dict[Any, Samples]:
        """Run instant queries concurrently -> {key: Samples}, in the order of ``queries``.

        Identical queries are sent once. All share one evaluation time (now, fixed before the first is sent) so
        their answers line up. The first failure (in the order of ``queries``) is raised after the others finished.
        """
        if not queries:
            return {}
        unique = set(queries.values())
        if len(unique) == 1:  # no thread for a single query
            promql = unique.pop()
            result = self.query(promql, time.time() if at is None else at)
            return {key: Samples(result, result.warnings) for key in queries}
        with self.start_many(queries, at) as pending:
            answers = dict(pending.as_completed())
        return {key: answers[key] for key in queries}

    def start_many(self, queries: Mapping[Any, str], at: float | None = None) -> PendingQueries:
        """Send instant queries at once, in threads, and return at once; ``as_completed()`` then yields the answers
        as they arrive, so a caller can work meanwhile and fold each answer early. Use it as a context manager."""
        return PendingQueries(self.query, self.max_workers, queries, time.time() if at is None else at)

    def close(self) -> None:
        self.transport.close()


class PendingQueries:
    """Instant queries in flight (``start_many`` of PromClient and of a fleet's per-cluster view,
    meshctl.fleet.grouped). ``query(promql, at)`` sends one; identical queries are sent once."""

    def __init__(
        self, query: Callable[[str, float], Samples], max_workers: int, queries: Mapping[Any, str], at: float
    ) -> None:
        self._keys: dict[str, list[Any]] = {}
        for key, promql in queries.items():
            self._keys.setdefault(promql, []).append(key)
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, min(max_workers, len(self._keys))), thread_name_prefix="meshctl-prom"
        )
        self._futures = {self._pool.submit(_capture, query, promql, at): promql for promql in self._keys}

    def as_completed(self) -> Iterator[tuple[Any, Samples]]:
        """(key, Samples) as the answers arrive. After the last one, the first failure (in the order the queries
        were given) is raised; answers arriving after a failure are not yielded."""
        from concurrent.futures import as_completed

        failures: dict[str, BaseException] = {}
        for future in as_completed(self._futures):
            promql, result = self._futures[future], future.result()
            if isinstance(result, BaseException):
                failures[promql] = result
            elif not failures:
                for key in self._keys[promql]:
                    yield key, Samples(result, result.warnings)
        if failures:
            raise next(failures[q] for q in self._keys if q in failures)

    def close(self) -> None:
        """Wait for the queries in flight (each bounded by the request timeout); drop those not yet sent. On Ctrl-C
        (a KeyboardInterrupt on its way out) do not wait: a hung request would hold the exit for its timeout."""
        import sys

        interrupted = isinstance(sys.exc_info()[1], KeyboardInterrupt)
        self._pool.shutdown(wait=not interrupted, cancel_futures=True)

    def __enter__(self) -> PendingQueries:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _capture(query: Callable[[str, float], Samples], promql: str, at: float) -> Any:
    try:
        return query(promql, at)
    except Exception as exc:  # noqa: BLE001 - handed back by PendingQueries, which re-raises it in order
        return exc


def require_complete(warnings: Sequence[str], allow_partial: bool) -> None:
    """After the output: answers that came with warnings make the result partial -> exit 1 (FailedError), unless
    --allow-partial chose availability (exit 0; the warnings were shown and the JSON says "partial": true)."""
    if warnings and not allow_partial:
        n = len(warnings)
        raise FailedError(
            f"partial result: Prometheus answered with {n} warning{'s' if n > 1 else ''} (shown above): "
            "the figures may miss data",
            hint="--allow-partial accepts partial answers (exit 0)",
        )
