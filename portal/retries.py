"""What a Celery task retries, and how long it may wait before it runs again.

``TRANSIENT_ERRORS`` pass by themselves: PostgreSQL restarting or failing over (it ends every
session: OperationalError, then InterfaceError on the closed connection; a deadlock is an
OperationalError too), the broker's or the cache's Redis restarting. A task that depends on
them retries them with backoff and a ceiling (Celery's ``autoretry_for``, ``retry_backoff``,
``max_retries``; payments.tasks.apply_payment_event).

A message the broker has handed to a worker and that is not acknowledged within the visibility
timeout goes to a second worker, waiting or not (portal/settings.py). So a countdown, a retry's
delay or a backoff is at most ``MAX_COUNTDOWN`` seconds (tests/test_task_countdowns.py walks
the code for longer ones); a longer wait is a due time in the database that a beat sweep reads.
"""

from django.conf import settings
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import ConnectionError as RedisUnavailable
from redis.exceptions import TimeoutError as RedisTimeout

TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerUnavailable, RedisUnavailable, RedisTimeout)

MAX_COUNTDOWN = settings.TASK_MAX_COUNTDOWN
