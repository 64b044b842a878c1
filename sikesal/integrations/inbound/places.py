"""Reading a kelurahan from what a citizen wrote, for the channels that file a report in one message (SMS,
e-mail). Several kelurahan of Kota Jambi are common words ("Tengah", "Selamat", "Murni") or share their
name with a kecamatan or a street, so a one-word name counts only after "kelurahan"/"kel.", and no name
counts right after "kecamatan" or "jalan". Anything unsure is None: the citizen is asked."""

import re

from sikesal.catalogue.models import Area, AreaLevel

MARKER = r"(?:kelurahan|kel\.?)"
NOT_A_KELURAHAN = ("kecamatan", "kec", "kec.", "jalan", "jl", "jl.", "jln", "jln.")


def kelurahan_in(text):
    """The one kelurahan `text` names, or None (none, or several)."""
    lowered = " ".join(str(text or "").lower().split())
    found = []
    for area in _kelurahan():
        name = r"\s+".join(re.escape(word) for word in area.name.lower().split())
        if " " not in area.name.strip():
            name = rf"{MARKER}\s*{name}"
        for match in re.finditer(rf"(?<!\w){name}(?!\w)", lowered):
            before = lowered[: match.start()].split()
            if not before or before[-1] not in NOT_A_KELURAHAN:
                found.append(area)
                break
    # "Kenali Asam Bawah" also contains "Kenali Asam": the longer name is the one meant.
    names = [a.name.lower() for a in found]
    kept = [a for a in found if not any(a.name.lower() in other and a.name.lower() != other for other in names)]
    return kept[0] if len(kept) == 1 else None


def kelurahan_named(answer):
    """The kelurahan an answer to "which kelurahan?" names: its name alone, or within a sentence."""
    name = _without(MARKER, answer)
    exact = [a for a in _kelurahan() if a.name.lower() == name]
    if len(exact) == 1:
        return exact[0]
    return kelurahan_in(answer)


def kecamatan_named(answer):
    name = _without(r"(?:kecamatan|kec\.?)", answer)
    return next((a for a in Area.objects.filter(level=AreaLevel.KECAMATAN) if a.name.lower() == name), None)


def _without(marker, answer):
    return re.sub(rf"^{marker}\s*", "", " ".join(str(answer or "").lower().split())).strip(" .")


def _kelurahan():
    return list(Area.objects.filter(level=AreaLevel.KELURAHAN).order_by("name"))
