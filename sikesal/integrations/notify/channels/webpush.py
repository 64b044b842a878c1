"""Web Push to the browsers following a report. Its address is a browser's subscription (an endpoint and
keys, sikesal/integrations/webpush/models.py), not a reporter's contact, so reporter notifications never
choose it; the push itself goes per subscription from integrations/webpush/handlers.py, which renders
through this class."""

from sikesal.integrations.notify.channels.base import Capabilities, Channel, Contact, InvalidAddress, Message


class WebPush(Channel):
    name = "webpush"
    # The push services take about 4 KB of encrypted payload; the text is the number and the action's label.
    capabilities = Capabilities(contact=Contact.PUSH, max_length=1000, encoding="UTF-8", media=False, templates=False)

    def normalise(self, address):
        from sikesal.integrations.webpush.views import endpoint_allowed  # the push settings' own check

        if not endpoint_allowed(address):
            raise InvalidAddress(f"{address} is not a push service SIKESAL_PUSH_SERVICE_HOSTS allows")
        return address

    def render(self, context):
        """Never the title, the body, a rahasia report's content or who filed it: anyone with the number
        may follow a report."""
        body = f"{context['complaint'].tracking_number}: {context['label']}"
        return Message("SIKESAL Kota Jambi", body[: self.capabilities.max_length])
