"""Loads the ROME reference (France Travail open data, Licence Ouverte) into every database."""

import csv
import unicodedata
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def _normalize(value):
    # A frozen copy of services.jobs.models.normalize_text: migrations must not import models.
    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def load(apps, schema_editor):
    RomeCode = apps.get_model("jobs", "RomeCode")
    RomeAppellation = apps.get_model("jobs", "RomeAppellation")
    with open(DATA / "rome_codes.csv", encoding="utf-8") as handle:
        codes = [
            RomeCode(code=row["code"], label=row["label"], search=_normalize(row["label"]))
            for row in csv.DictReader(handle)
        ]
    RomeCode.objects.bulk_create(codes, batch_size=1000, ignore_conflicts=True)
    ids = dict(RomeCode.objects.values_list("code", "id"))
    with open(DATA / "rome_appellations.csv", encoding="utf-8") as handle:
        titles = [
            RomeAppellation(
                code=row["code"],
                label=row["label"],
                rome_id=ids[row["rome_code"]],
                search=_normalize(row["label"]),
            )
            for row in csv.DictReader(handle)
        ]
    RomeAppellation.objects.bulk_create(titles, batch_size=1000, ignore_conflicts=True)


def unload(apps, schema_editor):
    apps.get_model("jobs", "RomeAppellation").objects.all().delete()
    apps.get_model("jobs", "RomeCode").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]

    operations = [migrations.RunPython(load, unload, elidable=False)]
