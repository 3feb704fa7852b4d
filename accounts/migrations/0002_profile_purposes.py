from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="confirmation",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("signup_phone", "подтверждение телефона при регистрации"),
                    ("signup_email", "подтверждение e-mail при регистрации"),
                    ("password_reset", "восстановление пароля"),
                    ("signup_claim", "регистрация с контактом незавершённой регистрации"),
                    ("change_phone", "смена телефона в профиле"),
                    ("change_email", "смена e-mail в профиле"),
                ],
                max_length=20,
            ),
        ),
    ]
