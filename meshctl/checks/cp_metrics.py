"""Core layer: the `control-plane-metrics` checks (`meshctl check --control-plane-metrics`) — `meshctl cp`'s figures
as check items, one per signal of meshctl.stats.controlplane, over the last 10 minutes.

The signals are computed once per run (one batch of PromQL, memoised) and each check reads its own: a failure
counted in the window fails the check, a warning signal (convergence over 5 s, proxies not connected) warns, a figure
whose metrics are not in Prometheus passes with a note (not every install scrapes its control plane), and an
informational figure (pushes per second, certificates issued) passes with its value.
"""

from __future__ import annotations

from meshctl.checks.context import CheckContext
from meshctl.checks.model import CheckFailed, CheckWarning, NotApplicable
from meshctl.checks.registry import check

WINDOW = "10m"
CONVERGENCE_MAX = 5.0

# (id, meshes, description, warning-only): the ids and levels of meshctl.stats.controlplane's signals
SIGNALS = (
    ("cp-injection-failures", ("linkerd", "istio"), "no proxy injection failures", False),
    ("cp-validation-failures", ("istio",), "no configuration validation failures", False),
    ("cp-xds-pushes", ("istio",), "istiod pushes configuration", False),
    ("cp-xds-rejects", ("istio",), "no xDS configuration rejected by proxies (NACKs)", False),
    ("cp-convergence", ("istio",), f"p99 configuration convergence under {CONVERGENCE_MAX:g}s", True),
    ("cp-proxies-connected", ("istio",), "every meshed pod's proxy is connected to istiod", True),
    ("cp-saturation", ("istio",), "istiod's HPA can still scale out (not over its CPU target at max)", True),
    ("cp-identity-issued", ("linkerd",), "identity issues certificates", False),
    ("cp-identity-failures", ("linkerd",), "no identity (Certify) failures", False),
    ("cp-destination-errors", ("linkerd",), "no destination errors", False),
    ("cp-destination-overflow", ("linkerd",), "no destination endpoint-queue overflows", False),
)


def signals(cx: CheckContext) -> dict:
    """Every signal of the mesh, by id: one batch of queries for the whole run."""

    def fetch() -> dict:
        import time

        from meshctl.stats import controlplane

        got = controlplane.run(prom=cx.prom(), kube=cx.kube(), mesh=cx.mesh(), window=WINDOW, at=time.time(),
                               convergence_max=CONVERGENCE_MAX)  # fmt: skip
        return {s.id: s for s in got.signals}

    return cx.memo("cp-metrics", fetch)


def verdict(sig) -> str:
    """The check's outcome for one Signal: its message, or CheckFailed / CheckWarning (pure: unit-tested)."""
    from meshctl.stats.controlplane import ABSENT, ERROR, WARNING

    # a gauge (proxies connected) is of the instant, not of the window
    what = sig.label + (f" in the last {WINDOW}" if sig.kind == "failures" else "")
    if sig.status == ABSENT:
        return f"{sig.detail}; nothing to check"
    unit = {"rate": "/s", "seconds": "s", "percent": "%"}.get(sig.kind, "")
    shown = f"{sig.value:.4g}{unit}" if sig.value is not None else "-"
    text = f"{what}: {shown}" + (f" ({sig.detail})" if sig.detail else "")
    if sig.status == ERROR:
        raise CheckFailed(text)
    if sig.status == WARNING:
        raise CheckWarning(text)
    return text


def _register(sid: str, meshes: tuple[str, ...], description: str, warning: bool) -> None:
    def run(cx: CheckContext) -> str | None:
        sig = signals(cx).get(sid)
        if sig is None:  # not a signal of this mesh (mesh detected during the run)
            raise NotApplicable(sid)
        return verdict(sig)

    run.__doc__ = (
        f"`meshctl cp`'s `{sid}` signal over the last {WINDOW} (docs/cp.md has its PromQL and truth). A failure"
        " counted fails the check; metrics absent from Prometheus pass with a note."
    )
    check(
        sid,
        "control-plane-metrics",
        description,
        depends_on=["prom-reachable"],
        meshes=meshes,
        warning=warning,
        advice="run `meshctl cp` for the figures and `meshctl cp -o json` for the PromQL behind them",
    )(run)


for _sig in SIGNALS:
    _register(*_sig)
