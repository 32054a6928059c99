"""What the privacy policy says of visit statistics (``privacy_sections``)."""

from __future__ import annotations

from collections.abc import Callable


def describe(register: Callable[..., None]) -> None:
    register(
        "Statistiques de visite",
        purpose="montrer à chaque prestataire ce que sa fiche lui apporte, et à l'équipe ce que l'annuaire "
                "apporte au réseau. Les statistiques comptent les consultations des fiches, additionnées "
                "par prestataire et par jour : aucun cookie, aucune adresse IP, aucun identifiant de "
                "visiteur n'est enregistré. Elles ne permettent de reconnaître personne.",
        legal_basis="l'intérêt légitime du réseau à mesurer la visibilité qu'il donne à ses membres (aucune "
                    "donnée personnelle n'est gardée).",
        retention="seuls des totaux par jour sont gardés ; ils ne contiennent aucune donnée personnelle.",
        order=60)
