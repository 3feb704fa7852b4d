"""Notification subscriptions (guide 003, «Мои подписки») and the record of what was sent.

A ``Subscription`` row is written when a person first saves «Мои подписки» (or follows an
unsubscribe link); until then the defaults apply (``DEFAULTS``, and the same defaults in the
recipients' queries of ``selectors``), so 100,000 customers need no 100,000 rows to be
reminded.

A ``Notification`` is the status row that makes a notice go out once: unique per user, kind
and subject (``"<account id>:<YYYY-MM>"`` for a reading reminder, ``"<invoice id>"`` for an
invoice notice). Runs insert their rows with ON CONFLICT DO NOTHING, marked with a token of
their own, and send only the rows that carry their token: a run repeated or running beside
another sends nothing twice.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Tenant
from portal.scoping import tenant_scoped_manager


class Subscription(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_subscription",
        verbose_name=_("пользователь"),
    )
    reading_reminders = models.BooleanField(_("напоминания о передаче показаний"), default=True)
    invoice_notices = models.BooleanField(_("новый счёт"), default=True)
    by_email = models.BooleanField(_("по e-mail"), default=True)
    by_sms = models.BooleanField(_("по SMS"), default=False)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("подписка на уведомления")
        verbose_name_plural = _("подписки на уведомления")

    def __str__(self):
        return str(self.user)


def defaults_for(user):
    """What a person without a row gets: every notice, by e-mail; by SMS only when there is
    no e-mail to send to (an SMS costs the supplier money, and a phone-only customer would
    otherwise hear nothing). ``selectors`` applies the same rule in SQL."""
    return {"reading_reminders": True, "invoice_notices": True, "by_email": True, "by_sms": not user.email}


class Notification(models.Model):
    class Kind(models.TextChoices):
        READING_WINDOW_OPENS = "reading_window_opens", _("открылся приём показаний")
        READING_WINDOW_CLOSING = "reading_window_closing", _("приём показаний скоро закончится")
        NEW_INVOICE = "new_invoice", _("новый счёт")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
        db_index=False, verbose_name=_("пользователь"),  # the unique constraint starts with it
    )
    kind = models.CharField(_("вид"), max_length=30, choices=Kind.choices)
    key = models.CharField(_("о чём"), max_length=64)
    channels = models.CharField(_("каналы"), max_length=20, blank=True, help_text=_("email, sms"))
    created_at = models.DateTimeField(_("отправлено"), auto_now_add=True)
    # Which run inserted the row: the run sends exactly the rows carrying its token.
    run = models.UUIDField(_("запуск"), editable=False)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("уведомление")
        verbose_name_plural = _("уведомления")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "key"], name="notification_once")]
        indexes = [
            models.Index(fields=["run"], name="notification_run"),
            models.Index(fields=["tenant", "-created_at"], name="notification_tenant_recent"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.key})"


class InvoiceWatermark(models.Model):
    """The highest invoice id whose notices a tenant's run has handled: the next run looks
    only above it (invoices are inserted, never renumbered, by billing's import)."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    last_invoice_id = models.BigIntegerField(_("последний обработанный счёт"), default=0)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("отметка уведомлений о счетах")
        verbose_name_plural = _("отметки уведомлений о счетах")

    def __str__(self):
        return str(self.last_invoice_id)
