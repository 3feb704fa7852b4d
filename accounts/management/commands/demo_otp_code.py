from django.core.management.base import BaseCommand
from django_otp.oath import totp

from accounts import demo


class Command(BaseCommand):
    help = "Print the current admin TOTP code of the demo users (seed_demo's shared demo key)."

    def handle(self, *args, **options):
        self.stdout.write(f"{totp(bytes.fromhex(demo.OTP_DEMO_KEY)):06d}")
