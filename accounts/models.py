"""The user: one person's account at one tenant.

The same e-mail at two utilities is two independent accounts; the login is unique within a
tenant. Platform superusers have no tenant. Every lookup through ``User.objects`` is scoped
to the active tenant (portal.scoping), which is what keeps logins, sessions and password
resets of one tenant from ever finding a user of another.
"""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from portal.models import Tenant
from portal.scoping import tenant_scoped_manager


class User(AbstractUser):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="users",
        verbose_name=_("организация"), help_text=_("Пусто — суперпользователь платформы."),
    )
    # Unique per tenant (constraints below), not globally as in AbstractUser.
    username = models.CharField(_("логин"), max_length=150)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("телефон"), max_length=16, blank=True, help_text=_("В формате +7XXXXXXXXXX."))
    middle_name = models.CharField(_("отчество"), max_length=150, blank=True)

    objects = tenant_scoped_manager(base=UserManager)()

    class Meta:
        verbose_name = _("пользователь")
        verbose_name_plural = _("пользователи")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "username"], name="username_unique_per_tenant"),
            models.UniqueConstraint(
                fields=["username"], condition=Q(tenant__isnull=True), name="platform_username_unique"
            ),
            models.UniqueConstraint(
                "tenant", Lower("email"), condition=~Q(email=""), name="email_unique_per_tenant"
            ),
            models.UniqueConstraint(fields=["tenant", "phone"], condition=~Q(phone=""), name="phone_unique_per_tenant"),
            models.CheckConstraint(
                condition=Q(is_superuser=False) | Q(tenant__isnull=True), name="superusers_belong_to_platform"
            ),
        ]

    def __str__(self):
        return self.username

    def clean(self):
        super().clean()
        if self.is_superuser and self.tenant_id:
            raise ValidationError({"is_superuser": _("Суперпользователь принадлежит платформе, а не организации.")})

    def get_full_name(self):
        return " ".join(part for part in (self.last_name, self.first_name, self.middle_name) if part)
