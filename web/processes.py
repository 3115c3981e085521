"""Ending a server process started by a test or a benchmark (`algoritmewijzer serve`)."""

from __future__ import annotations

import signal
import subprocess


def stop(process: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it does not end within `grace` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
