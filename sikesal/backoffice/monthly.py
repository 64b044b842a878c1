"""The monthly report of one OPD as a PDF: counts, deadline compliance and the overdue list."""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF

from sikesal.catalogue import calendar
from sikesal.complaints.actions import Action
from sikesal.complaints.models import Complaint, Event
from sikesal.complaints.states import CLOSED_STATES, Status
from sikesal.core.pdf import latin1

MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"]  # fmt: skip
RESOLVED = {Status.CLOSED_REPORTER, Status.CLOSED_ADMIN, Status.CLOSED_SYSTEM}


def figures(opd, year, month, now=None):
    """The month's numbers for one OPD: reports dispositioned to it during the month (WIB)."""
    now = now or timezone.now()
    start = dt.datetime(year, month, 1, tzinfo=calendar.WIB)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=calendar.WIB)
    # Reports whose (latest) disposition to this OPD happened in the month, found on the timeline.
    received = Event.objects.filter(
        action__in=(Action.VERIFY, Action.REDISPOSITION),
        payload__institution_id=opd.pk,
        created_at__gte=start,
        created_at__lt=end,
    ).values_list("complaint_id", "created_at")
    dispositioned_at = {}
    for complaint_id, at in received:
        dispositioned_at.setdefault(complaint_id, at)
    reports = list(Complaint.objects.filter(pk__in=dispositioned_at))
    rules = settings.SIKESAL_DEADLINES
    first_in_time = sum(
        1
        for c in reports
        if c.first_response_at
        and calendar.working_days_between(dispositioned_at[c.pk], c.first_response_at)
        <= rules["first_followup_working_days"]
    )
    overdue = (
        Complaint.objects.filter(institution=opd, due_at__lt=now).exclude(status__in=CLOSED_STATES).order_by("due_at")
    )
    return {
        "opd": opd,
        "period": f"{MONTHS[month - 1]} {year}",
        "received": len(reports),
        "first_followup_in_time": first_in_time,
        "resolved": sum(1 for c in reports if c.status in RESOLVED),
        "returned": Event.objects.filter(
            action=Action.RETURN_NOT_AUTHORITY,
            payload__institution_id=opd.pk,
            created_at__gte=start,
            created_at__lt=end,
        ).count(),
        "still_open": sum(1 for c in reports if c.status not in CLOSED_STATES),
        "overdue": list(overdue[:200]),
        "overdue_total": overdue.count(),
    }


def render_pdf(fig):
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, latin1(f"Laporan bulanan SIKESAL: {fig['opd'].name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 7, latin1(f"Periode: {fig['period']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    share = f"{100 * fig['first_followup_in_time'] / fig['received']:.0f}%" if fig["received"] else "-"
    rows = [
        ("Laporan didisposisikan ke OPD", fig["received"]),
        ("Tindak lanjut pertama tepat waktu (5 hari kerja)", f"{fig['first_followup_in_time']} ({share})"),
        ("Selesai (ditutup)", fig["resolved"]),
        ("Masih terbuka", fig["still_open"]),
        ("Dikembalikan: bukan wewenang", fig["returned"]),
        ("Terlambat saat ini", fig["overdue_total"]),
    ]
    for label, value in rows:
        pdf.cell(120, 7, latin1(label), border="B")
        pdf.cell(0, 7, latin1(str(value)), border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Daftar laporan terlambat", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    if not fig["overdue"]:
        pdf.cell(0, 6, "Tidak ada.", new_x="LMARGIN", new_y="NEXT")
    for c in fig["overdue"]:
        due = timezone.localtime(c.due_at).strftime("%d-%m-%Y")
        pdf.multi_cell(
            0,
            5,
            latin1(f"{c.tracking_number}  tenggat {due}  {c.get_status_display()}  {c.title}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 8)
    pdf.cell(0, 5, latin1(f"Dibuat {timezone.localtime().strftime('%d-%m-%Y %H:%M')} WIB oleh SIKESAL Kota Jambi"))
    return bytes(pdf.output())
