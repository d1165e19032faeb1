"""The deadline engine: the law's deadlines act on their own, exactly once in effect.

The database is the source of truth for time. :func:`sweep` takes every pending deadline
whose ``due_at`` has passed, in due order, a batch per transaction, applies its effect and
marks it fired in that same transaction. So:

- a sweep that runs late, or after an outage, fires every overdue row once, in due order,
  and the effect is recorded as taking place at ``due_at``: a late sweep never changes a
  legal outcome;
- two sweepers at once never take the same row (PostgreSQL: ``FOR UPDATE SKIP LOCKED``;
  SQLite has one writer at a time), and a row fired or cancelled is never taken again;
- losing Redis, a worker or beat only delays enforcement.

What each kind does when it falls due, and the words for it, is declared with the kind
(:data:`registrar.deadlines.DEADLINES`): a notice names the parties it tells (:data:`PARTIES`),
an act names the system step of the machines it takes or one of the sweep's own effects
(:data:`OWN_EFFECTS`); the code of each is here.

Notices are applied set-based, a whole run of them at once (one UPDATE of the deadline rows,
one INSERT of events and one of outbox rows, COPY on PostgreSQL), their events and messages made ready before the audit head's
lock is taken and linked into the chain at the end of the batch (:func:`registrar.audit.draft`,
:func:`registrar.audit.link`): a second sweeper waits for the linking and the commit alone, not
for the whole batch. Effects that change a state go through the same
:func:`registrar.actions.perform_in` a person's action does, guarded by the state it expects,
each in a savepoint so one refusal does not undo the batch. Every audit event caused by a
deadline names it: ``payload["deadline"]`` is the deadline's key.

Reminders go out before a deadline falls due, at the lead times of the settings
(``reminder_hours``), once per lead.

What a notice says names its period by the rule's key (``{V3.protocol_days}``), rendered with
the rules of the subject's election kind when the notice is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import itertools
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from sqlalchemy import ARRAY, Integer, Table, Text, any_, bindparam, func, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from registrar import actions, audit, deadlines, machines, metrics, results, states
from registrar.db import Database, insert_many
from registrar.errors import RegistrarError
from registrar.models import Candidacy, Deadline, Election, InformationRequest, OutboxMessage
from registrar.rules import Rules
from registrar.rules_in_force import of_election
from registrar.settings import Settings

log = logging.getLogger(__name__)

ACTOR = "system:deadlines"
# A claimed deadline row (the COLUMNS below, or a Due); SQLAlchemy types rows by their columns' tuple.
DueRow = Any
OUTBOX = cast(Table, OutboxMessage.__table__)
# The table's columns, not the ORM's attributes: a batch's rows come back as plain rows, without
# the ORM's loading of each one (a tenth of a burst's time).
DEADLINES = cast(Table, Deadline.__table__)
CANDIDACIES = cast(Table, Candidacy.__table__)
REQUESTS = cast(Table, InformationRequest.__table__)
COLUMNS = (DEADLINES.c.id, DEADLINES.c.key, DEADLINES.c.kind, DEADLINES.c.rule, DEADLINES.c.subject_type,
           DEADLINES.c.subject_id, DEADLINES.c.due_at, DEADLINES.c.due_local)  # fmt: skip


@dataclass
class SweepReport:
    now: dt.datetime
    fired: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    reminded: int = 0
    batches: int = 0

    @property
    def total(self) -> int:
        return sum(self.fired.values())

    def as_dict(self) -> dict[str, Any]:
        return {"now": self.now.isoformat(), "fired": dict(self.fired), "total": self.total,
                "outcomes": dict(self.outcomes), "reminded": self.reminded, "batches": self.batches}  # fmt: skip


# --- Who is told -------------------------------------------------------------------------

Told = Callable[[DueRow, dict[str, Any]], list[str]]


def _organisation_asked(row: DueRow, facts: dict[str, Any]) -> list[str]:
    organisation = facts["organisations"].get(facts["asked_of"].get(row.id))
    return [f"organisation:{organisation}"] if organisation else []


def _candidacy_side(row: DueRow, facts: dict[str, Any]) -> list[str]:
    association = facts["associations"].get(int(row.subject_id))
    return actions.candidacy_recipients(association, row.subject_id) if association is not None else []


def _missing_commissions(row: DueRow, facts: dict[str, Any]) -> list[str]:
    return [f"commission:{code}" for code in facts["missing_protocols"].get(row.id, [])]


# The parties a notice names (deadlines.Notice.to), and who they are for a deadline row.
PARTIES: dict[str, Told] = {
    "cec": lambda row, facts: ["cec"],
    "organisation": _organisation_asked,  # the one the CEC asked (D2)
    "candidacy": _candidacy_side,  # its nominating association and its candidate
    "commissions": _missing_commissions,  # those whose protocols are missing (V3)
}


def _told(parties: Iterable[str], row: DueRow, facts: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(address for party in parties for address in PARTIES[party](row, facts)))


# --- Effects that act -----------------------------------------------------------------------

Action = Callable[[Session, DueRow, SweepReport], str]


def _step(trigger: str) -> Action:
    """A system step of the machines, taken as of the due time: the step's guards check the state it expects."""

    def take(session: Session, row: DueRow, report: SweepReport) -> str:
        if trigger in machines.TRIGGERS:
            outcome = actions.perform_in(session, int(row.subject_id), trigger, {}, actor=ACTOR, at=row.due_at,
                                         cause=_cause(row))  # fmt: skip
            return deadlines.moved(outcome.previous_state, outcome.state)
        decided = results.perform_election_in(session, row.subject_id, trigger, {}, actor=ACTOR, at=row.due_at,
                                              cause=_cause(row))  # fmt: skip
        return f"{decided.previous_phase} -> {decided.phase}"

    return take


def _move_phase(session: Session, row: DueRow, report: SweepReport) -> str:
    election = session.get(Election, row.subject_id, with_for_update=True)
    if election is None:
        return "skipped: no such election"
    before = election.phase
    timed = machines.current_phase(election, actions.calendar_of(election), row.due_at)
    # A deadline fired after the record moved past it (an imported past election, a sweep back
    # after a long outage) never moves the election back: what was decided since settles it.
    if states.PHASES.index(timed) >= states.PHASES.index(before):
        election.phase = timed
        if election.phase in BALLOT_FIXED_AT:
            results.fix_ballot(session, election, BALLOT_FIXED_AT[election.phase])
    facts = _cause(row) | {"rule": row.rule, "phase": [before, election.phase]}
    seq = audit.append_many(session, [audit.Entry(row.due_at, ACTOR, f"deadline.{row.kind}", "election", row.subject_id, facts)])
    _tell(session, actions.outbox_rows(seq[0], f"deadline.{row.kind}", ["cec"], _message(row), row.due_at))
    return f"phase {before} -> {election.phase}"


def _close_registration(session: Session, row: DueRow, report: SweepReport) -> str:
    """G1/G3: incomplete candidacies are refused; N7: fewer than two registered, the CEC may extend."""
    outcome = _move_phase(session, row, report)
    preparing = session.scalars(
        select(Candidacy.id)
        .where(Candidacy.election_id == row.subject_id, Candidacy.state.in_(states.PREPARING))
        .order_by(Candidacy.id)
    ).all()
    refused = 0
    for candidacy_id in preparing:
        try:
            with session.begin_nested():
                actions.perform_in(session, candidacy_id, "refuse_incomplete", {}, actor=ACTOR, at=row.due_at,
                                   cause=_cause(row))  # fmt: skip
            refused += 1
        except RegistrarError as err:
            log.warning("registration close: candidacy %s not refused: %s", candidacy_id, err)
            report.outcomes["refusal skipped"] += 1
    election = session.get(Election, row.subject_id)
    assert election is not None
    rules = of_election(election)
    registered = (
        session.scalar(
            select(func.count(Candidacy.id)).where(Candidacy.election_id == row.subject_id, Candidacy.state == "registered")
        )
        or 0
    )
    if rules.has("N7") and registered < rules.N7.min_registered:
        says = (f"N7: {registered} registered when registration closed; the CEC may extend nomination by up to "
                f"{rules.N7.max_extension_days} days")  # fmt: skip
        seq = audit.append_many(session, [audit.Entry(row.due_at, ACTOR, "election.extension_possible", "election",
                                                      row.subject_id, _cause(row) | {"rule": "N7", "registered": registered,
                                                                                     "says": says})])  # fmt: skip
        facts = {"registered": registered, "max_extension_days": rules.N7.max_extension_days}
        _tell(session, actions.outbox_rows(seq[0], "election.extension_possible", ["cec"], _message(row) | facts, row.due_at))
        outcome += f"; N7: {registered} registered, extension possible"
    return f"{outcome}; {refused} refused as incomplete"


# V3: once voting opens, the ballot the protocols will count is fixed.
BALLOT_FIXED_AT = {"voting": 1, "second_round_voting": 2}

# What an act does beyond a step of the machines (deadlines.Act.does).
OWN_EFFECTS: dict[str, Action] = {"move_phase": _move_phase, "close_registration": _close_registration}
SYSTEM_STEPS = frozenset(trigger for trigger, steps in machines.STEPS_BY_TRIGGER.items() if steps[0].by == "system")


def _effects() -> tuple[dict[str, deadlines.Notice], dict[str, Action]]:
    """Each kind's one effect, found: a notice whose parties are all known, or an act the sweep can do."""
    notices: dict[str, deadlines.Notice] = {}
    acting: dict[str, Action] = {}
    for kind in deadlines.DEADLINES.values():
        effect = kind.effect
        if isinstance(effect, deadlines.Notice):
            unknown = [party for party in effect.to if party not in PARTIES]
            if unknown or not effect.to:
                raise LookupError(f"deadline {kind.name}: its notice tells {unknown or 'no one'} (parties: {', '.join(PARTIES)})")
            notices[kind.name] = effect
        elif effect.does in OWN_EFFECTS:
            acting[kind.name] = OWN_EFFECTS[effect.does]
        elif effect.does in SYSTEM_STEPS:
            acting[kind.name] = _step(effect.does)
        else:
            raise LookupError(f"deadline {kind.name}: {effect.does!r} is no system step and none of the sweep's own effects")
    unused = set(OWN_EFFECTS) - {k.effect.does for k in deadlines.DEADLINES.values() if isinstance(k.effect, deadlines.Act)}
    if unused:
        raise LookupError(f"the sweep's effects {sorted(unused)} are named by no deadline kind")
    return notices, acting


NOTICES, ACTIONS = _effects()
EFFECT_SAYS = {name: kind.effect_says for name, kind in deadlines.DEADLINES.items()}


# --- The sweep ----------------------------------------------------------------------------


def _cause(row: DueRow) -> dict[str, Any]:
    return {"deadline": row.key}


def _message(row: DueRow) -> dict[str, Any]:
    return {row.subject_type: row.subject_id, "deadline": row.key, "kind": row.kind, "rule": row.rule,
            "due_at": _iso(row.due_at), "due_local": row.due_local}  # fmt: skip


@functools.lru_cache(maxsize=1024)
def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat()  # a burst's deadlines share their due_at


def _tell(session: Session, messages: list[dict[str, Any]]) -> None:
    if messages:
        insert_many(session, OUTBOX, messages)


class Due(NamedTuple):
    """A claimed deadline: a row's attribute costs a microsecond, a tuple's a few nanoseconds, and
    a notice reads a dozen of them (a fifth of a burst's time)."""

    id: int
    key: str
    kind: str
    rule: str
    subject_type: str
    subject_id: str
    due_at: dt.datetime
    due_local: str


def _claim(session: Session, now: dt.datetime, limit: int) -> list[Due]:
    rows = (
        session.connection()
        .execute(
            select(*COLUMNS)
            .where(DEADLINES.c.status == "pending", DEADLINES.c.due_at <= now)
            .order_by(DEADLINES.c.due_at, DEADLINES.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        .all()
    )
    return [Due._make(row) for row in rows]


def _facts(session: Session, rows: Sequence[DueRow]) -> dict[str, Any]:
    """What the notices of a run need to know, in two queries for the whole run."""
    candidacies = sorted({int(r.subject_id) for r in rows if r.subject_type == "candidacy"})
    elections = sorted({r.subject_id for r in rows if r.subject_type == "election"})
    asked_of = {r.id: deadlines.information_request_of(r.key) for r in rows if r.kind == "information_request_answer"}
    requests = sorted({n for n in asked_of.values() if n is not None})
    associations: dict[int, int] = {}
    organisations: dict[int, str] = {}
    rules: dict[tuple[str, str], Rules] = {}
    election_of: dict[int, str] = {}
    connection = session.connection()
    for where in _among(session, CANDIDACIES.c.id, candidacies):
        nominated_by = select(CANDIDACIES.c.id, CANDIDACIES.c.association_id, CANDIDACIES.c.election_id).where(where)
        for candidacy, association, election_id in connection.execute(nominated_by).all():
            associations[candidacy] = association
            election_of[candidacy] = election_id
    # Each election's rules once (its stored text is kilobytes), not once per candidacy row.
    held_under: dict[str, Rules] = {}
    for chunk in _chunks(sorted({*elections, *election_of.values()})):
        held_under.update((e.id, of_election(e)) for e in session.scalars(select(Election).where(Election.id.in_(chunk))))
    rules.update((("candidacy", str(c)), held_under[e]) for c, e in election_of.items())
    rules.update((("election", e), held_under[e]) for e in elections if e in held_under)
    for where in _among(session, REQUESTS.c.id, requests):
        asked = select(REQUESTS.c.id, REQUESTS.c.organisation).where(where)
        organisations.update((request, organisation) for request, organisation in connection.execute(asked).all())
    missing_protocols = {
        r.id: results.missing_units(session, r.subject_id, deadlines.round_of(r.key)) for r in rows if r.kind == "protocols_due"
    }
    return {"associations": associations, "organisations": organisations, "asked_of": asked_of,
            "missing_protocols": missing_protocols, "rules": rules}  # fmt: skip


def _rules_of(row: DueRow, facts: dict[str, Any]) -> Rules | None:
    found: Rules | None = facts["rules"].get((row.subject_type, str(row.subject_id)))
    return found


def _among(session: Session, column: Any, ids: Sequence[int]) -> Iterable[Any]:
    """``column IN ids`` as few, cheap statements: one array parameter on PostgreSQL, chunks elsewhere."""
    if not ids:
        return
    if session.get_bind().dialect.name == "postgresql":
        # The array goes as its text inside the statement: the driver's array adapter costs more
        # than the UPDATE of a thousand rows it serves, and a bound array, once the driver
        # prepares the statement, gets a generic plan that compares every row with every id.
        literal = "{" + ",".join(str(int(i)) for i in ids) + "}"
        yield column == any_(sql_cast(bindparam("ids", literal, type_=Text, literal_execute=True), ARRAY(Integer)))
        return
    for start in range(0, len(ids), 1000):
        yield column.in_(ids[start : start + 1000])


def _chunks(values: Sequence[Any], size: int = 1000) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _notify(session: Session, rows: Sequence[DueRow]) -> None:
    """A run of notices, set-based: one audit append, one outbox INSERT."""
    _link(session, [_prepare(session, rows)])


@dataclass
class _Notices:
    """A run of notices made ready without the audit head's lock: its events, and its messages but
    for the number of the event each belongs to, which only the head's lock gives."""

    # Tuples of strings, not lists: the collector stops tracking them, so a batch's thousands do not
    # make it walk every object of the process over and over (full collections were a sixth of a burst).
    drafts: list[audit.Draft] = field(default_factory=list)
    told: list[tuple[str, tuple[str, ...], str, dt.datetime]] = field(default_factory=list)  # topic, recipients, JSON, at
    copied: list[tuple[str, ...]] = field(default_factory=list)  # PostgreSQL: each message's COPY text after its number


def _prepare(session: Session, rows: Sequence[DueRow]) -> _Notices:
    """The events and messages of a run of notices, but for their numbers in the chain.

    A burst's rows differ in their keys and subjects alone: the text they share (what the
    notice says, its rule and moment) is made once per run, each row's is joined onto it.
    """
    facts = _facts(session, rows)
    copy = session.get_bind().dialect.name == "postgresql"
    made = _Notices()
    shared_by: dict[tuple[str, int, str, dt.datetime, str], tuple[str, str, str, str, str]] = {}
    for row in rows:
        rules = _rules_of(row, facts)
        alike = (row.kind, id(rules), row.rule, row.due_at, row.due_local)
        shared = shared_by.get(alike)
        if shared is None:
            shared = shared_by[alike] = _shared(row, rules)
        payload_tail, message_tail, topic, between, after = shared
        key = _json(row.key)
        # _cause(row) | {"rule", "says", "due_local"}, as audit.canonical dumps it (sorted keys)
        payload = f'{{"deadline":{key}{payload_tail}'
        made.drafts.append(audit.draft(audit.Entry(row.due_at, ACTOR, topic, row.subject_type, row.subject_id, {}), payload))
        # _message(row), as the outbox's JSON column is written (its keys in their order)
        message = f'{{{_json(row.subject_type)}:{_json(str(row.subject_id))},"deadline":{key}{message_tail}'
        recipients = tuple(_told(NOTICES[row.kind].to, row, facts))
        made.told.append((topic, recipients, message, row.due_at))
        if copy:
            end = f"\t{message.replace(audit.BACKSLASH, audit.BACKSLASH * 2)}{after}"
            made.copied.append(tuple([f"{to}{between}{to}{end}" for to in map(audit.copy_text, recipients)]))
    return made


_json = json.encoder.encode_basestring  # a string as json.dumps writes it (ensure_ascii=False)


def _shared(row: DueRow, rules: Rules | None) -> tuple[str, str, str, str, str]:
    """What the notices of one kind, rule and moment share: the payload's text after the key, the
    message's after the key, the topic, and the COPY text of a message around its recipient."""
    says = effect_says(row.kind, rules)
    payload_tail = f',"due_local":{_json(row.due_local)},"rule":{_json(row.rule)},"says":{_json(says)}}}'
    message_tail = (f',"kind":{_json(row.kind)},"rule":{_json(row.rule)},"due_at":{_json(_iso(row.due_at))},'
                    f'"due_local":{_json(row.due_local)}}}')  # fmt: skip
    topic = f"deadline.{row.kind}"
    return payload_tail, message_tail, topic, f"\t{audit.copy_text(topic)}\t", f"\tpending\t{_iso(row.due_at)}\t0\n"


def _link(session: Session, runs: list[_Notices]) -> None:
    """Link the runs' events into the audit chain, then write their messages, numbered."""
    runs = [run for run in runs if run.drafts]
    if not runs:
        return
    first = audit.link(session, [one for run in runs for one in run.drafts])
    if session.get_bind().dialect.name != "postgresql":
        told = [one for run in runs for one in run.told]
        rows = [message for seq, (topic, recipients, text, at) in enumerate(told, first)
                for message in actions.outbox_rows(seq, topic, recipients, json.loads(text), at)]  # fmt: skip
        _tell(session, rows)
        return
    # The outbox's COPY columns begin with the event's number and the delivery key, "<number>:<recipient>".
    lines = []
    seq = first
    for run in runs:
        for copied in run.copied:
            number = str(seq)
            lines += [f"{number}\t{number}:{line}" for line in copied]
            seq += 1
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(_COPY_OUTBOX) as out:
        out.write("".join(lines))


_COPY_OUTBOX = "COPY outbox (event_seq, delivery_key, topic, recipient, payload, status, created_at, attempts) FROM STDIN"


def _mark(session: Session, ids: Sequence[int], now: dt.datetime, outcome: str) -> None:
    for where in _among(session, Deadline.id, ids):
        session.execute(
            update(Deadline).where(where).values(status="fired", fired_at=now, outcome=outcome[:200])
            .execution_options(synchronize_session=False)
        )  # fmt: skip


def _still_pending(session: Session, run: list[DueRow]) -> list[DueRow]:
    pending: set[int] = set()
    for where in _among(session, Deadline.id, [r.id for r in run]):
        pending.update(session.scalars(select(Deadline.id).where(where, Deadline.status == "pending")))
    return [r for r in run if r.id in pending]


def _apply(session: Session, rows: Sequence[DueRow], now: dt.datetime, report: SweepReport) -> None:
    """Apply a claimed batch in due order: runs of notices set-based, actions one by one.

    The notices' events are linked into the audit chain last, when everything else of the batch
    is written (or before an action appends its own, so that the chain keeps the due order): the
    head's lock, which every appender waits for, is held for the linking and the commit alone.
    """
    acted = False
    ready: list[_Notices] = []
    for is_notice, group in itertools.groupby(rows, key=lambda r: r.kind in NOTICES):
        run = list(group)
        if acted:
            # An action earlier in this batch may have cancelled deadlines claimed after it (a
            # refusal closes the candidacy's D2 requests): those no longer fall due.
            run = _still_pending(session, run)
        if is_notice and run:
            ready.append(_prepare(session, run))
            _mark(session, [r.id for r in run], now, "notified")
            report.outcomes["notified"] += len(run)
            report.fired.update(r.kind for r in run)
            continue
        for row in run:
            if acted and not _still_pending(session, [row]):
                continue
            acted = True
            _link(session, ready)
            ready = []
            action = ACTIONS.get(row.kind)
            if action is None:
                outcome = f"no effect: unknown kind {row.kind!r}"
            else:
                try:
                    with session.begin_nested():
                        outcome = action(session, row, report)
                except RegistrarError as err:
                    # The state it expects is gone (an appeal was filed, the candidacy withdrew ...):
                    # the deadline has nothing left to act on. Recorded, never retried.
                    outcome = f"skipped: {err}"
            _mark(session, [row.id], now, outcome)
            report.fired[row.kind] += 1
            report.outcomes["skipped" if outcome.startswith(deadlines.NOT_ACTED) else "acted"] += 1
    _link(session, ready)


def sweep(
    db: Database, now: dt.datetime, *, batch: int = 5000, settings: Settings | None = None, dry_run: bool = False
) -> SweepReport:
    """Fire every deadline due at ``now``, in due order; then send the reminders due."""
    report = SweepReport(now)
    if dry_run:
        for row in due(db, now, limit=batch):
            report.fired[row["kind"]] += 1
        return report
    lag: float | None = None
    while True:
        with metrics.sweep_batch(), _collector_paused(), db.transaction() as session:
            rows = _claim(session, now, batch)
            if rows:
                if lag is None:  # the first batch's first row waited longest (due order)
                    lag = max((now - rows[0].due_at).total_seconds(), 0.0)
                _apply(session, rows, now, report)
        if not rows:
            break
        report.batches += 1
    metrics.swept(report.fired, lag)
    report.reminded = remind(db, now, settings or Settings())
    if report.total or report.reminded:
        log.info("sweep fired %d deadlines, sent %d reminders", report.total, report.reminded,
                 extra={"sweep": report.as_dict()})  # fmt: skip
    return report


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection during a batch: its thousands of rows and drafts (named tuples,
    which the collector never stops tracking) made it walk every object of the process again and
    again, 6 full collections in a 50,000-deadline burst, a sixth of its time. What a batch leaves
    is freed by reference counting; the collector runs as before once it has committed."""
    if not gc.isenabled():  # paused by the caller, or by another thread's batch: left as it is
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# --- Reminders -----------------------------------------------------------------------------


def remind(db: Database, now: dt.datetime, settings: Settings, *, batch: int = 1000) -> int:
    """Remind the people concerned of pending deadlines at each lead time, once per lead."""
    horizon = max((max(settings.reminder_leads(kind), default=0) for kind in deadlines.DEADLINES), default=0)
    if not horizon:
        return 0
    sent = 0
    with db.transaction() as session:
        rows = session.execute(
            select(*COLUMNS, Deadline.reminded_lead_seconds)
            .where(Deadline.status == "pending", Deadline.due_at > now, Deadline.due_at <= now + dt.timedelta(seconds=horizon))
            .order_by(Deadline.due_at, Deadline.id)
            .with_for_update(skip_locked=True)
        ).all()
        due_now: list[tuple[DueRow, int]] = []
        for row in rows:
            lead = _lead_due(row, now, settings.reminder_leads(row.kind))
            if lead is not None and (row.reminded_lead_seconds is None or lead < row.reminded_lead_seconds):
                due_now.append((row, lead))
        for chunk in _chunks(due_now, batch):
            _send_reminders(session, chunk, now)
            sent += len(chunk)
    return sent


def _lead_due(row: DueRow, now: dt.datetime, leads: Sequence[int]) -> int | None:
    """The shortest lead whose moment has come (a sweep after a gap sends only the latest reminder)."""
    passed = [lead for lead in leads if row.due_at - dt.timedelta(seconds=lead) <= now]
    return min(passed) if passed else None


def _send_reminders(session: Session, chunk: Sequence[tuple[DueRow, int]], now: dt.datetime) -> None:
    rows = [row for row, _ in chunk]
    facts = _facts(session, rows)
    entries = [
        audit.Entry(now, ACTOR, "deadline.reminder", row.subject_type, row.subject_id,
                    _cause(row) | {"rule": row.rule, "kind": row.kind, "lead_hours": lead / 3600, "due_local": row.due_local})
        for row, lead in chunk
    ]  # fmt: skip
    seqs = audit.append_many(session, entries)
    messages = []
    for (row, lead), seq in zip(chunk, seqs, strict=True):
        reminder = _message(row) | {"lead_hours": lead / 3600}
        messages += actions.outbox_rows(seq, "deadline.reminder", _reminded(row, facts), reminder, now)
    _tell(session, messages)
    for lead, group in itertools.groupby(sorted(chunk, key=lambda pair: pair[1]), key=lambda pair: pair[1]):
        ids = [row.id for row, _ in group]
        session.execute(
            update(Deadline).where(Deadline.id.in_(ids)).values(reminded_lead_seconds=lead)
            .execution_options(synchronize_session=False)
        )  # fmt: skip


def _reminded(row: DueRow, facts: dict[str, Any]) -> list[str]:
    """Whom a reminder goes to: those the deadline's notice would tell, else the CEC and the candidacy's side."""
    notice = NOTICES.get(row.kind)
    parties = notice.to if notice is not None else ("cec", "candidacy") if row.subject_type == "candidacy" else ("cec",)
    return _told(parties, row, facts)


# --- Reading ---------------------------------------------------------------------------------


def effect_says(kind: str, rules: Rules | None) -> str:
    """What a deadline of ``kind`` does when it falls due, its periods from ``rules`` (None: named by their keys)."""
    text = EFFECT_SAYS.get(kind, "none")
    return rules.say(text) if rules is not None else text


def _view(row: DueRow, facts: dict[str, Any]) -> dict[str, Any]:
    return {"id": row.id, "key": row.key, "kind": row.kind, "rule": row.rule, "subject": f"{row.subject_type}:{row.subject_id}",
            "due_at": row.due_at.isoformat(), "due_local": row.due_local,
            "effect": effect_says(row.kind, _rules_of(row, facts))}  # fmt: skip


def due(db: Database, before: dt.datetime, *, limit: int = 1000) -> list[dict[str, Any]]:
    """Pending deadlines due at ``before`` (inclusive), in the order the sweep would fire them."""
    with db.reading() as session:
        rows = session.execute(
            select(*COLUMNS).where(Deadline.status == "pending", Deadline.due_at <= before)
            .order_by(Deadline.due_at, Deadline.id).limit(limit)
        ).all()  # fmt: skip
        facts = _facts(session, rows)
    return [_view(row, facts) for row in rows]


def health(db: Database, now: dt.datetime) -> dict[str, Any]:
    """The sweep's lag: now minus the oldest pending due_at (0 when nothing is overdue)."""
    with db.reading() as session:
        pending = session.scalar(select(func.count(Deadline.id)).where(Deadline.status == "pending")) or 0
        overdue, oldest = session.execute(
            select(func.count(Deadline.id), func.min(Deadline.due_at)).where(Deadline.status == "pending", Deadline.due_at <= now)
        ).one()
    if oldest is not None and oldest.tzinfo is None:  # SQLite keeps no offset; the rows are UTC
        oldest = oldest.replace(tzinfo=dt.UTC)
    lag = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return {"pending": pending, "overdue": overdue or 0, "oldest_overdue_due_at": oldest.isoformat() if oldest else None,
            "lag_seconds": lag}  # fmt: skip
