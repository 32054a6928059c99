"""What the privacy policy says of quote requests (``privacy_sections``), from the settings."""

from __future__ import annotations

from collections.abc import Callable

from plugins.leads.service import lead_settings


def describe(register: Callable[..., None]) -> None:
    register(
        "Demandes de devis",
        purpose="transmettre la demande d'une entreprise aux prestataires les mieux placés pour y répondre,"
                " et lui permettre de la suivre.",
        legal_basis="votre consentement, donné en cochant la case du formulaire.",
        retention=f"la demande est anonymisée {lead_settings().retention_days} jours après le dernier "
                  "échange, ou dès que vous la supprimez depuis votre page de suivi.",
        recipients="les prestataires à qui la demande est proposée ; vos coordonnées ne sont données qu'à "
                   "ceux qui l'acceptent.",
        rights="Demande de devis : votre page de suivi (lien reçu par e-mail) permet de la supprimer "
               "aussitôt.",
        order=20)
