"""Core layer: `meshctl stat` — golden signals per workload from Prometheus, MESHED counts from the Kubernetes API.

- ``request``: the validated, frozen ``StatRequest`` (all usage errors are raised there, before any I/O);
- ``queries_linkerd`` / ``queries_istio``: pure PromQL builders, a fixed number of queries per resource type;
- ``assemble``: pure assembly of Prometheus samples and Kubernetes objects into ``StatRow``s;
- ``canary``: the `--by version` view (configured weights from the mesh's routing objects, observed shares);
- ``service``: the one place that talks to the adapters (KubeClient, PromClient) passed in by the CLI.
"""
