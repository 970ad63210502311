"""Render layer: `meshctl slo rules` as a Prometheus rule file (YAML, multi-line expressions as block scalars)."""

from __future__ import annotations

from typing import Any


def to_yaml(groups: list[dict[str, Any]]) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:  # shared label dicts stay spelled out (no &id001 anchors)
            return True

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)

    Dumper.add_representer(str, text)
    return yaml.dump({"groups": groups}, Dumper=Dumper, sort_keys=False, width=120)
