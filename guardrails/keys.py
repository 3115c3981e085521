"""The service's secret key, read from a file only the owner may read (mode 0600), kept outside
the data directory (bottom layer: imports nothing of the project). It keys the audit log's
question hashes; nothing derived from a withheld value is ever keyed or stored."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path


class KeyFileError(ValueError):
    """The key file is unusable; the message says how to fix it (it never holds the key)."""


def read_key_file(path: Path, data_dir: Path | None = None) -> bytes:
    """The key in `path`; a new random key is written there (mode 0600) when the file is missing.
    Refused: a file inside `data_dir`, a file others can read or write, an empty file."""
    path = Path(path).expanduser()
    if data_dir is not None and path.resolve().is_relative_to(Path(data_dir).resolve()):
        raise KeyFileError(f"The key file {path} lies inside the data directory {data_dir}; keep it outside it.")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(f"The key file {path} can be read or written by others (mode {mode:o}); run: chmod 600 {path}")
    key = path.read_text(encoding="utf-8").strip().encode("utf-8")
    if not key:
        raise KeyFileError(f"The key file {path} is empty; delete it and a new key is made.")
    return key
