"""The ``%mlops`` / ``%%mlops`` magics: parse a line, make one ``Workspace`` call, return its result.

Each verb lives in a small module here (``registry_verbs``, and one per part) as a function with
IPython ``magic_arguments`` decorators. ``%mlops VERB -h`` and ``%mlops help VERB`` print the real
argparse help; bad arguments raise ``UsageError`` (one line, no traceback); our own errors show as
one line too (``ModelNotFound: No model named 'chrun'. Did you mean: churn?``) through
``MlopsError._render_traceback_``, which IPython uses with or without this extension, while
staying catchable with ``except``.
"""

from __future__ import annotations

import re

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from . import completion
from ._verbs import VERBS, View, help_text, split_verb

_VERB_MODULES = ("registry_verbs",)


def _import_verbs() -> None:
    import importlib

    for name in _VERB_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    # Parts add their verbs as jupyter_mlops.magics.<part>_verbs; pick up whichever exist.
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if info.name.endswith("_verbs") and info.name not in _VERB_MODULES:
            importlib.import_module(f"{__name__}.{info.name}")


@magics_class
class MlopsMagics(Magics):
    def __init__(self, shell):
        super().__init__(shell)
        self.view = View(shell)

    @line_cell_magic
    def mlops(self, line: str = "", cell: str | None = None):
        """jupyter_mlops: %mlops VERB [options]. %mlops help lists the verbs; %mlops VERB -h explains one."""
        return self.view.run(line, cell)


_VERB_HELP = re.compile(r"^(\s*)%mlops\s+([\w-]+)\s*\?{1,2}\s*$")


def verb_help_transformer(lines: list[str]) -> list[str]:
    """``%mlops register?`` means "help on the register verb" (IPython would otherwise look up a
    variable named ``register``): rewrite it to ``%mlops help register`` before IPython's own
    ``?`` handling sees it."""
    return [_VERB_HELP.sub(r"\1%mlops help \2", line.rstrip("\n")) + ("\n" if line.endswith("\n") else "")
            for line in lines]


def load(ipython) -> None:
    _import_verbs()
    if verb_help_transformer not in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.append(verb_help_transformer)
    ipython.register_magics(MlopsMagics)
    # Our errors need no handler here: MlopsError._render_traceback_ makes them one line.
    completion.install(ipython)


def unload(ipython) -> None:
    completion.uninstall(ipython)
    if verb_help_transformer in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(verb_help_transformer)


__all__ = ["MlopsMagics", "load", "unload", "help_text", "split_verb", "UsageError"]
