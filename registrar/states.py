"""The names of a candidacy's states and an election's phases, and the groups the law speaks of.

One place for them: the machines (:mod:`registrar.machines`) move between them, the deadlines
(:mod:`registrar.deadlines`) stay open in them, and the words for each (kk, ru, en) are in the
messages files' [states] and [phases] tables, which are checked against these names.
"""

from __future__ import annotations

# --- The election's phases --------------------------------------------------------------

# After the first round is counted, the election moves by the CEC's and the court's decisions
# (ELECTION_STEPS below), and by the hours of a second round the CEC calls.
AFTER_COUNT = (
    "elected",                # V4/V5: results established with a winner; V7.registration_days run
    "second_round_due",       # V5: no majority; the CEC must call a second round
    "second_round",           # V5: called; its campaign
    "second_round_voting",    # V2 on the second round's day
    "second_round_counting",
    "president_registered",   # V7
    "president_refused",      # V7: the appeal window runs
    "president_appealed",     # V7: before the Supreme Court
    "void",                   # V6: the election declared void
    "no_winner",              # V5/V6: the second round ended in a tie
    "refusal_final",          # V7: the refusal stands
    "rerun_called",           # V6: a re-run election is announced
)  # fmt: skip
PHASES = ("announced", "nomination", "registration", "campaign", "voting", "counting", *AFTER_COUNT)
COUNTING = ("counting", "second_round_counting")
BEFORE_COUNT = PHASES[: PHASES.index("counting") + 1]
SECOND_ROUND = ("second_round", "second_round_voting", "second_round_counting")

# --- The candidacy ----------------------------------------------------------------------

STATES = (
    "nominated",
    "declarations_filed",
    "medical_check",
    "documents_submitted",
    "registered",
    "refused",
    "registration_cancelled",
    "appealed",
    "withdrawn",
    "revoked",
    "refused_final",
    "cancelled_final",
    "deceased",
)
FINAL = frozenset({"withdrawn", "revoked", "refused_final", "cancelled_final", "deceased"})
BEFORE_DECISION = ("nominated", "declarations_filed", "medical_check", "documents_submitted")
STANDING = (*BEFORE_DECISION, "registered")
# Once the documents are submitted the set is complete; only a corrected signature protocol
# may still replace one (the audit keeps both).
PREPARING = BEFORE_DECISION[:3]
