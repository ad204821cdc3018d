import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_password_reset_consents"),
    ]

    operations = [
        migrations.AddField(
            model_name="employer",
            name="contact_email",
            field=models.EmailField(blank=True, max_length=254, verbose_name="contact e-mail"),
        ),
        migrations.AddField(
            model_name="employer",
            name="phone",
            field=models.CharField(blank=True, max_length=30, verbose_name="phone"),
        ),
        migrations.AddField(
            model_name="employer",
            name="website",
            field=models.URLField(blank=True, verbose_name="website"),
        ),
        migrations.AddField(
            model_name="employerinvitation",
            name="email",
            field=models.EmailField(blank=True, max_length=254),
        ),
        migrations.AlterField(
            model_name="employerinvitation",
            name="landlord",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.landlord",
            ),
        ),
    ]
