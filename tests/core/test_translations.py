"""Indonesian is the default language: every message has a translation, and the compiled catalogue is current."""

import gettext
import re
from pathlib import Path

from django.conf import settings

PO = Path(settings.BASE_DIR) / "sikesal/locale/id/LC_MESSAGES/django.po"


def entries():
    text = PO.read_text(encoding="utf-8")
    for block in text.split("\n\n")[1:]:
        msgid = "".join(re.findall(r'"(.*)"', re.search(r"^msgid ((?:\".*\"\n?)+)", block, re.M).group(1)))
        strs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block, re.M)
        msgstr = ["".join(re.findall(r'"(.*)"', s)) for s in strs]
        yield msgid, msgstr, block


def test_every_message_is_translated():
    missing = [msgid for msgid, msgstr, block in entries() if not all(msgstr) or "#, fuzzy" in block]
    assert missing == []


def test_compiled_catalogue_matches_the_po_file():
    with open(PO.with_suffix(".mo"), "rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    stale = []
    for msgid, msgstr, block in entries():
        if "msgid_plural" in block:
            continue
        unescaped = msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        expected = msgstr[0].encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        if catalog.gettext(unescaped) != expected:
            stale.append(unescaped)
    assert stale == [], "run: cd sikesal && ../.venv/bin/python ../manage.py compilemessages -l id"


def test_pages_speak_indonesian(client, catalogue):
    html = client.get("/").content.decode()
    assert "Laporkan masalah pelayanan publik" in html and "Darurat? Hubungi 112." in html
