"""Django's createsuperuser, run in the platform scope: superusers belong to no tenant."""

from django.contrib.auth.management.commands.createsuperuser import Command as DjangoCommand

from portal.scoping import tenant_scope


class Command(DjangoCommand):
    def handle(self, *args, **options):
        with tenant_scope(None):
            return super().handle(*args, **options)
