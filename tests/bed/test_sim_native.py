"""Native-sidecar pods as the simulator writes them (before the 1.20 API server drops `restartPolicy`): the proxy is an
init container with restartPolicy: Always after the mesh's init container, Istio's status annotation lists it among
the init containers, and its status is under initContainerStatuses in every broken state."""

from __future__ import annotations

import json

import pytest

from tests.bed.sim import pods as podspec
from tests.bed.sim.topologies import native_sidecar_topology
from tests.bed.topology import pods

PROXY = {"linkerd": "linkerd-proxy", "istio": "istio-proxy"}
INIT = {"linkerd": "linkerd-init", "istio": "istio-init"}


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
def test_the_proxy_is_a_restartable_init_container(mesh):
    topo = native_sidecar_topology()
    for p in pods(topo, mesh):
        obj = podspec.pod(p, topo, mesh)
        inits = obj["spec"]["initContainers"]
        assert [c["name"] for c in inits] == [INIT[mesh], PROXY[mesh]]
        assert inits[1]["restartPolicy"] == "Always" and "restartPolicy" not in inits[0]
        assert PROXY[mesh] not in [c["name"] for c in obj["spec"]["containers"]]
        assert ("resources" in inits[1]) == p.workload.proxy_resources
        ann = obj["metadata"]["annotations"]
        if mesh == "istio":
            status = json.loads(ann["sidecar.istio.io/status"])
            assert status["initContainers"] == ["istio-init", "istio-proxy"] and status["containers"] is None
        else:
            assert ann["config.alpha.linkerd.io/proxy-enable-native-sidecar"] == "true"


@pytest.mark.parametrize("mesh", ["linkerd", "istio"])
@pytest.mark.parametrize("state", ["ready", "oomkilled", "restarting"])
def test_the_proxys_status_is_an_init_container_status(mesh, state):
    topo = native_sidecar_topology()
    p = pods(topo, mesh)[0]
    st = podspec.status_for(podspec.pod(p, topo, mesh), state, container=PROXY[mesh])
    inits = {s["name"]: s for s in st["initContainerStatuses"]}
    assert PROXY[mesh] not in {s["name"] for s in st["containerStatuses"]}
    assert inits[INIT[mesh]]["state"]["terminated"]["reason"] == "Completed"
    proxy = inits[PROXY[mesh]]
    if state == "ready":
        assert proxy["ready"] and proxy["restartCount"] == 0
    elif state == "oomkilled":
        assert proxy["ready"] and proxy["lastState"]["terminated"]["reason"] == "OOMKilled"
    else:
        assert not proxy["ready"] and proxy["state"]["waiting"]["reason"] == "CrashLoopBackOff"
