"""The core of jupyter_mlops: no IPython, ipywidgets, tornado or jupyter_server imports here.

Views (magics, CLI, widgets, server handlers) call :class:`jupyter_mlops.Workspace`, which calls
the parts below it (registry, serving, monitor, pipelines, governance), which call the store and
the artifact store.
"""
