"""Processes and ports for tests that start servers on loopback."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx

from web.processes import stop

__all__ = ["free_port", "stop", "wait_http"]


def free_port() -> int:
    """A loopback port that nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float, process: subprocess.Popen | None = None, ok=(200,)) -> None:
    """Wait until `url` answers with a status in `ok`; fail early when `process` has exited."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            last = httpx.get(url, timeout=2)
            if last.status_code in ok:
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{url} not up after {timeout}s (last: {last})")

