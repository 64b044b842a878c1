"""Small helpers for the PDFs SIKESAL writes with fpdf2's core fonts."""

_TYPOGRAPHY = {"“": '"', "”": '"', "‘": "'", "’": "'", "—": "-", "–": "-", "…": "..."}


def latin1(text):
    """The core fonts speak Latin-1: keep Indonesian text (all of it Latin), straighten typographic marks."""
    text = "".join(_TYPOGRAPHY.get(ch, ch) for ch in str(text or ""))
    return text.encode("latin-1", "replace").decode("latin-1")
