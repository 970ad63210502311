"""`tap` and `top`: a pipeline source -> parser -> filter -> renderer or aggregator.

Pure parts: ``event`` (TapEvent), ``parsers`` (one module per access-log format), ``filters`` (predicates and the
--max-rps sampler), ``top`` (the bounded aggregator), ``targets`` and ``accesslog`` (pod membership and logging
checks over plain dicts). Orchestration over a KubeClient: ``sources`` (log streams that resume exactly) and
``session`` (one tap/top run).
"""
