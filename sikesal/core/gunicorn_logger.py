"""gunicorn's logger with private-link secrets masked in the access log (`--logger-class`)."""

from gunicorn.glogging import Logger as GunicornLogger

from sikesal.core.logsafe import mask


class Logger(GunicornLogger):
    def atoms(self, resp, req, environ, request_time):
        # request line, path, query, referrer (a page under /pelapor/<secret>/ is the referrer of its
        # images and scripts) and every header or environ atom
        return {key: mask(value) for key, value in super().atoms(resp, req, environ, request_time).items()}
