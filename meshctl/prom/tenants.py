"""Core layer (pure): Grafana Mimir (and Cortex) tenants -- the `X-Scope-OrgID` header and the tenant label.

`--tenant` is repeatable and each value may list several tenants (`a|b`), as the header itself does. With tenant
federation (`-tenant-federation.enabled`) Mimir answers for every listed tenant and gives each series the label
`__tenant_id__` (a series' own label of that name is kept as `original___tenant_id__`); with a single tenant it adds
no label. So with several tenants `__tenant_id__` is the cluster discriminator of a fleet run: each context's queries
select `__tenant_id__="<its tenant>"`. A value `CONTEXT=TENANT` maps a kubeconfig context to its tenant when the
names differ (`=` cannot occur in a Mimir tenant id); otherwise the tenant is the context's name.
Tenant ids are not secrets (they are in every URL of Mimir's UI); credentials stay in --prometheus-token.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from meshctl.errors import UsageError

HEADER = "X-Scope-OrgID"
LABEL = "__tenant_id__"
# Mimir's tenant id rule (pkg/util/validation: at most 150 of [A-Za-z0-9!-_.*'()], not "." or "..")
_TENANT_RE = re.compile(r"^[A-Za-z0-9!_.*'()-]{1,150}$")


@dataclass(frozen=True)
class Tenants:
    ids: tuple[str, ...] = ()
    by_context: dict[str, str] = field(default_factory=dict)

    def header(self) -> dict[str, str]:
        """{"X-Scope-OrgID": "a|b"}; nothing without tenants."""
        return {HEADER: "|".join(self.ids)} if self.ids else {}

    @property
    def label(self) -> str | None:
        """The series label naming the tenant: only with several tenants (one tenant adds no label)."""
        return LABEL if len(self.ids) > 1 else None

    def of(self, context: str) -> str:
        return self.by_context.get(context, context)

    def check_contexts(self, contexts: Sequence[str]) -> None:
        """A fleet split by tenant: every CONTEXT= names a selected context (else a typo), and every context's tenant
        is one the header sends (else its queries select a tenant Mimir was not asked for: empty figures)."""
        if self.label is None:
            return
        for context, tenant in self.by_context.items():
            if context not in contexts:
                raise UsageError(f"--tenant '{context}={tenant}': no selected context {context!r}",
                                 hint=f"selected: {', '.join(contexts)}")  # fmt: skip
        for context in contexts:
            if self.of(context) not in self.ids:
                raise UsageError(f"context {context!r} has no tenant among {'|'.join(self.ids)}",
                                 hint=f"add --tenant {context}=TENANT, or its name as a tenant")  # fmt: skip


def parse(values: Sequence[str]) -> Tenants:
    """['east', 'west'], ['east|west'] or ['ctx-1=east', 'west'] -> Tenants; a usage error names a bad value."""
    ids: list[str] = []
    by_context: dict[str, str] = {}
    for value in values:
        for item in value.split("|"):
            context, sep, tenant = item.strip().partition("=")
            if not sep:
                context, tenant = "", context
            tenant = tenant.strip()
            if not _TENANT_RE.match(tenant) or tenant in (".", ".."):
                raise UsageError(
                    f"--tenant {value!r}: {tenant!r} is not a tenant id",
                    hint="tenant ids are 1-150 of A-Z a-z 0-9 ! - _ . * ' ( ); list several as a|b or repeat --tenant",
                )
            if sep:
                if not context.strip():
                    raise UsageError(f"--tenant {value!r}: CONTEXT=TENANT needs a context name before '='")
                by_context[context.strip()] = tenant
            if tenant not in ids:
                ids.append(tenant)
    return Tenants(tuple(ids), by_context)
