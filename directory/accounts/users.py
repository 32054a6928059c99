"""Accounts: creating them, setting their passwords, and the staff who moderate the directory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from directory import validation
from directory.accounts import api_tokens, links, passwords
from directory.database import write_transaction
from directory.platform import clock, mail
from directory.tables import Account, AccountToken, Membership


@dataclass(frozen=True)
class StaffAdded:
    email: str
    created: bool  # False: an existing account became staff


async def add_staff(email: str, password: str) -> StaffAdded:
    """Create a staff account, or make an existing account staff with this new password.

    The address must be valid and the password pass the policy (``passwords.check``);
    otherwise ``validation.InvalidValue`` or ``passwords.WeakPassword`` says why, in French.
    """
    address = validation.email(email)
    if not address:
        raise validation.InvalidValue("Donnez l'adresse e-mail du membre de l'équipe.")
    passwords.check(password, known_words=(address,))
    now, hashed = clock.now(), passwords.hash_password(password)
    async with write_transaction(Account._meta.db):
        updated = await Account.update({Account.password_hash: hashed, Account.is_staff: True, Account.active: True,
                                        Account.password_changed_at: now}).where(
            Account.email == address).returning(Account.id)
        if not updated:
            await Account.insert(Account(email=address, password_hash=hashed, is_staff=True, created_at=now,
                                         password_changed_at=now))
    return StaffAdded(address, created=not updated)


LINK_GONE = "Ce lien a expiré ou a déjà servi. Demandez-en un nouveau."
RESET_VALID_FOR = timedelta(hours=1)


class WrongPassword(ValueError):
    """The current password given to change it is not the account's."""


async def change_password(account_id: int, current: str, new: str) -> None:
    """Replace the password of a signed-in account that knows its current one."""
    account = await Account.select(Account.email, Account.password_hash).where(Account.id == account_id).first()
    if account is None or not passwords.verify(account["password_hash"], current):
        raise WrongPassword("wrong current password")
    passwords.check(new, known_words=(account["email"],))
    await Account.update({Account.password_hash: passwords.hash_password(new),
                          Account.password_changed_at: clock.now()}).where(Account.id == account_id)


async def _end_links(account_id: int, email: str) -> bool:
    """End the account's outstanding reset and address-change links, as a password set by a link does.

    Whoever held the old password may have asked for them (an address change moves the account
    to the asker's mailbox); claim links and invitations belong to a listing's or an invitee's
    mailbox and stay. Returns whether an address change was waiting: a sign of compromise.
    """
    changes = links.outstanding(links.EMAIL) & (AccountToken.account == account_id)
    moving = await AccountToken.exists().where(changes)
    await links.revoke(changes | (links.outstanding(links.RESET) & (AccountToken.email == email)))
    return moving


class LinkGone(ValueError):
    """A link that is unknown, used or expired."""


async def set_password_from_link(token: str, password: str, revoke_tokens: bool = False) -> dict[str, Any]:
    """Use a claim or reset link: set the password of the address it went to; returns the account.

    A claim, invitation or welcome link creates the account if needed; a claim or invitation
    link makes it a member of the provider (its owner when it is the first). A reset link needs
    an account. Sessions opened before the new password end (see ``sessions.current_account``),
    and so do the account's other reset and address-change links (``_end_links``). Its API
    tokens are revoked with ``revoke_tokens``, or when an address change was waiting (someone
    else may hold the account); ``tokens_revoked`` says whether some were.
    """
    pending = await links.peek(token)
    if pending is None or pending["purpose"] not in links.SETS_PASSWORD:
        raise LinkGone(LINK_GONE)
    passwords.check(password, known_words=(pending["email"],))
    now, hashed = clock.now(), passwords.hash_password(password)
    async with write_transaction(Account._meta.db):
        used = await links.consume(token)
        if used is None:
            raise LinkGone(LINK_GONE)
        email = used["email"].lower()
        account = await Account.select(Account.id).where(Account.email == email).first()
        if account is None and used["purpose"] in links.CREATES:
            account = (await Account.insert(Account(email=email, password_hash=hashed, created_at=now,
                                                    password_changed_at=now)).returning(Account.id))[0]
        elif account is None:
            raise LinkGone(LINK_GONE)
        else:
            await Account.update({Account.password_hash: hashed, Account.password_changed_at: now,
                                  Account.active: True}).where(Account.id == account["id"])
        revoke_tokens = await _end_links(account["id"], email) or revoke_tokens
        revoked = await api_tokens.revoke_all(account["id"]) if revoke_tokens else 0
        if used["purpose"] in links.JOINS:
            members = await Membership.select(Membership.account).where(Membership.provider == used["provider"])
            if account["id"] not in {m["account"] for m in members}:
                await Membership.insert(Membership(account=account["id"], provider=used["provider"],
                                                   role="member" if members else "owner", created_at=now))
    return {"id": account["id"], "email": email, "tokens_revoked": revoked > 0}


WELCOME_VALID_FOR = timedelta(days=7)


async def invite_to_sign_up(email: str, template: str, context: dict[str, Any]) -> str:
    """Mail ``template`` to ``email`` with ``link``: a single-use link, valid 7 days, to choose a
    password and open an account (or reach the existing one). For plugins' own kinds of users
    (advisors…), who manage no provider; call inside the transaction that records them.
    Returns the address, checked."""
    address = validation.email(email)
    if not address:
        raise validation.InvalidValue("Donnez une adresse e-mail.")
    token = await links.issue(links.WELCOME, address, WELCOME_VALID_FOR)
    await mail.send(address, template, {**context, "link": f"{mail.site_url()}/compte/lien/{token}",
                                        "days": WELCOME_VALID_FOR.days})
    return address


async def request_reset(email: str, public_url: str) -> None:
    """Send a reset link if an active account has this address; the same outcome either way."""
    try:
        address = validation.email(email)
    except validation.InvalidValue:
        return
    account = await Account.select(Account.id).where((Account.email == address) & (Account.active == True)).first()
    if account is None:
        return
    async with write_transaction(Account._meta.db):
        token = await links.issue(links.RESET, address, RESET_VALID_FOR)
        await mail.send(address, "mot-de-passe", {"link": f"{public_url}/compte/lien/{token}", "minutes": 60})


EMAIL_VALID_FOR = timedelta(hours=24)
EMAIL_TAKEN = "Cette adresse est déjà celle d'un autre compte."


async def request_email_change(account_id: int, current_password: str, new_email: str) -> str:
    """Send a confirmation link to the new address (and a notice to the current one); returns it.

    Nothing changes until the link is opened: whoever holds the account cannot move it to an
    address it does not read. An address another account has gets, instead of the link, a
    message saying so, and the answer is the same: it must not tell who has an account.
    """
    account = await Account.select(Account.email, Account.password_hash).where(Account.id == account_id).first()
    if account is None or not passwords.verify(account["password_hash"], current_password):
        raise WrongPassword("wrong current password")
    address = validation.email(new_email)
    if not address or address == account["email"]:
        raise validation.InvalidValue("Donnez une nouvelle adresse e-mail.")
    async with write_transaction(Account._meta.db):
        if await Account.exists().where(Account.email == address):
            await mail.send(address, "adresse-deja-utilisee", {"site": mail.site_url()})
        else:
            token = await links.issue(links.EMAIL, address, EMAIL_VALID_FOR, account_id=account_id)
            await mail.send(address, "adresse", {"link": f"{mail.site_url()}/compte/lien/{token}", "new": address,
                                                 "hours": int(EMAIL_VALID_FOR.total_seconds() // 3600),
                                                 "notice": False})
        await mail.send(account["email"], "adresse", {"link": "", "new": address, "hours": 0, "notice": True})
    return address


async def change_email_from_link(token: str) -> str:
    """Use an address-change link: the account's address becomes the one the link went to."""
    async with write_transaction(Account._meta.db):
        used = await links.consume(token)
        if used is None or used["purpose"] != links.EMAIL or used["account"] is None:
            raise LinkGone(LINK_GONE)
        if await Account.exists().where(Account.email == used["email"]):
            raise validation.InvalidValue(EMAIL_TAKEN)
        await Account.update({Account.email: used["email"]}).where(Account.id == used["account"])
    return used["email"]
