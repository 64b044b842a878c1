"""Reporter accounts without passwords: a one-time code to an e-mail address or phone number.

The answer to "send me a code" is the same whether or not the contact is known. Codes are kept hashed
in the shared cache for ten minutes from when they were sent (a wrong try does not extend that) and allow
five tries, counted atomically so that parallel guesses get no more. A verified contact becomes (or finds) a
citizen account, and the reports filed earlier with that contact are linked to it.
"""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import login, logout
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sikesal.accounts.models import User, citizen_username
from sikesal.accounts.roles import Role
from sikesal.complaints import policy
from sikesal.complaints.intake import canonical_phone, phone_spellings
from sikesal.complaints.models import Complaint, Reporter
from sikesal.core.ratelimit import allow, client_key, strike
from sikesal.integrations.notify.channels import InvalidAddress
from sikesal.integrations.notify.transports import send_to_contact

CODE_SECONDS = 600
MAX_TRIES = 5


def normalise_contact(raw):
    """('email'|'phone', value) or None."""
    raw = (raw or "").strip()
    if "@" in raw:
        try:
            validate_email(raw)
        except ValidationError:
            return None
        return "email", raw.lower()
    try:
        return "phone", canonical_phone(raw)  # 0812…, 62812… and +62812… are one person's one account
    except ValueError:
        return None


def _key(contact):
    return "otp:" + hashlib.sha256(contact.encode()).hexdigest()


def _hash(code):
    return hashlib.sha256((settings.SECRET_KEY + code).encode()).hexdigest()


def login_start(request):
    error = None
    if request.method == "POST":
        parsed = normalise_contact(request.POST.get("contact"))
        if parsed is None:
            error = _("Enter a valid e-mail address or phone number.")
        elif not allow("otp-ip", client_key(request), 20, 3600) or not allow("otp-contact", parsed[1], 5, 3600):
            return render(
                request,
                "portal/login.html",
                {"error": _("Too many codes requested. Please try again later.")},
                status=429,
            )
        else:
            kind, contact = parsed
            code = f"{secrets.randbelow(10**6):06d}"
            message = _("Your SIKESAL login code: %(code)s (valid for 10 minutes).") % {"code": code}
            try:
                send_to_contact(kind, contact, _("SIKESAL login code"), message)
            except InvalidAddress:  # a number no SMS reaches (a landline, no country code)
                error = _("Enter a valid e-mail address or phone number.")
            else:
                # the nonce names this code's try counter: a new code starts a new count
                cache.set(_key(contact), {"hash": _hash(code), "nonce": secrets.token_hex(16)}, CODE_SECONDS)
                request.session["otp_contact"] = contact
                return redirect("portal:login_code")
    return render(request, "portal/login.html", {"error": error}, status=400 if error else 200)


def login_code(request):
    contact = request.session.get("otp_contact")
    if not contact:
        return redirect("portal:login")
    error = None
    if request.method == "POST":
        stored = cache.get(_key(contact))
        code = "".join(str(request.POST.get("code", "")).split())
        if stored is None:
            error = _("The code has expired. Ask for a new one.")
        elif strike("otp-try", stored.get("nonce") or contact, CODE_SECONDS) > MAX_TRIES:
            cache.delete(_key(contact))
            error = _("Too many wrong codes. Ask for a new one.")
        elif not secrets.compare_digest(stored["hash"], _hash(code)):
            error = _("The code is wrong.")  # the stored code keeps its expiry: no cache.set here
        else:
            cache.delete(_key(contact))
            user = _citizen_for(contact)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session.pop("otp_contact", None)
            return redirect("portal:my_reports")
    return render(request, "portal/login_code.html", {"error": error, "contact": contact}, status=400 if error else 200)


def _citizen_for(contact):
    """The citizen account of a verified contact (never a staff account), with earlier reports linked."""
    is_email = "@" in contact
    username = citizen_username(contact)
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"role": Role.CITIZEN, "email": contact if is_email else "", "phone": "" if is_email else contact},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    match = {"email__iexact": contact} if is_email else {"phone__in": phone_spellings(contact)}
    Reporter.objects.filter(user__isnull=True, **match).update(user=user)
    return user


@require_POST
def logout_view(request):
    logout(request)
    return redirect("portal:home")


def my_reports(request):
    actor = policy.Actor.for_user(request.user)
    if not policy.can_use_citizen_account(actor):
        return redirect("portal:login")
    reports = (
        policy.visible_complaints(actor, Complaint.objects.all()).select_related("service").order_by("-submitted_at")
    )
    return render(request, "portal/my_reports.html", {"reports": reports[:200]})
