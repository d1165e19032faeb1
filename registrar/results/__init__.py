"""Election day and after: protocols (V3), results (V4), the second round (V5), a re-run (V6),
the President-elect (V7) and the refunds of election contributions (D5).

One module a job:

- :mod:`registrar.results.count`: the territorial commissions' protocols (V3), their
  versions, and what those in force add up to on a round's ballot;
- :mod:`registrar.results.decisions`: the decisions on the election after the vote (V4-V7),
  through :func:`perform_election`, the election's one way in;
- :mod:`registrar.results.reads`: the results, the refunds and the officer's view of the
  election.

Protocols are not decisions: a protocol is recorded in the counting phase of its round, and
only a decision moves the election.
"""

from __future__ import annotations

from registrar.results.count import ROUND_COUNTING, ballot, figures_of, fix_ballot, missing_units, protocols, submit_protocol
from registrar.results.decisions import ElectionOutcome, electing_round, perform_election, perform_election_in
from registrar.results.reads import refunds, results, show_election

__all__ = [
    "ROUND_COUNTING",
    "ElectionOutcome",
    "ballot",
    "electing_round",
    "figures_of",
    "fix_ballot",
    "missing_units",
    "perform_election",
    "perform_election_in",
    "protocols",
    "refunds",
    "results",
    "show_election",
    "submit_protocol",
]
