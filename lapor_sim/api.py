"""The LAPOR! calls, as seen in public integrator code (docs/lapor.md, "Evidence"), and `/__sim/*`.

Handlers take a `Request` and return `(status, body)`; `server.py` does HTTP, auth and faults.
Answers are wrapped the LAPOR! way: `{"success": true, "results": {"data": ...}}`, except the
create, whose `complaint_id` sits at the top level. The shapes follow the public client exactly
("Exact shapes the public client relies on"):

- create: `POST /complaints/complaint` or `/complaints/complaint-<suffix>`, JSON; extra fields are
  ignored; `attachments` a list, a string holding a JSON array of upload ids, or false.
- upload: ids in `results.images[]` (image/*) and `results.docs[]` (other files), both always present.
- follow-ups: no `id`; `institution_from_id` an object `{id, name}` or null (the reporter).
- detail: `results.data_logs[]` with a templated `content`, names beside it, statuses in the JSON
  string `data`.
- dates `d-m-Y H:i:s` WIB everywhere (second precision); location ids are small LAPOR! ids.
- the pull list, the disposition call and the categories master have no public evidence and can be
  switched off (404).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from email import policy as email_policy
from email.parser import BytesParser

from . import masters
from . import statuses as st
from .config import OPTIONAL_ENDPOINTS, parse_endpoints
from .errors import ApiError, invalid
from .timeutil import parse_date, parse_since

MAX_PAGE_SIZE = 1000
# The optional endpoints (config.OPTIONAL_ENDPOINTS) by path; switched off, any method answers 404.
OPTIONAL_PATHS = {
    "list": r"/complaints",
    "disposition": r"/complaints/process/\d+/disposition",
    "categories": r"/masters/categories",
}
ALLOWED_UPLOADS = {"image/jpeg", "image/png", "application/pdf", "video/mp4"}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    fields: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, str, str, bytes]] = field(default_factory=list)  # (field, name, type, data)
    json: object = None

    def parse_body(self) -> None:
        ctype = self.headers.get("content-type", "")
        if not self.body:
            return
        if ctype.startswith("application/json"):
            try:
                self.json = json.loads(self.body)
            except ValueError as exc:
                raise ApiError(400, f"Body JSON tidak valid: {exc}") from exc
            if isinstance(self.json, dict):
                self.fields = dict(self.json.items())
        elif ctype.startswith("multipart/form-data"):
            message = BytesParser(policy=email_policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + self.body
            )
            if not message.is_multipart():
                raise ApiError(400, "Body multipart tidak valid.")
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True) or b""
                filename = part.get_filename()
                if filename is not None:
                    self.files.append((name or "", filename, part.get_content_type(), data))
                elif name:
                    self.fields[name] = data.decode("utf-8", "replace")
        elif ctype.startswith("application/x-www-form-urlencoded"):
            from urllib.parse import parse_qsl

            self.fields = dict(parse_qsl(self.body.decode("utf-8", "replace")))


def ok(data=None, **extra) -> tuple[int, dict]:
    results = {"data": data} if data is not None else {}
    results.update(extra)
    return 200, {"success": True, "message": "OK", "results": results}


def _int(value, name: str, required: bool = False) -> int | None:
    if value is None or value == "":
        if required:
            raise invalid({name: f"{name} wajib diisi."})
        return None
    if isinstance(value, bool):
        raise invalid({name: f"{name} harus berupa angka."})
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid({name: f"{name} harus berupa angka."}) from None


def _flag(value, name: str) -> bool:
    if value in (None, "", 0, "0", False, "false"):
        return False
    if value in (1, "1", True, "true"):
        return True
    raise invalid({name: f"{name} harus 0 atau 1."})


def _text(value, name: str, max_len: int, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise invalid({name: f"{name} wajib diisi."})
        return None
    if not isinstance(value, str):
        raise invalid({name: f"{name} harus berupa teks."})
    if len(value) > max_len:
        raise invalid({name: f"{name} maksimal {max_len} karakter."})
    return value


def _page(req: Request) -> tuple[int, int]:
    page = _int(req.query.get("page"), "page") or 1
    size = _int(req.query.get("page_size"), "page_size") or 10
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        raise invalid({"page_size": f"page >= 1 dan 1 <= page_size <= {MAX_PAGE_SIZE}."})
    return page, size


def _paged(items: list, total: int, page: int, size: int) -> tuple[int, dict]:
    return ok(items, page=page, page_size=size, total=total, last_page=max(1, -(-total // size)))


def _attachment_ids(raw) -> list:
    """`attachments` as the public client sends it: a list, a string holding a JSON array of upload ids
    ("[12, 13]"; a comma list "12,13" is also taken), or false / null / missing for none."""
    if raw is None or raw is False or raw == "":
        return []
    if isinstance(raw, str):
        # The public client writes the array with a full stop after it ("[12,13]."): taken as it comes.
        text = raw.strip().rstrip(".").strip()
        if text.startswith("["):
            try:
                raw = json.loads(text)
            except ValueError:
                raise invalid({"attachments": "attachments harus berupa daftar id dokumen."}) from None
        else:
            raw = [a for a in text.split(",") if a.strip()]
    if isinstance(raw, bool) or not isinstance(raw, list):
        raise invalid({"attachments": "attachments harus berupa daftar id dokumen."})
    return [_int(a, "attachments", True) for a in raw]


def _static_list(req: Request, items: list) -> tuple[int, dict]:
    page, size = _page(req)
    return _paged(items[(page - 1) * size : page * size], len(items), page, size)


class Api:
    """The handlers; `sim` is the running Simulator (store, world, config, faults)."""

    def __init__(self, sim) -> None:
        self.sim = sim
        self.routes = [
            ("GET", r"/masters/institutions/external", self.institutions),
            ("GET", r"/masters/categories", self.categories),
            ("GET", r"/masters/templates", self.templates),
            ("GET", r"/masters/channels", self.channels),
            ("GET", r"/masters/locations", self.locations),
            ("GET", r"/masters/statuses", self.statuses),
            ("POST", r"/complaints/complaint/file", self.upload),
            ("GET", r"/complaints/complaint/file/(\d+)", self.download),
            ("POST", r"/complaints/complaint(?:-[a-z0-9_-]+)?", self.create),
            ("POST", r"/complaints/process/(\d+)/reject", self.reject),
            ("POST", r"/complaints/process/(\d+)/disposition", self.disposition),
            ("GET", r"/complaints/(\d+)/complaint", self.detail),
            ("GET", r"/complaints/(\d+)/followups", self.followups),
            ("POST", r"/complaints/followup/add", self.add_followup),
            ("GET", r"/complaints", self.list_complaints),
            ("GET", r"/__sim/state", self.sim_state),
            ("POST", r"/__sim/config", self.sim_config),
            ("POST", r"/__sim/faults", self.sim_faults),
            ("POST", r"/__sim/citizen", self.sim_citizen),
            ("POST", r"/__sim/reporter/(\d+)", self.sim_reporter),
            ("POST", r"/__sim/tick", self.sim_tick),
            ("POST", r"/__sim/reset", self.sim_reset),
            ("POST", r"/__sim/endpoints", self.sim_endpoints),
            ("POST", r"/__sim/shape", self.sim_shape),
            ("POST", r"/__sim/complaint/(\d+)", self.sim_complaint),
        ]
        self._compiled = [(m, re.compile(p + r"/?"), h) for m, p, h in self.routes]
        self._optional = {name: re.compile(p + r"/?") for name, p in OPTIONAL_PATHS.items()}

    def switched_off(self, path: str) -> bool:
        """True when `path` is an optional endpoint switched off with `--without` / `/__sim/endpoints`."""
        disabled = self.sim.config.disabled_endpoints
        return any(self._optional[name].fullmatch(path) for name in disabled)

    def resolve(self, method: str, path: str):
        known_path = False
        for m, pattern, handler in self._compiled:
            match = pattern.fullmatch(path)
            if match:
                known_path = True
                if m == method:
                    return handler, match.groups()
        if known_path:
            raise ApiError(405, "Metode tidak diizinkan.")
        raise ApiError(404, "Alamat tidak ditemukan.")

    @property
    def store(self):
        return self.sim.store

    @property
    def city(self) -> int:
        return self.sim.config.city_institution_id

    # -- masters --------------------------------------------------------------------------------

    def institutions(self, req: Request):
        return _static_list(req, [i.as_json() for i in masters.INSTITUTIONS.values()])

    def categories(self, req: Request):
        return _static_list(req, masters.CATEGORIES)

    def templates(self, req: Request):
        return _static_list(req, [t.as_json() for t in masters.TEMPLATES.values()])

    def channels(self, req: Request):
        return _static_list(req, masters.CHANNELS)

    def locations(self, req: Request):
        return _static_list(req, masters.LOCATIONS)

    def statuses(self, req: Request):
        return _static_list(req, st.as_table())

    # -- attachments ----------------------------------------------------------------------------

    def upload(self, req: Request):
        files = [f for f in req.files if f[0] in ("attachments[]", "attachments")]
        if not files:
            raise invalid({"attachments": "Lampiran wajib diisi."})
        limit = int(self.sim.config.max_upload_mb * 1024 * 1024)
        for _field, name, ctype, data in files:
            if ctype not in ALLOWED_UPLOADS:
                raise invalid({"attachments": f"Jenis berkas {ctype} tidak diizinkan."})
            if len(data) > limit:
                raise ApiError(413, f"Berkas {name} melebihi {self.sim.config.max_upload_mb:g} MB.")
        images, docs = [], []
        with self.store.transaction():
            for _field, name, ctype, data in files:
                saved = self.store.save_doc(name[:200], ctype, data)
                (images if ctype.startswith("image/") else docs).append(saved)
        # Photos come back in `images`, other files in `docs`: a client must merge both lists.
        return ok(None, images=images, docs=docs)

    def download(self, req: Request, doc_id: str):
        row = self.store.get_doc(int(doc_id))
        if row is None:
            raise ApiError(404, "Dokumen tidak ditemukan.")
        return 200, ("raw", row["mime_type"], bytes(row["data"]))

    # -- complaints -----------------------------------------------------------------------------

    def create(self, req: Request):
        """Answers `{"success": true, "message": ..., "complaint_id": N}`: the id at the top level,
        no `results`. Fields the public client sends beyond those read here are ignored."""
        f = req.fields
        errors = {}
        try:
            title = _text(f.get("title"), "title", 300)
            content = _text(f.get("content"), "content", 20_000)
            channel = _int(f.get("channel"), "channel")
            classification_id = _int(f.get("classification_id"), "classification_id") or 1
            category_id = _int(f.get("category_id"), "category_id")
            disposition_id = _int(f.get("disposition_id"), "disposition_id")
            location_id = _int(f.get("location_id"), "location_id")
            date = f.get("date_of_incident") or None
            if date is not None:
                try:
                    parse_date(str(date))
                except ValueError:
                    errors["date_of_incident"] = "Format tanggal harus Y-m-d."
            flags = {k: _flag(f.get(k), k) for k in ("is_anonymous", "is_secret", "is_priority")}
            tags = _text(f.get("tags_raw"), "tags_raw", 500, required=False)
        except ApiError:
            raise
        if classification_id not in masters.CLASSIFICATION_IDS:
            errors["classification_id"] = "Klasifikasi tidak dikenal."
        if category_id is not None and category_id not in masters.CATEGORY_NAMES:
            errors["category_id"] = "Kategori tidak dikenal."
        if disposition_id is not None and not masters.is_within(disposition_id, self.city):
            errors["disposition_id"] = "Disposisi hanya ke instansi Anda sendiri atau unit di bawahnya."
        if location_id is not None and location_id not in masters.LOCATION_BY_ID:
            errors["location_id"] = "Lokasi tidak dikenal."
        try:
            attachment_ids = _attachment_ids(f.get("attachments"))
        except ApiError as exc:
            errors.update({k: v[0] for k, v in (exc.errors or {}).items()})
            attachment_ids = []
        if errors:
            raise invalid(errors)
        attachments = self.store.docs_for(attachment_ids, "attachments")
        with self.store.transaction():
            complaint_id = self.store.create_complaint(
                title=title,
                content=content,
                source="integration",
                status_code=st.BELUM_TERVERIFIKASI,
                classification_id=classification_id,
                category_id=category_id,
                channel=channel or masters.API_CHANNEL_ID,
                target_institution_id=disposition_id or self.city,
                created_by_institution_id=self.city,
                location_id=location_id,
                location=masters.location_text(location_id),
                date_of_incident=date,
                tags_raw=tags,
                attachments=attachments,
                **flags,
            )
            self.sim.world.after_create(complaint_id)
        return 200, {"success": True, "message": "Laporan berhasil dibuat.", "complaint_id": complaint_id}

    def _own(self, complaint_id: str):
        row = self.store.get(int(complaint_id))
        if row is None or not self.store.is_involved(row["id"], self.city):
            raise ApiError(404, f"Laporan {complaint_id} tidak ditemukan.")
        return row

    def reject(self, req: Request, complaint_id: str):
        """Not our authority: hand the complaint to the institution named in `reason`."""
        row = self._own(complaint_id)
        f = req.fields
        if not _flag(f.get("not_authority"), "not_authority"):
            raise invalid({"not_authority": "Hanya penolakan karena bukan wewenang yang didukung."})
        target = _int(f.get("reason"), "reason", required=True)
        if target not in masters.INSTITUTIONS or masters.is_within(target, self.city):
            raise invalid({"reason": "Instansi tujuan tidak dikenal atau masih di bawah instansi Anda."})
        description = _text(f.get("reason_description"), "reason_description", 5000, required=False)
        if row["status_code"] in st.FINAL or row["status_code"] == st.BUKAN_WEWENANG:
            raise ApiError(409, f"Laporan berstatus {st.status_name(row['status_code'])}.")
        with self.store.transaction():
            self.store.change(
                row["id"],
                actor="institution",
                status_code=st.BUKAN_WEWENANG,
                from_id=row["disposition_id"] or self.city,
                to_id=target,
                content=description,
                forward_target_id=target,
            )
            self.sim.world.after_reject(row["id"])
        return ok(None, success=True)

    def disposition(self, req: Request, complaint_id: str):
        """Route a complaint the city holds to one of its own units (an assumption; see README)."""
        row = self._own(complaint_id)
        target = _int(req.fields.get("disposition_id"), "disposition_id", required=True)
        if not masters.is_within(target, self.city):
            raise invalid({"disposition_id": "Disposisi hanya ke instansi Anda sendiri atau unit di bawahnya."})
        if row["status_code"] == st.BELUM_TERVERIFIKASI:
            # Not verified yet: the national admin will disposition it to the unit named here.
            with self.store.transaction():
                self.store.db.execute(
                    "UPDATE complaints SET target_institution_id = ? WHERE id = ?", (target, row["id"])
                )
            return ok(None, success=True)
        if row["status_code"] in st.FINAL or not masters.is_within(row["disposition_id"], self.city):
            raise ApiError(409, f"Laporan berstatus {st.status_name(row['status_code'])}.")
        if row["disposition_id"] != target:
            self.store.change(
                row["id"],
                actor="institution",
                from_id=row["disposition_id"],
                to_id=target,
                disposition_id=target,
            )
        return ok(None, success=True)

    def detail(self, req: Request, complaint_id: str):
        row = self._own(complaint_id)
        return ok(self._shaped(self.store.complaint_json(row)), data_logs=self.store.logs_public_json(row["id"]))

    def followups(self, req: Request, complaint_id: str):
        row = self._own(complaint_id)
        page, size = (1, MAX_PAGE_SIZE) if "page" not in req.query else _page(req)
        items, total = self.store.followups_page(row["id"], size, (page - 1) * size)
        return _paged(items, total, page, size)

    def add_followup(self, req: Request):
        """Multipart: `complaint_id`, `institution_from_id`, `institution_to_id`, `content`, `is_secret`,
        `rating` (0 = none), `template_code`, files `attachment[i]`; `user_id` and `info_disposition`
        are accepted and ignored. Only the status-moving templates change the status."""
        f = req.fields
        row = self._own(str(_int(f.get("complaint_id"), "complaint_id", required=True)))
        from_id = _int(f.get("institution_from_id"), "institution_from_id") or self.city
        to_id = _int(f.get("institution_to_id"), "institution_to_id")
        if not masters.is_within(from_id, self.city):
            raise invalid({"institution_from_id": "Pengirim harus instansi Anda sendiri atau unit di bawahnya."})
        content = _text(f.get("content"), "content", 20_000)
        is_secret = _flag(f.get("is_secret"), "is_secret")
        rating = _int(f.get("rating"), "rating") or None  # the public client sends 0 for none
        template_code = f.get("template_code") or None
        template = masters.TEMPLATES.get(template_code) if template_code else None
        if template_code and template is None:
            raise invalid({"template_code": f"Templat {template_code} tidak dikenal."})
        if row["status_code"] in st.FINAL:
            raise ApiError(409, f"Laporan berstatus {st.status_name(row['status_code'])}.")
        files = [x for x in req.files if x[0].startswith("attachment")]
        with self.store.transaction():
            docs = [self.store.save_doc(name[:200], ctype, data) for _f, name, ctype, data in files]
            followup = self.store.add_followup(
                row["id"],
                actor="institution",
                content=content,
                from_id=from_id,
                to_id=to_id,
                is_secret=is_secret,
                rating=rating,
                template_code=template_code,
                attachments=docs,
            )
            new_status = template.status_code if template else None
            if new_status is not None and new_status != row["status_code"]:
                self.store.change(row["id"], actor="institution", status_code=new_status, from_id=from_id)
            self.sim.world.after_city_answer(row["id"], new_status)
        # The answer's follow-up carries no id (as in the follow-up list): a client must not rely on one.
        return 200, {
            "success": True,
            "message": "Tindak lanjut berhasil ditambahkan.",
            "results": {"data": self.store.public_followup(followup)},
        }

    def list_complaints(self, req: Request):
        """The pull: complaints that involve an institution, oldest change first (an assumption; no
        public evidence). `updated_since` is ISO 8601 or `d-m-Y H:i:s` (WIB), inclusive at second
        precision, as the dates shown are."""
        institution = _int(req.query.get("institution_id"), "institution_id") or self.city
        if not masters.is_within(institution, self.city):
            raise ApiError(403, "Anda hanya dapat membaca laporan instansi Anda sendiri.")
        since_text = req.query.get("updated_since")
        try:
            since = parse_since(since_text) if since_text else 0
        except ValueError:
            raise invalid({"updated_since": "Format waktu harus ISO 8601 atau d-m-Y H:i:s."}) from None
        page, size = _page(req)
        rows, total = self.store.list_for_institution(institution, since, size, (page - 1) * size)
        items = [self._shaped(self.store.complaint_json(r)) for r in rows]
        return _paged(items, total, page, size)

    def _shaped(self, item: dict) -> dict:
        """A complaint without the fields `/__sim/shape` leaves out (the real service may not send them)."""
        omit = self.sim.config.omit_fields
        return {k: v for k, v in item.items() if k not in omit} if omit else item

    # -- /__sim ---------------------------------------------------------------------------------

    def sim_state(self, req: Request):
        state = {
            "config": self.sim.config.public_json(),
            "behaviour": self.sim.world.behaviour.as_json(),
            "faults": self.sim.faults.state(),
            "counts": self.store.counts(),
            "requests": dict(sorted(self.sim.request_counts.items())),
        }
        if req.query.get("complaints") in ("1", "true"):
            state["complaints"] = self.store.dump(
                with_followups=req.query.get("followups") in ("1", "true"),
                with_logs=req.query.get("logs") in ("1", "true"),
            )
        return 200, state

    def _object(self, req: Request) -> dict:
        if not isinstance(req.json, dict):
            raise ApiError(400, "Body harus objek JSON.")
        return req.json

    def sim_config(self, req: Request):
        try:
            self.sim.world.behaviour = self.sim.world.behaviour.updated(self._object(req))
        except ValueError as exc:
            raise ApiError(400, str(exc)) from exc
        return 200, {"behaviour": self.sim.world.behaviour.as_json()}

    def sim_faults(self, req: Request):
        try:
            self.sim.faults.configure(self.sim.faults.config.updated(self._object(req)))
        except ValueError as exc:
            raise ApiError(400, str(exc)) from exc
        return 200, self.sim.faults.state()

    def sim_citizen(self, req: Request):
        body = self._object(req) if req.body else {}
        count = body.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100_000:
            raise ApiError(400, "count must be an integer between 1 and 100000")
        try:
            ids = self.sim.world.file_citizen_reports(count, body.get("topic"), backdate=body.get("backdate", True))
        except ValueError as exc:
            raise ApiError(400, str(exc)) from exc
        return 200, {"complaint_ids": ids}

    def sim_reporter(self, req: Request, complaint_id: str):
        body = self._object(req)
        try:
            followup = self.sim.world.reporter_act(int(complaint_id), str(body.get("action")), body.get("content"))
        except ValueError as exc:
            raise ApiError(409, str(exc)) from exc
        return 200, {"followup": followup}

    def sim_tick(self, req: Request):
        body = self._object(req) if req.body else {}
        return 200, {"done": self.sim.world.tick(everything=bool(body.get("everything", False)))}

    def sim_reset(self, req: Request):
        self.store.reset()
        self.sim._last_list_tail = None  # a page "shifting" must not reach back before the reset
        return 200, {"reset": True}

    def sim_endpoints(self, req: Request):
        """`{"disabled": ["list", ...]}` switches those optional endpoints off (404), the others on;
        an empty body only reads the current set."""
        body = self._object(req) if req.body else {}
        if "disabled" in body:
            try:
                disabled = parse_endpoints(body["disabled"])
            except ValueError as exc:
                raise ApiError(400, str(exc)) from exc
            self.sim.config.disabled_endpoints = disabled
        return 200, {"disabled": sorted(self.sim.config.disabled_endpoints), "known": list(OPTIONAL_ENDPOINTS)}

    def sim_shape(self, req: Request):
        """`{"omit": ["updated_at", "followup_count", ...]}`: the detail and the list leave those fields
        out of every complaint (no public evidence says the real service sends them); `[]` restores."""
        body = self._object(req) if req.body else {}
        if "omit" in body:
            omit = body["omit"]
            if not isinstance(omit, list) or not all(isinstance(n, str) for n in omit) or "id" in omit:
                raise ApiError(400, 'omit must be a list of field names (never "id")')
            self.sim.config.omit_fields = frozenset(omit)
        return 200, {"omit": sorted(self.sim.config.omit_fields)}

    def sim_complaint(self, req: Request, complaint_id: str):
        """Move a complaint from outside: `{"status_code": N}` (any integer) as a log entry of the
        national admin, and/or `{"followup": {"content": "...", "from": "reporter"|"admin"|<id>}}`.
        Answers the complaint as `/__sim/state` dumps it."""
        body = self._object(req)
        unknown = sorted(set(body) - {"status_code", "followup"})
        if unknown:
            raise ApiError(400, f"unknown field(s): {', '.join(unknown)}")
        status = body.get("status_code")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int) or abs(status) >= 2**31):
            raise ApiError(400, "status_code must be an integer (32-bit)")
        followup = body.get("followup")
        if followup is not None:
            if not isinstance(followup, dict) or not isinstance(followup.get("content"), str):
                raise ApiError(400, 'followup must be {"content": "...", "from": "reporter"}')
            author = followup.get("from", "reporter")
            if author not in ("reporter", "admin") and (
                isinstance(author, bool) or not isinstance(author, int) or author not in masters.INSTITUTIONS
            ):
                raise ApiError(400, 'followup.from must be "reporter", "admin" or a known institution id')
        with self.store.transaction():
            row = self.store.require(int(complaint_id))
            if status is not None:
                self.store.change(row["id"], actor="admin", status_code=status, from_id=masters.NATIONAL_ADMIN_ID)
            if followup is not None:
                if author == "reporter":
                    self.store.add_followup(row["id"], actor="reporter", content=followup["content"])
                else:
                    from_id = masters.NATIONAL_ADMIN_ID if author == "admin" else author
                    actor = "admin" if author == "admin" else "institution"
                    self.store.add_followup(row["id"], actor=actor, from_id=from_id, content=followup["content"])
            return 200, self.store.dump(with_followups=True, with_logs=False, complaint_id=row["id"])[0]
