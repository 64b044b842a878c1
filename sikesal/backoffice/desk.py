"""The complaint desk: an officer records a report a citizen brought in person, by phone, letter, e-mail or
social media, through the same submission door as the web form, and hands over a receipt.

The report is received when the citizen brought it (its deadlines count from then); its first event says
when it was typed and by whom. The private link's secret exists only right after filing: the receipt shows
it then; a receipt printed again later carries the tracking number only.

Before filing, the officer is shown the likely duplicates they may see (policy.desk_duplicate_candidates)
and chooses: give the citizen that report's number, or record a new one (`confirm_new`). Whenever the form
comes back unfiled, its files are kept for its next POST, as the web form keeps them
(portal/staged_uploads.py).
"""

import datetime as dt
import io
import secrets

import segno
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from sikesal.backoffice.models import AuditEntry
from sikesal.backoffice.views import staff_required
from sikesal.catalogue import calendar
from sikesal.catalogue.models import Area, AreaLevel, ServiceGroup
from sikesal.complaints import intake, policy, senders, submission
from sikesal.complaints.attachments import check_uploads
from sikesal.complaints.errors import InvalidInput, LifecycleError
from sikesal.complaints.events import store_attachment
from sikesal.complaints.intake import clean_report
from sikesal.complaints.models import Complaint, DeskIntake
from sikesal.complaints.states import DESK_CHANNELS, Channel, ComplaintType, ContactCheck, Status, Visibility
from sikesal.core.pdf import latin1
from sikesal.core.ratelimit import browser_id, client_ip
from sikesal.portal import staged_uploads
from sikesal.routing import duplicates

# A complaint recorded later than this after it reached the city is refused: its deadlines would all have
# passed, and a month-old letter is found in the mail registry, not typed in at the desk.
RECEIVED_MAX_AGE_DAYS = 30
LAST_FILED = "desk:last-filed"  # the session key holding the one secret a receipt may still show
KEPT = {"staged": "attachments", "staged_letter": "letter"}  # the form's token for the files kept of each input


def _may_record(actor):
    if not policy.can_record_desk_report(actor):
        raise PermissionDenied


def _form_context(actor, values, errors=None):
    now = timezone.localtime()
    return {
        "groups": ServiceGroup.objects.prefetch_related("services").all(),
        "kecamatan": Area.objects.filter(level=AreaLevel.KECAMATAN).prefetch_related("children").order_by("name"),
        "types": ComplaintType.choices,
        "channels": [(c.value, c.label) for c in DESK_CHANNELS],
        "checks": ContactCheck.choices,
        "values": values,
        "errors": errors or {},
        "title_max": settings.SIKESAL_TITLE_MAX,
        "body_max": settings.SIKESAL_BODY_MAX,
        "body_min": settings.SIKESAL_BODY_MIN,
        "today": now.date().isoformat(),
        "oldest": (now.date() - dt.timedelta(days=RECEIVED_MAX_AGE_DAYS)).isoformat(),
        "idempotency_key": values.get("idempotency_key") or secrets.token_urlsafe(18),
        "recent": policy.desk_receipts(actor, Complaint.objects.all()).order_by("-id")[:20],
    }


@staff_required
def desk(request, actor):
    """The "record a report" form (GET) and its filing (POST)."""
    _may_record(actor)
    if request.method != "POST":
        now = timezone.localtime()
        initial = {"channel": Channel.WALK_IN, "received_date": now.date().isoformat(), "received_time": f"{now:%H:%M}"}
        return render(request, "backoffice/desk.html", _form_context(actor, {**initial, "contact_check": ""}))
    post = request.POST
    values = {k: post.get(k, "") for k in post if k not in ("csrfmiddlewaretoken", "confirm_new", *KEPT)}
    data = {
        **{k: post.get(k) for k in ("type", "service", "title", "body", "incident_date", "area", "address")},
        "channel": post.get("channel"),
        "is_anonymous": post.get("is_anonymous") == "1",
        "is_secret": post.get("is_secret") == "1",
        "idempotency_key": "desk:" + post["idempotency_key"][:60] if post.get("idempotency_key") else None,
        "answers": intake.service_answers(post),
        "reporter": {k: post.get(k) for k in ("name", "phone", "email", "nik")},
    }
    errors = {}
    received = _received_at(post, errors)
    if data["channel"] not in DESK_CHANNELS:
        errors["channel"] = [_("Choose how the complaint reached the desk.")]
    check = post.get("contact_check")
    if check not in ContactCheck.values:
        errors["contact_check"] = [_("Say how the citizen's contact was checked.")]
    post_url = _post_url(post, data["channel"], errors)
    browser = browser_id(request)
    chosen = {
        field: staged_uploads.read(browser, post.get(token)) + request.FILES.getlist(field)
        for token, field in KEPT.items()
    }
    files, letter = chosen["attachments"], None
    if scans := chosen["letter"][-1:]:  # a letter chosen again replaces the one kept
        checked, problems = check_uploads(scans)
        if problems:
            errors["letter"] = problems
        else:
            letter = checked[0]

    def again(problems=None, status=200, **extra):
        return _shown_again(request, actor, values, files, letter, problems, status, **extra)

    try:
        cleaned = clean_report(data)  # the shared rules, every problem at once (the files are checked when kept)
    except InvalidInput as exc:
        errors = {**_messages(exc), **errors}
    if errors:
        return again(errors, 400)
    # A blocked contact (complaints/senders.py): a person is at the desk, so the officer is warned, checks
    # them, and may record the report all the same (not held); no per-sender limit here.
    blocked = senders.check_reporter(data["reporter"], data["channel"], count=False).entry
    if blocked is not None and post.get("blocked_seen") != str(blocked.pk):
        return again(blocked=blocked)
    # A repeat of a form already filed (a double click, a lost answer) is not stopped: submit() replays it.
    replay = (
        bool(data["idempotency_key"]) and Complaint.objects.filter(idempotency_key=data["idempotency_key"]).exists()
    )
    if post.get("confirm_new") != "1" and not replay and (similar := _likely_duplicates(actor, cleaned)):
        return again(duplicates=similar)
    try:
        result = submission.submit(actor, data, files, received_at=received)
    except LifecycleError as exc:
        return again(_messages(exc) or {"__all__": [str(exc.message)]}, 400)
    for token in KEPT:
        staged_uploads.discard(browser, post.get(token))
    complaint = result.complaint
    if not DeskIntake.objects.filter(complaint=complaint).exists():  # a repeated form files nothing twice
        _record_intake(request, complaint, check, post_url, letter)
    request.session[LAST_FILED] = {"tracking": complaint.tracking_number, "secret": result.secret}
    return redirect("backoffice:desk_receipt", tracking=complaint.tracking_number)


def _shown_again(request, actor, values, files, letter, errors, status, **extra):
    """The form again, nothing filed. A browser cannot put files back into a file input: the files chosen
    that pass the checks are kept for the form's next POST (portal/staged_uploads.py), and each refused one
    is named."""
    browser = browser_id(request)
    errors, kept = dict(errors or {}), {}
    letters = [(letter.original_name, letter.content)] if letter else []
    for (token, field), chosen in zip(KEPT.items(), (files, letters), strict=True):
        kept[token], names, refused = staged_uploads.keep(browser, request.POST.get(token), chosen)
        kept[f"{token}_names"] = names
        if refused:
            errors.setdefault(field, refused)
    context = {**_form_context(actor, values, errors), **kept, **extra}
    return render(request, "backoffice/desk.html", context, status=status)


def _likely_duplicates(actor, cleaned):
    """The earlier reports like this one (its cleaned fields) that `actor` may see, best first, each with the
    page to open it."""
    reporter = cleaned["reporter"] if policy.desk_matches_by_contact(actor) else {}
    matches = duplicates.find(
        cleaned["title"],
        cleaned["body"],
        service_id=getattr(cleaned["service"], "pk", None),
        area_id=getattr(cleaned["area"], "pk", None),
        phone=reporter.get("phone", ""),
        email=reporter.get("email", ""),
        queryset=policy.desk_duplicate_candidates(actor, Complaint.objects.all()),
    )
    opened = {c.pk: c for c in Complaint.objects.filter(pk__in=[m.complaint_id for m in matches])}
    return [
        {
            "tracking_number": m.tracking_number,
            "title": m.title,
            "status": Status(m.status).label,
            "reasons": m.reasons,
            # The report page for who may read it; otherwise the public tracking page, which shows what anyone
            # holding the number may see.
            "url": reverse(
                "backoffice:report" if policy.can_view(actor, opened[m.complaint_id]) else "portal:track_detail",
                args=[m.tracking_number],
            ),
        }
        for m in matches
    ]


def _messages(exc):
    return {name: [str(m) for m in msgs] for name, msgs in exc.fields.items()}


def _received_at(post, errors):
    """When the complaint reached the city (WIB), neither in the future nor longer ago than allowed."""
    try:
        day = dt.date.fromisoformat(post.get("received_date", ""))
        clock = dt.time.fromisoformat(post.get("received_time") or "00:00")
    except ValueError:
        errors["received_date"] = [_("Give the date and time the complaint was received.")]
        return None
    received = dt.datetime.combine(day, clock.replace(tzinfo=None), tzinfo=calendar.WIB)
    now = timezone.now()
    if received > now:
        errors["received_date"] = [_("The date the complaint was received cannot be in the future.")]
    elif now - received > dt.timedelta(days=RECEIVED_MAX_AGE_DAYS):
        errors["received_date"] = [
            _("The complaint was received more than %(n)d days ago: record it as a new complaint of today.")
            % {"n": RECEIVED_MAX_AGE_DAYS}
        ]
    return received


def _post_url(post, channel, errors):
    """The social-media post a report answers: required for that channel, an http(s) address."""
    url = post.get("post_url", "").strip()
    if not url:
        if channel == Channel.SOCIAL:
            errors["post_url"] = [_("Give the link to the social-media post.")]
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        errors["post_url"] = [_("The link must be a web address starting with http:// or https://.")]
    if len(url) > 500:
        errors["post_url"] = [_("The link is at most 500 characters.")]
    return url


def _record_intake(request, complaint, check, post_url, letter):
    """The desk's own record of the report, the scanned letter (staff only: it names its writer) and the
    audit entry, in one transaction."""
    stored = []
    try:
        with transaction.atomic():
            scan = store_attachment(complaint, letter, stored, visibility=Visibility.STAFF) if letter else None
            DeskIntake.objects.create(
                complaint=complaint, recorded_by=request.user, contact_check=check, post_url=post_url, letter=scan
            )
            AuditEntry.objects.create(
                user=request.user,
                kind=AuditEntry.Kind.DESK_RECORD,
                complaint=complaint,
                detail={"channel": complaint.channel, "received_at": complaint.submitted_at.isoformat()},
                ip=client_ip(request),
            )
    except BaseException:
        for f in stored:
            f.delete(save=False)
        raise


def _receipt_for(request, actor, tracking):
    complaint = Complaint.objects.select_related("service", "area").filter(tracking_number=tracking).first()
    if complaint is None or not policy.can_reprint_receipt(actor, complaint):
        raise Http404  # the same answer for "does not exist" and "not yours"
    last = request.session.get(LAST_FILED) or {}
    secret = last.get("secret") if last.get("tracking") == complaint.tracking_number else None
    private_url = request.build_absolute_uri(reverse("portal:private", args=[secret])) if secret else None
    return complaint, private_url


def _receipt_facts(request, complaint):
    """(label, value) lines every receipt shows, on the page and in the PDF."""
    yes, no = _("yes"), _("no")
    return [
        (_("Received"), f"{timezone.localtime(complaint.submitted_at):%d-%m-%Y %H:%M} WIB"),
        (_("Channel"), complaint.get_channel_display()),
        (_("Type"), complaint.get_type_display()),
        (_("Service"), complaint.service.name if complaint.service else "-"),
        (_("Title"), complaint.title),
        (_("Anonymous (anonim)"), yes if complaint.is_anonymous else no),
        (_("Confidential (rahasia)"), yes if complaint.is_secret else no),
        (_("Verification due"), f"{timezone.localtime(complaint.verify_due_at):%d-%m-%Y %H:%M} WIB"),
        (_("Track at"), request.build_absolute_uri(reverse("portal:track_detail", args=[complaint.tracking_number]))),
    ]


@staff_required
def receipt(request, actor, tracking):
    complaint, private_url = _receipt_for(request, actor, tracking)
    qr = segno.make(private_url, error="m").svg_inline(scale=4, dark="#1b1f24") if private_url else None
    context = {
        "c": complaint,
        "facts": _receipt_facts(request, complaint),
        "private_url": private_url,
        "qr": qr,
        "may_record": policy.can_record_desk_report(actor),
    }
    return render(request, "backoffice/desk_receipt.html", context)


@staff_required
def receipt_pdf(request, actor, tracking):
    complaint, private_url = _receipt_for(request, actor, tracking)
    response = HttpResponse(_render_pdf(complaint, _receipt_facts(request, complaint), private_url), "application/pdf")
    response["Content-Disposition"] = f'inline; filename="tanda-terima-{complaint.tracking_number}.pdf"'
    response["Cache-Control"] = "no-store"  # it may carry the private link
    return response


def _render_pdf(complaint, facts, private_url):
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 7, latin1(_("SIKESAL Kota Jambi: complaint receipt")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, latin1(_("Tracking number")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 11, complaint.tracking_number, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for label, value in facts:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(40, 5, latin1(label))
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(0, 5, latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    if private_url:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, latin1(_("Your private link")), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 8)
        pdf.multi_cell(0, 4, latin1(private_url), new_x="LMARGIN", new_y="NEXT")
        image = io.BytesIO()
        segno.make(private_url, error="m").save(image, kind="png", scale=6, border=2)
        image.seek(0)
        pdf.image(image, w=40)
        pdf.set_font("Helvetica", "", 8)
        note = _("Open this link to add information, answer the agency and close your report. Keep it to yourself.")
    else:
        pdf.set_font("Helvetica", "", 8)
        note = _(
            "The private link is shown only once, when the report is recorded. Follow the report with its "
            "tracking number."
        )
    pdf.multi_cell(0, 4, latin1(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
