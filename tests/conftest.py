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
DEFAULT_SHARED_DIR = Path(os.environ.get("ALGORITMEWIJZER_SHARED_DIR", str(PROJECT_ROOT.parent / "shared"))).expanduser()
# The fictional law-enforcement records with withheld fields, read where the shared data lives
# (never copied into the project); --shared-dir moves it too (pytest_configure below).
WITHHELD_FIXTURE = DEFAULT_SHARED_DIR / "fixtures" / "withheld-records.jsonl"
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
        default=str(DEFAULT_SHARED_DIR),
        help="folder with data/register-snapshot-*.json, data/register-records-v1.jsonl and "
        "fixtures/withheld-records.jsonl (default: $ALGORITMEWIJZER_SHARED_DIR or ../shared)",
    )


def pytest_configure(config: pytest.Config) -> None:
    global WITHHELD_FIXTURE
    WITHHELD_FIXTURE = Path(config.getoption("--shared-dir")).expanduser() / "fixtures" / "withheld-records.jsonl"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the shared withheld fixture, the tests that read it skip and say why."""
    if WITHHELD_FIXTURE.exists():
        return
    skip = pytest.mark.skip(reason=f"withheld fixture {WITHHELD_FIXTURE} not found (set --shared-dir or ALGORITMEWIJZER_SHARED_DIR)")
    for item in items:
        module = getattr(item, "module", None)
        if getattr(module, "WITHHELD_FIXTURE", None) is not None or getattr(module, "index_needles", None) is not None:
            item.add_marker(skip)


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
    return _withheld_fixture()


def _withheld_fixture() -> Path:
    if not WITHHELD_FIXTURE.exists():
        pytest.skip(f"withheld fixture {WITHHELD_FIXTURE} not found (set --shared-dir or ALGORITMEWIJZER_SHARED_DIR)")
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
    ingest_into(settings, _withheld_fixture())
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
    report = ingest_into(settings, records_path, _withheld_fixture())
    assert report.ok, report.summary()
    assert report.records_total == 1654, report.summary()
    return settings
