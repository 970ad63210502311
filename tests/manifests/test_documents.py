"""Splitting a YAML stream into documents: linear in the input, however long its lines or documents."""

from __future__ import annotations

import io
import time

import pytest

from meshctl.manifests.documents import iter_documents, split_documents


def _seconds(text: str) -> float:
    """Best CPU time of three runs of the streaming splitter over `text` (the best run is the least disturbed)."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        chunks = list(iter_documents(io.StringIO(text, newline="")))
        best = min(best, time.process_time() - started)
    assert "".join(chunks) == text
    return best


def _one_long_line(n: int) -> str:
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: " + "x" * n + "\n---\nkind: A\n"


def _one_long_document(n: int) -> str:
    return "kind: ConfigMap\ndata:\n" + "  k: v\n" * (n // 7) + "---\nkind: A\n"


@pytest.mark.parametrize("shape", [_one_long_line, _one_long_document], ids=["long line", "long document"])
def test_time_grows_linearly_with_the_input(shape):
    # 8x the input must cost about 8x the time (measured 8-11x: 16 MB no longer fits the CPU caches); the old
    # splitter grew one string block by block and searched it again after every block: 64x (a 12.5 MB line took
    # 1.6 s, 50 MB 14.9 s). 25x, about the geometric middle, leaves room for a busy machine.
    small, large = _seconds(shape(2 << 20)), _seconds(shape(16 << 20))
    assert large / max(small, 1e-4) < 25, (small, large)


def test_streaming_and_in_memory_splits_agree_across_block_boundaries():
    text = "# lead\n---\na: 1\n...\n# tail\n...\n---\nb: " + "y" * 50 + "\n--- c\n---\n"
    expected = split_documents(text)
    assert expected == ["# lead\n---\na: 1\n...\n# tail\n...\n", "---\nb: " + "y" * 50 + "\n", "--- c\n", "---\n"]
    for block in (1, 3, 7, 64):
        assert list(iter_documents(io.StringIO(text, newline=""), block=block)) == expected
