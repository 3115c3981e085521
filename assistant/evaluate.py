"""Score a question set (JSONL: q, lang, type, history, gold_ids, must_ids, expect) against the
assistant, next to BM25-only and dense-only baselines computed in the same run."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean

from assistant.pipeline import Assistant
from assistant.settings import Settings
from ingest.index import RegisterIndex

SET_TYPES = ("org_list", "count", "filter")
RANKED_TYPES = ("topic", "lookup", "followup")
TARGETS = {
    "topic hit@5": 0.90,
    "list/count/filter exact": 0.95,
    "lookup right": 0.90,
    "none right": 0.85,
}
NO_ANSWER = ("no_match", "out_of_scope")


class EvalFileError(ValueError):
    pass


def load_questions(path: Path) -> list[dict]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{path} line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(item, dict) or not isinstance(item.get("q"), str) or item.get("type") not in (*SET_TYPES, *RANKED_TYPES, "none"):
            raise EvalFileError(f"{path} line {number}: needs 'q' and a 'type' of topic, org_list, lookup, count, filter, followup or none")
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
    precision: float | None = None
    recall: float | None = None
    exact: bool | None = None
    expect_ok: bool = True
    none_ok: bool | None = None
    right: bool = False


def score(question: dict, answer: dict) -> Scored:
    kind = question["type"]
    results = answer["results"]
    gold = set(question.get("gold_ids") or [])
    must = set(question.get("must_ids") or [])
    s = Scored(type=kind, expect_ok=_expect_found(question.get("expect"), answer["answer"]))
    if kind == "none":
        s.none_ok = answer["status"] in NO_ANSWER and not results and not answer["citations"]
        s.right = bool(s.none_ok)
        return s
    if gold:
        s.hit5 = float(bool(gold & set(results[:5])))
        s.rr10 = next((1.0 / rank for rank, lars in enumerate(results[:10], 1) if lars in gold), 0.0)
    is_set = kind in SET_TYPES or (kind == "followup" and answer.get("intent") in SET_TYPES)
    if is_set:
        found = set(results)
        s.precision = len(found & gold) / len(found) if found else float(not gold)
        s.recall = len(found & gold) / len(gold) if gold else 1.0
        s.exact = found == gold
        s.right = s.exact and s.expect_ok
    elif kind == "topic":
        s.right = bool(s.hit5) and (not must or bool(must & set(results[:5])))
    else:  # lookup, followup look-ups
        s.right = bool(gold) and bool(results) and results[0] in gold and s.expect_ok
    return s


@dataclass
class Report:
    mode: str
    by_type: dict[str, list[Scored]] = field(default_factory=lambda: defaultdict(list))

    def summary(self) -> dict:
        out = {}
        for kind, items in sorted(self.by_type.items()):
            row = {"n": len(items), "right": mean(i.right for i in items), "expect": mean(i.expect_ok for i in items)}
            ranked = [i for i in items if i.hit5 is not None]
            if ranked:
                row["hit@5"] = mean(i.hit5 for i in ranked)
                row["mrr@10"] = mean(i.rr10 for i in ranked)
            sets = [i for i in items if i.exact is not None]
            if sets:
                row["precision"] = mean(i.precision for i in sets)
                row["recall"] = mean(i.recall for i in sets)
                row["exact"] = mean(i.exact for i in sets)
            out[kind] = row
        everything = [i for items in self.by_type.values() for i in items]
        out["overall"] = {"n": len(everything), "right": mean(i.right for i in everything) if everything else 0.0}
        return out

    def targets(self) -> dict[str, float]:
        summary = self.summary()
        set_items = [i for k in SET_TYPES for i in self.by_type.get(k, [])]
        return {
            "topic hit@5": summary.get("topic", {}).get("hit@5", 0.0),
            "list/count/filter exact": mean(i.right for i in set_items) if set_items else 0.0,
            "lookup right": mean(i.right for k in ("lookup", "followup") for i in self.by_type.get(k, [])) if (self.by_type.get("lookup") or self.by_type.get("followup")) else 0.0,
            "none right": summary.get("none", {}).get("right", 0.0),
        }


def evaluate(questions: list[dict], settings: Settings, modes: tuple[str, ...] = ("hybrid", "lexical", "dense"), progress=None) -> dict[str, Report]:
    index = RegisterIndex(settings)
    reports = {}
    for mode in modes:
        assistant = Assistant(settings, index=index, retrieval_mode=mode, audit=False)
        report = Report(mode)
        for number, question in enumerate(questions, 1):
            messages = list(question.get("history") or []) + [{"role": "user", "content": question["q"]}]
            answer = assistant.answer(messages).to_dict()
            report.by_type[question["type"]].append(score(question, answer))
            if progress:
                progress(mode, number, len(questions))
        reports[mode] = report
    return reports


def format_reports(reports: dict[str, Report]) -> str:
    lines = []
    columns = ("n", "right", "hit@5", "mrr@10", "precision", "recall", "exact", "expect")
    for mode, report in reports.items():
        lines.append(f"\n== {mode} {'(the assistant)' if mode == 'hybrid' else '(baseline)'}")
        lines.append(f"{'type':<10}" + "".join(f"{c:>10}" for c in columns))
        for kind, row in report.summary().items():
            cells = "".join(f"{row[c]:>10.3f}" if isinstance(row.get(c), float) else f"{row.get(c, ''):>10}" for c in columns)
            lines.append(f"{kind:<10}{cells}")
    lines.append("\nTargets (the assistant" + ("; baselines beside it" if len(reports) > 1 else "") + "):")
    target_rows = {mode: r.targets() for mode, r in reports.items()}
    for name, goal in TARGETS.items():
        assistant_value = target_rows.get("hybrid", next(iter(target_rows.values())))[name]
        others = "  ".join(f"{mode} {values[name]:.3f}" for mode, values in target_rows.items() if mode != "hybrid")
        verdict = "met" if assistant_value >= goal else "NOT met"
        lines.append(f"  {name:<26} {assistant_value:.3f} (target >= {goal:.2f}: {verdict})  {others}")
    return "\n".join(lines)
