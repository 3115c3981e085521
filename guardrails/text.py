"""Normalisation of every question before any rail or search sees it (bottom layer: imports
nothing of the project).

1. Invalid code points (lone surrogates, which a JSON body can carry as "\\ud800") are rejected
   with InvalidText: its message tells the person what to do.
2. NFKC: full-width, mathematical and other compatibility letters become plain letters.
3. Invisible characters are removed: every format character (category Cf: zero-width space and
   joiners, word joiner, soft hyphen, bidi embeddings, overrides and isolates, the BOM) and the
   Unicode tag characters U+E0000-U+E007F; variation selectors too. Other control characters
   become a space (newline and tab are kept).
4. Confusable letters are folded with the Unicode confusables table (the maintained table of the
   `confusable-homoglyphs` package): in a word that mixes Latin letters with letters of another
   script ('оntwijken' with a Cyrillic o), every letter with a Latin look-alike becomes that letter.
   Words written wholly in another script (Arabic, Greek, Cyrillic questions) are left alone.

The one normaliser of questions for matching (every vocabulary, pattern and name is compared in
these forms; index text has its own in ingest/text.py and ingest/tokens.py):
- `fold(text)`: case- and accent-insensitive, curly apostrophes plain, one space ("Fryslân" == "fryslan");
- `folded(text)`: fold with curly double quotes plain, the form the input rail's patterns read;
- `question_words(text)`: fold with punctuation and hyphens as spaces (apostrophes inside words and
  '&' kept, a possessive "'s" dropped), padded with spaces for whole-phrase matching (" duo model ").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs import utils as _homoglyph_data

MAX_FOLD_LEN = 1


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching names ("Fryslân" == "fryslan"); the same
    names are folded many times per question, so results are kept."""
    if text.isascii():
        return re.sub(r"\s+", " ", text).strip().casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    without_marks = without_marks.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", without_marks).strip().casefold()


def folded(text: str) -> str:
    """Folded text with typographic double quotes plain: what the input rail's patterns read."""
    return fold(text).replace("\u201c", '"').replace("\u201d", '"')


_POSSESSIVE = re.compile(r"(?<=\w)'s\b")  # "DUO's" -> "duo"
_NOT_WORD = re.compile(r"[^\w'&]+")  # hyphens too: "border-control" == "border control"
_LOOSE_QUOTE = re.compile(r"(?<!\w)'|'(?!\w)")  # quotes around words: 'risico's' -> risico's
_SPACES = re.compile(r"\s+")


def question_words(text: str) -> str:
    """Folded text with punctuation turned into spaces, padded for whole-phrase matching."""
    words = _LOOSE_QUOTE.sub(" ", _NOT_WORD.sub(" ", _POSSESSIVE.sub("", fold(text))))
    return f" {_SPACES.sub(' ', words).strip()} "


class InvalidText(ValueError):
    """Text that cannot be read as Unicode text. `user_message` holds the explanation in Dutch and
    English; str() is the English one."""

    def __init__(self, position: int):
        self.position = position
        self.user_message = {
            "nl": f"De vraag bevat een ongeldig teken (op positie {position + 1}). Typ de vraag opnieuw of plak hem als gewone tekst.",
            "en": f"The question contains an invalid character (at position {position + 1}). Type the question again or paste it as plain text.",
        }
        super().__init__(self.user_message["en"])


_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL_KEEP = {"\n", "\t"}
# A run of letters (and the marks that belong to them): a "word" for the mixed-script test.
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _invisible(char: str) -> bool:
    code = ord(char)
    if 0xE0000 <= code <= 0xE007F or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
        return True
    return unicodedata.category(char) == "Cf"


@lru_cache(maxsize=1)
def _latin_lookalikes() -> dict[str, str]:
    """Non-Latin letter -> the Latin letter it looks like (single letters only)."""
    table: dict[str, str] = {}
    for char, homoglyphs in _homoglyph_data.load("confusables.json").items():
        if len(char) != 1 or char.isascii():
            continue
        for glyph in homoglyphs:
            latin = glyph.get("c", "")
            if len(latin) == MAX_FOLD_LEN and latin.isascii() and latin.isalpha():
                table[char] = latin
                break
    return table


def _script(char: str) -> str:
    if char.isascii():
        return "LATIN"
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def _fold_word(match: re.Match) -> str:
    word = match.group(0)
    if word.isascii():
        return word
    scripts = {_script(c) for c in word if c.isalpha()}
    if "LATIN" not in scripts or len(scripts) < 2:
        return word
    table = _latin_lookalikes()
    return "".join(table.get(c, c) if _script(c) != "LATIN" else c for c in word)


def fold_confusables(text: str) -> str:
    """Latin look-alikes in mixed-script words become Latin letters ('раypal' -> 'paypal')."""
    if text.isascii():
        return text
    return _WORD.sub(_fold_word, text)


def strip_invisible(text: str) -> str:
    """Format and tag characters removed; other control characters (not newline, tab) a space."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for char in text:
        if _invisible(char):
            continue
        if unicodedata.category(char) == "Cc" and char not in _CONTROL_KEEP:
            out.append(" ")
            continue
        out.append(char)
    return "".join(out)


def check_valid(text: str) -> None:
    """Raises InvalidText at the first lone surrogate."""
    found = _SURROGATE.search(text)
    if found:
        raise InvalidText(found.start())


def normalise_input(text: str) -> str:
    """The question as every rail and search sees it (see the module text). Raises InvalidText."""
    check_valid(text)
    if text.isascii() and text.isprintable():
        return text
    text = unicodedata.normalize("NFKC", text)
    text = strip_invisible(text)
    text = fold_confusables(text)
    return unicodedata.normalize("NFKC", text)
