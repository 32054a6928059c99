import pytest
from stdnum import luhn

from directory import validation
from directory.validation import InvalidValue


@pytest.mark.parametrize("value", ["732 829 320 00074", "73282932000074", "35600000049837"])
def test_valid_sirets_are_accepted_and_normalised(value):
    assert validation.siret(value) == value.replace(" ", "")


def test_la_poste_siret_failing_luhn_is_accepted_when_digits_sum_to_a_multiple_of_five():
    siret = "35600000049837"
    assert not luhn.is_valid(siret)
    assert validation.siret(siret) == siret


@pytest.mark.parametrize("value, message", [
    ("73282932000075", "clé de contrôle"),
    ("7328293200007", "14 chiffres"),
    ("ABCDEFGHIJKLMN", "14 chiffres"),
    ("35600000049838", "clé de contrôle"),
])
def test_invalid_sirets_are_rejected_with_a_french_reason(value, message):
    with pytest.raises(InvalidValue, match=message):
        validation.siret(value)


@pytest.mark.parametrize("value, expected", [
    ("0556000000", "05 56 00 00 00"),
    ("+33 5 56 00 00 00", "05 56 00 00 00"),
    ("0033556000000", "05 56 00 00 00"),
    ("+262 262 12 34 56", "02 62 12 34 56"),
    ("0692 12 34 56", "06 92 12 34 56"),
    ("+590 590 27 12 34", "05 90 27 12 34"),
    ("0594 29 12 34", "05 94 29 12 34"),
    ("06.12.34.56.78", "06 12 34 56 78"),
    ("+508 41 12 34", "+508 41 12 34"),
    ("+681 72 12 34", "+681 72 12 34"),
    ("+687 28 12 34", "+687 28.12.34"),
    ("+689 87 12 34 56", "+689 87 12 34 56"),
    ("", ""),
])
def test_phone_numbers_of_france_and_every_overseas_territory_are_normalised(value, expected):
    assert validation.phone(value) == expected


@pytest.mark.parametrize("value", ["+44 20 7946 0958", "12345", "0012345678", "+1 212 555 0100", "appelez-nous"])
def test_foreign_or_malformed_phone_numbers_are_rejected(value):
    with pytest.raises(InvalidValue):
        validation.phone(value)


def test_email_is_lower_cased_and_checked():
    assert validation.email(" Contact@Agence.FR ") == "contact@agence.fr"
    for value in ("pas-une-adresse", "contact@localhost", "a b@agence.fr", "contact@agence..fr"):
        with pytest.raises(InvalidValue):
            validation.email(value)


@pytest.mark.parametrize("value", ["A\x00B", "\x1b[31mrouge", "abc\u202egnp.exe", "Agence\u2066cachée", "\x7f", "\x85"])
def test_control_and_bidirectional_characters_are_refused(value):
    with pytest.raises(InvalidValue, match="contrôle"):
        validation.plain_text(value, multiline=True)


def test_line_breaks_and_tabs_are_text_only_where_several_lines_are_expected():
    assert validation.plain_text("Ligne 1\n\tLigne 2", multiline=True) == "Ligne 1\n\tLigne 2"
    with pytest.raises(InvalidValue):
        validation.plain_text("Ligne 1\nLigne 2")


@pytest.mark.parametrize("value", ["Agence\u2028Nord", "Agence\u2029Nord", "Agence\x0bNord", "Agence\x0cNord",
                                   "Agence\x1cNord", "Agence\x85Nord", "Agence\rNord"])
def test_every_line_or_paragraph_separator_is_refused_in_a_one_line_field(value):
    with pytest.raises(InvalidValue) as refused:
        validation.plain_text(value)
    assert f"U+{ord(value[6]):04X}" in str(refused.value)
    assert "Retour à la ligne interdit" in str(refused.value) or "contrôle" in str(refused.value)


def test_a_name_with_a_unicode_line_separator_would_break_mail_headers_so_it_is_refused():
    from email.message import EmailMessage

    with pytest.raises(ValueError):
        EmailMessage()["Subject"] = "Votre fiche Agence\u2028Nord"
    with pytest.raises(InvalidValue, match="Retour à la ligne interdit dans ce champ .U\\+2028."):
        validation.plain_text("Agence\u2028Nord")


def test_website_gets_a_scheme_and_rejects_other_protocols():
    assert validation.website("agence.fr") == "https://agence.fr"
    with pytest.raises(InvalidValue):
        validation.website("ftp://agence.fr")


@pytest.mark.parametrize("value", ["33000", "97400", "20000", "01000"])
def test_postal_codes_of_metropolitan_france_and_overseas_are_accepted(value):
    assert validation.postal_code(value) == value


@pytest.mark.parametrize("value", ["3300", "00100", "99000", "ABCDE"])
def test_malformed_postal_codes_are_rejected(value):
    with pytest.raises(InvalidValue):
        validation.postal_code(value)
