from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0004_basic_access"),
    ]

    operations = [
        migrations.AddField(
            model_name="outgoingmessage",
            name="forget_recipient",
            field=models.BooleanField(default=False, verbose_name="забыть получателя после отправки"),
        ),
    ]
