"""ingest.config.IngestConfig lists what ingest reads from its configuration; the application's
Settings must provide every one of those attributes, with the type ingest expects."""

from __future__ import annotations

import typing

from assistant.settings import Settings
from ingest.config import IngestConfig
from tests.conftest import make_settings


def test_settings_provide_everything_ingest_reads(tmp_path):
    settings = make_settings(tmp_path / "data")
    wanted = typing.get_type_hints(IngestConfig)
    assert wanted, "IngestConfig lists attributes"
    missing = [name for name in wanted if name not in Settings.model_fields]
    assert not missing, f"Settings lacks what ingest reads: {missing}"
    wrong = [name for name, kind in wanted.items() if not isinstance(getattr(settings, name), kind)]
    assert not wrong, f"Settings gives these a different type than ingest expects: {wrong}"
