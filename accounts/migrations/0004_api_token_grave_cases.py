from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_api_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="grave_cases",
            field=models.BooleanField(
                default=False, help_text="Opens grave and especially grave cases; only an administrator grants it."
            ),
        ),
    ]
