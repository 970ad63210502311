"""The one way tables cut text (meshctl/render/fit.py): names lose their middle, free text its end."""

from __future__ import annotations

import pytest

from meshctl.render.fit import cut_end, elide


def test_elide_keeps_two_thirds_head_by_default_and_the_asked_tail():
    assert elide("linkerd-proxy-injector-qgtz4sd8hn-crhxv", 24) == "linkerd-proxy-in\u2026n-crhxv"
    assert elide("frontpage-4wv74rl8qt-fmxp5", 12, tail=6) == "front\u2026-fmxp5"
    assert elide("shop/notifications", 16) == "shop/notif\u2026tions"


@pytest.mark.parametrize("width", [0, 1, 2, 5, 17])
def test_elide_never_exceeds_the_width(width):
    assert len(elide("shop/notifications", width)) <= max(width, 0)
    assert len(cut_end("a detail that is long", width)) <= max(width, 0)


def test_cut_end_and_short_text_untouched():
    assert cut_end("destination queue overflows", 12) == "destination\u2026"
    assert (elide("short", 24), cut_end("short", 24)) == ("short", "short")
