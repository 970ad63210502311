"""Core (analyze): the analyzers, one small module per area; the registry lists them (meshctl.analyze.registry)."""
