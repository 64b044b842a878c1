"""docs/privacy.md, which the DPO signs the impact assessment from, names every data class the code has."""

import re
from pathlib import Path

from django.conf import settings

from sikesal.privacy.classes import DATA_CLASSES

DOC = Path(settings.BASE_DIR) / "docs/privacy.md"


def test_every_data_class_has_its_row_with_its_default_period():
    section = DOC.read_text().split("## Data classes", 1)[1].split("\n## ", 1)[0]
    rows = {
        m.group(1): m.group(2) for m in re.finditer(r"^\|[^|]*\(`(\w+)`\)[^|]*(?:\|[^|]*){2}\| (\d+) \|", section, re.M)
    }
    assert rows == {c.key: str(c.retention_days) for c in DATA_CLASSES}


def test_every_data_class_has_a_period_in_settings():
    assert sorted(settings.SIKESAL_RETENTION) == sorted(c.key for c in DATA_CLASSES)
