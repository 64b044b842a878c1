"""Applying a lifecycle action submitted from a web form (portal and back office alike)."""

from django.contrib import messages

from sikesal.complaints import lifecycle
from sikesal.complaints.errors import LifecycleError


def apply(request, complaint, action, actor, data, success_message):
    """Run the transition with the form's version (a stale form is refused) and its files; tell the
    person what happened through a message. Returns True when the change was made."""
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        lifecycle.transition(
            complaint, action, actor, expected_version=version, files=request.FILES.getlist("attachments"), **data
        )
    except LifecycleError as exc:
        details = [str(m) for msgs in exc.fields.values() for m in msgs]
        messages.error(request, " ".join([str(exc.message), *details]))
        return False
    messages.success(request, success_message)
    return True
