"""The `algoritmewijzer` command (assistant/cli.py): `ask --batch` answers every line on its own,
and `settings --markdown` prints the README's table."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from assistant.settings import settings_table
from tests.conftest import PROJECT_ROOT, TEST_FINGERPRINT_KEY


def run_cli(*args: str, stdin: str | bytes | None = None, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin",
           "ALGORITMEWIJZER_FINGERPRINT_KEY": TEST_FINGERPRINT_KEY, **(env_extra or {})}
    done = subprocess.run([sys.executable, "-m", "assistant.cli", *args], input=stdin.encode("utf-8", "surrogatepass")
                          if isinstance(stdin, str) else stdin, capture_output=True, cwd=PROJECT_ROOT, env=env, timeout=300)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8", "replace"))


def test_ask_batch_answers_every_line_on_its_own(fixture_index_settings, tmp_path):
    lines = [
        json.dumps({"q": "Welke algoritmes gebruikt de Douane?"}),
        '{"q": "\\ud800 W0001"}',  # a lone surrogate
        json.dumps({"q": "Welke algoritmes gebruikt de politie?", "history": 5}),
        "this is not json",
        json.dumps({"q": "Which algorithms does the police use?", "lang": "en"}),
        json.dumps({"q": "Hoi", "lang": "de"}),
    ]
    raw = b"\n".join([*(line.encode("utf-8") for line in lines), b'{"q": "\xff\xfe Douane"}']) + b"\n"  # the last: not UTF-8
    done = run_cli("ask", "--batch", "-", "--data-dir", str(fixture_index_settings.data_dir), stdin=raw,
                   env_extra={"HOME": str(tmp_path)})
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == len(lines) + 1, done.stderr[-2000:]
    assert [("error" in item) for item in out] == [False, True, True, True, False, True, True]
    assert out[0]["answer"] and out[4]["lang"] == "en"
    assert all(item["error"].startswith(f"line {n}:") for n, item in enumerate(out, 1) if "error" in item)
    assert done.returncode == 5, "the exit status is the number of lines that failed"
    assert "Traceback" not in done.stderr


def test_settings_markdown_prints_the_table():
    done = run_cli("settings", "--markdown")
    assert done.returncode == 0, done.stderr
    assert done.stdout == settings_table()


def test_the_command_runs_numpy_with_one_blas_thread():
    """Spinning BLAS threads took a third of each answer's CPU in the server (see assistant/cli.py)."""
    probe = "import assistant.cli, threadpoolctl; print(max(i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'))"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
