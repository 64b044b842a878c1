"""gunicorn's logger with private-link secrets masked in the access log (`--logger-class`)."""

from gunicorn.glogging import Logger as GunicornLogger
from gunicorn.glogging import SafeAtoms

from sikesal.core.logsafe import mask


class MaskedAtoms(SafeAtoms):
    """Masked as the line is formatted, so only the atoms the log format names are looked at (request
    line, path, query, referrer — a page under /pelapor/<secret>/ is the referrer of its images — or any
    header the format adds), not the thirty-odd gunicorn computes for every request."""

    def __getitem__(self, key):
        return mask(super().__getitem__(key))


class Logger(GunicornLogger):
    atoms_wrapper_class = MaskedAtoms
