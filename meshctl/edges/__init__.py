"""Core layer: `meshctl edges` (alias `graph`) — who calls whom, with golden signals and the mTLS share per edge.

- ``request``: the validated ``EdgesRequest`` (usage errors before any I/O);
- ``queries``: the PromQL, composed from the mesh's telemetry vocabulary (meshctl/meshes/telemetry*.py); a fixed
  number of queries whatever the number of workloads;
- ``assemble``: samples -> ``Edge`` rows (pure); ``health``: Kiali-compatible health of an edge and a node;
- ``service``: runs one request through the adapters the CLI passes in (KubeClient, PromClient).
"""
