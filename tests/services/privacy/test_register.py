"""docs/privacy.md is the register of processing (issue 14 §8): each personal field has its
line (purpose, legal basis, who sees it, retention, export, erasure), and no text, file or
JSON column of a model linked to a person is left unclassified."""

import re
from pathlib import Path

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from services.privacy import register

DOC = Path(__file__).resolve().parents[3] / "docs" / "privacy.md"
ROW = re.compile(r"^\| `([\w.]+)` \|(.*)\|\s*$")


def register_lines() -> dict[str, list[str]]:
    text = DOC.read_text()
    table = text[text.index("\n## Register\n") :]
    lines = {}
    for line in table.splitlines():
        match = ROW.match(line)
        if match:
            lines[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return lines


def _field(name: str):
    app_model, field = name.rsplit(".", 1)
    return apps.get_model(app_model)._meta.get_field(field)


def test_every_personal_field_has_its_line_with_every_column():
    lines = register_lines()
    missing = [name for name in register.PERSONAL if name not in lines]
    assert not missing, f"personal fields without a line in docs/privacy.md: {missing}"
    for name in register.PERSONAL:
        assert len(lines[name]) == 6 and all(lines[name]), f"{name}: six filled cells"


def test_no_line_for_a_field_that_is_not_declared_personal():
    stale = set(register_lines()) - set(register.PERSONAL)
    assert not stale, f"lines for fields not in register.PERSONAL: {sorted(stale)}"


def test_every_declared_field_exists():
    for name in [*register.PERSONAL, *register.NOT_PERSONAL]:
        try:
            _field(name)
        except (LookupError, FieldDoesNotExist):
            raise AssertionError(f"{name} is not a field") from None


def test_every_text_field_of_a_model_linked_to_a_person_is_classified():
    unclassified = [
        name
        for model in register.linked_models()
        for name in register.text_fields(model)
        if name not in register.PERSONAL and name not in register.NOT_PERSONAL
    ]
    assert not unclassified, (
        f"fields of models linked to a person, neither personal nor not: {unclassified}; "
        "add each to services/privacy/register.py (PERSONAL, with its line in "
        "docs/privacy.md, or NOT_PERSONAL with the reason)"
    )


def test_the_check_fails_on_an_unclassified_field(monkeypatch):
    """The check can fail: a personal field taken off the register is reported."""
    personal = tuple(name for name in register.PERSONAL if name != "accounts.User.email")
    monkeypatch.setattr(register, "PERSONAL", personal)
    unclassified = [
        name
        for model in register.linked_models()
        for name in register.text_fields(model)
        if name not in register.PERSONAL and name not in register.NOT_PERSONAL
    ]
    assert unclassified == ["accounts.User.email"]
