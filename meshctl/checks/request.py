"""Core layer (pure): the validated request of one `meshctl check` run; bad combinations raise UsageError (exit 2)."""

from __future__ import annotations

from dataclasses import dataclass

from meshctl.checks.model import CATEGORIES
from meshctl.errors import UsageError
from meshctl.settings import check_namespace_scope, parse_duration

OUTPUTS = ("table", "short", "json")


@dataclass(frozen=True)
class CheckRequest:
    mode: str  # pre | default | proxy
    mesh: str  # auto | linkerd | istio
    categories: tuple[str, ...]
    output: str
    wait_s: float
    fail_on_warnings: bool
    namespace: str | None  # --proxy scope; None = all namespaces
    list_only: bool = False
    extra: tuple[str, ...] = ()  # opt-in categories added to the run (--control-plane-metrics, --multicluster)

    @classmethod
    def parse(
        cls,
        *,
        pre: bool,
        proxy: bool,
        mesh: str,
        categories: list[str] | None,
        output: str,
        wait: str,
        fail_on_warnings: bool,
        namespace: str | None,
        all_namespaces: bool,
        list_only: bool = False,
        control_plane_metrics: bool = False,
        multicluster: bool = False,
    ) -> CheckRequest:
        if pre and control_plane_metrics:
            raise UsageError("--pre and --control-plane-metrics are mutually exclusive", hint="no control plane yet")
        if pre and multicluster:
            raise UsageError("--pre and --multicluster are mutually exclusive", hint="no control plane yet")
        if pre and proxy:
            raise UsageError("--pre and --proxy are mutually exclusive")
        check_namespace_scope(namespace, all_namespaces)
        if output not in OUTPUTS:
            raise UsageError(f"invalid output {output!r}", hint="use -o table, -o short or -o json")
        if pre and mesh == "auto" and not list_only:
            raise UsageError(
                "--pre needs --mesh linkerd or --mesh istio",
                hint="before installing there is no mesh to detect: say which one you will install",
            )
        for name in categories or ():
            if name not in CATEGORIES:
                raise UsageError(f"unknown check category {name!r}", hint="categories: " + ", ".join(CATEGORIES))
        wait_s = parse_duration(wait, option="--wait")
        if wait_s < 0:
            raise UsageError(f"--wait must not be negative, got {wait!r}")
        mode = "pre" if pre else "proxy" if proxy else "default"
        return cls(
            mode=mode,
            mesh=mesh,
            categories=tuple(dict.fromkeys(categories or ())),
            output=output,
            wait_s=wait_s,
            fail_on_warnings=fail_on_warnings,
            namespace=None if all_namespaces else namespace,
            list_only=list_only,
            extra=(("control-plane-metrics",) if control_plane_metrics else ())
            + (("multicluster",) if multicluster else ()),
        )
