"""Neutral helper (any layer may import it; imports nothing): remove credentials from URLs before they are shown.

A URL's userinfo (``user:password@`` in ``http://user:password@host/``) is as secret as an Authorization header:
``--prometheus-url``, a kubeconfig's server, a manifest URL and the paths and authorities proxies log can all carry
one. ``url()`` cleans one URL (or an authority such as ``user:pw@host:80``); ``text()`` cleans every URL inside a
message, as the last line of defence where errors and notes are printed. Both are pure string work: they never
raise, whatever the input (a URL too broken to parse is still shown without its userinfo).
"""

from __future__ import annotations

import re

# scheme "://" userinfo "@": the userinfo ends at the last "@" before the authority ends ("/", "?", "#", space).
# The scheme is 1-32 characters, so a long run of letters without "://" costs little to reject.
_URL_USERINFO = re.compile(r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31}://)[^/?#\s\"'<>]*@")


def url(value: str) -> str:
    """'http://u:pw@host:9090/x' -> 'http://host:9090/x'; 'u:pw@host:80' -> 'host:80'; others unchanged."""
    if "@" not in value:
        return value
    scheme_end = value.find("://")
    start = 0 if scheme_end < 0 or "/" in value[:scheme_end] else scheme_end + 3
    end = len(value)
    for stop in "/?#":
        i = value.find(stop, start)
        if 0 <= i < end:
            end = i
    at = value.rfind("@", start, end)
    if at >= 0:
        value = value[:start] + value[at + 1 :]
    return text(value)  # the path or query may carry another URL (`/login?next=http://u:pw@h/`)


def text(value: str) -> str:
    """Every 'scheme://userinfo@' in free text loses its userinfo ('see http://a:b@h/x' -> 'see http://h/x')."""
    if "@" not in value or "://" not in value:
        return value
    return _URL_USERINFO.sub(r"\1", value)


def authority(value: str | None) -> str | None:
    """An HTTP authority ('user:pw@host:80' -> 'host:80'); None stays None."""
    if value is None or "@" not in value:
        return value
    return value[value.rfind("@") + 1 :]
