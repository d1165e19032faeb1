"""Durable records: what the CEC, the associations and the courts decide, and when.

One table per thing the law names. The candidacy's state is a plain column driven by the
one shared machine in :mod:`registrar.machines`; ``version`` is SQLAlchemy's optimistic
lock, so a write from a stale read raises instead of overwriting.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from registrar.names import InLanguages

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes stored as UTC; SQLite keeps no offset, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every instant in Registrar is timezone-aware")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


# --- Elections ---------------------------------------------------------------------------


class Election(Base):
    __tablename__ = "election"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    # The CEC publishes a resolution's title in Kazakh and Russian (and the site in English):
    # the title in each language of the pages, as announced; `title` is the one it was entered in.
    title_by_language: Mapped[dict[str, Any] | None]
    kind: Mapped[str] = mapped_column(String(40))
    announced_on: Mapped[dt.date] = mapped_column(Date)
    election_day: Mapped[dt.date] = mapped_column(Date)
    phase: Mapped[str] = mapped_column(String(40))
    registered_voters: Mapped[int | None] = mapped_column(BigInteger)
    voters_counted_on: Mapped[dt.date | None] = mapped_column(Date)
    # V6: the election this one re-runs (same polling units and voter registers).
    rerun_of: Mapped[str | None] = mapped_column(ForeignKey("election.id"))
    # V3/V4: the candidacies on the first-round ballot, fixed when voting opens; the protocols
    # count votes for exactly these, whatever happens to a candidacy afterwards.
    ballot: Mapped[list[Any] | None]
    # V5: the second round the CEC called: its day, its voting hours (V2) and its two candidates.
    second_round_day: Mapped[dt.date | None] = mapped_column(Date)
    second_round_opens_at: Mapped[dt.datetime | None]
    second_round_closes_at: Mapped[dt.datetime | None]
    second_round_ballot: Mapped[list[Any] | None]
    # The rules it was announced under, kept whatever later becomes of the kind's file: the file's
    # text, its SHA-256 and its title (registrar.rules_in_force reads them).
    rules_title: Mapped[str] = mapped_column(String(300))
    rules_sha256: Mapped[str] = mapped_column(String(64))
    rules_text: Mapped[str] = mapped_column(Text)
    # Its territorial units, the same way: the territory file's text and SHA-256 as announced (its
    # units of that day, their voters and their commissions; registrar.territory.of_election).
    # None for an election announced before they were kept: the file in force is read.
    territory_sha256: Mapped[str | None] = mapped_column(String(64))
    territory_text: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def titles(self) -> InLanguages:
        """The title as entered, knowing its version in each language of the pages."""
        return InLanguages(self.title, self.title_by_language)

    resolutions: Mapped[list[CalendarResolution]] = relationship(
        order_by="CalendarResolution.id", cascade="all, delete-orphan", lazy="selectin"
    )
    __mapper_args__ = {"version_id_col": version}


class CalendarResolution(Base):
    """V1: a CEC resolution that sets one milestone of an election's calendar."""

    __tablename__ = "calendar_resolution"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("election.id"), index=True)
    milestone: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(40))  # ISO datetime with offset, or a date
    number: Mapped[str] = mapped_column(String(40))
    adopted_on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime]


# --- Associations and people -------------------------------------------------------------


class Association(Base):
    """A public association; only registered national ones may nominate (N1)."""

    __tablename__ = "association"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None: an archive's association whose registration the public record does not give (issue 14).
    registration_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # national | regional | local
    registered_on: Mapped[dt.date | None] = mapped_column(Date)
    liquidated_on: Mapped[dt.date | None] = mapped_column(Date)
    names: Mapped[list[AssociationName]] = relationship(
        order_by="AssociationName.valid_from", cascade="all, delete-orphan", lazy="select"
    )

    def name_on(self, day: dt.date) -> str:
        """Parties rename: the name in force on ``day`` (the first one before it began)."""
        return self.named_on(day)

    def named_on(self, day: dt.date) -> InLanguages:
        """The name in force on ``day``, knowing its version in each language of the pages."""
        current = self.names[0]
        for entry in self.names:
            if entry.valid_from <= day:
                current = entry
        return current.names

    @property
    def name(self) -> str:
        return self.names[-1].name

    @property
    def named(self) -> InLanguages:
        """The name in force now, in each language of the pages."""
        return self.names[-1].names


class AssociationName(Base):
    __tablename__ = "association_name"
    __table_args__ = (UniqueConstraint("association_id", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("association.id"))
    name: Mapped[str] = mapped_column(String(300))
    # An association's charter names it in Kazakh and Russian: the name in each language of the
    # pages; `name` is the one it was entered in.
    name_by_language: Mapped[dict[str, Any] | None]
    valid_from: Mapped[dt.date] = mapped_column(Date)

    @property
    def names(self) -> InLanguages:
        return InLanguages(self.name, self.name_by_language)


class Person(Base):
    """A nominee, with the facts eligibility (E1-E9) is decided on."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    full_name: Mapped[str] = mapped_column(String(300))
    # None (here and below, but resident_since): a fact the public record of a past election does
    # not give (issue 14); eligibility is then not judged on it, and says so (conditions.eligible).
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    citizen_by_birth: Mapped[bool | None] = mapped_column(Boolean)
    resident_since: Mapped[dt.date | None] = mapped_column(Date)
    education_level: Mapped[str | None] = mapped_column(String(40))
    public_service_months: Mapped[int | None] = mapped_column(Integer)
    legally_incompetent: Mapped[bool] = mapped_column(Boolean, default=False)
    detained_by_court_order: Mapped[bool] = mapped_column(Boolean, default=False)
    unexpunged_criminal_record: Mapped[bool] = mapped_column(Boolean, default=False)
    presidential_terms_served: Mapped[int] = mapped_column(Integer, default=0)
    married: Mapped[bool] = mapped_column(Boolean, default=False)
    # G2: what the published list shows, besides the name and the birth year.
    position: Mapped[str] = mapped_column(String(300), default="")
    place_of_work: Mapped[str] = mapped_column(String(300), default="")
    place_of_residence: Mapped[str] = mapped_column(String(300), default="")


# --- Candidacies and their records ---------------------------------------------------------


class Candidacy(Base):
    __tablename__ = "candidacy"
    __table_args__ = (
        Index("ix_candidacy_election_state", "election_id", "state"),
        Index("ix_candidacy_election_association", "election_id", "association_id"),
        # The officers' queue: the longest waiting in each state first (officer_views.candidacies_for).
        Index("ix_candidacy_state_waiting", "state", "state_since", "id"),
        # An election's candidacies in the order they were nominated (registrar.finding).
        Index("ix_candidacy_election_nominated", "election_id", "nominated_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("election.id"))
    association_id: Mapped[int] = mapped_column(ForeignKey("association.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    state: Mapped[str] = mapped_column(String(40))
    # Which decision an appeal is against, so the court's dismissal lands on the right final state.
    appealed_from: Mapped[str | None] = mapped_column(String(40))
    # Where the candidacy stood when the CEC refused or cancelled: an upheld appeal annuls the
    # decision and returns it there (a refusal before the documents were complete does not
    # turn into a registration).
    decided_from: Mapped[str | None] = mapped_column(String(40))
    nominated_at: Mapped[dt.datetime]
    state_since: Mapped[dt.datetime]
    # Every action touches it, so every action moves the optimistic-lock version on.
    updated_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    election: Mapped[Election] = relationship(lazy="joined")
    association: Mapped[Association] = relationship(lazy="joined")
    person: Mapped[Person] = relationship(lazy="joined")
    __mapper_args__ = {"version_id_col": version}


class NominationDecision(Base):
    """N3: the supreme body's decision, as the extract of its minutes records it."""

    __tablename__ = "nomination_decision"
    __table_args__ = (
        CheckConstraint("present <= members", name="present_within_members"),
        CheckConstraint("votes_for <= present", name="votes_within_present"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacy.id"), unique=True)
    body: Mapped[str] = mapped_column(String(200))
    meeting_on: Mapped[dt.date | None] = mapped_column(Date)  # None: a past congress the public record does not date
    # None: the count or the minutes' number the public record of a past election does not give.
    members: Mapped[int | None] = mapped_column(Integer)
    present: Mapped[int | None] = mapped_column(Integer)
    votes_for: Mapped[int | None] = mapped_column(Integer)
    minutes_number: Mapped[str | None] = mapped_column(String(60))


class Declaration(Base):
    """D1: a declaration of assets and liabilities, by the candidate or the spouse; G4: its verification."""

    __tablename__ = "declaration"
    __table_args__ = (UniqueConstraint("candidacy_id", "filer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacy.id"))
    filer: Mapped[str] = mapped_column(String(20))
    valued_as_of: Mapped[dt.date] = mapped_column(Date)
    filed_on: Mapped[dt.date] = mapped_column(Date)
    revenue_office: Mapped[str] = mapped_column(String(200))
    receipt_number: Mapped[str] = mapped_column(String(60))
    verification: Mapped[str] = mapped_column(String(20), default="pending")  # pending | confirmed | false
    verified_on: Mapped[dt.date | None] = mapped_column(Date)


class InformationRequest(Base):
    """D2: a request to an organisation about the candidate's assets, answered within D2.answer_days."""

    __tablename__ = "information_request"
    __table_args__ = (
        # The duties' read (registrar.duties): the requests still unanswered, by candidacy.
        Index("ix_information_request_unanswered", "candidacy_id", postgresql_where=text("answered_at IS NULL"),
              sqlite_where=text("answered_at IS NULL")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacy.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[dt.datetime]
    answered_at: Mapped[dt.datetime | None]
    answer: Mapped[str | None] = mapped_column(Text)


class MedicalConclusion(Base):
    """D3."""

    __tablename__ = "medical_conclusion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacy.id"), unique=True)
    institution: Mapped[str] = mapped_column(String(300))
    number: Mapped[str] = mapped_column(String(60))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    fit: Mapped[bool] = mapped_column(Boolean)


class LanguageConclusion(Base):
    """E3: the linguistic commission's conclusion on fluency in the state language."""

    __tablename__ = "language_conclusion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacy.id"), unique=True)
    decided_on: Mapped[dt.date] = mapped_column(Date)
    linguists: Mapped[int] = mapped_column(Integer)
    fluent: Mapped[bool] = mapped_column(Boolean)


class SignatureProtocol(Base):
    """D4: a territorial commission's protocol of the verified signatures in one region."""

    __tablename__ = "signature_protocol"
    __table_args__ = (UniqueConstraint("candidacy_id", "region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacy.id"))
    region: Mapped[str] = mapped_column(String(8))
    commission: Mapped[str] = mapped_column(String(300))
    signed_on: Mapped[dt.date] = mapped_column(Date)
    submitted: Mapped[int] = mapped_column(Integer)
    valid: Mapped[int] = mapped_column(Integer)


class Contribution(Base):
    """D5: the election contribution, due at 50 minimum wages on the day it is paid."""

    __tablename__ = "contribution"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacy.id"), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    receipt_number: Mapped[str] = mapped_column(String(60))


class Document(Base):
    """D6 / N6: a registration document received by the CEC (consent, biography ...)."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("candidacy_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacy.id"))
    kind: Mapped[str] = mapped_column(String(40))
    received_on: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(200))


class Decision(Base):
    """A CEC or court decision on a candidacy, with its resolution number and grounds (G2-G6)."""

    __tablename__ = "decision"
    # The appeals register reads the appealable decisions by kind (registrar.appeals).
    __table_args__ = (Index("ix_decision_kind_recorded", "kind", "recorded_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacy.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # the trigger: register, refuse, cancel_registration ...
    body: Mapped[str] = mapped_column(String(40))  # CEC | Supreme Court | association | candidate
    number: Mapped[str] = mapped_column(String(60))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    grounds: Mapped[list[Any]] = mapped_column(default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime]


class Appeal(Base):
    """G6: an appeal to the Supreme Court against a refusal or a cancellation."""

    __tablename__ = "appeal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacy.id"), index=True)
    against: Mapped[str] = mapped_column(String(40))  # refused | registration_cancelled
    case_number: Mapped[str] = mapped_column(String(60))
    filed_at: Mapped[dt.datetime]
    outcome: Mapped[str | None] = mapped_column(String(20))  # upheld | dismissed
    decided_at: Mapped[dt.datetime | None]


class Certificate(Base):
    """G2: the registration certificate; its number is unique across all elections."""

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacy.id"), index=True)
    issued_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


# --- Election day and after (V3-V7) -------------------------------------------------------


class Protocol(Base):
    """V3: a territorial commission's protocol of the count, one row per version.

    A protocol is submitted once; a correction is a new version with its reason, and the
    earlier one stays (``superseded_at`` set), as both stay in the audit trail.
    """

    __tablename__ = "protocol"
    __table_args__ = (
        UniqueConstraint("election_id", "round", "unit", "version"),
        Index("ix_protocol_current", "election_id", "round", "superseded_at"),
        CheckConstraint("ballots_issued <= voters_on_list", name="issued_within_list"),
        CheckConstraint("ballots_cast <= ballots_issued", name="cast_within_issued"),
        CheckConstraint("invalid_ballots <= ballots_cast", name="invalid_within_cast"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("election.id"))
    round: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(8))  # a territorial unit's code (config/territory.toml)
    version: Mapped[int] = mapped_column(Integer)
    voters_on_list: Mapped[int] = mapped_column(BigInteger)
    ballots_issued: Mapped[int] = mapped_column(BigInteger)
    ballots_cast: Mapped[int] = mapped_column(BigInteger)
    invalid_ballots: Mapped[int] = mapped_column(BigInteger)
    votes: Mapped[dict[str, Any]]  # candidacy id (as text) -> votes
    against_all: Mapped[int | None] = mapped_column(BigInteger)  # None: not on the ballot
    chair: Mapped[str] = mapped_column(String(300))
    members_signed: Mapped[int] = mapped_column(Integer)
    members: Mapped[int] = mapped_column(Integer)  # the commission's size when it signed
    signed_on: Mapped[dt.date] = mapped_column(Date)
    # V7: the unit's vote was declared void, or violations were found there.
    void: Mapped[bool] = mapped_column(Boolean, default=False)
    violations: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")  # why this version corrects the one before
    submitted_at: Mapped[dt.datetime]
    submitted_by: Mapped[str] = mapped_column(String(120))
    superseded_at: Mapped[dt.datetime | None]


class ElectionResult(Base):
    """V4/V5: the results the CEC established for one round, with the figures they rest on."""

    __tablename__ = "election_result"
    __table_args__ = (UniqueConstraint("election_id", "round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("election.id"))
    round: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))  # elected | second_round | no_winner
    winner_id: Mapped[int | None] = mapped_column(ForeignKey("candidacy.id"))
    leaders: Mapped[list[Any]] = mapped_column(default=list)
    tally: Mapped[dict[str, Any]]  # registrar.tally.Tally.as_dict(): exact figures, percents as text
    reason: Mapped[str] = mapped_column(Text, default="")
    number: Mapped[str] = mapped_column(String(60))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    established_at: Mapped[dt.datetime]


class ElectionDecision(Base):
    """A decision on the election as a whole (V4-V7): who took it, its number, date and reasons."""

    __tablename__ = "election_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("election.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # the trigger: establish_results, declare_void ...
    body: Mapped[str] = mapped_column(String(40))  # CEC | Supreme Court
    number: Mapped[str] = mapped_column(String(60))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    candidacy_id: Mapped[int | None] = mapped_column(ForeignKey("candidacy.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recorded_at: Mapped[dt.datetime]


# --- Time, trail and messages -------------------------------------------------------------


class Deadline(Base):
    """A legal deadline; the sweep (next issue) fires due ones. Pending ones belong to a state."""

    __tablename__ = "deadline"
    __table_args__ = (
        Index(
            "ix_deadline_pending_due",
            "due_at",
            "id",  # the sweep's order: a claim reads the index in order and stops at its batch
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_deadline_subject", "subject_type", "subject_id", "status"),
        # The duties' read (registrar.duties): a role's kinds, whatever the sweep did with them.
        Index("ix_deadline_kind_status", "kind", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # scheduling the same deadline twice is a no-op
    subject_type: Mapped[str] = mapped_column(String(20))  # candidacy | election
    subject_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(60))
    rule: Mapped[str] = mapped_column(String(8))
    due_at: Mapped[dt.datetime]
    due_local: Mapped[str] = mapped_column(String(40))  # the wall-clock time the law speaks of
    computed_from: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | fired | cancelled
    created_at: Mapped[dt.datetime]
    fired_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    # What the sweep did when it fell due ("refusal_final", "skipped: the candidacy is appealed", ...).
    outcome: Mapped[str | None] = mapped_column(String(200))
    # The shortest reminder lead (seconds before due_at) already sent; NULL: none yet.
    reminded_lead_seconds: Mapped[int | None] = mapped_column(Integer)


class DutyTaken(Base):
    """An officer has taken a duty ("mine"), so that two officers of one role do not work one.

    A duty is a deadline row seen from the person who must act (registrar.duties); taking it
    is the only thing stored about it, so the duty itself is never a second copy."""

    __tablename__ = "duty_taken"

    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id"), primary_key=True)
    login: Mapped[str] = mapped_column(String(80), index=True)
    taken_at: Mapped[dt.datetime]


class AuditEvent(Base):
    """Append-only, hash-chained: each event's hash covers its content and the previous hash."""

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    # Not unique-indexed: the chain (seq, prev_hash) is what verify() checks, and an index on random
    # hashes was written at a random page for every event (a third of a burst's COPY time).
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_subject", "subject_type", "subject_id"),)


class AuditHead(Base):
    """The chain's tip, one row: updating it serialises appends, so the chain never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """The chain's length and head hash at a moment, signed with a key the database never holds
    (registrar.checkpoints): a chain shorter than a checkpoint, or rewritten under it, is found."""

    __tablename__ = "audit_checkpoint"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime]
    key_id: Mapped[str] = mapped_column(String(16))  # the signing key's fingerprint
    signature: Mapped[str] = mapped_column(String(128))  # Ed25519, hex


class OutboxMessage(Base):
    """A notification to deliver after commit, at least once, keyed for de-duplication.

    Delivery (``registrar.notifications``) moves ``status`` from pending to delivered, or to
    failed once its attempts are spent; between attempts ``next_attempt_at`` backs off.
    """

    __tablename__ = "outbox"
    # Delivery reads the pending; an officer's inbox reads their recipients' newest (registrar.inbox).
    __table_args__ = (Index("ix_outbox_pending", "status", "id"), Index("ix_outbox_recipient", "recipient", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_key: Mapped[str] = mapped_column(String(200), unique=True)
    event_seq: Mapped[int] = mapped_column(BigInteger)
    topic: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | delivered | failed | no_contact
    created_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Contact(Base):
    """Where a recipient of the outbox ("cec", "association:7", "organisation:...") is reached."""

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("recipient", "channel", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(12))  # email | webhook
    address: Mapped[str] = mapped_column(String(500))  # an e-mail address or an https URL
    language: Mapped[str] = mapped_column(String(5), default="kk")  # kk | ru | en
    secret: Mapped[str | None] = mapped_column(String(200))  # the webhook's HMAC-SHA256 key
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]


class DeliveryAttempt(Base):
    """The delivery log: one row per attempt to send one outbox message to one contact."""

    __tablename__ = "delivery_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    attempt: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(12))
    address: Mapped[str] = mapped_column(String(500))
    at: Mapped[dt.datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str] = mapped_column(Text, default="")  # the SMTP reply or HTTP status, or the error


class InboxRead(Base):
    """An officer has read a message of the inbox (an outbox row addressed to their role)."""

    __tablename__ = "inbox_read"

    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), primary_key=True)
    login: Mapped[str] = mapped_column(String(80), primary_key=True)
    read_at: Mapped[dt.datetime]


# --- Scanned papers (registrar.attachments) -------------------------------------------------


class StoredFile(Base):
    """A file's bytes, once per content: the SHA-256 names it, so a second upload of the same scan
    is the same row. Kept in the database, so a backup of the database is a backup of the papers."""

    __tablename__ = "stored_file"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[dt.datetime]


class Attachment(Base):
    """A scanned paper attached to the record it proves (a candidacy's document, declaration,
    conclusion, signature protocol, decision; an election's resolution or protocol)."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(20))  # candidacy | election
    subject_id: Mapped[str] = mapped_column(String(64))
    record: Mapped[str] = mapped_column(String(60))  # what it proves: "document:consent", "declaration:spouse" ...
    sha256: Mapped[str] = mapped_column(ForeignKey("stored_file.sha256"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[dt.datetime]
    audit_seq: Mapped[int | None] = mapped_column(BigInteger)  # the audit event that carries the hash


# --- Accounts (registrar.accounts) ----------------------------------------------------------


class UserAccount(Base):
    """An officer's account: one role (registrar.roles), a password hash, never the password."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    full_name: Mapped[str] = mapped_column(String(300), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(5), default="")  # kk | ru | en; "": the browser's
    # A territorial commission's officer acts for one territorial unit (its code in
    # config/territory.toml); None for every other role.
    unit: Mapped[str | None] = mapped_column(String(8))
    # Moved on at logout and at a new password: a session of an earlier generation has ended.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The second factor (TOTP, RFC 6238; registrar.accounts): the base32 secret the officer's
    # authenticator app holds, once a first code confirmed it; None: the password alone. A secret
    # being set up waits in second_factor_pending until its first code, the one in force untouched.
    second_factor_secret: Mapped[str | None] = mapped_column(String(64))
    second_factor_pending: Mapped[str | None] = mapped_column(String(64))
    # The time step (Unix time // 30) of the last code accepted: no code is accepted twice, nor
    # one of an earlier step (RFC 6238 section 5.2: a code seen over a shoulder is no key).
    second_factor_step: Mapped[int | None] = mapped_column(Integer)


class ApiToken(Base):
    """A machine client's token (or a calendar feed's): only the SHA-256 of the secret is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # What the token opens: "api" (the JSON API, with the account's role) or "feed" (its iCalendar feed only).
    scope: Mapped[str] = mapped_column(String(10), default="api")
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class LoginAttempt(Base):
    """Every login attempt, kept in the database so that throttling holds across web workers."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_login_at", "login", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(80))
    at: Mapped[dt.datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    remote: Mapped[str] = mapped_column(String(64), default="")
