"""How long a Celery task may wait before it runs again.

A message the broker has handed to a worker and that is not acknowledged within the visibility
timeout goes to a second worker, waiting or not (portal/settings.py). So a countdown, a retry's
delay or a backoff is at most ``MAX_COUNTDOWN`` seconds (tests/test_task_countdowns.py walks
the code for longer ones); a longer wait is a due time in the database that a beat sweep reads.
"""

from django.conf import settings

MAX_COUNTDOWN = settings.TASK_MAX_COUNTDOWN
