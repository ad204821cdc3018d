from services.accounts import codes
from services.accounts.models import siret_is_valid
from tests.factories import valid_siret


def test_activation_code_normalizes_case_and_separators():
    code = codes.new_code()
    assert len(code) == 19
    assert codes.hash_code(code.lower().replace("-", " ")) == codes.hash_code(code)


def test_two_codes_differ():
    assert codes.new_code() != codes.new_code()


def test_siret_checksum():
    assert siret_is_valid("73282932000074")  # a real SIRET (Apple France)
    assert not siret_is_valid("73282932000075")
    assert not siret_is_valid("7328293200007")
    assert siret_is_valid(valid_siret(3))
    assert siret_is_valid("35600000000048")  # La Poste: digit sum multiple of 5
