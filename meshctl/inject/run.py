"""Core: run inject/uninject over sources, document by document, into spooled output (no printing here).

Output and the report's summary go to spooled temporary files: memory stays flat however long the input, and
nothing reaches stdout unless every document went through (the CLI copies the spools only on success).
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from typing import IO, Any

from meshctl.errors import FailedError, InputError
from meshctl.inject.options import InjectOptions
from meshctl.inject.quick import TRIGGERS, unchangeable
from meshctl.inject.report import Report
from meshctl.inject.rules import MeshRules, rules_for
from meshctl.inject.transform import Outcome, inject_object, objects, uninject_object
from meshctl.manifests.documents import iter_documents
from meshctl.manifests.sources import Source
from meshctl.manifests.verify import check_expansion, verify
from meshctl.manifests.views import DataEditor, DataView, NodeView
from meshctl.manifests.yamledit import LOADER, NULL_TAG, Editor, ScalarNode, compose

BOM = "\ufeff"
SPOOL = 1 << 18  # bytes of output/report kept in memory before spilling to a temporary file
PEEK = 1 << 16  # characters read to tell JSON from YAML
HINTS = (  # (words in the error, hint): the first match wins
    ("marked for", "run `meshctl uninject` on it first, or inject with the other --mesh"),
    ("hostNetwork", "pods on the host network cannot be meshed; leave this workload out"),
    ("sidecar injected", "run `meshctl uninject` on it first"),
)


@dataclass
class Request:
    sources: list[Source]
    mode: str = "inject"  # inject | uninject
    mesh: str | None = None  # inject: linkerd|istio; uninject: None removes both meshes' markers
    options: InjectOptions = field(default_factory=InjectOptions)
    output: str = "yaml"  # yaml | json
    diff: bool = False


@dataclass
class Result:
    output: IO[str]  # positioned at 0
    report: Report
    summary: IO[str]


def spool() -> IO[str]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL, mode="w+", encoding="utf-8", newline="")  # noqa: SIM115


class Runner:
    def __init__(self, request: Request) -> None:
        self.request = request
        if request.mode == "inject":
            assert request.mesh is not None
            self.rules: MeshRules = rules_for(request.mesh)
            self.others = [rules_for(n) for n in ("linkerd", "istio") if n != request.mesh]
            self.meshes = [self.rules]
        else:
            self.meshes = [rules_for(request.mesh)] if request.mesh else [rules_for("linkerd"), rules_for("istio")]
        self.summary = spool()
        self.report = Report(self.summary, request.mode)
        self.out = spool()
        self.errors: list[tuple[str, str]] = []
        self.json_docs: list[Any] = []
        self.wrote_any = False
        self.at = ""  # the source (and line) being read, for errors
        self._first_of_source = True
        self._last_newline = True
        # -o json needs every document parsed; Services are editable when Linkerd annotates opaque ports
        self.quick = request.output != "json" or request.diff
        self.triggers = TRIGGERS + (("Service",) if request.options.opaque_ports else ())

    # -- per object ------------------------------------------------------------------------------------------------
    def _outcomes(self, root: Any, source: str) -> list:
        outcomes = []
        for obj, kind in objects(root):
            if self.request.mode == "inject":
                outcome = inject_object(obj, kind, self.rules, self.others, self.request.options)
            else:
                outcome = uninject_object(obj, kind, self.meshes)
            if outcome.error:
                self.errors.append((f"{outcome.resource} ({source}): {outcome.error}", outcome.error))
            else:
                self.report.add(outcome, source)
            outcomes.append(outcome)
        return outcomes

    # -- per source ------------------------------------------------------------------------------------------------
    def run(self) -> Result:
        try:
            for source in self.request.sources:
                self._source(source)
            if self.errors:
                raise _failure(self.request.mode, self.errors)
            if self.request.output == "json" and not self.request.diff:
                docs = self.json_docs
                data = docs[0] if len(docs) == 1 else {"apiVersion": "v1", "kind": "List", "items": docs}
                self.out.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
        except RecursionError as exc:
            # parsers, json and comparisons recurse per level of nesting: thousands of levels exhaust the stack
            raise InputError(
                f"cannot read {self.at}: nested too deeply to process", hint="no real manifest nests this deep"
            ) from exc
        self.out.seek(0)
        self.summary.seek(0)
        return Result(self.out, self.report, self.summary)

    def _source(self, source: Source) -> None:
        self._first_of_source = True
        self.at = source.name
        stream = source.open()
        try:
            head = stream.read(PEEK)
            if source.is_json or head.lstrip(BOM + " \t\r\n")[:1] in ("{", "["):
                text = head + stream.read()
                if self._json_source(source, text):
                    return
                chunks = iter_documents(_Replay(text, None))
            else:
                chunks = iter_documents(_Replay(head, stream))
            original, edited = [], []
            line = 0
            for chunk in chunks:
                self.at = f"{source.name}:{line + 1}"
                new = self._chunk(chunk, source.name, line)
                line += chunk.count("\n")
                if self.request.diff:
                    original.append(chunk)
                    edited.append(new)
                elif self.request.output == "yaml":
                    self._emit(new)
            if self.request.diff:
                self._diff(source.name, "".join(original), "".join(edited))
        finally:
            stream.close()

    def _emit(self, text: str) -> None:
        if not text:
            return
        if self.wrote_any and self._first_of_source:
            # joining sources: keep each a separate document (a file's own text is never touched)
            if not self._last_newline:
                self.out.write("\n")
            if not _STARTS_WITH_MARKER.match(text):
                self.out.write("---\n")
        self.out.write(text)
        self.wrote_any = True
        self._first_of_source = False
        self._last_newline = text.endswith("\n")

    def _chunk(self, chunk: str, name: str, line: int) -> str:
        if chunk.startswith(BOM):
            # libyaml skips a byte-order mark without counting it: every mark would be one character off
            return BOM + self._chunk(chunk[1:], name, line)
        if self.quick:
            known = unchangeable(chunk, self.triggers)
            if known is not None:
                self.report.add(Outcome(known[0].lower(), known[1], "skipped"), name)
                return chunk
        node = compose(chunk, name, line)
        if node is None or _empty(node):
            return chunk  # comments only, or an empty document (a manifest ending in `---`): not a document
        root = NodeView(node)
        outcomes = self._outcomes(root, name)
        ops = [op for o in outcomes for op in o.ops]
        new = chunk
        if ops and not self.errors:
            what = f"{outcomes[0].resource} in {name}"
            editor = Editor(chunk, node, what)
            for op in ops:
                getattr(editor, op[0])(op[1], op[2])
            new = editor.result()
            json_out = self.request.output == "json" and not self.request.diff
            node = verify(node, chunk, new, editor, what, whole=json_out) or node
        if self.request.output == "json" and not self.request.diff:
            import yaml

            check_expansion(node, f"{name}:{line + node.start_mark.line + 1}")
            self.json_docs.append(yaml.load(new, Loader=LOADER))
        return new

    # -- JSON sources ----------------------------------------------------------------------------------------------
    def _json_source(self, source: Source, text: str) -> bool:
        """Handle JSON text (one or more values); False if it is not JSON after all (then it is read as YAML)."""
        decoder = json.JSONDecoder()
        bom = BOM if text.startswith(BOM) else ""  # kept in the output, as in YAML sources
        text = text[len(bom) :]
        values: list[tuple[Any, int, int]] = []
        pos = 0
        try:
            while True:
                pos = _skip_ws(text, pos)
                if pos >= len(text):
                    break
                value, end = decoder.raw_decode(text, pos)
                values.append((value, pos, end))
                pos = end
        except json.JSONDecodeError as exc:
            if not source.is_json:
                return False
            raise InputError(f"cannot parse {source.name}:{exc.lineno}:{exc.colno}: {exc.msg}") from exc
        indent = _json_indent(text)
        compact = indent is None and '": ' not in text and '",' in text and '", ' not in text
        separators = (",", ":") if compact else ((",", ": ") if indent is not None else None)
        parts, cursor = [], 0
        for value, start, end in values:
            outcomes = self._outcomes(DataView(value), source.name)
            ops = [op for o in outcomes for op in o.ops]
            parts.append(text[cursor:start])
            if ops and not self.errors:
                editor = DataEditor(value)
                for op in ops:
                    getattr(editor, op[0])(op[1], op[2])
                parts.append(json.dumps(value, indent=indent, ensure_ascii="\\u" in text, separators=separators))
            else:
                parts.append(text[start:end])
            cursor = end
            if self.request.output == "json":
                self.json_docs.append(value)
        parts.append(text[cursor:])
        new = bom + "".join(parts)
        if self.request.diff:
            self._diff(source.name, bom + text, new)
        elif self.request.output == "yaml":
            self._emit(new)
        return True

    def _diff(self, name: str, before: str, after: str) -> None:
        import difflib

        if before == after:
            return
        lines = difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=f"a/{name}", tofile=f"b/{name}"
        )
        for line in lines:
            self.out.write(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")


# a source whose first document opens with `---` (after comments, blank lines or directives) needs no separator
_STARTS_WITH_MARKER = re.compile(r"(?:[ \t]*(?:[#%][^\n]*)?\r?\n)*---(?:[ \t\r\n]|$)")


_WHITESPACE = re.compile(r"\s*")


class _Replay:
    """A read()-able stream that first returns `head`, then the rest of `stream`."""

    def __init__(self, head: str, stream: IO[str] | None) -> None:
        self.head = head
        self.stream = stream

    def read(self, size: int = -1) -> str:
        if self.head:
            head, self.head = self.head, ""
            return head
        return self.stream.read(size) if self.stream is not None else ""


def _empty(node: Any) -> bool:
    return type(node) is ScalarNode and node.tag == NULL_TAG and node.start_mark.index == node.end_mark.index


def _skip_ws(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


def _json_indent(text: str) -> int | str | None:
    match = re.search(r"\n([ \t]+)\S", text)
    if not match:
        return None
    indent = match.group(1)
    return indent if "\t" in indent else len(indent)


def _failure(mode: str, errors: list[tuple[str, str]]) -> FailedError:
    first, reason = errors[0]
    hint = next((h for words, h in HINTS if words in reason), None)
    if len(errors) == 1:
        return FailedError(f"cannot {mode} {first}", hint=hint)
    rest = "; ".join(e for e, _ in errors[1:])
    return FailedError(f"cannot {mode} {len(errors)} resources: {first}; {rest}", hint=hint)


def run(request: Request) -> Result:
    return Runner(request).run()
