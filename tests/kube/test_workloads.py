"""Owner walking and selector matching on plain dicts (pure)."""

from __future__ import annotations

from meshctl.kube.workloads import (
    Workload,
    attach_pods,
    controller_ref,
    pods_by_workload,
    selector_matches,
    to_workload,
    top_owner,
)
from tests.kube.objects import obj, owner, pod

RS = obj("ReplicaSet", "web-5d8f7", owners=[owner("Deployment", "web")])
ORPHAN_RS = obj("ReplicaSet", "lonely-abc")
JOB = obj("Job", "report-2811", owners=[owner("CronJob", "report")])
ONE_OFF_JOB = obj("Job", "migrate")
OWNERS = {
    ("shop", "ReplicaSet", "web-5d8f7"): RS,
    ("shop", "ReplicaSet", "lonely-abc"): ORPHAN_RS,
    ("shop", "Job", "report-2811"): JOB,
    ("shop", "Job", "migrate"): ONE_OFF_JOB,
}


def test_pod_replicaset_deployment():
    p = pod("web-5d8f7-x1", owners=[owner("ReplicaSet", "web-5d8f7")])
    assert top_owner(p, OWNERS) == ("deployment", "web")


def test_replicaset_without_deployment():
    p = pod("lonely-abc-x", owners=[owner("ReplicaSet", "lonely-abc")])
    assert top_owner(p, OWNERS) == ("replicaset", "lonely-abc")


def test_unlisted_replicaset_uses_pod_template_hash():
    p = pod("api-7c9d-x", labels={"pod-template-hash": "7c9d"}, owners=[owner("ReplicaSet", "api-7c9d")])
    assert top_owner(p, {}) == ("deployment", "api")


def test_pod_job_cronjob_and_plain_job():
    assert top_owner(pod("r-1", owners=[owner("Job", "report-2811")]), OWNERS) == ("cronjob", "report")
    assert top_owner(pod("m-1", owners=[owner("Job", "migrate")]), OWNERS) == ("job", "migrate")


def test_direct_owners_and_bare_pods():
    assert top_owner(pod("db-0", owners=[owner("StatefulSet", "db")]), {}) == ("statefulset", "db")
    assert top_owner(pod("agent-x", owners=[owner("DaemonSet", "agent")]), {}) == ("daemonset", "agent")
    assert top_owner(pod("old-x", owners=[owner("ReplicationController", "old")]), {}) == (
        "replicationcontroller",
        "old",
    )
    assert top_owner(pod("solo"), {}) == ("pod", "solo")
    assert top_owner(pod("c-x", owners=[owner("Rollout", "canary")]), {}) == ("rollout", "canary")


def test_controller_ref_prefers_controller():
    p = pod("x", owners=[owner("ConfigMap", "cm", controller=False), owner("StatefulSet", "db")])
    assert controller_ref(p)["name"] == "db"


def test_selector_matching():
    labels = {"app": "web", "tier": "front", "version": "v2"}
    assert selector_matches({"app": "web"}, labels)  # a Service's plain map
    assert not selector_matches({"app": "api"}, labels)
    assert not selector_matches({}, labels) and not selector_matches(None, labels)
    assert selector_matches({"matchLabels": {"app": "web"}}, labels)
    exprs = {
        "matchExpressions": [
            {"key": "version", "operator": "In", "values": ["v1", "v2"]},
            {"key": "tier", "operator": "NotIn", "values": ["back"]},
            {"key": "app", "operator": "Exists"},
            {"key": "canary", "operator": "DoesNotExist"},
        ]
    }
    assert selector_matches(exprs, labels)
    assert not selector_matches({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["back"]}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, labels)


def test_to_workload_shapes():
    dep = obj(
        "Deployment",
        "web",
        labels={"app": "web"},
        spec={
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": []}},
        },
    )
    w = to_workload("deployment", dep)
    assert (w.kind, w.name, w.namespace, w.replicas, str(w)) == ("deployment", "web", "shop", 3, "deploy/web")
    assert w.pod_template["metadata"]["labels"] == {"app": "web"}
    cj = to_workload("cronjob", obj("CronJob", "report", spec={"jobTemplate": {"spec": {"template": {"spec": {}}}}}))
    assert cj.pod_template == {"spec": {}} and cj.replicas is None
    ns = to_workload("namespace", obj("Namespace", "shop", ns=None))
    assert ns.namespace is None and ns.pod_template is None


def test_attach_pods_groups_by_owner_selector_and_namespace():
    web1 = pod("web-5d8f7-a", labels={"app": "web"}, owners=[owner("ReplicaSet", "web-5d8f7")])
    web2 = pod("web-5d8f7-b", labels={"app": "web"}, owners=[owner("ReplicaSet", "web-5d8f7")])
    rep = pod("report-2811-a", owners=[owner("Job", "report-2811")])
    other = pod("web-x", ns="other", labels={"app": "web"}, owners=[owner("ReplicaSet", "web-5d8f7")])
    workloads = [
        Workload("deployment", "web", "shop"),
        Workload("replicaset", "web-5d8f7", "shop"),
        Workload("cronjob", "report", "shop"),
        Workload("job", "report-2811", "shop"),
        Workload("service", "web", "shop", selector={"app": "web"}),
        Workload("namespace", "shop", None),
        Workload("pod", "web-5d8f7-a", "shop", obj=web1),
    ]
    attach_pods(workloads, [web1, web2, rep, other], OWNERS)
    names = {str(w): sorted(p["metadata"]["name"] for p in w.pods) for w in workloads}
    assert names == {
        "deploy/web": ["web-5d8f7-a", "web-5d8f7-b"],
        "rs/web-5d8f7": ["web-5d8f7-a", "web-5d8f7-b"],
        "cj/report": ["report-2811-a"],
        "job/report-2811": ["report-2811-a"],
        "svc/web": ["web-5d8f7-a", "web-5d8f7-b"],  # not the pod in the other namespace
        "ns/shop": ["report-2811-a", "web-5d8f7-a", "web-5d8f7-b"],
        "po/web-5d8f7-a": ["web-5d8f7-a"],
    }


def test_pods_by_workload():
    pods = [
        pod("web-5d8f7-a", owners=[owner("ReplicaSet", "web-5d8f7")]),
        pod("db-0", owners=[owner("StatefulSet", "db")]),
    ]
    grouped = pods_by_workload(pods, OWNERS)
    assert set(grouped) == {("shop", "deployment", "web"), ("shop", "statefulset", "db")}
