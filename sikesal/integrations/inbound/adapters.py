"""What the channel-independent conversation needs from a messaging channel, and the channels that have it.
A channel's app registers its adapter when it loads (its AppConfig.ready); the core never names one."""

from abc import ABC, abstractmethod

from sikesal.integrations.notify.channels.base import Message


class MediaError(Exception):
    """A file the citizen sent could not be fetched from the provider."""


class Adapter(ABC):
    name = ""  # the notify registry's channel name (sikesal/integrations/notify/channels) and the Channel value
    contact = ""  # the Reporter attribute its senders' addresses go to (a notify Contact kind)
    # A message that is no command and belongs to no conversation opens the step-by-step conversation
    # (WhatsApp); on a channel without it (SMS, e-mail) it is answered with help_text().
    converses = True
    # The short keyword grammar: "LAPOR <what happened, where>" files a report in one message (SMS).
    keywords = False
    # Every answer should fit one SMS: the receipt is the short one.
    brief = False

    @abstractmethod
    def fetch_media(self, item):
        """(file name, bytes) of one item of a message's content["media"]; MediaError when it cannot."""

    def release_media(self, message):
        """The message was handled and its files are kept elsewhere: a channel that holds them itself
        (e-mail attachments in storage) lets them go."""
        return None

    def render_choices(self, intro, options):
        """A list to choose from as this channel shows it: numbered lines, which any phone can answer."""
        lines = [intro, ""] + [f"{number}. {label}" for number, (_key, label) in enumerate(options, 1)]
        return "\n".join(lines)

    def help_text(self):
        """What a message that starts nothing is answered with, on a channel that does not converse."""
        return ""

    def outgoing(self, answer):
        """The notify channel's Message for one answer (an inbound.OutboundMessage)."""
        return Message("", answer.body)


_adapters = {}


def register(adapter):
    _adapters[adapter.name] = adapter


def names():
    """The channels whose apps are installed: the only ones whose waiting messages the worker can handle."""
    return sorted(_adapters)


def get(name):
    try:
        return _adapters[name]
    except KeyError:
        raise LookupError(f"no inbound adapter for {name!r}: is its app in INSTALLED_APPS?") from None
