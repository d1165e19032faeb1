"""Celery workers: the deadline sweep and the delivery of notifications, on a Redis broker.

Thin by design: each task is one call into :mod:`registrar`. The database holds every
deadline; Redis only carries "sweep now" ticks, so losing Redis, a worker or beat delays
enforcement and never loses or repeats it.

Run it (with ``REGISTRAR_BROKER_URL`` and ``REGISTRAR_DATABASE_URL`` set)::

    registrar worker                       # the worker; beat runs elsewhere
    registrar worker --beat                # worker and beat in one process (one machine only);
                                           # beat keeps its schedule in ./celerybeat-schedule

or with plain Celery::

    celery -A workers.app worker --loglevel=INFO --without-gossip --without-mingle
    celery -A workers.app beat --loglevel=INFO --schedule /var/lib/registrar/celerybeat-schedule

Beat must run as a single instance. Should two run, or a tick be lost, nothing breaks: the
sweep takes every deadline due up to the moment it runs, with row locks.
"""
