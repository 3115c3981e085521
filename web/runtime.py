"""The loaded index and the assistant over it, loaded in a background thread so the server
answers /healthz (and 503 elsewhere) while it starts."""

from __future__ import annotations

import logging
import threading
from typing import Any

from assistant.pipeline import Assistant
from assistant.settings import Settings
from ingest.index import IndexNotReady, RegisterIndex

log = logging.getLogger("algoritmewijzer.web")

LOAD_RETRY_SECONDS = 1.0


class Runtime:
    """Loads the index (and the assistant over it) in the background; `ready` once loaded."""

    def __init__(self, settings: Settings, index: Any = None):
        self.settings = settings
        self.index = index
        self.assistant: Any = None
        self.error: str | None = "starting"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        return self.assistant is not None

    def try_load(self) -> bool:
        with self._lock:
            if self.assistant is not None:
                return True
            try:
                index = self.index if self.index is not None else RegisterIndex(self.settings)
                index.ensure_loaded()
                if not index.records:
                    raise IndexNotReady(f"The index in {self.settings.data_dir} holds no records yet: ingest a source first")
                self.index = index
                index.search("algoritme", k=1)  # warm up: embedder, vector store, BM25
                assistant = Assistant(self.settings, index=index)
                assistant.warm_up()  # ready means the first question is answered at full speed
                self.assistant = assistant
                self.error = None
                log.info("ready: %d records", len(index.records))
                return True
            except IndexNotReady as exc:
                self._note(str(exc), logging.INFO)
            except Exception as exc:  # e.g. a Chroma server not up yet: keep trying
                self._note(f"{type(exc).__name__}: {exc}", logging.WARNING)
            return False

    def _note(self, error: str, level: int) -> None:
        if error != self.error:  # log each new reason once, not every retry
            log.log(level, "not ready: %s", error)
        self.error = error

    def start(self) -> None:
        if self.ready or (self._thread and self._thread.is_alive()):
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set() and not self.try_load():
                self._stop.wait(LOAD_RETRY_SECONDS)

        self._thread = threading.Thread(target=loop, name="index-loader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
