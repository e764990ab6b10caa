"""The trained classifier as workers see it: loaded from its versioned directory and
reloaded, without a restart, when ``plaint train`` moves the ``current`` pointer."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from plaint.errors import ConfigError

if TYPE_CHECKING:
    from plaint.classifier.textmodel import TextModel

__all__ = ["ModelCache"]

logger = logging.getLogger(__name__)


class ModelCache:
    """Holds the current model of ``directory`` (``None``: no model configured).

    :meth:`current` costs one ``stat`` of the pointer file when nothing changed. A model
    that fails to load is logged and the previous one kept, so a bad deploy never stops
    triage: the rules still decide.
    """

    def __init__(self, directory: Path | None) -> None:
        self._directory = directory
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._model: TextModel | None = None

    def current(self) -> TextModel | None:
        """Return the model the ``current`` pointer names, loading it if it changed."""
        if self._directory is None:
            return None
        pointer = self._directory / "current"
        try:
            info = pointer.stat()
        except OSError:
            return self._model
        stamp = (info.st_mtime_ns, info.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._stamp = stamp
                self._reload()
            return self._model

    def _reload(self) -> None:
        from plaint.classifier.textmodel import load_model

        assert self._directory is not None
        try:
            self._model = load_model(self._directory)
        except ConfigError as exc:
            logger.error("classifier model not loaded, keeping the previous one: %s", exc)
            return
        logger.info("classifier model %s loaded", self._model.info.version)
