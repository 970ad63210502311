"""StatRequest.parse: accepted forms and every usage error (pure)."""

from __future__ import annotations

import pytest

from meshctl.errors import ExitCode, UsageError
from meshctl.stats.request import StatRequest, window_promql


def sel(req: StatRequest) -> list[tuple[str, tuple[str, ...]]]:
    return [(s.kind.short, s.names) for s in req.selections]


def test_type_alone_and_names():
    assert sel(StatRequest.parse(["deploy"])) == [("deploy", ())]
    assert sel(StatRequest.parse(["deployments", "web", "api"])) == [("deploy", ("web", "api"))]
    assert sel(StatRequest.parse(["deploy/web", "sts/db", "deploy/api"])) == [
        ("deploy", ("web", "api")),
        ("sts", ("db",)),
    ]


def test_all_expands_in_linkerd_order():
    assert [s for s, _ in sel(StatRequest.parse(["all"]))] == ["ds", "sts", "job", "deploy", "po", "svc", "rs"]


def test_every_supported_type():
    for word, short in [
        ("deploy", "deploy"),
        ("sts", "sts"),
        ("ds", "ds"),
        ("rs", "rs"),
        ("job", "job"),
        ("po", "po"),
        ("ns", "ns"),
        ("svc", "svc"),
        ("pods", "po"),
        ("service", "svc"),
    ]:
        assert sel(StatRequest.parse([word])) == [(short, ())]


def test_defaults():
    r = StatRequest.parse(["deploy"])
    assert (r.window, r.window_text, r.interval, r.sort, r.output, r.watch, r.count, r.by) == (
        60.0,
        "1m",
        2.0,
        "name",
        "table",
        False,
        None,
        None,
    )


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ([], {}, "no resource"),
        (["cj"], {}, "unknown resource type"),
        (["frobs"], {}, "unknown resource type"),
        (["all", "deploy"], {}, "'all' cannot be combined"),
        (["deploy/web/x"], {}, "invalid resource string"),
        (["deploy/web", "deploy/web"], {}, "duplicate"),
        (["deploy", "web", "web"], {}, "duplicate"),
        (["deploy/web", "sts"], {}, "mix"),
        (["deploy", "sts/db"], {}, "mix"),
        (["deploy"], {"all_namespaces": True, "namespace": "shop"}, "mutually exclusive"),
        (["deploy"], {"to": "deploy/a", "from_": "deploy/b"}, "--to and --from"),
        (["deploy"], {"to": "deploy/a", "to_namespace": "x", "from_namespace": "y"}, "--to-namespace and"),
        (["deploy"], {"to_namespace": "x"}, "--to-namespace needs --to"),
        (["deploy"], {"from_namespace": "x"}, "--from-namespace needs --from"),
        (["ns"], {"namespace": "shop"}, "ns type"),
        (["ns"], {"to": "deploy/a", "to_namespace": "shop"}, "ns type"),
        (["ns"], {"from_": "deploy/a", "from_namespace": "shop"}, "ns type"),
        (["deploy"], {"from_": "svc/web"}, "not a traffic source"),
        (["svc"], {"to": "deploy/web"}, "--to does not apply"),
        (["deploy"], {"to": "web"}, "expected TYPE/NAME"),
        (["deploy"], {"to": "all/x"}, "'all' is not supported"),
        (["deploy"], {"time_window": "10s"}, "below 15s"),
        (["deploy"], {"time_window": "14.9s"}, "below 15s"),
        (["deploy"], {"time_window": "1 minute"}, "invalid duration"),
        (["deploy"], {"time_window": "m"}, "invalid duration"),
        (["deploy"], {"sort": "latency"}, "--sort"),
        (["deploy"], {"output": "yaml"}, "-o"),
        (["deploy"], {"interval": "0s", "watch": True}, "positive"),
        (["deploy"], {"interval": "soon", "watch": True}, "invalid duration"),
        (["deploy"], {"count": 3}, "--count only applies to --watch"),
        (["deploy"], {"count": 0, "watch": True}, "at least 1"),
        (["deploy"], {"watch": True, "output": "json"}, "--watch"),
        (["deploy"], {"selector": " "}, "selector"),
        (["svc/movies"], {"by": "zone"}, "--by"),
        (["svc"], {"by": "version"}, "exactly one service"),
        (["sts/db"], {"by": "version"}, "one svc or deploy"),
        (["deploy"], {"by": "version"}, "names or a label selector"),
        (["svc/movies"], {"by": "version", "from_": "deploy/x"}, "--to/--from"),
    ],
)
def test_usage_errors(args, kwargs, message):
    with pytest.raises(UsageError) as exc:
        StatRequest.parse(args, **kwargs)
    assert message in str(exc.value)
    assert exc.value.exit_code == ExitCode.USAGE


def test_peers_and_namespaces():
    r = StatRequest.parse(["deploy"], to="deploy/web", to_namespace="other")
    assert (r.to.kind.short, r.to.name, r.to.namespace, r.from_) == ("deploy", "web", "other", None)
    r = StatRequest.parse(["deploy"], from_="sts/db")
    assert (r.from_.kind.linkerd_label, r.from_.name, r.from_.namespace) == ("statefulset", "db", None)
    assert StatRequest.parse(["job"]).selections[0].kind.linkerd_label == "k8s_job"


def test_canary_forms():
    assert StatRequest.parse(["svc/movies"], by="version").by == "version"
    assert StatRequest.parse(["deploy"], selector="app=movies", by="version").selector == "app=movies"
    assert StatRequest.parse(["deploy", "movies-v1", "movies-v2"], by="version").by == "version"


def test_windows():
    assert StatRequest.parse(["deploy"], time_window="15s").window_text == "15s"
    assert StatRequest.parse(["deploy"], time_window="90s").window_text == "90s"
    assert StatRequest.parse(["deploy"], time_window="2m").window_text == "2m"
    assert StatRequest.parse(["deploy"], time_window="1h").window_text == "1h"
    assert window_promql(15.5) == "15500ms"


def test_frozen():
    r = StatRequest.parse(["deploy"])
    with pytest.raises(AttributeError):
        r.window = 5  # type: ignore[misc]
