"""The per-release minimum Kubernetes tables of meshctl/meshes/*.py (pure): parsing a control-plane version and
finding its row. The numbers themselves are cited in linkerd.py and istio.py; a few are pinned here."""

from __future__ import annotations

import pytest

from meshctl.meshes import all_meshes, get_mesh

LINKERD = get_mesh("linkerd")
ISTIO = get_mesh("istio")


@pytest.mark.parametrize("mesh", all_meshes(), ids=lambda m: m.name)
def test_tables_are_ascending_and_never_lower_their_minimum(mesh):
    rows = mesh.kubernetes_minimums
    assert [r for r, _ in rows] == sorted({r for r, _ in rows})
    minimums = [m for _, m in rows]
    assert minimums == sorted(minimums) and minimums[0] >= (1, 16)


@pytest.mark.parametrize(
    ("version", "parsed"),
    [("stable-2.11.5", (2, 11, 5)), ("enterprise-2.15.4", (2, 15, 4)), ("stable-2.14", (2, 14, 0)),
     ("edge-24.5.1", None), ("latest", None), ("", None), (None, None)],
)  # fmt: skip
def test_linkerd_release_names(version, parsed):
    assert LINKERD.release(version) == parsed


@pytest.mark.parametrize(
    ("version", "parsed"),
    [("1.11.8", (1, 11, 8)), ("1.22.3-distroless", (1, 22, 3)), ("v1.9.0", (1, 9, 0)), ("stable-2.14.10", None)],
)  # fmt: skip
def test_istio_release_names(version, parsed):
    assert ISTIO.release(version) == parsed


@pytest.mark.parametrize(
    ("version", "minimum", "row"),
    [
        ("stable-2.10.2", (1, 16), (2, 10, 0)),
        ("stable-2.11.0", (1, 16), (2, 11, 0)),  # the one exception inside a minor release
        ("stable-2.11.5", (1, 17), (2, 11, 1)),
        ("stable-2.12.6", (1, 21), (2, 12, 0)),
        ("stable-2.14.10", (1, 21), (2, 14, 0)),
        ("enterprise-2.15.4", (1, 22), (2, 15, 0)),
        ("stable-2.19.3", (1, 29), (2, 19, 0)),
        ("stable-2.9.1", (1, 16), (2, 10, 0)),  # older than the table: its oldest row
        ("stable-2.20.0", (1, 29), None),  # newer than the table: the newest minimum
        ("edge-24.5.1", (1, 29), None),
        (None, (1, 29), None),
    ],
)
def test_linkerd_minimum_per_release(version, minimum, row):
    assert LINKERD.minimum_kubernetes(version) == (minimum, row)


@pytest.mark.parametrize(
    ("version", "minimum", "row"),
    [
        ("1.9.9", (1, 17), (1, 9, 0)),
        ("1.10.6", (1, 18), (1, 10, 0)),
        ("1.11.8", (1, 18), (1, 11, 0)),
        ("1.13.9", (1, 20), (1, 13, 0)),
        ("1.14.1", (1, 21), (1, 14, 0)),
        ("1.22.3", (1, 27), (1, 22, 0)),
        ("1.24.6-distroless", (1, 28), (1, 24, 0)),
        ("1.29.0", (1, 31), (1, 29, 0)),
        ("1.30.0", (1, 31), None),
        (None, (1, 31), None),
    ],
)
def test_istio_minimum_per_release(version, minimum, row):
    assert ISTIO.minimum_kubernetes(version) == (minimum, row)


@pytest.mark.parametrize("mesh", all_meshes(), ids=lambda m: m.name)
def test_the_bed_runs_releases_that_support_its_kubernetes(mesh):
    from tests.bed.topology import ISTIO_SKEWED_VERSION, ISTIO_VERSION, LINKERD_SKEWED_VERSION, LINKERD_VERSION

    versions = {"linkerd": (LINKERD_VERSION, LINKERD_SKEWED_VERSION), "istio": (ISTIO_VERSION, ISTIO_SKEWED_VERSION)}
    for version in versions[mesh.name]:
        minimum, row = mesh.minimum_kubernetes(version)
        assert row is not None and minimum <= (1, 20), version  # the bed's kube-apiserver is 1.20
