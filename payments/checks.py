"""`manage.py check --deploy`: what a production server needs for payments."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def payment_settings(app_configs, **kwargs):
    problems = []
    if not [key for key in settings.PAYMENT_SECRETS_KEYS if key.strip()]:
        problems.append(checks.Error(
            "PAYMENT_SECRETS_KEYS is not set: provider secret keys cannot be stored or read.",
            hint="Generate a key: python -c 'from cryptography.fernet import Fernet; "
                 "print(Fernet.generate_key().decode())' and set it in the environment.",
            id="payments.E001",
        ))
    if settings.PAYMENT_SANDBOX_ENABLED:
        problems.append(checks.Warning(
            "The sandbox payment provider is on (PAYMENT_SANDBOX_ENABLED): anyone can 'pay' without money.",
            id="payments.W001",
        ))
    return problems
