"""The simulated world around the API: the national admin, other institutions and citizens.

Everything the world does is a row in the `scheduled` table, run by `tick()` when due, so a
restarted simulator carries on where it stopped and tests can drive it step by step
(`POST /__sim/tick`). Random choices come from one `random.Random` seeded with `--seed`.
"""

from __future__ import annotations

import random
import threading

from . import masters, texts
from . import statuses as st
from .config import Behaviour
from .store import Store

ADMIN = masters.NATIONAL_ADMIN_ID
OMBUDSMAN_JAMBI = 21


class World:
    def __init__(self, store: Store, behaviour: Behaviour, seed: int) -> None:
        self.store = store
        self.behaviour = behaviour
        self.rng = random.Random(f"world:{seed}")
        self._lock = threading.Lock()
        self._citizen_credit = 0.0
        self._last_tick_us: int | None = None

    # -- entry points ---------------------------------------------------------------------------

    def file_citizen_reports(self, count: int, topic: str | None = None, backdate: bool = True) -> list[int]:
        """Citizens file `count` reports on lapor.go.id addressed to the city."""
        ids = []
        with self.store.transaction():
            for _ in range(count):
                report = texts.citizen_report(self.rng, topic)
                now = self.store.clock.now_us()
                created = now - report["days_ago"] * 86_400_000_000 if backdate else now
                target = self.store.city_id
                complaint_id = self.store.create_complaint(
                    title=report["title"],
                    content=report["content"],
                    source="citizen",
                    status_code=st.BELUM_TERVERIFIKASI,
                    classification_id=report["classification_id"],
                    category_id=report["category_id"],
                    channel=report["channel"],
                    target_institution_id=target,
                    location_id=report["location_id"],
                    location=report["location"],
                    date_of_incident=None,
                    is_anonymous=report["is_anonymous"],
                    is_secret=report["is_secret"],
                    reporter_name=report["reporter_name"],
                    reporter_phone=report["reporter_phone"],
                    created_us=created,
                )
                self.store.schedule(complaint_id, "admin_review", self.behaviour.admin_delay)
                ids.append(complaint_id)
        return ids

    def after_create(self, complaint_id: int) -> None:
        self.store.schedule(complaint_id, "admin_review", self.behaviour.admin_delay)

    def after_reject(self, complaint_id: int) -> None:
        self.store.schedule(complaint_id, "admin_redispose", self.behaviour.admin_delay)

    def after_city_answer(self, complaint_id: int, status_code: int | None) -> None:
        """The city answered a citizen's report: the reporter reacts later."""
        row = self.store.get(complaint_id)
        if row is None or row["source"] != "citizen":
            return
        if status_code == st.TERDISPOSISI_SELESAI:
            self.store.schedule(complaint_id, "citizen_react", self.behaviour.citizen_response_delay)
        elif status_code == st.TERTUNDA:
            self.store.schedule(complaint_id, "citizen_complete", self.behaviour.citizen_response_delay)

    def reporter_act(self, complaint_id: int, action: str, content: str | None = None) -> dict:
        """What a reporter does on lapor.go.id: reply, close with thanks, dispute, complete info, or take
        it to the Ombudsman."""
        row = self.store.require(complaint_id)
        if row["status_code"] in st.FINAL:
            raise ValueError("the complaint is final")
        with self.store.transaction():
            if action == "reply":
                return self.store.add_followup(
                    complaint_id, actor="reporter", content=content or "Mohon segera ditindaklanjuti."
                )
            if action == "close":
                followup = self.store.add_followup(
                    complaint_id, actor="reporter", content=content or self.rng.choice(texts.CITIZEN_THANKS)
                )
                self.store.change(complaint_id, actor="reporter", status_code=st.DITUTUP_OLEH_PELAPOR)
                return followup
            if action == "dispute":
                followup = self.store.add_followup(
                    complaint_id, actor="reporter", content=content or self.rng.choice(texts.CITIZEN_DISPUTES)
                )
                self.store.change(complaint_id, actor="reporter", status_code=st.TERDISPOSISI_SEDANG_DIPROSES)
                return followup
            if action == "ombudsman":
                # The reporter takes it to the Ombudsman on lapor.go.id; the Ombudsman's Jambi office takes over.
                followup = self.store.add_followup(
                    complaint_id, actor="reporter", content=content or "Saya teruskan laporan ini ke Ombudsman."
                )
                self.store.change(
                    complaint_id,
                    actor="admin",
                    status_code=st.TERDISPOSISI_BELUM_DITINDAKLANJUTI,
                    from_id=ADMIN,
                    to_id=OMBUDSMAN_JAMBI,
                    disposition_id=OMBUDSMAN_JAMBI,
                )
                return followup
            if action == "complete":
                followup = self.store.add_followup(
                    complaint_id, actor="reporter", content=content or self.rng.choice(texts.CITIZEN_COMPLETIONS)
                )
                self.store.schedule(complaint_id, "admin_review", self.behaviour.admin_delay)
                return followup
        raise ValueError(f"unknown reporter action {action!r}")

    # -- the clock ------------------------------------------------------------------------------

    def tick(self, everything: bool = False, limit: int = 1000) -> int:
        """Run the actions that are due (all scheduled ones when `everything`); returns how many."""
        with self._lock:
            self._generate_citizen_reports()
            done = 0
            while True:
                due = self.store.due_actions(None if everything else self.store.clock.now_us(), limit)
                if not due:
                    break
                for action in due:
                    with self.store.transaction():
                        if not self.store.take_action(action["id"]):
                            continue
                        self._run(action["action"], action["complaint_id"])
                        done += 1
                if not everything:
                    break
            return done

    def _generate_citizen_reports(self) -> None:
        now = self.store.clock.now_us()
        if self._last_tick_us is not None and self.behaviour.citizen_rate > 0:
            minutes = (now - self._last_tick_us) / 60_000_000
            self._citizen_credit += minutes * self.behaviour.citizen_rate
            whole = int(self._citizen_credit)
            if whole:
                self._citizen_credit -= whole
                self.file_citizen_reports(whole, backdate=False)
        self._last_tick_us = now

    def _run(self, action: str, complaint_id: int) -> None:
        row = self.store.get(complaint_id)
        if row is None or row["status_code"] in st.FINAL:
            return
        getattr(self, "_" + action)(row)

    def _admin_review(self, row) -> None:
        """The national admin verifies and dispositions (or holds / archives) a new report."""
        if row["status_code"] not in (st.BELUM_TERVERIFIKASI, st.TERTUNDA):
            return
        b = self.behaviour
        draw = self.rng.random()
        cid = row["id"]
        if row["source"] == "citizen" and row["status_code"] == st.BELUM_TERVERIFIKASI:
            if draw < b.admin_archive_share:
                reason = self.rng.choice(texts.ADMIN_ARCHIVE_REASONS)
                self.store.change(
                    cid, actor="admin", status_code=st.DIARSIPKAN_OLEH_ADMIN, from_id=ADMIN, content=reason
                )
                return
            if draw < b.admin_archive_share + b.admin_pending_share:
                self.store.change(cid, actor="admin", status_code=st.TERTUNDA, from_id=ADMIN)
                self.store.add_followup(
                    cid, actor="admin", from_id=ADMIN, content=masters.TEMPLATES["permintaan_informasi"].content
                )
                self.store.schedule(cid, "citizen_complete", b.citizen_response_delay)
                return
        target = row["target_institution_id"] or self.store.city_id
        self.store.change(
            cid,
            actor="admin",
            status_code=st.TERDISPOSISI_BELUM_DITINDAKLANJUTI,
            from_id=ADMIN,
            to_id=target,
            disposition_id=target,
            verified=True,
        )

    def _admin_redispose(self, row) -> None:
        """A report the city said is not its authority goes to the institution the city named."""
        if row["status_code"] != st.BUKAN_WEWENANG or not row["forward_target_id"]:
            return
        target = row["forward_target_id"]
        self.store.change(
            row["id"],
            actor="admin",
            status_code=st.TERDISPOSISI_BELUM_DITINDAKLANJUTI,
            from_id=ADMIN,
            to_id=target,
            disposition_id=target,
        )
        self.store.schedule(row["id"], "institution_answer", self.behaviour.institution_delay)

    def _institution_answer(self, row) -> None:
        """Another institution (PLN, BPJN, the police...) answers a report handed to it."""
        inst = row["disposition_id"]
        if inst is None or masters.is_within(inst, self.store.city_id) or row["status_code"] not in st.DISPOSITIONED:
            return
        self.store.add_followup(
            row["id"], actor="institution", from_id=inst, content=self.rng.choice(texts.INSTITUTION_ANSWERS)
        )
        self.store.change(row["id"], actor="institution", status_code=st.TERDISPOSISI_SELESAI, from_id=inst)
        if row["source"] == "citizen":
            self.store.schedule(row["id"], "citizen_react", self.behaviour.citizen_response_delay)

    def _citizen_react(self, row) -> None:
        if row["status_code"] != st.TERDISPOSISI_SELESAI:
            return
        b = self.behaviour
        draw = self.rng.random()
        if draw < b.citizen_close_share:
            self.reporter_act(row["id"], "close")
        elif draw < b.citizen_close_share + b.citizen_dispute_share:
            self.reporter_act(row["id"], "dispute")
        elif b.auto_close_after > 0:
            self.store.schedule(row["id"], "system_close", b.auto_close_after)

    def _citizen_complete(self, row) -> None:
        if row["status_code"] == st.TERTUNDA:
            self.reporter_act(row["id"], "complete")

    def _system_close(self, row) -> None:
        if row["status_code"] == st.TERDISPOSISI_SELESAI:
            self.store.change(row["id"], actor="system", status_code=st.DITUTUP_OLEH_SISTEM)
