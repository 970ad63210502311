"""Core layer (pure): runs a set of checks concurrently and reports their results in order.

- Independent checks run at the same time (one daemon thread per attempt, at most ``max_workers`` at once); a check
  starts as soon as every check it depends on has passed.
- A check whose fatal dependency failed (or was skipped) is reported ``skipped`` with the reason; nothing else is
  affected (Linkerd aborts the whole run on a fatal failure, which users dislike: linkerd2#5450).
- Each attempt has its own timeout; a hung attempt is abandoned (its thread is a daemon and its late answer ignored).
- A retryable check that fails is retried every ``retry_interval_s`` until the ``wait_s`` deadline (0 = no retries);
  each retry is announced to ``on_progress`` and runs against fresh data (see memo.py).
- Results are yielded in report order as soon as every earlier result is known, so renderers can stream them.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from meshctl.checks.model import (
    MESHES,
    Check,
    CheckFailed,
    CheckResult,
    CheckWarning,
    NotApplicable,
    Progress,
    Result,
)
from meshctl.errors import MeshctlError

if TYPE_CHECKING:
    from meshctl.checks.context import CheckContext


@dataclass(frozen=True)
class RunOptions:
    wait_s: float = 300.0  # retry deadline for retryable checks, from the start of the run; 0 = no retries
    retry_interval_s: float = 5.0  # as Linkerd's retryWindow
    max_workers: int = 8
    timeout_scale: float = 1.0  # multiplies every check's own timeout (tests make it small)


@dataclass
class _Outcome:
    check_id: str
    attempt: int
    passed: bool
    message: str | None
    detail: str | None
    seconds: float
    error_code: int | None = None
    hidden: bool = False  # NotApplicable: left out of the report
    warning: bool = False  # CheckWarning: report a warning whatever the check's level


def _attempt(check: Check, cx: Any, attempt: int, clock: Callable[[], float], out: queue.Queue) -> None:
    started = clock()
    try:
        if tuple(check.meshes) != MESHES and cx.mesh().name not in check.meshes:
            raise NotApplicable()
        detail = check.func(cx)
        outcome = _Outcome(check.id, attempt, True, None, detail, 0.0)
    except NotApplicable:
        outcome = _Outcome(check.id, attempt, True, None, None, 0.0, hidden=True)
    except CheckWarning as exc:
        outcome = _Outcome(check.id, attempt, False, exc.message, None, 0.0, warning=True)
    except CheckFailed as exc:
        outcome = _Outcome(check.id, attempt, False, exc.message, None, 0.0)
    except MeshctlError as exc:
        outcome = _Outcome(check.id, attempt, False, exc.message, None, 0.0, int(exc.exit_code))
    except Exception as exc:  # a bug in a check must not take the whole run down
        outcome = _Outcome(check.id, attempt, False, f"unexpected error: {type(exc).__name__}: {exc}", None, 0.0)
    outcome.seconds = clock() - started
    out.put(outcome)


def run(
    checks: list[Check],
    cx: CheckContext,
    options: RunOptions = RunOptions(),
    on_progress: Callable[[Progress], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[CheckResult]:
    """Run ``checks`` (already in report order, dependencies included) and yield their final results in that order."""
    by_id = {c.id: c for c in checks}
    run_deadline = clock() + options.wait_s
    done: queue.Queue[_Outcome] = queue.Queue()
    final: dict[str, CheckResult | None] = {}  # None: not applicable, left out
    waiting = [c.id for c in checks]  # not started, or between retries
    retry_at: dict[str, float] = {}
    running: dict[str, tuple[int, float]] = {}  # id -> (attempt, started)
    attempts: dict[str, int] = {}
    spent: dict[str, float] = {}
    next_to_yield = 0
    root_causes: dict[str, list[str]] = {}  # skipped check -> the failed checks that caused it

    def finish(
        cid: str, result: Result, error: str | None = None, detail: str | None = None, error_code: int | None = None
    ) -> None:
        final[cid] = CheckResult(
            by_id[cid], result, error, detail, spent.get(cid, 0.0) * 1000, attempts.get(cid, 0), error_code
        )

    def fail(o: _Outcome) -> None:
        c = by_id[o.check_id]
        now = clock()
        if o.warning:
            finish(c.id, Result.WARNING, o.message)
        elif c.retryable and now + options.retry_interval_s < run_deadline:
            retry_at[c.id] = now + options.retry_interval_s
            waiting.append(c.id)
            if on_progress:
                on_progress(Progress(c, o.attempt, o.message or "", options.retry_interval_s))
        else:
            finish(c.id, Result.WARNING if c.warning else Result.ERROR, o.message, error_code=o.error_code)

    while len(final) < len(checks):
        now = clock()
        # Start (or skip) whatever is ready, in report order.
        for cid in list(waiting):
            if len(running) >= options.max_workers:
                break
            if retry_at.get(cid, now) > now:
                continue
            c = by_id[cid]
            if any(d in by_id and d not in final for d in c.depends_on):
                continue
            deps = [final[d] for d in c.depends_on if d in by_id and final[d] is not None]
            waiting.remove(cid)
            blocked = [d for d in deps if d.result in (Result.ERROR, Result.SKIPPED)]
            if blocked:
                # name the failures at the root, not the chain of skips in between
                roots = list(dict.fromkeys(r for d in blocked for r in root_causes.get(d.check.id, [d.check.id])))
                root_causes[cid] = roots
                finish(
                    cid,
                    Result.SKIPPED,
                    "skipped: " + ", ".join(f"'{by_id[r].description}' ({r})" for r in roots) + " failed",
                )
                continue
            attempts[cid] = attempts.get(cid, 0) + 1
            started = clock()
            running[cid] = (attempts[cid], started)
            # A retry sees fresh data: memoised entries older than this attempt are fetched again.
            view = cx.since(started) if attempts[cid] > 1 else cx
            threading.Thread(
                target=_attempt, args=(c, view, attempts[cid], clock, done), daemon=True, name=f"check-{cid}"
            ).start()

        while next_to_yield < len(checks) and checks[next_to_yield].id in final:
            if (r := final[checks[next_to_yield].id]) is not None:
                yield r
            next_to_yield += 1
        if len(final) == len(checks):
            break

        # Sleep until an attempt ends, an attempt times out, or a retry is due.
        wakeups = [s + by_id[cid].timeout_s * options.timeout_scale for cid, (_, s) in running.items()]
        wakeups += [retry_at[cid] for cid in waiting if cid in retry_at]
        timeout = max(0.0, min(wakeups) - clock()) if wakeups else None
        try:
            o = done.get(timeout=timeout)
        except queue.Empty:
            o = None
        if o is not None and running.get(o.check_id, (None,))[0] == o.attempt:
            del running[o.check_id]
            spent[o.check_id] = spent.get(o.check_id, 0.0) + o.seconds
            if o.hidden:
                final[o.check_id] = None
            elif o.passed:
                finish(o.check_id, Result.SUCCESS, detail=o.detail)
            else:
                fail(o)
        now = clock()
        for cid, (attempt, s) in list(running.items()):
            limit = by_id[cid].timeout_s * options.timeout_scale
            if now - s >= limit:
                del running[cid]  # abandoned: a late outcome no longer matches the running attempt
                spent[cid] = spent.get(cid, 0.0) + (now - s)
                fail(_Outcome(cid, attempt, False, f"timed out after {limit:g}s", None, now - s))

    while next_to_yield < len(checks):
        if (r := final[checks[next_to_yield].id]) is not None:
            yield r
        next_to_yield += 1
