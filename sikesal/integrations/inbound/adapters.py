"""What the channel-independent conversation needs from a messaging channel, and the channels that have it.
A channel's app registers its adapter when it loads (its AppConfig.ready); the core never names one."""

from abc import ABC, abstractmethod


class MediaError(Exception):
    """A file the citizen sent could not be fetched from the provider."""


class Adapter(ABC):
    name = ""  # the notify registry's channel name (sikesal/integrations/notify/channels) and the Channel value
    contact = ""  # the Reporter attribute its senders' addresses go to (a notify Contact kind)

    @abstractmethod
    def fetch_media(self, item):
        """(file name, bytes) of one item of a message's content["media"]; MediaError when it cannot."""

    def render_choices(self, intro, options):
        """A list to choose from as this channel shows it: numbered lines, which any phone can answer."""
        lines = [intro, ""] + [f"{number}. {label}" for number, (_key, label) in enumerate(options, 1)]
        return "\n".join(lines)


_adapters = {}


def register(adapter):
    _adapters[adapter.name] = adapter


def get(name):
    try:
        return _adapters[name]
    except KeyError:
        raise LookupError(f"no inbound adapter for {name!r}: is its app in INSTALLED_APPS?") from None
