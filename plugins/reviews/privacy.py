"""What the privacy policy says of outcomes and reviews (``privacy_sections``), from the settings."""

from __future__ import annotations

from collections.abc import Callable

from plugins.reviews.outcomes import review_settings


def describe(register: Callable[..., None]) -> None:
    settings = review_settings()
    register(
        "Suites des demandes et avis vérifiés",
        purpose=f"demander {settings.first_ask_days} puis {settings.second_ask_days} jours après "
                "l'acceptation d'une demande où elle en est, à l'entreprise et au prestataire, pour mesurer"
                " ce que le réseau apporte et orienter les demandes suivantes ; publier l'avis que "
                "l'entreprise choisit de donner sur le prestataire, sans son nom, après modération (voir la"
                " charte des avis).",
        legal_basis="l'intérêt légitime du réseau à suivre la qualité des mises en relation, pour les "
                    "questions ; votre consentement pour l'avis, que vous écrivez, modifiez ou retirez à "
                    "tout moment depuis votre lien.",
        retention=f"un avis publié reste en ligne {settings.online_days} jours après sa publication, puis "
                  "il est effacé. Votre adresse et votre nom, donnés avec la demande, sont effacés avec elle, "
                  "et vos avis non publiés aussi ; un avis publié reste, sans votre nom, jusqu'à son terme, et "
                  "son lien permet toujours de le retirer. Les réponses aux questions restent ensuite, sans "
                  "aucune donnée personnelle, dans les chiffres du réseau.",
        recipients="tout visiteur de la fiche du prestataire évalué, pour l'avis publié (sans votre nom) ; "
                   "le prestataire, qui peut y répondre une fois, publiquement.",
        rights="Avis : votre lien personnel permet de télécharger ce que nous gardons de vous, de modifier "
               "ou de retirer votre avis.",
        order=30)
