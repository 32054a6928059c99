"""The mail outbox: messages written with the change that causes them, sent by a job.

``send`` renders a message from templates and stores it as a ``MailMessage`` with a job to
deliver it, in the caller's transaction: a change rolled back sends nothing, and a change
committed sends its mail even if the SMTP server is down for a while (the job retries with
backoff). Deliveries run in the worker's mail lane (``lane``), whose breaker stops trying a
server that is down. The job marks the message sent as soon as the server has accepted it,
before anything else; a retry of a sent message does nothing. When that update fails, the
worker remembers what it handed over (``Handover``) and its next attempt records the message
instead of sending it again. One window is left, as with any SMTP client: the message goes
again, with the same ``Message-ID`` (which mail clients use to drop the copy), when the process
stops between the server's acceptance and that record, or when another worker runs the retry
first (see docs/jobs.md).

Templates: ``mail/<name>.txt`` (first line ``Subject: …``, then the text) and, optionally,
``mail/<name>.html`` (autoescaped), in the core's template folder or a plugin's (whose messages
are named ``<plugin>/<name>``), with the pages' filters (``de``, ``paris``). French first.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiosmtplib
import jinja2

from directory.database import GroupCommit
from directory.platform import clock, current, jobs
from directory.platform.lanes import Breaker, Lane
from directory.settings import PREFIX, Settings, SettingsError
from directory.tables import MailMessage
from directory.templating import CORE_FILTERS

logger = logging.getLogger("directory.mail")
DELIVER_TASK = "mail.deliver"
SERVICE_CLOSING = 421  # the SMTP reply of a server that is shutting down or overloaded
PENDING, SENT = "pending", "sent"


class MailError(ValueError):
    """A message that cannot be written: an unknown template, a template without a subject."""


class MailUnavailable(ConnectionError):
    """The mail server cannot be reached, stopped answering or is closing: the mail lane's breaker
    counts these, not a refusal of one message."""


class Transport(Protocol):
    async def deliver(self, message: EmailMessage) -> None:
        """Hand ``message`` over, or raise (the job retries)."""


class SmtpTransport:
    """An SMTP server (Mailpit in development), through aiosmtplib.

    ``smtp_timeout_s`` bounds the connection and each command: a server that accepts connections
    and never answers costs one delivery that long, and the breaker stops the next ones. A
    connection serves the next deliveries (one handshake less each, half the time on a local
    server) while it was used in the last ``REUSE_IDLE`` and has sent fewer than
    ``MESSAGES_PER_CONNECTION``: servers close idle connections after minutes, and some count
    messages per connection.
    """

    REUSE_IDLE = timedelta(seconds=5)
    MESSAGES_PER_CONNECTION = 100

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._idle: list[tuple[aiosmtplib.SMTP, datetime, int]] = []  # connection, last used, messages sent
        self._loop: asyncio.AbstractEventLoop | None = None  # the idle connections' (a test runs several)

    async def deliver(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            client, sent = await self._connection()
            try:
                await client.send_message(message)
            except BaseException:
                client.close()  # its state after a failure is unknown
                raise
            self._keep(client, sent + 1)
        except aiosmtplib.SMTPResponseException as error:
            if error.code == SERVICE_CLOSING:
                raise MailUnavailable(f"{s.smtp_host}:{s.smtp_port}: {error}") from error
            raise
        except OSError as error:  # refused, timed out, disconnected (aiosmtplib's are OSErrors)
            raise MailUnavailable(f"{s.smtp_host}:{s.smtp_port}: {error!r}") from error

    async def _connection(self) -> tuple[aiosmtplib.SMTP, int]:
        """An idle connection still fit for use, else a new one; and how many messages it sent."""
        if self._loop is not asyncio.get_running_loop():
            self._idle, self._loop = [], asyncio.get_running_loop()  # the old loop closed them
        while self._idle:
            client, used, sent = self._idle.pop()
            if client.is_connected and clock.now() - used < self.REUSE_IDLE:
                return client, sent
            client.close()
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host, port=s.smtp_port, username=s.smtp_username or None,
            password=s.smtp_password or None, use_tls=s.smtp_tls == "tls", start_tls=s.smtp_tls == "starttls",
            timeout=s.smtp_timeout_s,
        )
        await client.connect()
        return client, 0

    def _keep(self, client: aiosmtplib.SMTP, sent: int) -> None:
        if sent >= self.MESSAGES_PER_CONNECTION:
            client.close()
        else:
            self._idle.append((client, clock.now(), sent))


class ConsoleTransport:
    """Development only, when asked for: each message goes to the log, sign-in links included."""

    async def deliver(self, message: EmailMessage) -> None:
        logger.info("mail to %s: %s\n%s", message["To"], message["Subject"],
                    message.get_body(("plain",)).get_content())


class FileTransport:
    """Development: each message is written as ``<Message-ID>.eml`` in a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def deliver(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("/", "_")
        (self.folder / f"{name}.eml").write_bytes(bytes(message))


class Handover:
    """A transport that remembers the messages it handed over until their sending is recorded.

    When the database fails between the server's acceptance and the ``sent`` update, the job
    fails; its next attempt in this process records the message instead of sending it again.
    """

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._unrecorded: set[str] = set()  # Message-IDs accepted, not yet marked sent
        self.sent = GroupCommit(_mark_sent)  # deliveries ending together share a commit

    async def deliver(self, message: EmailMessage) -> None:
        await self.transport.deliver(message)
        self._unrecorded.add(message["Message-ID"])

    def handed_over(self, message_id: str) -> bool:
        return message_id in self._unrecorded

    def recorded(self, message_id: str) -> None:
        self._unrecorded.discard(message_id)


async def _mark_sent(ids: list[int]) -> None:
    await MailMessage.update({MailMessage.state: SENT, MailMessage.sent_at: clock.now()}).where(
        MailMessage.id.is_in(ids))


def transport_for(settings: Settings) -> Handover:
    if settings.mail_transport == "smtp":
        return Handover(SmtpTransport(settings))
    if settings.mail_transport == "file":
        return Handover(FileTransport(Path(settings.mail_dir)))
    return Handover(ConsoleTransport())


def lane(settings: Settings) -> Lane:
    """The mail lane: ``mail_concurrency`` deliveries at once, paused while the server is down."""
    return Lane("mail", frozenset({DELIVER_TASK}), batch=settings.mail_concurrency,
                concurrency=settings.mail_concurrency, breaker=Breaker((MailUnavailable,)))


class Mailer:
    """An app's mail: where its templates are and how its messages leave (its platform holds it)."""

    def __init__(self, settings: Settings, templates: jinja2.BaseLoader) -> None:
        self.settings = settings
        self.templates = jinja2.Environment(
            loader=templates,
            autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True, auto_reload=settings.debug,
        )
        self.templates.filters.update(CORE_FILTERS)
        self.transport = transport_for(settings)


def _configured() -> Mailer:
    """The mail of the app this code runs for."""
    return current.platform().mailer


def site_url() -> str:
    """The site's public address, which the links in messages (and badges) start with.

    Only ``serve`` knows its own address when no public URL is set: another process (a separate
    worker, a command) refuses to write a link it would have to guess; its job fails, says why
    in ``jobs list`` and is retried, and succeeds once the setting is there.
    """
    url = _configured().settings.public_url
    if not url:
        raise SettingsError(f"{PREFIX}PUBLIC_URL is not set: this process cannot know the address people "
                            f"reach the site at, and writes no link / adresse publique non définie")
    return url


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, text and HTML (may be empty) of the message ``template`` for ``context``.

    ``template`` is a core message's name, or ``<plugin>/<name>`` for a plugin's (found in its
    template folder's ``mail/``).
    """
    environment = _configured().templates
    plugin, _, name = template.rpartition("/")
    path = f"{plugin}/mail/{name}" if plugin else f"mail/{name}"
    try:
        text = environment.get_template(f"{path}.txt").render(context)
    except jinja2.TemplateNotFound:
        raise MailError(f"no mail template {path}.txt") from None
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise MailError(f"{path}.txt must start with a 'Subject: …' line")
    try:
        html = environment.get_template(f"{path}.html").render(context)
    except jinja2.TemplateNotFound:
        html = ""
    return first.removeprefix("Subject:").strip(), body.lstrip("\n"), html


async def send(to: str, template: str, context: dict[str, Any] | None = None, provider: int | None = None) -> int:
    """Write a message to ``to`` and its delivery job, in the caller's transaction if any.

    ``provider`` is the provider the message is sent for (its id): the provider's data export
    lists those messages, never ones that merely went to one of its addresses. Returns the
    message's id. Nothing leaves before the transaction commits.
    """
    config = _configured()
    subject, text, html = render(template, context or {})
    domain = urlsplit(config.settings.public_url).hostname or "localhost"
    engine = MailMessage._meta.db
    async with engine.transaction():
        rows = await MailMessage.insert(MailMessage(
            recipient=to, subject=subject, text=text, html=html, template=template,
            message_id=make_msgid(domain=domain), created_at=clock.now(), provider=provider,
        )).returning(MailMessage.id)
        await jobs.enqueue(DELIVER_TASK, {"id": rows[0]["id"]})
    return rows[0]["id"]


def _message(row: dict[str, Any], sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row["recipient"]
    message["Subject"] = row["subject"]
    message["Message-ID"] = row["message_id"]
    message["Date"] = format_datetime(clock.now())
    message.set_content(row["text"])
    if row["html"]:
        message.add_alternative(row["html"], subtype="html")
    return message


async def deliver(payload: dict[str, Any]) -> None:
    """The delivery job: send one stored message unless it already left (see the module's docstring)."""
    config = _configured()
    row = await MailMessage.select().where(MailMessage.id == payload["id"]).first()
    if row is None:
        return
    if row["state"] != SENT:  # else a lost answer hid that it was recorded
        if not config.transport.handed_over(row["message_id"]):
            await config.transport.deliver(_message(row, config.settings.mail_from))
        await config.transport.sent.add(row["id"])
    config.transport.recorded(row["message_id"])
