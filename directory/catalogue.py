"""The fixed vocabularies of a profile: services, sectors, team sizes, kinds and states.

Slugs are part of the public API and of the CSV format: never rename one, add a new one.
"""

from __future__ import annotations

from typing import NamedTuple

RESELLER = "reseller"
WEB_AGENCY = "web_agency"
KINDS = {RESELLER: "Revendeur informatique", WEB_AGENCY: "Agence web"}

STATES = {
    "draft": "Brouillon",
    "pending_review": "En attente de validation",
    "published": "Publié",
    "suspended": "Suspendu",
    "left": "Retiré par le prestataire",
}
DRAFT = "draft"
PENDING_REVIEW = "pending_review"
PUBLISHED = "published"
SUSPENDED = "suspended"
LEFT = "left"


class ServiceEntry(NamedTuple):
    slug: str
    label: str
    kind: str  # reseller, web_agency or both


SERVICES: tuple[ServiceEntry, ...] = (
    ServiceEntry("postes-materiel", "Postes de travail et matériel", RESELLER),
    ServiceEntry("reseau-wifi", "Réseau et wifi", RESELLER),
    ServiceEntry("sauvegarde", "Sauvegarde et reprise d'activité", RESELLER),
    ServiceEntry("cybersecurite", "Cybersécurité", "both"),
    ServiceEntry("telephonie", "Téléphonie et standard", RESELLER),
    ServiceEntry("maintenance-infogerance", "Maintenance et infogérance", RESELLER),
    ServiceEntry("logiciels-gestion-caisse", "Logiciels de gestion et caisse", RESELLER),
    ServiceEntry("cloud-messagerie", "Cloud et messagerie", "both"),
    ServiceEntry("impression", "Impression et copieurs", RESELLER),
    ServiceEntry("videosurveillance", "Vidéosurveillance et contrôle d'accès", RESELLER),
    ServiceEntry("site-vitrine", "Site vitrine", WEB_AGENCY),
    ServiceEntry("e-commerce", "E-commerce", WEB_AGENCY),
    ServiceEntry("referencement", "Référencement naturel (SEO)", WEB_AGENCY),
    ServiceEntry("publicite-en-ligne", "Publicité en ligne (SEA)", WEB_AGENCY),
    ServiceEntry("reseaux-sociaux", "Réseaux sociaux", WEB_AGENCY),
    ServiceEntry("identite-visuelle", "Identité visuelle et logo", WEB_AGENCY),
    ServiceEntry("applications", "Applications web et mobiles", WEB_AGENCY),
    ServiceEntry("hebergement", "Hébergement et noms de domaine", "both"),
    ServiceEntry("formation-numerique", "Formation au numérique", "both"),
    ServiceEntry("reservation-en-ligne", "Prise de rendez-vous et réservation en ligne", WEB_AGENCY),
)
SERVICE_SLUGS = frozenset(s.slug for s in SERVICES)
SERVICE_LABELS = {s.slug: s.label for s in SERVICES}

SECTORS = {
    "commerce": "Commerce de détail",
    "restauration": "Restauration et cafés",
    "hotellerie-tourisme": "Hôtellerie et tourisme",
    "artisanat": "Artisanat",
    "batiment": "Bâtiment et travaux",
    "sante": "Santé et paramédical",
    "professions-liberales": "Professions libérales",
    "agriculture": "Agriculture et viticulture",
    "services-personne": "Services à la personne",
    "immobilier": "Immobilier",
    "transport": "Transport et logistique",
    "associations": "Associations",
    "beaute-bien-etre": "Beauté et bien-être",
    "industrie": "Industrie et PME industrielles",
}

TEAM_SIZES = {"1": "Indépendant", "2-5": "2 à 5 personnes", "6-10": "6 à 10 personnes",
              "11-20": "11 à 20 personnes", "21-50": "21 à 50 personnes", "50+": "Plus de 50 personnes"}

LANGUAGES = {"fr": "Français", "en": "Anglais", "es": "Espagnol", "de": "Allemand", "it": "Italien",
             "pt": "Portugais", "ar": "Arabe", "br": "Breton", "oc": "Occitan", "co": "Corse",
             "rcf": "Créole réunionnais", "gcf": "Créole guadeloupéen", "zh": "Chinois"}
