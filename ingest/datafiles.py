"""Reading the packages' data files (`<package>/data/*.json`), validated on load (bottom layer:
imports nothing of the project).

`read_json(package, name, schema)` parses the file and validates it against `schema` (a pydantic
model or any type a pydantic TypeAdapter accepts). A missing, unparsable or malformed file raises
DataFileError naming the file and what is wrong with it, so a broken data file stops the program
when it is first read instead of giving odd answers later."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

T = TypeVar("T")


class DataFileError(ValueError):
    """A data file that is missing, not JSON, or not of the expected shape."""

    def __init__(self, path: str, problem: str):
        self.path = path
        super().__init__(f"data file {path} is malformed: {problem}")


class Strict(BaseModel):
    """Base of the data files' models: unknown keys are errors (a misspelt key would else be
    ignored); keys starting with '_' are comments. Values are read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    about: str | None = Field(default=None, alias="_about")
    note: str | None = Field(default=None, alias="_note")


def regular_expressions(items: tuple[str, ...]) -> tuple[str, ...]:
    """A data file's validator for a list of regular expressions: each must compile."""
    for item in items:
        try:
            re.compile(item)
        except re.error as exc:
            raise ValueError(f"not a regular expression ({exc}): {item!r}") from None
    return items


@lru_cache(maxsize=None)
def _adapter(schema: Any) -> TypeAdapter:
    return TypeAdapter(schema)


def data_path(package: str, name: str) -> str:
    return f"{package}/data/{name}"


def parse(path: str, text: str, schema: type[T] | Any) -> T:
    """`text` (the contents of the data file `path`) validated against `schema`."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(path, f"not valid JSON ({exc})") from None
    try:
        return _adapter(schema).validate_python(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()[:5])
        more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise DataFileError(path, problems + more) from None


def read_text(package: str, name: str) -> str:
    path = data_path(package, name)
    try:
        return resources.files(package).joinpath("data", name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(path, f"cannot be read ({type(exc).__name__}: {exc})") from None


def read_json(package: str, name: str, schema: type[T] | Any) -> T:
    """The data file `<package>/data/<name>` validated against `schema` (raises DataFileError)."""
    return parse(data_path(package, name), read_text(package, name), schema)


def read_checked(package: str, name: str, schema: Any) -> Any:
    """The data file's plain JSON value, after validating it against `schema` (for callers that
    read it as dicts and lists)."""
    text = read_text(package, name)
    parse(data_path(package, name), text, schema)
    return json.loads(text)


def jsonl_objects(path: Path, error: type[Exception]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSON Lines file; a line that is not
    JSON or not an object raises `error` naming the file and the line."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise error(f"{path} line {number}: not valid JSON ({exc.msg})") from None
            if not isinstance(item, dict):
                raise error(f"{path} line {number}: not a JSON object")
            yield number, item
