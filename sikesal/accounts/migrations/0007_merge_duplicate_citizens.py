"""One citizen account per phone number (issue #28 item 6).

Before phone numbers had one form (complaints.intake.canonical_phone), a person who filed as +62812… and
logged in as 0812… (or logged in once each way) got a second account that did not hold their reports.
Every citizen account that logged in with a phone number is renamed to the number's one form; where
several share it, the oldest takes over every row that points at the others (their reports' Reporter
rows, audit entries, anything else), their e-mail address where it has none, and the others are deleted.
The reports filed without logging in under any spelling of the number are linked to it, as a log-in
would. Each merge is one audit entry.
"""

from collections import defaultdict

from django.db import migrations

from sikesal.complaints.intake import canonical_phone, phone_spellings

PREFIX = "warga:"  # accounts.models.citizen_username


def merge_duplicate_citizens(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Reporter = apps.get_model("complaints", "Reporter")
    AuditEntry = apps.get_model("backoffice", "AuditEntry")
    by_number = defaultdict(list)
    for user in User.objects.filter(role="citizen", username__startswith=PREFIX).order_by("date_joined", "pk"):
        contact = user.username[len(PREFIX) :]
        try:
            by_number[canonical_phone(contact)].append(user)
        except ValueError:  # an e-mail address, or a number no channel reaches: left as it is
            continue
    pointing = [rel for rel in User._meta.related_objects if rel.one_to_many]
    for number, (keeper, *others) in by_number.items():
        moved = defaultdict(int)
        for other in others:
            for rel in pointing:
                rows = rel.related_model._base_manager.filter(**{rel.field.name: other})
                moved[rel.related_model._meta.label] += rows.update(**{rel.field.name: keeper})
            keeper.email = keeper.email or other.email
        merged = [other.pk for other in others]
        User.objects.filter(pk__in=merged).delete()
        linked = Reporter.objects.filter(user__isnull=True, phone__in=phone_spellings(number)).update(user=keeper)
        keeper.username, keeper.phone = PREFIX + number, number
        keeper.save(update_fields=["username", "phone", "email"])
        if merged:
            AuditEntry.objects.create(
                user=keeper,
                kind="merge_accounts",
                detail={
                    "merged_accounts": merged,
                    "moved": {label: n for label, n in sorted(moved.items()) if n},
                    "unlinked_reports_linked": linked,
                },
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_dpo_role"),
        ("backoffice", "0007_audit_kinds_personal_data_and_lapor"),
        ("complaints", "0015_anonymised"),
    ]

    operations = [migrations.RunPython(merge_duplicate_citizens, migrations.RunPython.noop)]
