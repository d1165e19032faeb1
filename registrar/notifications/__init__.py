"""Notifications: every action leaves its notices in the outbox; from there they are delivered.

One module a job, in the order a notice meets them:

``contacts``
    Who is told: the contacts of each recipient (an e-mail address or a signed webhook, each
    read in its own language), added, listed and deactivated; the audit keeps no secret.
``messages``
    In which words: the catalogue of each language (kk, ru, en), read from
    ``messages/<language>.toml`` and checked against the domain's states, phases, actions and
    deadlines; a topic rendered into a subject and a body.
``mail``
    How an e-mail goes: the letter, its Message-ID, one SMTP connection for a run.
``webhooks``
    How a webhook goes: its body, its signature and the ``POST``; :func:`verify_signature` for
    receivers.
``delivery``
    When, and how often: claiming due outbox rows, sending each to every active contact,
    recording the attempts, the lease and the backoff (at least once, never silently lost);
    what an operator reads and puts back in the queue.

The rest of Registrar imports the names below from here.
"""

from registrar.notifications.contacts import CHANNELS, add_contact, deactivate_contact, list_contacts
from registrar.notifications.delivery import STATUSES, DeliveryReport, counts, deliver_due, delivery_log, list_messages, requeue
from registrar.notifications.mail import message_id
from registrar.notifications.messages import (
    LANGUAGES,
    MESSAGES_DIR,
    MISSING,
    TOPICS,
    MessagesError,
    catalogue,
    load_catalogue,
    render,
)
from registrar.notifications.webhooks import verify_signature

__all__ = [
    "CHANNELS",
    "LANGUAGES",
    "MESSAGES_DIR",
    "MISSING",
    "STATUSES",
    "TOPICS",
    "DeliveryReport",
    "MessagesError",
    "add_contact",
    "catalogue",
    "counts",
    "deactivate_contact",
    "deliver_due",
    "delivery_log",
    "list_contacts",
    "list_messages",
    "load_catalogue",
    "message_id",
    "render",
    "requeue",
    "verify_signature",
]
