"""Helpers the tests share (fixtures live in tests/conftest.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ingest import datafiles
from ingest.config import IngestConfig
from ingest.pipeline import resolve_sources, run_ingest
from ingest.report import IngestReport


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """Write `records` as a JSON Lines source file and return its path."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def run_cli_fresh(argv: list[str], data_dir: Path, timeout: int = 600) -> tuple[int, str, str]:
    """(exit status, output, logs) of `algoritmewijzer -v ARGV` as a person runs it: in a fresh
    process, which never read the withheld fixture itself. A test process has read it (to build
    its needles), and a library writing stale memory to disk (Chroma writes its index files at
    their allocated size) must not be mistaken for the product's doing. Logging is on (-v) and
    goes to stderr."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data_dir.parent),
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        "HF_HUB_OFFLINE": "1",
        "ALGORITMEWIJZER_DATA_DIR": str(data_dir),
    }
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "-v", *argv], env=env, capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


def ingest_into(settings: IngestConfig, *paths: Path | str) -> IngestReport:
    """Ingest the given source files into the data directory of `settings`, as the CLI would."""
    return run_ingest(resolve_sources([str(p) for p in paths], settings), settings)


def assert_broken_copy_rejected(
    monkeypatch: pytest.MonkeyPatch, package: str, name: str, breaking: Callable[[Any], None], loader: Callable[[], Any], cache: Any
) -> None:
    """`loader()` reads the data file `<package>/data/<name>` through ingest.datafiles; with a copy
    changed by `breaking(data)` it fails with DataFileError naming the file. `cache`: the
    lru_cache'd function to clear before and after (so the good file is read again)."""
    data = json.loads(datafiles.read_text(package, name))
    breaking(data)
    real = datafiles.read_text
    with monkeypatch.context() as patched:
        patched.setattr(datafiles, "read_text", lambda p, n: json.dumps(data) if (p, n) == (package, name) else real(p, n))
        cache.cache_clear()
        try:
            with pytest.raises(datafiles.DataFileError, match=re.escape(f"{package}/data/{name}")):
                loader()
        finally:
            cache.cache_clear()
    loader()  # the good file again
