"""Score question sets (JSONL: q, lang, type, history, gold_ids, must_ids, expect, optional split;
`"gold_all": true` instead of listing ids: every entry of the index is the gold set)
against the assistant, next to two baselines computed in the same run on the same index:

- lexical: plain BM25 over the entries' chunks (Dutch stemmer), no gates, the top 15 entries;
- dense: e5 similarity alone, no gates, the top 15 entries.

Every split in the files (tune, holdout, dev, ...) is reported on its own. A follow-up's history may
hold assistant messages with `"content": null`: the assistant's own answer to the previous user
message is filled in at evaluation time (with its results), as a real conversation would have it."""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean

import numpy as np

from assistant.pipeline import Assistant
from assistant.relevance import DATA_FILE, RelevanceModel, cross_validate, fit, save
from assistant.retrieve import Retrieve
from assistant.steps import StopRun, Turn
from assistant.understand import Understand
from assistant.settings import Settings
from ingest.datafiles import jsonl_objects
from ingest.index import RegisterIndex

TYPES = ("topic", "org_list", "count", "filter", "lookup", "yesno", "followup", "none")
SET_TYPES = ("org_list", "count", "filter")
BASELINE_DEPTH = 15
F1_GOOD = 0.95
TARGETS = {
    "topic hit@5": 0.92,
    "org lists F1>=.95": 0.95,
    "counts exact": 0.95,
    "look-ups right": 0.90,
    "follow-ups right": 0.85,
    "none right": 0.90,
    "filters right": 0.95,
}
MODE_LABELS = {"hybrid": "the assistant", "lexical": "plain BM25, no gates", "dense": "dense only (e5), no gates"}
NO_ANSWER = ("no_match", "out_of_scope")


class EvalFileError(ValueError):
    pass


def load_questions(path: Path) -> list[dict]:
    questions = []
    for number, item in jsonl_objects(path, EvalFileError):
        if not isinstance(item.get("q"), str) or item.get("type") not in TYPES:
            raise EvalFileError(f"{path} line {number}: needs 'q' and a 'type' of {', '.join(TYPES)}")
        if not isinstance(item.get("history") or [], list):
            raise EvalFileError(f"{path} line {number}: 'history' must be a list of messages")
        item.setdefault("split", path.stem if path.stem not in ("questions",) else "all")
        questions.append(item)
    return questions


def _expect_found(expect: object, answer: str) -> bool:
    if expect in (None, ""):
        return True
    text = str(expect)
    if text.isdigit():
        return re.search(rf"(?<![\d.,]){text}(?![\d.,]\d)", answer) is not None
    return text.casefold() in answer.casefold()


@dataclass
class Scored:
    type: str
    hit5: float | None = None
    rr10: float | None = None
    f1: float | None = None
    expect_ok: bool = True
    right: bool = False


def _f1(found: set[str], gold: set[str]) -> float:
    if not found and not gold:
        return 1.0
    if not found or not gold:
        return 0.0
    precision, recall = len(found & gold) / len(found), len(found & gold) / len(gold)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _starts_with(expect: object, answer: str) -> bool:
    """A yes/no answer gives its verdict first (Ja / Nee / Yes / No / Onbekend ...)."""
    if expect in (None, ""):
        return True
    first = re.split(r"[\s,.:;!]+", answer.strip(), maxsplit=1)[0] if answer.strip() else ""
    return first.casefold() == str(expect).casefold()


def score(question: dict, answer: dict, ranking_only: bool = False) -> Scored:
    """How one answer fares. `ranking_only` (the baselines): only the ranked ids are judged."""
    kind = question["type"]
    sub = question.get("followup_type") or ("org_list" if len(question.get("gold_ids") or []) > 1 else "lookup") if kind == "followup" else kind
    results = answer["results"]
    gold = set(question.get("gold_ids") or [])
    must = set(question.get("must_ids") or [])
    expect_ok = True if ranking_only else _expect_found(question.get("expect"), answer["answer"])
    s = Scored(type=kind, expect_ok=expect_ok)
    if kind == "none":
        s.right = answer["status"] in NO_ANSWER and not results and not answer["citations"]
        return s
    if gold:
        s.hit5 = float(bool(gold & set(results[:5])))
        s.rr10 = next((1.0 / rank for rank, lars in enumerate(results[:10], 1) if lars in gold), 0.0)
    if sub in SET_TYPES:
        s.f1 = _f1(set(results), gold)
        s.right = s.f1 >= F1_GOOD and s.expect_ok
        if sub == "count" and not ranking_only:
            s.right = set(results) == gold and answer.get("count") == len(gold) and s.expect_ok
    elif sub == "topic":
        s.right = bool(s.hit5) and (not must or bool(must & set(results[:5])))
    else:  # look-ups and yes/no questions about one entry
        s.right = bool(gold) and bool(results) and results[0] in gold and s.expect_ok
        if sub == "yesno" and not ranking_only:
            s.right = s.right and _starts_with(question.get("expect"), answer["answer"])
    return s


@dataclass
class Report:
    mode: str
    split: str = "all"
    by_type: dict[str, list[Scored]] = field(default_factory=lambda: defaultdict(list))

    def summary(self) -> dict:
        out = {}
        for kind, items in sorted(self.by_type.items()):
            row = {"n": len(items), "right": float(mean(i.right for i in items)), "expect": float(mean(i.expect_ok for i in items))}
            ranked = [i for i in items if i.hit5 is not None]
            if ranked:
                row["hit@5"] = mean(i.hit5 for i in ranked)
                row["mrr@10"] = mean(i.rr10 for i in ranked)
            sets = [i for i in items if i.f1 is not None]
            if sets:
                row["f1"] = mean(i.f1 for i in sets)
            out[kind] = row
        everything = [i for items in self.by_type.values() for i in items]
        out["overall"] = {"n": len(everything), "right": float(mean(i.right for i in everything)) if everything else 0.0}
        return out

    def targets(self) -> dict[str, float | None]:
        summary = self.summary()

        def right(kind: str) -> float | None:
            return summary[kind]["right"] if kind in summary else None

        return {
            "topic hit@5": summary.get("topic", {}).get("hit@5"),
            "org lists F1>=.95": right("org_list"),
            "counts exact": right("count"),
            "look-ups right": _share(self.by_type.get("lookup", []) + self.by_type.get("yesno", [])),
            "follow-ups right": right("followup"),
            "none right": right("none"),
            "filters right": right("filter"),
        }


def _share(items: list[Scored]) -> float | None:
    return float(mean(i.right for i in items)) if items else None


class _Baseline:
    """Plain ranking without gates or understanding: the top entries by BM25 or by e5 similarity."""

    def __init__(self, index: RegisterIndex, mode: str):
        self.index = index
        self.mode = mode

    def answer(self, messages: list[dict]) -> dict:
        question = messages[-1]["content"]
        scores = self.index.lexical_scores(question) if self.mode == "lexical" else self.index.similarities(question)
        ids = self.index.entry_ids()
        top = [ids[i] for i in np.argsort(-scores)[:BASELINE_DEPTH] if scores[i] > 0]
        return {"status": "answered" if top else "no_match", "answer": "", "results": top, "citations": top, "count": len(top), "intent": "topic"}


def conversation_of(question: dict, assistant: Assistant | None) -> list[dict]:
    """The messages of a question, with `content: null` assistant turns answered by the assistant."""
    messages: list[dict] = []
    for message in question.get("history") or []:
        if message.get("role") == "assistant" and message.get("content") is None:
            if assistant is None:
                messages.append({"role": "assistant", "content": ""})
                continue
            earlier = assistant.answer(messages).to_dict()
            messages.append({"role": "assistant", "content": earlier["answer"], "results": earlier["results"]})
        else:
            messages.append(dict(message))
    return messages + [{"role": "user", "content": question["q"]}]


def evaluate(questions: list[dict], settings: Settings, modes: tuple[str, ...] = ("hybrid", "lexical", "dense"), progress=None) -> dict[str, Report]:
    """Reports keyed by mode, or by "mode:split" when the questions come from several splits."""
    nested = evaluate_splits(questions, settings, modes, progress)
    splits = {split for reports in nested.values() for split in reports}
    if len(splits) == 1:
        return {mode: next(iter(reports.values())) for mode, reports in nested.items()}
    return {f"{mode}:{split}": report for mode, reports in nested.items() for split, report in reports.items()}


def evaluate_splits(questions: list[dict], settings: Settings, modes: tuple[str, ...] = ("hybrid", "lexical", "dense"), progress=None, split_key: str | None = "split", rails: bool = True) -> dict[str, dict[str, Report]]:
    index = RegisterIndex(settings)
    assistant = Assistant(settings, index=index, audit=False, rails=rails)
    every_entry = list(index.entry_ids())
    questions = [{**q, "gold_ids": every_entry} if q.get("gold_all") else q for q in questions]
    out: dict[str, dict[str, Report]] = {}
    for mode in modes:
        runner = assistant if mode == "hybrid" else _Baseline(index, mode)
        reports: dict[str, Report] = {}
        for number, question in enumerate(questions, 1):
            split = str(question.get(split_key, "all")) if split_key else "all"
            report = reports.setdefault(split, Report(mode, split))
            messages = conversation_of(question, assistant)
            answer = runner.answer(messages)
            answer = answer.to_dict() if hasattr(answer, "to_dict") else answer
            report.by_type[question["type"]].append(score(question, answer, ranking_only=mode != "hybrid"))
            if progress:
                progress(mode, number, len(questions))
        out[mode] = reports
    return out


def _cell(value: object) -> str:
    return f"{value:>9.3f}" if isinstance(value, float) else f"{'' if value is None else value:>9}"


def format_reports(reports: dict[str, Report]) -> str:
    """Per split: the per-type table of each mode, then the targets with the baselines beside."""
    by_split: dict[str, dict[str, Report]] = defaultdict(dict)
    for report in reports.values():
        by_split[report.split][report.mode] = report
    lines: list[str] = []
    columns = ("n", "right", "hit@5", "mrr@10", "f1", "expect")
    for split, modes in by_split.items():
        lines.append(f"\n######## split: {split}")
        for mode, report in modes.items():
            lines.append(f"\n== {mode} ({MODE_LABELS.get(mode, mode)})")
            lines.append(f"{'type':<10}" + "".join(f"{c:>9}" for c in columns))
            for kind, row in report.summary().items():
                lines.append(f"{kind:<10}" + "".join(_cell(row.get(c)) for c in columns))
        lines.append(f"\nTargets, split {split} (the assistant; baselines beside it):")
        rows = {mode: r.targets() for mode, r in modes.items()}
        main = rows.get("hybrid", next(iter(rows.values())))
        for name, goal in TARGETS.items():
            value = main[name]
            others = "  ".join(f"{mode} {_cell(v[name]).strip() or '-'}" for mode, v in rows.items() if mode != "hybrid")
            verdict = "-" if value is None else ("met" if value >= goal else "NOT met")
            shown = "  -  " if value is None else f"{value:.3f}"
            lines.append(f"  {name:<20} {shown} (target >= {goal:.2f}: {verdict})  {others}")
    return "\n".join(lines)

def relevance_rows(questions: list[dict], settings: Settings, index: RegisterIndex | None = None) -> list[tuple]:
    """(candidates, relevant positions, has_answer) for the labelled topic and none questions
    whose understanding leads to a topic search."""
    index = index or RegisterIndex(settings)
    understand, retrieve = Understand(index), Retrieve(index)
    rows = []
    for question in questions:
        if question["type"] not in ("topic", "none"):
            continue
        turn = Turn(messages=[*(question.get("history") or []), {"role": "user", "content": question["q"]}])
        try:
            understand.run(turn)
        except StopRun:
            continue
        if turn.intent != "topic":
            continue
        candidates = retrieve.candidates(turn.understanding, retrieve.filters_for(turn.understanding))
        gold = {p for p in (index.entry_position(lars) for lars in question.get("gold_ids") or []) if p is not None}
        rows.append((candidates, gold, question["type"] != "none"))
    return rows


def fit_relevance(questions: list[dict], settings: Settings, source: str) -> RelevanceModel:
    return fit(relevance_rows(questions, settings), source)


def is_holdout(split: str) -> bool:
    """Holdout splits ("holdout", "independent-holdout") are measured, never fitted on."""
    return split.endswith("holdout")


def main(argv: list[str] | None = None) -> int:
    """python -m assistant.evaluate fit|cv FILE [--split tune] [--data-dir DIR]: refit the relevance
    model (fit), or print how the fit decides questions outside it by k-fold cross-validation (cv,
    nothing is saved)."""
    parser = argparse.ArgumentParser(prog="python -m assistant.evaluate")
    parser.add_argument("command", choices=["fit", "cv"])
    parser.add_argument("file", nargs="+")
    parser.add_argument("--split", default="tune", help="the split to fit on (never holdout)")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    if is_holdout(args.split):
        parser.error("a holdout split is for measuring only")
    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    questions = []
    for name in args.file:
        # the rows of the split asked for, and every row of a file without splits (dev.jsonl)
        questions += [q for q in load_questions(Path(name)) if q["split"] in (args.split, Path(name).stem)]
    questions = [q for q in questions if not is_holdout(q["split"])]
    if not questions:
        parser.error(f"no questions of the split {args.split!r} (or without splits) in {', '.join(args.file)}")
    if args.command == "cv":
        print(json.dumps(cross_validate(relevance_rows(questions, settings)), indent=2))
        return 0
    model = fit_relevance(questions, settings, f"{', '.join(Path(f).name for f in args.file)} split {args.split} ({len(questions)} questions)")
    save(model, Path(__file__).parent / "data" / DATA_FILE)
    print(json.dumps(model.model_dump(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
