"""The badges the network starts with, so that staff can award them from the first day."""

from datetime import UTC, datetime

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.columns import Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

ID = "2026-11-27T16:23:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "The network's first badge classes"

STARTING_CLASSES = (
    ("channel-expert-certifie", "Channel Expert certifié", "#0b5cad", 24,
     "Le prestataire a signé la charte du réseau et l'équipe a vérifié son activité, ses références et ses assurances.",
     "Entreprise immatriculée depuis au moins un an, à jour de ses obligations (Kbis, attestation URSSAF).\n"
     "Assurance responsabilité civile professionnelle en cours de validité.\n"
     "Trois références de clients TPE vérifiées par l'équipe du réseau au cours des deux dernières années."),
    ("specialiste-cybersecurite", "Spécialiste cybersécurité", "#7a1f5c", 12,
     "Le prestataire sécurise les postes, les comptes et les sauvegardes des TPE selon les recommandations de l'ANSSI.",
     "Un collaborateur au moins formé à la sécurité des systèmes d'information (SecNumacadémie ou équivalent).\n"
     "Procédure écrite de réponse à un incident et de restauration des sauvegardes, testée dans l'année.\n"
     "Deux interventions de sécurisation chez des TPE, vérifiées par l'équipe du réseau."),
    ("activateur-numerique", "Activateur numérique", "#1d7a3a", 12,
     "Le prestataire a mis en ligne des TPE qui ne l'étaient pas : premier site, fiche d'établissement, paiement en ligne.",
     "Au moins cinq TPE accompagnées dans leur première présence en ligne au cours des douze derniers mois.\n"
     "Un accompagnement à la prise en main remis à chaque client (formation ou guide écrit)."),
    ("partenaire-editeur", "Partenaire éditeur", "#8a5a00", 12,
     "Le prestataire est partenaire certifié d'un éditeur ou d'un constructeur reconnu par le réseau.",
     "Attestation de partenariat en cours de validité, délivrée par l'éditeur ou le constructeur.\n"
     "L'éditeur est nommé dans la preuve jointe à l'attribution."),
    ("charte-protection-tpe", "Charte de protection des TPE", "#3c4a5c", 24,
     "Le client reste maître de son site : il possède son nom de domaine et ses accès, et peut partir avec son site et ses données.",
     "Le nom de domaine est enregistré au nom du client, qui en reçoit les accès.\n"
     "Le client détient les accès administrateur de son site et de son hébergement.\n"
     "Le client peut partir à tout moment avec son site, ses contenus et ses données, dans un format réutilisable.\n"
     "Aucun contrat de location de site : le client est propriétaire de ce qu'il a payé."),
)


class BadgeClass(Table, tablename="badge_class"):
    """The table as this migration finds it: the plugin's own class has columns added later."""

    slug = Varchar(length=60, unique=True)
    name = Varchar(length=100)
    description = Text()
    criteria = Text()
    color = Varchar(length=7)
    validity_months = Integer(null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz()


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="badges", description=DESCRIPTION)

    async def seed():
        BadgeClass._meta.db = Migration._meta.db  # the engine the migrations run on (``database.bind``)
        now = datetime.now(UTC)
        for slug, name, color, months, description, criteria in STARTING_CLASSES:
            if not await BadgeClass.exists().where(BadgeClass.slug == slug):
                await BadgeClass.insert(BadgeClass(slug=slug, name=name, color=color, validity_months=months,
                                                   description=description, criteria=criteria, active=True,
                                                   created_at=now))

    manager.add_raw(seed)
    return manager
