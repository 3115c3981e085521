"""The settings (assistant/settings.py): every setting documented, in the model and in the README."""

from __future__ import annotations

import re

from assistant.settings import ENV_PREFIX, Settings, settings_table
from tests.conftest import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
TABLE = re.compile(r"<!-- settings-table[^>]*-->\n(?P<table>.*?)<!-- /settings-table -->", re.S)


def readme_table() -> str:
    match = TABLE.search(README.read_text(encoding="utf-8"))
    assert match, "README.md has no settings table between <!-- settings-table --> markers"
    return match.group("table")


def test_every_setting_has_a_description():
    missing = [name for name, info in Settings.model_fields.items() if not (info.description or "").strip()]
    assert not missing, f"settings without a description: {missing}"


def test_every_setting_is_in_the_readme_table():
    documented = set(re.findall(r"^\| `(" + ENV_PREFIX + r"[A-Z0-9_]+)` \|", readme_table(), re.M))
    expected = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    assert not expected - documented, f"missing from the README's settings table: {sorted(expected - documented)}"
    assert not documented - expected, f"in the README but not a setting: {sorted(documented - expected)}"


def test_the_readme_table_is_the_generated_one():
    assert readme_table() == settings_table(), "run `algoritmewijzer settings --markdown` and paste it into README.md"


def test_lists_are_read_from_comma_separated_values():
    settings = Settings(allowed_hosts=" example.org, ::1 ,", trusted_proxies="10.0.0.1", allowed_origins="https://a.example/ ,")
    assert settings.allowed_host_list == ["example.org", "::1"]
    assert settings.trusted_proxy_list == ["10.0.0.1"]
    assert settings.allowed_origin_list == ["https://a.example"]
    assert "127.0.0.1" in Settings().allowed_host_list and Settings().trusted_proxy_list == []
