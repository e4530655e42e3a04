"""The panel verb: ``%mlops panel [PART]`` shows the control panel (ipywidgets), all of it or one
part. ipywidgets is imported when the verb runs, so ``%load_ext jupyter_mlops`` stays light."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ._verbs import verb


@verb("panel")
@argument("part", nargs="?", help="one part only: registry, endpoints, drift (or monitoring), jobs")
@argument("--interval", type=float, default=3.0, help="seconds between background refreshes (default 3)")
def panel(view, args):
    """The control panel: registry, endpoints (live charts, weights), drift, jobs."""
    from ..widgets import panel as show_panel

    return show_panel(view.ws, part=args.part, interval=args.interval)
