"""Why a model predicts what it does, as one modality can say it: for the explain command,
serve's /explain and the worst mistakes of report.html. A modality that cannot say has no
explainer (Modality.explainer is None), and whoever asks says so in one line."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path


class Explainer(ABC):
    """The explanations of one modality's models."""

    options: frozenset = frozenset()  # which of explain's options apply: "class", "global"

    def can_explain(self, model) -> bool:
        """Whether this loaded model can be explained (an exported one may not be)."""
        return True

    @abstractmethod
    def explain(self, model, inputs: list, out: Path | None, options: dict) -> list[str]:
        """deepstart explain: lines to print (files written to out)."""

    @abstractmethod
    def explain_one(self, model, item) -> dict:
        """Why the model predicts what it does for one input, as JSON (serve's /explain)."""

    @abstractmethod
    def explain_mistakes(self, model, worst: list[dict]) -> dict[str, str]:
        """Per worst mistake's input, HTML saying why (for report.html)."""

    @abstractmethod
    def mistakes_note(self, task: str) -> str:
        """How to read explain_mistakes' HTML."""
