"""Normalisation of informal Indonesian complaint text before routing.

Citizens write reports like chat messages ("jln dpn sklh rusak parah bangeeet, tlg dong"), so the same word
shows up in many spellings. Mapping them to one form lets a few hundred training reports cover far more of
the vocabulary. Everything here is rule-based and deterministic: the model stores only the normalised
text's features, so a change in these rules needs a retrain (bump NORMALIZER_VERSION).

`tokens_with_source()` also returns, for each normalised token, the word the citizen actually typed, so
that explanations can quote the report instead of our internal spelling.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

NORMALIZER_VERSION = 1

SLANG_FILE = Path(__file__).resolve().parent / "data" / "slang_id.tsv"

# Placeholders left by the PII scrubber (and the shared data sets) become one stable token each, so
# "[TELP]" is one feature rather than the letters t-e-l-p; unknown bracketed tags get a generic one.
PLACEHOLDER_MARKS = {
    "telp": "_telp_",
    "tel": "_telp_",
    "phone": "_telp_",
    "hp": "_telp_",
    "email": "_email_",
    "nik": "_nik_",
    "kk": "_nik_",
    "nama": "_nama_",
    "name": "_nama_",
    "alamat": "_alamat_",
    "url": "_url_",
}
URL_MARK = "_url_"
EMAIL_MARK = "_email_"
NUMBER_MARK = "_num_"
TAG_MARK = "_tag_"

_PLACEHOLDER_RE = re.compile(r"\[\s*([A-Za-z_]{2,20})\s*\]")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:go\.id|co\.id|com|id|net|org)(?:/\S*)?\b", re.I)
_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# Reduplication written with a 2 ("cepat2", "anak2nya") means the word twice; keep the word once, which is
# what matters for routing, and drop the digit so it is not read as a number.
_REDUP_RE = re.compile(r"\b([a-z]{2,})2(nya)?\b")
_WORD_RE = re.compile(r"_[a-z]+_|[a-z]+|\d+")
_REPEAT3_RE = re.compile(r"(.)\1{2,}")
_REPEAT2_RE = re.compile(r"(.)\1")

# Suffix stripping is deliberately timid. "-nya" is by far the most frequent clitic in complaints
# ("jalannya", "solusinya") and rarely ends a root, so it is stripped from anything with a stem of 3+
# letters except the few roots below. "-lah/-kah" end many roots (sekolah, masalah, langkah), so they are
# only stripped from words known to take them; "-ku/-mu" likewise need a long stem and a short denylist.
_NYA_KEEP = frozenset({"punya", "hanya", "tanya", "bertanya", "ditanya", "menanya", "sanya", "bahwasanya", "karunia"})
_LAH_KAH_STEMS = frozenset(
    [
        "tidak",
        "bukan",
        "bisa",
        "boleh",
        "tolong",
        "coba",
        "bantu",
        "sangat",
        "hanya",
        "apa",
        "bagaimana",
        "mungkin",
        "lagi",
        "ada",
        "siapa",
        "kapan",
        "mana",
        "mohon",
        "segera",
        "cepat",
        "jangan",
        "sudah",
        "belum",
        "harus",
        "perlu",
        "benar",
        "sama",
        "begitu",
        "inilah",
        "itu",
        "ini",
        "dia",
        "mereka",
        "kami",
        "kita",
        "saya",
    ]
)
_KU_MU_DENY_ENDINGS = ("laku", "temu", "lamu", "aku", "buku", "ngku", "alamu", "ilmu", "jamu", "rindu")


@functools.cache
def slang_map() -> dict[str, tuple[str, ...]]:
    """The slang dictionary: informal spelling -> standard word(s)."""
    mapping: dict[str, tuple[str, ...]] = {}
    with SLANG_FILE.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2 and parts[0] and parts[1]:
                mapping[parts[0].strip().lower()] = tuple(parts[1].split())
    return mapping


def strip_suffix(word: str) -> str:
    """Remove one clitic/particle suffix when that is safe; otherwise return the word unchanged."""
    if word.startswith("_"):
        return word
    if word.endswith("nya") and len(word) >= 6 and word not in _NYA_KEEP:
        return word[:-3]
    if word.endswith(("lah", "kah")) and word[:-3] in _LAH_KAH_STEMS:
        return word[:-3]
    if word.endswith(("ku", "mu")) and len(word) >= 7 and not word.endswith(_KU_MU_DENY_ENDINGS):
        return word[:-2]
    return word


def _collapse(word: str, slang: dict[str, tuple[str, ...]]) -> str:
    # Three or more equal letters never occur in standard Indonesian: "bangeeet" -> "banget",
    # "mohonnnn" -> "mohon". If that still is not a known word, try doubles too ("yaa" -> "ya").
    word = _REPEAT3_RE.sub(r"\1", word)
    if word not in slang:
        single = _REPEAT2_RE.sub(r"\1", word)
        if single != word and single in slang:
            return single
    return word


def _prepare(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = _PLACEHOLDER_RE.sub(lambda m: f" {PLACEHOLDER_MARKS.get(m.group(1).lower(), TAG_MARK)} ", text)
    text = _EMAIL_RE.sub(f" {EMAIL_MARK} ", text)
    text = _URL_RE.sub(f" {URL_MARK} ", text)
    text = text.lower()
    # Fold accented letters to ASCII ("café" -> "cafe") and make the scrubber tokens survive tokenising.
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _REDUP_RE.sub(r"\1", text)


@functools.lru_cache(maxsize=500_000)
def _word(raw: str, stem: bool) -> tuple[str, ...]:
    # Cached: citizens reuse the same few thousand words, and this is most of the cost of normalising.
    slang = slang_map()
    word = _collapse(raw, slang)
    if word in slang:
        return slang[word]
    if stem:
        stripped = strip_suffix(word)
        # The stem may itself be slang ("rmhnya" -> "rmh" -> "rumah").
        if stripped != word and stripped in slang:
            return slang[stripped]
        word = stripped
    return (word,)


def tokens_with_source(text: str, *, stem: bool = True) -> list[tuple[str, str]]:
    """(normalised token, word as written) pairs, in order. A slang expansion yields several pairs."""
    out: list[tuple[str, str]] = []
    for raw in _WORD_RE.findall(_prepare(text)):
        if raw[0].isdigit():
            out.append((NUMBER_MARK, raw))
        elif raw.startswith("_"):
            out.append((raw, raw.strip("_").upper()))
        else:
            out.extend((tok, raw) for tok in _word(raw, stem))
    return out


def tokenize(text: str, *, stem: bool = True) -> list[str]:
    """Normalised tokens of a text."""
    return [tok for tok, _ in tokens_with_source(text, stem=stem)]


def normalize(text: str, *, stem: bool = True) -> str:
    """Normalised text: lowercase ASCII words separated by single spaces, slang expanded, numbers as _num_."""
    return " ".join(tokenize(text, stem=stem))
