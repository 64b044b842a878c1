"""Which timeline events reach the reporter, and on which channels."""

import datetime as dt
from collections import defaultdict

from sikesal.accounts.models import User, citizen_username
from sikesal.complaints import actions, effect_queue
from sikesal.complaints.actions import Action
from sikesal.complaints.intake import phone_spellings_of
from sikesal.complaints.models import Complaint
from sikesal.complaints.states import Visibility
from sikesal.integrations.notify import channels
from sikesal.integrations.notify.models import Notification
from sikesal.integrations.notify.tasks import deliver_all
from sikesal.privacy import restriction

REPORTER_ACTIONS = actions.TELLS_REPORTER  # defined per action in complaints/actions.py


def notify_reporter(event):
    """Event handler: one notification per contact the reporter left (anonymous reporters included:
    their contact stays in the restricted Reporter row and never reaches the OPD). Public updates also
    reach the reporters of duplicates merged into this report: they follow it from then on."""
    notify_reporters([event])


def notify_reporters(events):
    """For a batch of events: the notifications in one insert, and one delivery task for all of them."""
    events = [e for e in events if e.action in REPORTER_ACTIONS and e.visibility != Visibility.STAFF]
    if not events:
        return
    # A rahasia report's number, title and follow-ups are for its own reporter only: the reporters of
    # duplicates merged into it learned of the merge (on their own report) and nothing after.
    shared = [
        e.complaint_id
        for e in events
        if e.visibility == Visibility.PUBLIC and e.action != Action.MERGE and not e.complaint.is_secret
    ]
    followers = defaultdict(list)
    for merged in Complaint.objects.filter(merged_into__in=shared).select_related("reporter"):
        followers[merged.merged_into_id].append(getattr(merged, "reporter", None))
    wanted = {}
    # Reporters who restricted processing (UU PDP) hear only what the procedure requires (privacy/restriction.py).
    followed = {r.complaint_id for rows in followers.values() for r in rows if r is not None}
    restricted = restriction.restricted_reporters({e.complaint_id for e in events} | followed)
    for event in events:
        for reporter in [getattr(event.complaint, "reporter", None), *followers.get(event.complaint_id, [])]:
            for channel, address in channels.reporter_contacts(reporter):
                if event.action == Action.SUBMIT and channel.name == event.complaint.channel:
                    continue  # the door it came by (a WhatsApp conversation) gave the receipt, with the private link
                n = _addressed(event, channel, address)
                n.language = getattr(reporter, "language", "")
                if not restriction.may_message(event.action, reporter, restricted):
                    n.state, n.last_error = Notification.State.HELD, restriction.HELD_REASON
                wanted.setdefault((event.pk, n.channel, n.to), n)
    wanted = list(wanted.values())
    if not wanted:
        return
    _hold_unconfirmed(wanted)
    # Unique per event, channel and address: a second run of the same events adds nothing, sends nothing.
    effect_queue.bulk_create(Notification, wanted, ignore_conflicts=True)
    pending = list(
        Notification.objects.filter(event__in=events, state=Notification.State.PENDING, attempts=0).values_list(
            "pk", flat=True
        )
    )
    if pending:
        # Sent here, in the side-effects batch, rather than as a task: a task waits behind whatever the
        # worker's task loop runs (the statistics refresh takes seconds), and the receipt is what the
        # citizen waits for. A notification that fails goes on its own task, with backoff.
        deliver_all(pending)


def _addressed(event, channel, address):
    """The notification to the channel's canonical form of the address; an address the channel refuses is
    recorded as failed, with the reason, for the admin to see, and nothing is sent to it."""
    to, refused = channels.notified_address(channel, address)
    if refused is None:
        return Notification(event=event, channel=channel.name, to=to)
    return Notification(event=event, channel=channel.name, to=to, state=Notification.State.FAILED, last_error=refused)


def _hold_unconfirmed(wanted):
    """A contact that never confirmed receives messages about one report a day; the others are recorded as
    held, with the reason, and not sent (docs/security.md, "Contacts that never confirmed"). Whoever files
    can type anyone's address: without this, every report filed with a third party's address would send
    them a receipt. Confirmed: the contact's owner logged in with a one-time code sent to it (a citizen
    account for it exists), or the report came from it (a WhatsApp, SMS or e-mail conversation)."""
    told = {}  # (channel, address) -> the report it already hears about today
    for n in wanted:
        if n.state != Notification.State.PENDING or n.channel == n.event.complaint.channel:
            continue
        key = (n.channel, n.to)
        if key not in told:
            if _confirmed(n.to):
                told[key] = None
                continue
            earlier = (
                Notification.objects.filter(
                    channel=n.channel, to=n.to, event__created_at__gt=n.event.created_at - dt.timedelta(days=1)
                )
                .exclude(state=Notification.State.HELD)
                .values_list("event__complaint_id", flat=True)
                .first()
            )
            told[key] = earlier or n.event.complaint_id
        if told[key] is not None and told[key] != n.event.complaint_id:
            n.state = Notification.State.HELD
            n.last_error = "unconfirmed contact: already sent a message about another report today"


def _confirmed(address):
    """Someone logged in with a one-time code sent to this address (accounts.models.citizen_username)."""
    if "@" in address:
        return User.objects.filter(username__iexact=citizen_username(address)).exists()
    # A log-in names the account by the number's canonical form; an account named by another spelling of
    # it (made before accounts migration 0007, or by hand) confirms it as well.
    forms = phone_spellings_of(address)
    return User.objects.filter(username__in=sorted(citizen_username(form) for form in forms)).exists()
