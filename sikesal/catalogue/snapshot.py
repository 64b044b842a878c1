"""The catalogue as intake reads it, kept in each process: active services by code (with their default OPD)
and kelurahan by code, instead of two queries per report filed.

Read again when CatalogueVersion has moved (looked at, at most, once a second) or after MAX_AGE, so a change
made in the admin reaches every process within a second (a kelurahan or an OPD within MAX_AGE); in this
process at once, through the catalogue's signals.
"""

import threading
import time

CHECK_EVERY = 1.0
MAX_AGE = 60.0

_lock = threading.Lock()
_state = {"checked": 0.0, "loaded": 0.0, "version": None, "services": None, "areas": None}


def clear():
    with _lock:
        _state["services"] = None


def _current():
    from sikesal.catalogue.models import Area, AreaLevel, CatalogueVersion, Service

    now = time.monotonic()
    with _lock:
        if _state["services"] is not None and now - _state["checked"] < CHECK_EVERY:
            return _state
    version = CatalogueVersion.current()
    with _lock:
        fresh = _state["services"] is not None and version == _state["version"] and now - _state["loaded"] < MAX_AGE
        if fresh:
            _state["checked"] = now
            return _state
    services = {s.code: s for s in Service.objects.filter(active=True).select_related("default_institution")}
    areas = {a.code: a for a in Area.objects.filter(level=AreaLevel.KELURAHAN)}
    with _lock:
        _state.update(checked=now, loaded=now, version=version, services=services, areas=areas)
        return _state


def version():
    """The catalogue's version as this process last read it (at most a second old)."""
    return _current()["version"]


def service(code):
    """The active service with this code, or None."""
    return _current()["services"].get(str(code))


def kelurahan(code):
    """The kelurahan with this code, or None."""
    return _current()["areas"].get(str(code))
