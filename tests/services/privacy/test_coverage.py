"""A new model that holds something about a person cannot be forgotten by the export
(issue 14 §4): every model with a link to a user or a tenant (directly, or through a
parent that belongs to one) is a section of the export or excluded with a reason."""

from django.apps import apps

from services.privacy import export, register

EXPORTED = {section.model for section in export.SECTIONS}


def test_every_model_linked_to_a_person_is_exported_or_excluded_with_a_reason():
    missing = [
        register.label(model)
        for model in register.linked_models()
        if register.label(model) not in EXPORTED | set(register.EXPORT_EXCLUDED)
        and register.label(model) not in register.EXPORTED_WITHIN
    ]
    assert not missing, (
        f"models holding personal data that the export neither covers nor excludes: {missing}; "
        "add a section to services/privacy/export.py or a reason to register.EXPORT_EXCLUDED"
    )


def test_the_walk_finds_direct_and_inherited_links():
    found = {register.label(m) for m in register.linked_models()}
    # direct (a tenant, a user), through a required parent (a match, a ledger account), and
    # an author's optional link
    assert {"jobs.Match", "notifications.Device", "jobs.MatchTransition", "loyalty.Lot"} <= found
    assert "jobs.Offer" in found
    # reference data with no link to a person is not walked
    assert not {"jobs.RomeCode", "accounts.Landlord", "loyalty.Reward"} & found


def test_every_exclusion_and_section_names_a_real_model_with_a_reason():
    for label, reason in register.EXPORT_EXCLUDED.items():
        assert apps.get_model(label) and len(reason) > 20, label
    for label in EXPORTED | set(register.EXPORTED_WITHIN):
        assert apps.get_model(label), label
    assert not EXPORTED & set(register.EXPORT_EXCLUDED)


def test_a_new_linked_model_would_fail_the_walk(monkeypatch):
    """The check can fail: without its section, a model linked to a person is reported."""
    monkeypatch.setattr(
        export, "SECTIONS", tuple(s for s in export.SECTIONS if s.model != "jobs.Match")
    )
    exported = {section.model for section in export.SECTIONS}
    missing = [
        register.label(m)
        for m in register.linked_models()
        if register.label(m)
        not in exported | set(register.EXPORT_EXCLUDED) | set(register.EXPORTED_WITHIN)
    ]
    assert missing == ["jobs.Match"]
