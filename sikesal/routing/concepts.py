"""Catalogue concepts: the words of the service catalogue as extra routing features.

A few hundred labelled reports cannot teach a model that "got", "selokan" and "drainase" all point at a
blocked drain, but the city's catalogue already says so: every service lists the words citizens use for
it. Each catalogue phrase found in a report adds two concept tokens to the report's word features, one
for the phrase's service and one for its service group ("svc:drainase", "grp:infrastruktur"). Reports that
share no word but mention the same service then share a feature, and the classifier learns how much each
concept says about each label. That also helps where the labels are not our own services (another city's
OPDs, broad sectors): with the shipped Kota Jambi catalogue as the lexicon, concepts and the calibrated
offsets of model.py together raised routing_evaluate's accuracy from 0.831 to 0.846 on Malang and from
0.731 to 0.738 on Purbalingga (means over seeds 0-2; the concepts carry most of it; docs/routing.md).

Phrases are normalised like reports. Function words and the qualifiers the catalogue attaches to objects of
every kind ("rusak", "liar", "tidak") are left out of the phrases, so "Jalan rusak" is the concept of the
word "jalan", not of the word "rusak".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from .normalize import normalize

SERVICE_PREFIX = "svc:"
GROUP_PREFIX = "grp:"
PHRASE_SPLIT = re.compile(r"[,;/()\n]+")
# Words that say nothing about which service a phrase belongs to: function words, and qualifiers that the
# catalogue pairs with objects of every group (a broken road, a broken pipe, a broken street light).
NEUTRAL_WORDS = frozenset({"dan", "atau", "di", "yang", "ke", "dari", "untuk", "rusak", "liar", "tidak"})
MAX_PHRASE_WORDS = 6


class ConceptLexicon:
    """Normalised catalogue phrases and the concept tokens each one stands for."""

    def __init__(self, phrases: dict[tuple[str, ...], tuple[str, ...]]):
        self.phrases = phrases
        self.longest = max((len(p) for p in phrases), default=0)
        self._first_words = frozenset(p[0] for p in phrases)

    def __len__(self) -> int:
        return len(self.phrases)

    def matches(self, tokens: Sequence[str]) -> list[tuple[int, int, tuple[str, ...]]]:
        """(start, end, concept tokens) for every catalogue phrase found in a token list, overlaps included."""
        out = []
        n = len(tokens)
        for i, token in enumerate(tokens):
            if token not in self._first_words:  # most words start no phrase: skip building the slices
                continue
            for size in range(1, min(self.longest, n - i) + 1):
                concepts = self.phrases.get(tuple(tokens[i : i + size]))
                if concepts:
                    out.append((i, i + size, concepts))
        return out

    def tokens(self, normalised: str) -> list[str]:
        """Concept tokens of a normalised text, once per phrase occurrence."""
        if not self.phrases:
            return []
        return [c for _, _, concepts in self.matches(normalised.split()) for c in concepts]


def build_lexicon(services: Iterable[tuple[str, str, str, str]]) -> ConceptLexicon:
    """A lexicon from (service code, group code, name, keywords) rows; phrases in the name and keywords are
    separated by commas, slashes or brackets."""
    concepts: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for service, group, name, keywords in services:
        for part in PHRASE_SPLIT.split(f"{name or ''}, {keywords or ''}"):
            phrase = tuple(t for t in normalize(part).split() if t not in NEUTRAL_WORDS)
            if phrase and len(phrase) <= MAX_PHRASE_WORDS:
                concepts[phrase].update({f"{SERVICE_PREFIX}{service}", f"{GROUP_PREFIX}{group}"})
    return ConceptLexicon({phrase: tuple(sorted(tags)) for phrase, tags in concepts.items()})


def bundled_lexicon() -> ConceptLexicon:
    """The lexicon of the catalogue shipped with SIKESAL (Kota Jambi's 70 services).

    routing_evaluate uses it so that its figures do not depend on what a database holds; the product builds
    the lexicon from the live catalogue instead (routing.service.catalogue_lexicon).
    """
    from sikesal.catalogue.data.demo import SERVICES

    return build_lexicon((code, group, name, keywords) for code, name, group, *_, keywords in SERVICES)
