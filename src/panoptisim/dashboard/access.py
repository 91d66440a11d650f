"""Who may reach the dashboard: the warning for a non-loopback address, the websocket
origins the server accepts, and the optional token the page's address must carry.

A dashboard runs simulations and hands out run folders to whoever opens its page, so by
default it listens on the loopback address only. ``--host 0.0.0.0`` (or any other
address) exposes it to the network: :func:`warn_exposure` says so, the websocket accepts
only pages served under the address given (plus ``--allow-origin``), and ``--token`` makes
the server refuse (HTTP 403) any request without the secret, given once in the address
(``?token=...``); the browser then keeps, for the page's own requests, a cookie that holds
not the token but a keyed digest of it (the key is new each time the server starts).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import sys
from collections.abc import Callable
from typing import Any

from bokeh.server.auth_provider import AuthProvider
from tornado.web import HTTPError

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def origins(host: str, port: int, extra: tuple[str, ...] = ()) -> list[str]:
    """The websocket origins the server accepts: the address given, its loopback aliases
    when it is a loopback address, and the ``extra`` ones (``HOST[:PORT]``)."""
    allowed = [f"{host}:{port}"]
    if is_loopback(host):
        allowed += [f"127.0.0.1:{port}", f"localhost:{port}"]
    return list(dict.fromkeys(allowed + [o if ":" in o else f"{o}:{port}" for o in extra]))


def warn_exposure(host: str, port: int, token: str | None) -> None:
    """Say on stderr what listening on a non-loopback address exposes (nothing if loopback)."""
    if is_loopback(host):
        return
    every = " (every network interface)" if host in ("0.0.0.0", "::", "") else ""
    guard = ("the page's address must carry the token (?token=...)" if token else
             "no --token is set, so anyone who can reach it can use it")
    print(f"warning: the dashboard listens on {host}:{port}{every}: anyone who can reach "
          f"this machine on port {port} can run simulations on it and download its run "
          f"folders; {guard}. Websockets are accepted only from pages served as "
          f"{host}:{port} (add the address your browser uses with --allow-origin).",
          file=sys.stderr, flush=True)


class TokenAuth(AuthProvider):
    """A Bokeh auth provider: a request passes with ``?token=<secret>`` in its address or the
    cookie the first such request sets; any other is refused with HTTP 403."""

    def __init__(self, token: str, port: int):
        self.token = token
        self.cookie = f"panoptisim_dashboard_{port}"
        #: The cookie's value: an HMAC-SHA256 of the token under a key of this process, so
        #: the cookie never holds the token and is plain hex whatever the token's characters.
        self.cookie_value = hmac.new(secrets.token_bytes(32), _utf8(token),
                                     hashlib.sha256).hexdigest()
        super().__init__()

    @property
    def get_user(self) -> Callable[[Any], str]:
        """Bokeh's hook: the user of a request carrying the token; 403 for any other."""
        return self._user

    @property
    def get_login_url(self) -> Callable[[Any], str]:
        """Bokeh's hook, never reached: a request without the token is refused, not sent
        to a login page."""
        return lambda handler: "/"

    def _user(self, handler: Any) -> str:
        given = handler.get_argument("token", None)
        if given is not None and hmac.compare_digest(_utf8(given), _utf8(self.token)):
            handler.set_cookie(self.cookie, self.cookie_value, httponly=True,
                               samesite="Strict")
            return "token"
        cookie = handler.get_cookie(self.cookie)
        if cookie is not None and hmac.compare_digest(_utf8(cookie), _utf8(self.cookie_value)):
            return "token"
        raise HTTPError(403, "the dashboard's address needs its token: ?token=<the secret "
                             "given with --token>")


def _utf8(text: str) -> bytes:
    """Text as bytes for a constant-time comparison (compare_digest takes ASCII text only);
    lone surrogates (an undecodable command-line byte) pass through, one-to-one."""
    return text.encode("utf-8", "surrogatepass")
