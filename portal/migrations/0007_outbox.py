"""The outbox keeps each message's text (issue 25). Rows written before carry none: their
text lives only in the arguments of a task that may still be in the broker. Those tasks keep
running (deliver_message still takes the text as arguments), so a row still waiting is not
given up on here: it gets an hour before the sweep publishes it again (longer than the old
tasks' half hour of retries), and a task published by the sweep finds no text and marks it
«не отправлено» with the reason, visible in the admin. Its validity: three days from when it
was queued, as for every message without a code."""

from datetime import timedelta

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def give_rows_before_due_times(apps, schema_editor):
    OutgoingMessage = apps.get_model("portal", "OutgoingMessage")
    now = django.utils.timezone.now()
    OutgoingMessage.objects.update(expires_at=models.F("created_at") + timedelta(days=3),
                                   due_at=now + timedelta(hours=1))


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0006_account_linking_none'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='outgoingmessage',
            name='claimed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='взято в отправку'),
        ),
        migrations.AddField(
            model_name='outgoingmessage',
            name='due_at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='повторить не раньше'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='outgoingmessage',
            name='expires_at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='действительно до'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='outgoingmessage',
            name='has_code',
            field=models.BooleanField(default=False, verbose_name='одноразовый код или ссылка'),
        ),
        migrations.AddField(
            model_name='outgoingmessage',
            name='payload',
            field=models.TextField(blank=True, verbose_name='текст (зашифрован)'),
        ),
        migrations.AlterField(
            model_name='outgoingmessage',
            name='status',
            field=models.CharField(choices=[('queued', 'в очереди'), ('sending', 'отправляется'), ('sent', 'отправлено'), ('failed', 'не отправлено'), ('expired', 'истёк')], default='queued', max_length=8, verbose_name='состояние'),
        ),
        migrations.AddIndex(
            model_name='outgoingmessage',
            index=models.Index(fields=['status', 'due_at'], name='portal_outg_status_000af9_idx'),
        ),
        migrations.RunPython(give_rows_before_due_times, migrations.RunPython.noop),
    ]
