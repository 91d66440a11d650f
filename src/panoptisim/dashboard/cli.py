"""``panoptisim dashboard [--port 8050] [--host 127.0.0.1] [--runs-dir DIR] [--token SECRET]
[--allow-origin HOST[:PORT]]``."""

from __future__ import annotations

import re
from pathlib import Path

import click

from panoptisim.errors import shown

#: What a token may not hold: whitespace and control characters, which an address bar or a
#: terminal would not carry as typed.
UNSAFE_TOKEN_CHAR = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


@click.command("dashboard")
@click.option("--port", type=click.IntRange(0, 65535), default=8050, show_default=True,
              help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; the default keeps the dashboard on this machine. Any "
                   "other address (0.0.0.0: every interface) exposes it to the network.")
@click.option("--runs-dir", type=click.Path(path_type=Path), default=None,
              help="Where run folders go (default: a temporary folder removed on exit).")
@click.option("--token", envvar="PANOPTISIM_DASHBOARD_TOKEN", default=None,
              help="A secret the page's address must carry (?token=SECRET); requests "
                   "without it are refused. Also read from PANOPTISIM_DASHBOARD_TOKEN.")
@click.option("--allow-origin", multiple=True, metavar="HOST[:PORT]",
              help="Another address browsers reach the dashboard by (its websocket accepts "
                   "only pages served under --host otherwise); repeatable.")
@click.option("--show", is_flag=True, help="Open the page in the default browser.")
def dashboard(port: int, host: str, runs_dir: Path | None, token: str | None,
              allow_origin: tuple[str, ...], show: bool) -> None:
    """Explore a built-in scenario live in the browser (local web app)."""
    bad = UNSAFE_TOKEN_CHAR.search(token or "")
    if bad:
        raise click.BadParameter(f"the token holds {shown(bad.group())} at position "
                                 f"{bad.start() + 1}; allowed: printable characters other "
                                 f"than spaces", param_hint="--token")
    try:
        from panoptisim.dashboard.app import serve
    except ImportError as exc:
        raise click.UsageError(f"the dashboard needs Panel ({exc.name} is not installed): "
                               f"pip install 'panoptisim[dashboard]'") from None
    serve(host=host, port=port, runs_dir=runs_dir, show=show, token=token,
          allow_origin=allow_origin)
