"""The `algoritmewijzer` command (assistant/cli.py): `ask --batch` answers every line on its own,
and `settings --markdown` prints the README's table."""

from __future__ import annotations

import json
import subprocess
import sys

from assistant.settings import settings_table
from tests.conftest import PROJECT_ROOT, TEST_FINGERPRINT_KEY


def run_cli(*args: str, stdin: str | None = None, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin",
           "ALGORITMEWIJZER_FINGERPRINT_KEY": TEST_FINGERPRINT_KEY, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], input=stdin, capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env=env, timeout=300)


def test_ask_batch_answers_every_line_on_its_own(fixture_index_settings, tmp_path):
    lines = [
        json.dumps({"q": "Welke algoritmes gebruikt de Douane?"}),
        '{"q": "\\ud800 W0001"}',  # a lone surrogate
        json.dumps({"q": "Welke algoritmes gebruikt de politie?", "history": 5}),
        "this is not json",
        json.dumps({"q": "Which algorithms does the police use?", "lang": "en"}),
        json.dumps({"q": "Hoi", "lang": "de"}),
    ]
    done = run_cli("ask", "--batch", "-", "--data-dir", str(fixture_index_settings.data_dir), stdin="\n".join(lines) + "\n",
                   env_extra={"HOME": str(tmp_path)})
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == len(lines), done.stderr[-2000:]
    assert [("error" in item) for item in out] == [False, True, True, True, False, True]
    assert out[0]["answer"] and out[4]["lang"] == "en"
    assert all(item["error"].startswith(f"line {n}:") for n, item in enumerate(out, 1) if "error" in item)
    assert done.returncode == 4, "the exit status is the number of lines that failed"
    assert "Traceback" not in done.stderr


def test_settings_markdown_prints_the_table():
    done = run_cli("settings", "--markdown")
    assert done.returncode == 0, done.stderr
    assert done.stdout == settings_table()
