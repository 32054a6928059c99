"""``channel-expert badges``: award, renew, revoke, export and verify from the command line."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from directory.plugin_api import clock, command_context, run_in_database
from geo import of_name
from plugins.badges import awards, credentials, keys, measures, status, verification
from plugins.badges.tables import BadgeAward, BadgeClass


def _run(ctx: click.Context, action):  # noqa: ANN001, ANN202 - an async callable and what it returns
    return run_in_database(ctx, action, (awards.BadgeError, keys.SigningKeyError))


def _day(text: str | None) -> datetime | None:
    try:
        return awards.end_of_day(text or "")
    except awards.BadgeError as error:
        raise click.BadParameter(str(error)) from None


@click.group(name="badges")
def badges_command() -> None:
    """Les badges de certification : classes, attributions, attestations signées."""


@badges_command.command(name="list")
@click.option("--provider", help="Les attributions d'un prestataire (identifiant de sa fiche).")
@click.pass_context
def list_(ctx: click.Context, provider: str | None) -> None:
    """Lister les classes de badges, ou les attributions d'un prestataire."""
    async def action():
        if provider:
            return [(a.id, a.badge, a.state, a.expires_at) for a in await awards.awards_of(provider)]
        return [(c["slug"], c["name"], "attribuable" if c["active"] else "retiré", c["validity_months"])
                for c in await BadgeClass.select().order_by(BadgeClass.slug)]
    for row in _run(ctx, action):
        click.echo("\t".join("" if value is None else str(value) for value in row))


@badges_command.command()
@click.argument("provider")
@click.argument("badge")
@click.option("--expires", metavar="AAAA-MM-JJ", help="Dernier jour de validité (par défaut : selon le badge).")
@click.option("--evidence", default="", metavar="URL", help="Adresse de la preuve.")
@click.option("--note", default="", help="Ce qui a été vérifié.")
@click.pass_context
def award(ctx: click.Context, provider: str, badge: str, expires: str | None, evidence: str, note: str) -> None:
    """Attribuer BADGE (son identifiant) à PROVIDER (l'identifiant de sa fiche)."""
    expires_at = _day(expires)
    meets = measures.checker(command_context(ctx).plugin_manager)  # the same thresholds as the staff form
    award_id = _run(ctx, lambda: awards.award(provider, badge, actor="cli", expires_at=expires_at,
                                              evidence_url=evidence, note=note, meets=meets))
    click.echo(f"Attribution n° {award_id} : « {badge} » à {provider}.")


@badges_command.command()
@click.argument("award_id", metavar="AWARD", type=int)
@click.option("--expires", metavar="AAAA-MM-JJ", help="Nouveau dernier jour de validité (par défaut : selon le badge).")
@click.pass_context
def renew(ctx: click.Context, award_id: int, expires: str | None) -> None:
    """Renouveler une attribution : une nouvelle attestation, valable dès aujourd'hui."""
    expires_at = _day(expires)
    _run(ctx, lambda: awards.renew(award_id, actor="cli", expires_at=expires_at))
    click.echo(f"Attribution n° {award_id} renouvelée.")


@badges_command.command()
@click.argument("award_id", metavar="AWARD", type=int)
@click.option("--reason", required=True, help="Raison, envoyée au prestataire.")
@click.pass_context
def revoke(ctx: click.Context, award_id: int, reason: str) -> None:
    """Retirer une attribution : elle cesse de compter aussitôt et ses attestations sont révoquées."""
    _run(ctx, lambda: awards.revoke(award_id, actor="cli", reason=reason))
    click.echo(f"Attribution n° {award_id} révoquée.")


@badges_command.command()
@click.argument("provider")
@click.pass_context
def export(ctx: click.Context, provider: str) -> None:
    """Afficher les attestations signées de PROVIDER (une liste JSON)."""
    async def action():
        row = await BadgeAward.select(BadgeAward.provider).where(BadgeAward.provider.slug == provider).first()
        return await awards.credentials_of(row["provider"]) if row else []
    click.echo(json.dumps(_run(ctx, action), ensure_ascii=False, indent=2))


@badges_command.command()
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--issuer", "issuer_file", type=click.File("r", encoding="utf-8"),
              help="Le document de l'émetteur (/badges/emetteur) enregistré : vérifier sans la base.")
@click.option("--status-list", "status_files", multiple=True, type=click.File("r", encoding="utf-8"),
              help="Une liste de statuts enregistrée (révocations /badges/statuts/N, "
                   "suspensions /badges/statuts/suspension/N) ; répétable.")
@click.pass_context
def verify(ctx: click.Context, file, issuer_file, status_files) -> None:  # noqa: ANN001 - click files
    """Vérifier les attestations de FILE (une attestation JSON, ou une liste, comme export les écrit).

    Sans option, avec les clés et les listes de statuts que publie cet annuaire ; avec --issuer
    et --status-list, avec ces copies seulement, sans base (donnez chaque liste que les
    attestations nomment : une liste absente rend l'attestation non valable).
    """
    try:
        loaded = json.load(file)
    except ValueError:
        raise click.ClickException("Ce fichier n'est pas du JSON.") from None
    documents = loaded if isinstance(loaded, list) else [loaded]
    if issuer_file is not None:
        verifier = _offline_verifier(json.load(issuer_file), [json.load(f) for f in status_files])
        verdicts = [verifier.verify(document, clock.now()) for document in documents]
    else:
        verdicts = _run(ctx, lambda: _verify_all(documents))
    for verdict in verdicts:
        label = f"« {verdict.badge} » {of_name(verdict.holder)}" if verdict.badge else "attestation"
        click.echo(f"{'VALABLE' if verdict.valid else 'NON VALABLE'} : {label}" + ("" if verdict.valid else f" — {verdict.reason}"))
    sys.exit(0 if all(verdict.valid for verdict in verdicts) else 1)


async def _verify_all(documents: list) -> list[verification.Verdict]:
    verifier = await status.verifier(documents, status.StatusLists())
    return [verifier.verify(document, clock.now()) for document in documents]


def _offline_verifier(issuer: dict, lists: list[dict]) -> verification.Verifier:
    """A verifier from saved documents: the issuer's keys and its status lists, no database."""
    try:
        keys_ = {method["publicKeyMultibase"]: credentials.public_key(method["publicKeyMultibase"])
                 for method in issuer.get("verificationMethod", []) if method.get("type") == "Multikey"}
    except (credentials.CredentialError, KeyError, TypeError, AttributeError):
        raise click.ClickException("Le document de l'émetteur ne contient pas de clé Multikey lisible.") from None
    by_url = {document.get("id"): document for document in lists if isinstance(document, dict)}
    return verification.Verifier(str(issuer.get("id", "")), keys_, by_url.get)


@badges_command.command(name="new-key")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def new_key(path: Path) -> None:
    """Écrire une nouvelle clé de signature dans PATH (lisible par son seul propriétaire) et
    afficher sa clé publique.

    Faites-y pointer CHANNEL_EXPERT_BADGES_SIGNING_KEY_FILE et redémarrez : les nouvelles
    attestations sont signées avec elle, et l'ancienne clé publique reste publiée, si bien que
    les attestations déjà remises se vérifient toujours.
    """
    try:
        public = keys.write_new_key(path)
    except FileExistsError:
        raise click.ClickException(f"{path} existe déjà : choisissez un autre fichier.") from None
    click.echo(f"Nouvelle clé écrite dans {path} ; clé publique : {public}")
