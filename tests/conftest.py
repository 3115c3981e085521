"""Shared pytest setup: where the shared register data lives, isolated settings, and indexes built
once per test session from the real pipeline."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

TESTS_DIR = Path(__file__).resolve().parent
WITHHELD_FIXTURE = TESTS_DIR / "fixtures" / "withheld-records.jsonl"
TEST_FINGERPRINT_KEY = "test-key-not-secret-0123456789abcdef"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.settings import Settings  # noqa: E402 - after the environment above
from ingest.index import RegisterIndex  # noqa: E402
from tests.helpers import ingest_into  # noqa: E402


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shared-dir",
        default=os.environ.get("ALGORITMEWIJZER_SHARED_DIR", str(PROJECT_ROOT.parent / "shared")),
        help="folder with data/register-snapshot-*.json and data/register-records-v1.jsonl "
        "(default: $ALGORITMEWIJZER_SHARED_DIR or ../shared)",
    )


@pytest.fixture(scope="session")
def shared_dir(pytestconfig: pytest.Config) -> Path:
    return Path(pytestconfig.getoption("--shared-dir")).expanduser()


def _shared_file(shared_dir: Path, pattern: str) -> Path:
    matches = sorted((shared_dir / "data").glob(pattern))
    if not matches:
        pytest.skip(f"shared register data {pattern} not found under {shared_dir / 'data'} (set --shared-dir or ALGORITMEWIJZER_SHARED_DIR)")
    return matches[-1]


@pytest.fixture(scope="session")
def snapshot_path(shared_dir: Path) -> Path:
    return _shared_file(shared_dir, "register-snapshot-*.json")


@pytest.fixture(scope="session")
def records_path(shared_dir: Path) -> Path:
    return _shared_file(shared_dir, "register-records-v1.jsonl")


@pytest.fixture(scope="session")
def withheld_fixture() -> Path:
    return WITHHELD_FIXTURE


def make_settings(data_dir: Path, **overrides) -> Settings:
    values = {
        "data_dir": data_dir,
        "audit_key_file": data_dir.parent / f"{data_dir.name}-audit.key",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def fixture_index_settings(tmp_path_factory: pytest.TempPathFactory):
    """An index of the withheld fixture only."""
    settings = make_settings(tmp_path_factory.mktemp("fixture-index") / "data")
    ingest_into(settings, WITHHELD_FIXTURE)
    return settings


@pytest.fixture(scope="session")
def fixture_index(fixture_index_settings) -> RegisterIndex:
    """The index of the withheld fixture, loaded once for the session."""
    return RegisterIndex(fixture_index_settings)


@pytest.fixture(scope="session")
def snapshot_index_settings(tmp_path_factory: pytest.TempPathFactory, snapshot_path: Path):
    """An index of the real register snapshot only (the development question set is built on it)."""
    settings = make_settings(tmp_path_factory.mktemp("snapshot-index") / "data")
    report = ingest_into(settings, snapshot_path)
    assert report.ok, report.summary()
    return settings


@pytest.fixture(scope="session")
def full_index_settings(tmp_path_factory: pytest.TempPathFactory, snapshot_index_settings, records_path: Path):
    """An index of the real snapshot, the full records and the withheld fixture: a copy of the
    snapshot index with the records and the fixture ingested on top (only they are embedded)."""
    data_dir = tmp_path_factory.mktemp("full-index") / "data"
    shutil.copytree(snapshot_index_settings.data_dir, data_dir)
    settings = make_settings(data_dir)
    report = ingest_into(settings, records_path, WITHHELD_FIXTURE)
    assert report.ok, report.summary()
    assert report.records_total == 1654, report.summary()
    return settings
