"""The escalation file: the same content as JSON (for systems) and as a PDF in Indonesian (for people)."""

from django.utils import timezone
from fpdf import FPDF

from sikesal.complaints import timeline
from sikesal.complaints.actions import Action
from sikesal.complaints.models import Event
from sikesal.core.pdf import latin1


def build_json(escalation):
    c = escalation.complaint
    events = Event.objects.filter(complaint=c, visibility__in=["public", "reporter"]).order_by("created_at", "id")
    missed = Event.objects.filter(complaint=c, action=Action.MARK_OVERDUE, payload__stage="overdue").order_by(
        "created_at"
    )
    reporter = {
        "confidential": escalation.confidential,
        "full_name": escalation.full_name,
        "birth_place": escalation.birth_place,
        "birth_date": escalation.birth_date.isoformat(),
        "marital_status": escalation.marital_status,
        "occupation": escalation.occupation,
        "address": escalation.address,
        "nik": escalation.nik,
        "phone": escalation.phone,
        "email": escalation.email,
    }
    return {
        "tracking_number": c.tracking_number,
        "lapor_tracking_id": c.lapor_tracking_id or None,
        "submitted_at": c.submitted_at.isoformat(),
        "incident_date": c.incident_date.isoformat() if c.incident_date else None,
        "title": c.title,
        "description": c.body,
        "service": c.service.name if c.service else None,
        "agency": c.institution.name if c.institution else None,
        "location": {
            "kelurahan": c.area.name if c.area else None,
            "kecamatan": c.area.parent.name if c.area and c.area.parent else None,
            "latitude": c.latitude,
            "longitude": c.longitude,
        },
        "status": c.status,
        "reporter": reporter,
        "losses": escalation.losses,
        "remedy": escalation.remedy,
        "chronology": [
            {
                "at": e.created_at.isoformat(),
                "event": str(timeline.action_label(e)),
                "by": str(timeline.actor_display(e)),
                "text": e.message,
            }
            for e in events
        ],
        "missed_deadlines": [
            {
                "deadline": e.payload.get("deadline"),
                "due_at": e.payload.get("due_at"),
                "recorded_at": e.created_at.isoformat(),
            }
            for e in missed
        ],
        "follow_ups": [
            {"at": e.created_at.isoformat(), "text": e.message}
            for e in events
            if e.action in (Action.ADD_FOLLOWUP, Action.COMPLETE_FOLLOWUP)
        ],
        "attachments": [
            {"kind": a.kind, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
            for a in c.attachments.exclude(visibility="staff")
        ],
    }


def build_pdf(data):
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    def heading(text):
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 7, latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)

    def line(label, value):
        pdf.multi_cell(
            0, 5.5, latin1(f"{label}: {value if value not in (None, '') else '-'}"), new_x="LMARGIN", new_y="NEXT"
        )

    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, "Laporan kepada Ombudsman Republik Indonesia", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    line("Nomor laporan SIKESAL", data["tracking_number"])
    line("Nomor pelacakan SP4N-LAPOR!", data["lapor_tracking_id"])
    heading("Identitas pelapor (Pasal 24 UU 37/2008)")
    r = data["reporter"]
    if r["confidential"]:
        pdf.multi_cell(
            0,
            5.5,
            latin1(
                "Dirahasiakan atas permintaan pelapor (Pasal 24 ayat 2). Identitas lengkap ada pada berkas JSON terlampir, untuk Ombudsman saja."
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    else:
        line("Nama lengkap", r["full_name"])
        line("Tempat, tanggal lahir", f"{r['birth_place']}, {r['birth_date']}")
        line("Status perkawinan", r["marital_status"].replace("_", " "))
        line("Pekerjaan", r["occupation"])
        line("Alamat lengkap", r["address"])
    heading("Instansi yang dilaporkan")
    line("Instansi", data["agency"])
    line("Layanan", data["service"])
    loc = data["location"]
    line("Lokasi", ", ".join(x for x in (loc["kelurahan"], loc["kecamatan"]) if x))
    heading("Uraian")
    line("Judul", data["title"])
    line("Tanggal kejadian", data["incident_date"])
    pdf.multi_cell(0, 5.5, latin1(data["description"]), new_x="LMARGIN", new_y="NEXT")
    heading("Kronologi")
    for e in data["chronology"]:
        when = timezone.localtime(timezone.datetime.fromisoformat(e["at"])).strftime("%d-%m-%Y %H:%M")
        pdf.multi_cell(
            0,
            5.5,
            latin1(f"{when}  {e['event']} ({e['by']}){': ' + e['text'] if e['text'] else ''}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    heading("Tenggat yang terlewati")
    if not data["missed_deadlines"]:
        line("Tenggat", "tidak ada yang tercatat")
    for m in data["missed_deadlines"]:
        line(m["deadline"], f"batas {m['due_at']}")
    heading("Tindak lanjut instansi")
    if not data["follow_ups"]:
        line("Tindak lanjut", "belum ada")
    for f in data["follow_ups"]:
        pdf.multi_cell(0, 5.5, latin1(f"{f['at'][:10]}  {f['text']}"), new_x="LMARGIN", new_y="NEXT")
    heading("Kerugian dan harapan pelapor")
    line("Kerugian", data["losses"])
    line("Penyelesaian yang diminta", data["remedy"])
    heading("Lampiran")
    if not data["attachments"]:
        line("Lampiran", "tidak ada")
    for i, a in enumerate(data["attachments"], start=1):
        line(f"{i}", f"{a['kind']} ({a['content_type']}, {a['size']} bita, sha256 {a['sha256'][:16]}...)")
    return bytes(pdf.output())
