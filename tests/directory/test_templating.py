"""Pages and mail put "de" before a name the way French does: one filter for both."""

from directory.platform import current, mail
from directory.platform.services import start_platform


def test_mails_elide_and_contract_de_before_a_commune_or_a_trade_name(settings, plugin_manager):
    with current.within(start_platform(settings, plugin_manager)):  # mail is an app's
        offer = {"commune": "Albi", "services": ["Site vitrine"], "trade_name": "Agence Pixel", "due": "05/12/2026 à 12:00",
                 "link": "http://annuaire.example.fr/l", "dashboard": "http://annuaire.example.fr/d"}
        _, text, page = mail.render("leads/nouvelle-demande", offer)
        assert "Une TPE d'Albi cherche un prestataire" in text and "Une TPE d&#39;Albi cherche un prestataire" in page
        _, text, _ = mail.render("leads/nouvelle-demande", offer | {"commune": "Le Havre"})
        assert "Une TPE du Havre cherche" in text

        badge = {"badge": "Channel Expert certifié", "expires": "30/06/2027", "days": 30, "account": "http://a.fr/b"}
        subject, text, _ = mail.render("badges/rappel", badge | {"trade_name": "Le Fournil"})
        assert subject == "Le badge « Channel Expert certifié » du Fournil expire dans 30 jours"
        assert "Le badge « Channel Expert certifié » du Fournil expire le 30/06/2027." in text
        _, text, _ = mail.render("badges/renouvele", badge | {"trade_name": "Les Ateliers Hibiscus"})
        assert "Le badge « Channel Expert certifié » des Ateliers Hibiscus est renouvelé jusqu'au 30/06/2027." in text
