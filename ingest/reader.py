"""The reader process: reads the sources and applies the withholding contract, then hands only
public parts, notices and fingerprints to the indexing process (ingest/pipeline.py).

Run as `python -m ingest.reader`: the sources and the fingerprint key come pickled on stdin;
progress and the result go to stdout as length-prefixed pickled messages. Nothing is written to
stderr or logs here: an error is reported by its kind only, since a message might quote a record."""

from __future__ import annotations

import pickle
import struct
import sys
from typing import Any, BinaryIO

HEADER = struct.Struct(">Q")


def send(stream: BinaryIO, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def receive(stream: BinaryIO) -> Any:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        raise EOFError("the reader process ended without an answer")
    (size,) = HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the reader process ended without an answer")
    return pickle.loads(data)


def main() -> int:
    out = sys.stdout.buffer
    try:
        from ingest.pipeline import split_sources

        sources, key = pickle.load(sys.stdin.buffer)
        result = split_sources(sources, key, lambda stage, done, total: send(out, ("progress", stage, done, total)))
        send(out, ("result", result))
        return 0
    except BaseException as exc:  # noqa: BLE001 - the kind only: a message might quote a record
        send(out, ("failed", type(exc).__name__))
        return 1


if __name__ == "__main__":
    sys.exit(main())
