"""Every hint that sends a user to the documentation gives its web address (one constant, meshctl.links), and the
page and anchor it names exist in docs/. Hints used to say `docs/checks.md#id`: a path users do not have."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import run

DOCS = Path(__file__).resolve().parent.parent / "docs"
URL = "https://github.com/meshctl/meshctl/blob/main/docs/"


def _slug(heading: str) -> str:
    # GitHub's heading anchors: lower case, punctuation but - and _ removed, spaces to -
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _resolves(url: str) -> bool:
    assert url.startswith(URL), url
    page, _, anchor = url[len(URL) :].partition("#")
    text = (DOCS / page).read_text()
    if not anchor:
        return True
    headings = {_slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}
    return anchor in headings or f'<a id="{anchor}"></a>' in text


def test_links_module_is_the_one_constant():
    from meshctl.links import DOCS_URL, doc_url

    assert DOCS_URL == URL and doc_url("checks.md", "k8s-api") == URL + "checks.md#k8s-api"


def test_every_check_hint_is_a_url_that_resolves():
    from meshctl.checks import all_checks

    for c in all_checks():
        assert c.hint.endswith(f"see {URL}checks.md#{c.id} for hints"), c.hint
        assert _resolves(c.hint_anchor), c.hint_anchor


def test_every_analyzer_code_links_to_its_section():
    from meshctl.analyze.catalog import catalog

    for m in catalog().messages.values():
        assert m.doc_url == f"{URL}analyzers.md#{m.code.lower()}" and _resolves(m.doc_url), m.doc_url


def test_analyze_json_gives_the_url(tmp_path):
    bad = tmp_path / "vs.yaml"
    bad.write_text(
        "apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: {name: r, namespace: shop}\n"
        "spec:\n  hosts: [movies]\n  http:\n  - route:\n    - destination: {host: nowhere}\n"
    )
    r = run(["--mesh", "istio", "analyze", str(bad), "-A", "-o", "json"])
    findings = json.loads(r.stdout)
    assert findings, r.stderr
    assert all(f["doc_url"].startswith(URL + "analyzers.md#msh") and _resolves(f["doc_url"]) for f in findings)


@pytest.mark.bed
def test_prometheus_not_found_hints_link_to_the_guide(make_bed):
    bed = make_bed(objects=False, prometheus=False, kubelet=False)
    r = run(["--mesh", "linkerd", "stat", "deploy", "-n", "default"], env=bed.env(prometheus=False, mesh=False))
    (url,) = re.findall(r"https://\S+", r.stderr) or [None]
    # the mesh's Prometheus service is missing: exit 3, and where to read how meshctl finds Prometheus
    assert r.code == 3 and url and _resolves(url), r.stderr
    r = run(["stat", "deploy", "-n", "default"], env=bed.env(prometheus=False, mesh=False))
    (url,) = re.findall(r"https://\S+", r.stderr) or [None]
    assert r.code == 4 and url and _resolves(url), r.stderr  # no mesh found, so no Prometheus to look for


def test_slo_file_hint_is_a_url_that_resolves(tmp_path):
    """`slo status -f` on a file without SLOs said `see docs/slo.md`: a path users do not have."""
    bad = tmp_path / "slos.yaml"
    bad.write_text("slos: []\n")
    r = run(["--mesh", "linkerd", "slo", "rules", "-f", str(bad)])
    (url,) = re.findall(r"https://\S+", r.stderr) or [None]
    assert r.code == 65 and url and _resolves(url), r.stderr


def test_no_hint_names_a_docs_path():
    """Every hint that sends a user to the documentation goes through meshctl.links (a web address)."""
    package = Path(__file__).resolve().parent.parent / "meshctl"
    found = [
        f"{path.relative_to(package.parent)}:{n}"
        for path in package.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"""hint=f?["'][^"']*\bdocs/""", line)
    ]
    assert not found, found


@pytest.mark.bed
def test_slo_cluster_form_hint_is_a_url_that_resolves(bed_linkerd):
    r = run(["slo", "status", "--from-cluster", "-n", "legacy"], env=bed_linkerd.env())
    (url,) = re.findall(r"https://\S+", r.stderr) or [None]
    assert r.code == 4 and url and _resolves(url), r.stderr


PAGES = [DOCS.parent / "README.md", *sorted(DOCS.glob("*.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|!\[[^\]]*\]\(([^)\s]+)\)")


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page: its headings' slugs (a repeated one gets -1, -2, ...) and explicit <a id>."""
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)  # no headings inside code blocks
    seen: dict[str, int] = {}
    found = set(re.findall(r'<a id="([^"]+)"></a>', text))
    for heading in re.findall(r"^#+ (.+)$", text, re.M):
        slug = _slug(heading.replace("`", ""))
        found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return found


def _local_links(page: Path) -> list[tuple[int, str]]:
    out = []
    inside = False
    for n, line in enumerate(page.read_text().splitlines(), 1):
        if line.lstrip().startswith("```"):
            inside = not inside
        if inside:
            continue
        for m in LINK.finditer(re.sub(r"`[^`]*`", "", line)):
            target = m.group(1) or m.group(2)
            if not re.match(r"^[a-z]+:", target):
                out.append((n, target))
    return out


def test_docs_pages_have_local_links():
    assert sum(len(_local_links(p)) for p in PAGES) > 50


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_inside_the_docs_resolves(page):
    """Relative links of README.md and docs/*.md name files that exist, and #anchors that exist in them."""
    broken = []
    for n, target in _local_links(page):
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{page.name}:{n}: {target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{page.name}:{n}: {target} (no such anchor)")
    assert not broken, "\n".join(broken)
