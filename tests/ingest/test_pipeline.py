"""The ingest run end to end: report, incremental re-ingest, removal, live register, crash safety,
Chroma server mode, and the full shared data."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from assistant import cli
from ingest import vector_store
from ingest.chunks import NO_ORGANIZATION
from ingest.index import RegisterIndex
from ingest.store import RecordStore
from ingest.vocabulary import organizations, statuses
from tests.conftest import WITHHELD_FIXTURE, make_settings
from tests.helpers import ingest_into, write_jsonl
from tests.ingest.register_standin import RegisterStandIn, make_record
from tests.processes import free_port

BIN = Path(sys.executable).parent


def tag(i: int) -> str:
    """A made-up word unique to record i (no digits: the tokenizer splits those off)."""
    return "kw" + "".join("bcdfghjklm"[int(d)] for d in str(i))


WORDS = ["kwelder", "duinroos", "zeekraal", "lepelaar", "kievit", "grutto", "meerkoet", "tureluur", "bergeend", "wulp"]


def record(i: int, **fields) -> dict:
    """A generated v1 record with a distinctive word (`tag(i)`) in its name and texts."""
    data = {
        "lars": f"G{i:04d}",
        "name": f"Algoritme {WORDS[i % len(WORDS)]} {tag(i)}",
        "organization": ["UWV", "DUO", "Gemeente Utrecht"][i % 3],
        "description_short": f"<p>Dit algoritme {tag(i)} ondersteunt de beoordeling van aanvragen.</p>",
        "goal": f"<p>Het doel van {tag(i)} is sneller en zorgvuldiger besluiten over {WORDS[i % len(WORDS)]}.</p>"
        f"<ul><li>minder wachttijd</li><li>gelijke behandeling</li></ul>",
        "status": "in_gebruik",
        "publication_category": "Overige algoritmes",
    }
    data.update(fields)
    return data


def chroma_ids(settings) -> set[str]:
    return vector_store.all_ids(vector_store.open_collection(settings))


def found(settings, query: str, mode: str = "hybrid", k: int = 10) -> list[str]:
    return [hit.lars for hit in RegisterIndex(settings).search(query, k=k, mode=mode)]


@pytest.fixture()
def settings(tmp_path):
    return make_settings(tmp_path / "data")


@pytest.fixture()
def cli_env(tmp_path, monkeypatch):
    """The CLI reads its settings from the environment: an isolated data dir."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("ALGORITMEWIJZER_DATA_DIR", str(data_dir))
    cli.get_settings.cache_clear()
    yield make_settings(data_dir)
    cli.get_settings.cache_clear()


def run_cli(argv, capsys):
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


# --- report and incremental re-ingest ---------------------------------------------------------


def test_report_counts_a_mixed_ingest_into(settings, tmp_path):
    template = {"lars": "Vvoorbeeld", "name": "Voorbeeldpakket", "goal": "<p>Leverancier vult dit in.</p>", "description_short": "Een pakket."}
    jsonl = write_jsonl(tmp_path / "records.jsonl", [record(1), record(2), template, {"name": "Zonder id"}])
    csv_path = tmp_path / "register.csv"
    csv_path.write_text("lars;name;organization;status\nC1;Csv-algoritme een;IND;ontwikkeling\nC2;Csv-algoritme twee;RDW;buiten_gebruik\n", encoding="utf-8")

    report = ingest_into(settings, jsonl, csv_path, WITHHELD_FIXTURE)

    assert (report.added, report.updated, report.removed, report.unchanged) == (3 + 2 + 8, 0, 0, 0)
    assert (report.withheld_fields, report.withheld_entries) == (7, 3)
    assert report.rejected == 1 and "records.jsonl line 4" in report.rejections[0]
    assert report.records_total == 13 and report.without_organization == 1
    summary = report.summary()
    assert "added 13, updated 0, removed 0, unchanged 0" in summary
    assert "3 whole entries (not indexed)" in summary and "1 without an organisation" in summary
    store = RecordStore(settings.data_dir)
    assert store.get("C1").organization == "Immigratie- en Naturalisatiedienst"
    assert store.get("C2").status == "Buiten gebruik"
    assert store.get("Vvoorbeeld").organization is None
    assert not {"W0003", "W0008", "W0010"} & set(store.hashes())
    assert chroma_ids(settings) == store.embedded_chunk_ids()
    assert report.chunks_embedded == len(store.embedded_chunk_ids()) >= 13, "every entry has a dense passage, each embedded once"


def test_unchanged_reingest_embeds_nothing(settings, tmp_path):
    source = write_jsonl(tmp_path / "records.jsonl", [record(i) for i in range(5)])
    first = ingest_into(settings, source, WITHHELD_FIXTURE)
    chunk_ids = RecordStore(settings.data_dir).chunk_ids()

    again = ingest_into(settings, source, WITHHELD_FIXTURE)

    assert first.added == 13
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 13)
    assert again.chunks_embedded == 0
    assert (again.withheld_fields, again.withheld_entries) == (7, 3)
    assert RecordStore(settings.data_dir).chunk_ids() == chunk_ids
    assert RecordStore(settings.data_dir).embedded_chunk_ids() == chroma_ids(settings)


def test_changed_record_replaces_only_its_chunks(settings, tmp_path):
    source = write_jsonl(tmp_path / "records.jsonl", [record(i) for i in range(4)])
    ingest_into(settings, source)
    store = RecordStore(settings.data_dir)
    before = {lars: store.chunk_ids_of([lars]) for lars in ("G0000", "G0001", "G0002", "G0003")}
    assert "G0002" in found(settings, tag(2), mode="lexical")

    changed = record(2, goal="<p>Nieuw doel: het algoritme voorspelt nu de drukte bij het zwembad Zilvermeeuw.</p>")
    write_jsonl(source, [record(0), record(1), changed, record(3)])
    report = ingest_into(settings, source)

    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 3)
    after = {lars: store.chunk_ids_of([lars]) for lars in before}
    for lars in ("G0000", "G0001", "G0003"):
        assert after[lars] == before[lars], f"{lars} did not change and keeps its chunks"
    gone = before["G0002"] - after["G0002"]
    assert gone, "the changed goal gives new chunks"
    new_embedded = (after["G0002"] - before["G0002"]) & store.embedded_chunk_ids()
    assert report.chunks_embedded == len(new_embedded), "only the changed record's new dense chunks are embedded"
    in_chroma = chroma_ids(settings)
    assert not gone & in_chroma and not gone & store.chunk_ids()
    assert in_chroma == store.embedded_chunk_ids()
    assert found(settings, "zwembad Zilvermeeuw drukte", mode="lexical")[0] == "G0002"
    assert "Zilvermeeuw" in store.get("G0002").fields["goal"]


def test_record_removed_from_a_full_source_disappears(settings, tmp_path):
    source = write_jsonl(tmp_path / "records.jsonl", [record(i) for i in range(4)])
    other = write_jsonl(tmp_path / "other.jsonl", [record(9)])
    ingest_into(settings, source, other)
    assert found(settings, tag(3), mode="lexical") == ["G0003"]
    old_chunks = RecordStore(settings.data_dir).chunk_ids_of(["G0003"])

    write_jsonl(source, [record(i) for i in range(3)])
    report = ingest_into(settings, source)

    assert (report.removed, report.unchanged, report.records_total) == (1, 3, 4)
    assert "G0003" not in found(settings, f"{tag(3)} Algoritme grutto")
    assert RecordStore(settings.data_dir).get("G0003") is None
    assert not old_chunks & chroma_ids(settings)
    assert RecordStore(settings.data_dir).get("G0009") is not None, "records of another source stay"


# --- the command line -------------------------------------------------------------------------


def test_cli_ingest_shows_progress_and_report(cli_env, tmp_path, capsys):
    source = write_jsonl(tmp_path / "records.jsonl", [record(i) for i in range(3)])

    code, out, err = run_cli(["ingest", str(source)], capsys)

    assert code == 0, err
    assert "embedding chunks" in err and "records.jsonl" in err
    assert "added 3, updated 0, removed 0, unchanged 0" in out
    assert "records in the index: 3" in out

    code, out, err = run_cli(["ingest", str(source), "--quiet", "--json"], capsys)
    assert code == 0
    assert "embedding chunks" not in err
    report = json.loads(out)
    assert report["unchanged"] == 3 and report["chunks_embedded"] == 0


def test_cli_missing_file_is_a_clear_usage_error(cli_env, tmp_path, capsys):
    missing = tmp_path / "register-snapshot.json"
    code, out, err = run_cli(["ingest", str(missing)], capsys)
    assert code == cli.EXIT_USAGE == 2
    assert f"error: {missing}: no such file" in err
    assert "Traceback" not in err and out == ""
    assert not (cli_env.data_dir / RecordStore.FILE_NAME).exists(), "nothing is written for a bad command"


def test_cli_unknown_format_is_a_clear_usage_error(cli_env, tmp_path, capsys):
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"PK\x03\x04")
    code, _, err = run_cli(["ingest", str(path)], capsys)
    assert code == 2 and "unknown source format '.xlsx'" in err


def test_cli_bad_jsonl_names_the_line_and_fails(cli_env, tmp_path, capsys):
    path = tmp_path / "broken.jsonl"
    path.write_text(json.dumps(record(1)) + "\n{not json\n", encoding="utf-8")
    code, out, err = run_cli(["ingest", str(path)], capsys)
    assert code == 1
    assert "broken.jsonl line 2: not valid JSON" in out and "could not be read" in err


# --- the live register --------------------------------------------------------------------------


def test_live_register_through_the_cli(cli_env, monkeypatch, capsys):
    entries = [make_record(i) for i in range(6)]
    entries[0]["organization"] = "SVB"
    entries[1]["status"] = "buiten_gebruik"
    with RegisterStandIn(entries) as register:
        monkeypatch.setenv("ALGORITMEWIJZER_REGISTER_API_URL", register.url)
        cli.get_settings.cache_clear()

        code, out, err = run_cli(["ingest", "live", "--json"], capsys)
        assert code == 0, err
        report = json.loads(out)
        assert report["added"] == 6 and report["records_total"] == 6
        store = RecordStore(cli_env.data_dir)
        assert store.get("10000000").organization == "Sociale Verzekeringsbank"
        assert store.get("10000001").status == "Buiten gebruik"
        assert store.get("10000002").fields["description_short"] == "Korte beschrijving van algoritme 2."
        assert store.get("10000002").url == "https://algoritmes.overheid.nl/nl/algoritme/10000002"

        # The register changes: one entry leaves, one is edited. A URL source is the same register.
        register.remove_record("10000004")
        register.records[3]["goal"] = "Nieuw doel: voorspelt de drukte bij de milieustraat."
        code, out, err = run_cli(["ingest", register.url, "--json"], capsys)
        assert code == 0, err
        report = json.loads(out)
        assert (report["added"], report["updated"], report["removed"], report["unchanged"]) == (0, 1, 1, 4)
        assert "10000004" not in found(cli_env, "Algoritme 0004")
        assert found(cli_env, "milieustraat drukte", mode="lexical") == ["10000003"]

    # The register is gone: a clear error, a failing exit code, and the index stays as it was.
    monkeypatch.setenv("ALGORITMEWIJZER_REGISTER_BACKOFF_BASE", "0")
    cli.get_settings.cache_clear()
    code, out, err = run_cli(["ingest", "live"], capsys)
    assert code == 1
    assert "could not be reached" in out and "source(s) could not be read" in err
    assert "Traceback" not in err
    assert "removed 0" in out and RecordStore(cli_env.data_dir).count() == 5


def test_unreachable_register_url(cli_env, monkeypatch, capsys):
    monkeypatch.setenv("ALGORITMEWIJZER_REGISTER_BACKOFF_BASE", "0")
    cli.get_settings.cache_clear()
    url = f"http://127.0.0.1:{free_port()}/api"
    code, out, err = run_cli(["ingest", url], capsys)
    assert code == 1
    assert f"The Algorithm Register could not be reached at {url}/algoritme/NLD" in out
    assert "ingest a saved register file instead" in out
    assert "error: 1 source(s) could not be read" in err


# --- crash safety ---------------------------------------------------------------------------------


class StderrWatcher:
    """Collects a subprocess's stderr (tqdm writes '\\r'-separated updates) in a thread."""

    def __init__(self, stream):
        self.text = ""
        self._stream = stream
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while chunk := self._stream.read1(4096) if hasattr(self._stream, "read1") else self._stream.read(1):
            self.text += chunk.decode("utf-8", "replace")

    def embedding_midway(self) -> bool:
        progress = re.findall(r"embedding chunks:.*?(\d+)/(\d+) \[", self.text)
        return any(0 < int(done) < int(total) for done, total in progress)


def test_ingest_killed_midway_leaves_the_previous_index_usable(tmp_path):
    settings = make_settings(tmp_path / "data")
    base = [record(i) for i in range(8)]
    source = write_jsonl(tmp_path / "register.jsonl", base)
    first = ingest_into(settings, source)
    assert first.added == 8
    generation = RecordStore(settings.data_dir).get_meta("generation")

    # A larger new version of the same source: one record changed, many new ones.
    changed = record(5, goal="<p>Het algoritme plant nu de route van de veerpont Zonnedauw.</p>")
    new = [{"lars": f"G{i:04d}", "name": f"Havenalgoritme {tag(i)}", "description_short": f"Nieuw: {tag(i)} plant ligplaatsen."}
           for i in range(100, 250)]
    write_jsonl(source, [*base[:5], changed, *base[6:], *new])
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [str(BIN / "algoritmewijzer"), "ingest", str(source), "--data-dir", str(settings.data_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=tmp_path,
    )
    watcher = StderrWatcher(process.stderr)
    try:
        deadline = time.monotonic() + 180
        while not watcher.embedding_midway():
            assert process.poll() is None, f"the ingest ended before it could be interrupted:\n{watcher.text[-2000:]}"
            assert time.monotonic() < deadline, f"no embedding progress seen:\n{watcher.text[-2000:]}"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    # The previous index is still the one in use, complete and searchable.
    store = RecordStore(settings.data_dir)
    assert store.count() == 8 and store.get_meta("generation") == generation
    assert "Zonnedauw" not in store.get("G0005").fields["goal"]
    index = RegisterIndex(settings)
    assert [hit.lars for hit in index.search(tag(3), mode="lexical")] == ["G0003"]
    assert index.search(tag(150), mode="lexical") == []
    assert {hit.lars for hit in index.search("algoritme beoordeling aanvragen", mode="dense")} <= {r["lars"] for r in base}

    # The next ingest completes the work and leaves no orphan chunks.
    report = ingest_into(settings, source)
    assert (report.added, report.updated, report.removed, report.unchanged) == (150, 1, 0, 7)
    assert store.count() == 158
    assert chroma_ids(settings) == store.embedded_chunk_ids()
    assert found(settings, tag(150), mode="lexical") == ["G0150"]
    assert found(settings, "veerpont Zonnedauw", mode="lexical") == ["G0005"]


# --- Chroma as a server ---------------------------------------------------------------------------


@pytest.fixture()
def chroma_server(tmp_path):
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "chroma"), "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"chroma run exited: {(tmp_path / 'chroma.log').read_text(errors='replace')[-2000:]}"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "chroma run did not answer its heartbeat"
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


def test_ingest_and_search_with_a_chroma_server(tmp_path, chroma_server):
    settings = make_settings(tmp_path / "data", chroma_mode="http", chroma_host="127.0.0.1", chroma_port=chroma_server)

    report = ingest_into(settings, WITHHELD_FIXTURE)

    assert report.records_total == 8 and report.withheld_entries == 3
    assert not (settings.data_dir / vector_store.CHROMA_DIR).exists(), "vectors live in the server, not the data dir"
    assert chroma_ids(settings) == RecordStore(settings.data_dir).embedded_chunk_ids()
    dense = found(settings, "reizigers met veel contant geld op de luchthaven", mode="dense", k=3)
    assert dense[0] == "W0001"
    assert "W0001" in found(settings, "contant geld reizigers")

    again = ingest_into(settings, WITHHELD_FIXTURE)
    assert again.chunks_embedded == 0 and again.unchanged == 8


def test_a_replica_on_a_shared_chroma_server_embeds_nothing(tmp_path, chroma_server):
    """Two replicas, each with its own data directory, share one Chroma server: the second ingest
    of the same sources finds every chunk already there, and neither removes the other's chunks."""
    shared = {"chroma_mode": "http", "chroma_host": "127.0.0.1", "chroma_port": chroma_server}
    first, second = make_settings(tmp_path / "one" / "data", **shared), make_settings(tmp_path / "two" / "data", **shared)
    source = write_jsonl(tmp_path / "records.jsonl", [record(i) for i in range(6)])

    report_one = ingest_into(first, source, WITHHELD_FIXTURE)
    report_two = ingest_into(second, source, WITHHELD_FIXTURE)

    assert report_one.chunks_embedded > 0 and report_one.added == report_two.added == 14
    assert report_two.chunks_embedded == 0, "the second replica embeds nothing"
    assert RecordStore(second.data_dir).embedded_chunk_ids() == RecordStore(first.data_dir).embedded_chunk_ids()
    assert found(second, "reizigers met veel contant geld op de luchthaven", mode="dense", k=3)[0] == "W0001"

    # A third replica holds only one of the sources: the others' vectors stay.
    third = make_settings(tmp_path / "three" / "data", **shared)
    assert ingest_into(third, source).chunks_embedded == 0
    assert RecordStore(first.data_dir).embedded_chunk_ids() <= chroma_ids(first)
    assert found(first, "reizigers met veel contant geld op de luchthaven", mode="dense", k=3)[0] == "W0001"


# --- the date of the data ---------------------------------------------------------------------------


def test_the_store_records_the_date_of_the_register_data(settings, tmp_path):
    snapshot = tmp_path / "register-snapshot.json"
    snapshot.write_text(json.dumps({"algoritmes": [{"id": "10000001", "title": "Een", "organisatie": "UWV", "doel": "Iets."}],
                                    "count": 1, "fetched_at": "2026-08-08T06:20:11Z"}), encoding="utf-8")
    records = write_jsonl(tmp_path / "records.jsonl", [record(1, begin_date="2025-05"), record(2, registered_date="2024-03-01")])

    ingest_into(settings, records)
    assert RecordStore(settings.data_dir).get_meta("data_date") == "2025-05-01", "a record file: its newest date"

    ingest_into(settings, snapshot, records)
    assert RecordStore(settings.data_dir).get_meta("data_date") == "2026-08-08", "a snapshot: the day it was fetched"


# --- the full shared data ---------------------------------------------------------------------------


@pytest.mark.shared_data
def test_full_shared_data(full_index_settings, snapshot_path):
    settings = full_index_settings
    store = RecordStore(settings.data_dir)
    records = store.records()
    by_lars = {r.lars: r for r in records}

    assert len(records) == 1654  # 1,530 snapshot + 116 records + 8 public fixture records
    without_org = [r for r in records if not r.organization]
    assert len(without_org) == 26 and all(r.lars.startswith("V") for r in without_org)
    summaries = {c.lars: c.text for c in store.chunks() if c.field == "summary"}
    assert all(NO_ORGANIZATION in summaries[r.lars] for r in without_org), "vendor examples say they have no organisation"
    assert not {"W0003", "W0008", "W0010"} & set(by_lars)
    snapshot_ids = {entry["id"] for entry in json.loads(snapshot_path.read_text(encoding="utf-8"))["algoritmes"]}
    assert {"W0001", "T0001", "T0090"} | snapshot_ids <= set(by_lars)

    vocabulary = set(statuses().labels_en)
    assert vocabulary == {"In gebruik", "In ontwikkeling", "Buiten gebruik"}
    assert {r.status for r in records if r.status} == vocabulary

    names = {r.organization for r in records if r.organization}
    assert "IND" not in names and "UWV" not in names and "RDW" not in names
    assert "Immigratie- en Naturalisatiedienst" in names and "Rijksdienst voor het Wegverkeer" in names
    assert "Rijksinspectie Digitale Infrastructuur (RDI)" not in names
    assert all(organizations().canonical(name) == name for name in names), "every name is its own canonical form"

    assert chroma_ids(settings) == store.embedded_chunk_ids()
    ind = {r.lars for r in records if r.organization == "Immigratie- en Naturalisatiedienst"}
    assert ind & set(found(settings, "Immigratie- en Naturalisatiedienst", k=20))
