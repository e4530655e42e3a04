"""The Jupyter server extension: the REST API under ``/jupyter-mlops/api/`` that the JupyterLab
"MLOps" sidebar (and any client holding the server's token) uses.

``jupyter_mlops/__init__.py`` exposes the hooks Jupyter looks for (``_jupyter_server_extension_points``,
``_load_jupyter_server_extension``) and imports this package only when a server loads the extension,
so ``import jupyter_mlops`` and ``%load_ext jupyter_mlops`` never pay for tornado or jupyter_server.

- ``routes.py``: the one table of routes (method, path, what it returns, its body and query), each
  route's action one ``Workspace`` call rendered as the results' ``to_dict()`` or the listings'
  documented records (``_core/listings.py``);
- ``handlers.py``: tornado ``APIHandler`` classes made from that table: Jupyter's authentication
  on every route (token, or cookie + XSRF on POST) and its authorizer (resource
  ``jupyter_mlops``: "read" for GET, "write" for POST), blocking workspace calls on a thread pool so the
  server's event loop never waits for the database, an endpoint or a notebook run, JSON bodies
  checked before any call, and the error tree mapped to a status in one place
  (``errors.http_status``);
- ``openapi.py``: the OpenAPI 3.1 document generated from the table, served at ``openapi.json``
  and committed as ``openapi.json`` beside this file (the TypeScript client's types come from it);
- ``context.py``: the workspace of the server's root folder (``$MLOPS_HOME`` first, as everywhere).
"""

from __future__ import annotations

API_PREFIX = "jupyter-mlops/api"


def load(server_app) -> None:
    """Add the routes to ``server_app``'s web application (``_load_jupyter_server_extension``)."""
    from .context import ServerWorkspace
    from .handlers import handlers

    base_url = server_app.web_app.settings.get("base_url", "/")
    workspace = ServerWorkspace(server_app.root_dir)
    server_app.web_app.add_handlers(".*$", handlers(base_url, workspace))
    server_app.log.info("jupyter_mlops: REST API at %s%s/ for the workspace %s", base_url, API_PREFIX,
                        workspace.home)
