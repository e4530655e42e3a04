"""The core of jupyter_mlops: no IPython, ipywidgets, tornado or jupyter_server imports here.

Views (the magics, the CLI) call :class:`jupyter_mlops.Workspace`, the composition root, which
builds the parts (registry, datasets, serving, monitor, scheduler) and wires each with the narrow
collaborators it needs; the parts call the store, the artifact store and the audit log.
ARCHITECTURE.md draws the layers and says where the next parts go.
"""
