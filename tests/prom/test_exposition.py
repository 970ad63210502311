"""prom.exposition: the text format as istiod's :15014/metrics serves it (a pure unit: the body is given)."""

from __future__ import annotations

import math

import pytest

from meshctl.errors import FailedError
from meshctl.prom.exposition import parse

# the shape of istiod's /metrics (istio/istio pkg/monitoring via the OpenTelemetry Prometheus exporter)
BODY = """# HELP pilot_xds Number of endpoints connected to this pilot using XDS.
# TYPE pilot_xds gauge
pilot_xds{version="1.31.0"} 11
# TYPE pilot_total_xds_rejects counter
pilot_total_xds_rejects{type="lds"} 1
sidecar_injection_failure_total 2 1700000000000
galley_validation_failed{reason="a \\"quoted\\", comma",resource="virtualservices",} 3
pilot_proxy_convergence_time_bucket{le="+Inf"} +Inf
go_gc_duration_seconds{quantile="0.5"} NaN
"""


def test_samples_with_labels_escapes_timestamps_and_special_values():
    got = parse(BODY, "istio-system/istiod-0:15014/metrics")
    assert [(s.name, s.value) for s in got[:4]] == [
        ("pilot_xds", 11.0),
        ("pilot_total_xds_rejects", 1.0),
        ("sidecar_injection_failure_total", 2.0),
        ("galley_validation_failed", 3.0),
    ]
    assert got[0].labels == {"version": "1.31.0"}
    assert got[3].labels == {"reason": 'a "quoted", comma', "resource": "virtualservices"}
    assert got[4].value == math.inf and math.isnan(got[5].value)


@pytest.mark.parametrize(
    ("line", "message"),
    [("pilot_xds{version=1} 3", "pod:2: bad label set"), ("pilot_xds", "pod:2: no numeric value"),
     ("{x} 1", "pod:2: not a metric sample"), ("pilot_xds twelve", "pod:2: no numeric value")],
)  # fmt: skip
def test_a_bad_line_names_its_source_and_line(line, message):
    with pytest.raises(FailedError, match=message):
        parse("# TYPE pilot_xds gauge\n" + line + "\n", "pod")
