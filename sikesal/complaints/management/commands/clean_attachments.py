"""Clean the attachments stored before every kind was cleaned at upload (issue #28 item 3).

Idempotent: an image that already carries no metadata is left as it is (re-encoding it again would only
lose quality), a PDF is rewritten only when cleaning changes it. What cannot be cleaned (videos, audio, a
damaged or locked PDF) is withheld: its visibility becomes staff-only, so neither the public nor the
reporter is served it, and the officers still have it.
"""

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db.models import F

from sikesal.complaints.attachments import check_upload
from sikesal.complaints.attachments_clean import identifying_parts
from sikesal.complaints.models import Attachment, AttachmentKind, Complaint
from sikesal.complaints.states import Visibility


class Command(BaseCommand):
    help = "Remove author and location metadata from stored attachments; withhold what cannot be cleaned."

    def handle(self, *args, **options):
        counts = {"cleaned": 0, "unchanged": 0, "withheld": 0, "missing": 0}
        for pk in Attachment.objects.order_by("pk").values_list("pk", flat=True).iterator():
            counts[self._one(pk)] += 1
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))

    def _one(self, pk):
        att = Attachment.objects.get(pk=pk)
        try:
            with att.file.open("rb") as fh:
                content = fh.read()
        except FileNotFoundError:
            return "missing"
        if att.kind == AttachmentKind.PHOTO and not identifying_parts(content, att.content_type):
            return "unchanged"
        if att.kind == AttachmentKind.VIDEO:
            checked, error = None, "video"  # check_upload refuses it too; said here so that no reader wonders
        else:
            checked, error = check_upload(att.original_name, content)
        if error:
            if att.visibility == Visibility.STAFF:
                return "unchanged"
            Attachment.objects.filter(pk=pk).update(visibility=Visibility.STAFF)
            # The report's pages and Open311 record are kept by its version: a new one drops the file from them.
            Complaint.objects.filter(pk=att.complaint_id).update(version=F("version") + 1)
            self.stderr.write(f"attachment {pk} ({att.content_type}) cannot be cleaned: withheld (staff only)")
            return "withheld"
        if checked.content == content:
            return "unchanged"
        old = att.file.name
        # The cleaned file goes to a new name first: the row never points at a half-written file.
        att.file.save("upload", ContentFile(checked.content), save=False)
        Attachment.objects.filter(pk=pk).update(file=att.file.name, size=checked.size, sha256=checked.sha256)
        att.file.storage.delete(old)
        return "cleaned"
