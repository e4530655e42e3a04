"""``WorkspaceStatus``: what ``%mlops`` with no verb shows (where the workspace lives, and how many
models, versions, endpoints and schedules it holds)."""

from __future__ import annotations

from dataclasses import dataclass

from . import html
from .results import Result


@dataclass(frozen=True, repr=False)
class WorkspaceStatus(Result):
    home: str
    db: str
    artifacts: str
    models: int
    versions: int
    endpoints: int
    schedules: int

    @property
    def title(self) -> str:
        return "jupyter_mlops workspace"

    def _repr_html_(self) -> str:
        return html.card(self.title, "", [("", html.kv_table(self.to_dict().items()))])

    def __repr__(self) -> str:
        return (f"workspace {self.home}\n  db {self.db}\n  artifacts {self.artifacts}\n"
                f"  {self.models} models, {self.versions} versions, {self.endpoints} endpoints, "
                f"{self.schedules} schedules")
