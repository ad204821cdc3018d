from services.jobs.models import RomeAppellation, RomeCode, normalize_text
from services.jobs.selectors import rome_search


def test_the_data_migration_loads_the_whole_reference(db):
    assert RomeCode.objects.count() == 532
    assert RomeAppellation.objects.count() == 11061
    assert RomeCode.objects.get(code="K2204").label == "Nettoyage de locaux"


def test_normalize_text_drops_accents_case_and_punctuation():
    assert normalize_text("Agent / Agente de MÉNAGE") == "agent agente de menage"


def test_search_is_accent_insensitive(db):
    without = rome_search(q="menage", limit=50)
    with_accent = rome_search(q="Ménage", limit=50)
    assert without == with_accent
    assert without
    assert all("menage" in normalize_text(r["label"]) for r in without)
    assert any("ménage" in r["label"].lower() for r in without)


def test_search_by_code_returns_the_family_first(db):
    results = rome_search(q="k2204")
    assert results[0] == {
        "kind": "family",
        "code": "K2204",
        "label": "Nettoyage de locaux",
        "rome_code": "K2204",
    }


def test_search_needs_every_word_and_ignores_blank(db):
    assert rome_search(q="   ") == []
    results = rome_search(q="agent entretien", limit=100)
    assert results
    for r in results:
        label = normalize_text(r["label"])
        assert "agent" in label and "entretien" in label
