"""Configuration, read once from the environment into a frozen dataclass.

Every variable takes the ``CHANNEL_EXPERT_`` prefix, except ``DATABASE_URL``, the name
every hosting platform already uses.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from geo.geocoding import BAN_DOMAIN, NOMINATIM_DOMAIN

PREFIX = "CHANNEL_EXPERT_"
DEFAULT_DATABASE_URL = "sqlite:///var/channel-expert.sqlite3"
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000  # where ``serve`` listens unless told otherwise
DEFAULT_LOCK_TIMEOUT_S = 10.0


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name} must be a boolean (true/false), not {raw!r}")


def _float(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive")
    return value


def _whole(name: str, raw: str, highest: int, what: str) -> int:
    if not raw.strip().isascii() or not raw.strip().isdigit() or not 0 < int(raw) <= highest:
        raise SettingsError(f"{name} must be {what}, not {raw!r}")
    return int(raw)


def _port(name: str, raw: str) -> int:
    return _whole(name, raw, 65535, "a port number (1-65535)")


def _list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    """Everything that changes between a laptop, the test suite and production."""

    database_url: str = DEFAULT_DATABASE_URL
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
    debug: bool = False
    public_url: str = ""  # none set: the address ``serve`` listens on (see ``served_at``)
    # The reverse proxies whose X-Forwarded-For names the client (addresses or networks); none:
    # the header is ignored, and the client is whoever connects.
    trusted_proxies: tuple[str, ...] = ()
    access_log: bool = True
    page_cache: bool = True  # public pages and API reads from memory (``directory.platform.cache``)
    disabled_plugins: tuple[str, ...] = ()
    strict_plugins: bool = False  # refuse to start when an installed plugin cannot load
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one JSON object per line (``directory.logs``)
    geocoders: tuple[str, ...] = ()
    ban_domain: str = BAN_DOMAIN
    nominatim_domain: str = NOMINATIM_DOMAIN
    nominatim_user_agent: str = ""
    geocode_cache: str = "var/geocode-cache.sqlite3"
    geocode_timeout_s: float = 5.0
    search_backend: str = "embedded"
    meilisearch_url: str = ""
    meilisearch_api_key: str = field(default="", repr=False)
    meilisearch_index: str = "providers"
    map_tiles_url: str = ""
    map_attribution: str = ""
    worker_in_app: bool = True
    redis_url: str = field(default="", repr=False)  # may carry a password
    secret_key: str = field(default="", repr=False)  # signs the forms' CSRF tokens
    mail_transport: str = "file"  # without an SMTP server, .eml files: links never reach the logs
    mail_from: str = "Channel Expert <annuaire@channel-expert.example>"
    mail_dir: str = "var/mail"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_tls: str = "starttls"
    smtp_timeout_s: float = 10.0
    mail_concurrency: int = 20  # deliveries at once in a worker's mail lane
    # Lets Prometheus read /metrics from another machine (loopback clients need none).
    metrics_token: str = field(default="", repr=False)
    worker_metrics_port: int = 0  # 0: ``channel-expert worker`` serves no /metrics
    worker_metrics_host: str = DEFAULT_HOST
    # Who answers for the site, as the legal notice names them (LCEN, article 6); empty: "à renseigner".
    publisher_name: str = ""
    publisher_address: str = ""
    publisher_registration: str = ""  # RCS, SIREN or RNA number
    publication_director: str = ""
    host_name: str = ""
    host_address: str = ""
    host_phone: str = ""
    contact_email: str = ""  # where contact messages are also mailed; empty: staff's page only
    contact_retention_days: int = 365  # a contact message is erased this long after it was sent

    @property
    def legal_gaps(self) -> tuple[str, ...]:
        """The variables of the legal notice still unset, which a site open to the public must set."""
        values = {"PUBLISHER_NAME": self.publisher_name, "PUBLISHER_ADDRESS": self.publisher_address,
                  "PUBLICATION_DIRECTOR": self.publication_director, "HOST_NAME": self.host_name,
                  "HOST_ADDRESS": self.host_address, "HOST_PHONE": self.host_phone}
        return tuple(PREFIX + name for name, value in values.items() if not value.strip())

    def served_at(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> Settings:
        """These settings for a server listening on ``host:port``: with no public URL set, the links
        of pages and mail and the badges' addresses name that address (the loopback one when the
        server listens on every interface)."""
        if self.public_url:
            return self
        try:
            address = ipaddress.ip_address(host)
        except ValueError:  # a name, such as localhost
            return replace(self, public_url=f"http://{host}:{port}")
        if address.is_unspecified:
            address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
        shown = f"[{address}]" if address.version == 6 else str(address)
        return replace(self, public_url=f"http://{shown}:{port}")

    @property
    def served_over_https(self) -> bool:
        """Whether cookies may be marked ``Secure``: the site's public address is https."""
        return self.public_url.startswith("https://")

    @property
    def map_tiles_origin(self) -> str:
        """The origin the map's tiles come from ("" without tiles), which pages must allow images from."""
        parts = urlsplit(self.map_tiles_url)
        return f"{parts.scheme}://{parts.netloc}" if self.map_tiles_url else ""

    def __post_init__(self) -> None:
        scheme = self.database_url.split(":", 1)[0]
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise SettingsError(f"DATABASE_URL must start with sqlite:// or postgresql://, not {scheme!r}")
        unknown = [name for name in self.geocoders if name not in ("ban", "nominatim")]
        if unknown:
            raise SettingsError(f"{PREFIX}GEOCODERS accepts 'ban' and 'nominatim', not {', '.join(unknown)}")
        if "nominatim" in self.geocoders and not self.nominatim_user_agent:
            raise SettingsError(f"{PREFIX}NOMINATIM_USER_AGENT must identify this deployment to use Nominatim")
        if self.search_backend not in ("embedded", "meilisearch"):
            raise SettingsError(f"{PREFIX}SEARCH_BACKEND must be 'embedded' or 'meilisearch'")
        if self.search_backend == "meilisearch" and not self.meilisearch_url:
            raise SettingsError(f"{PREFIX}MEILISEARCH_URL is required with the meilisearch search backend")
        object.__setattr__(self, "public_url", self.public_url.rstrip("/"))  # pages append "/prestataires/…"
        public = urlsplit(self.public_url)
        if self.public_url and (public.scheme not in ("http", "https") or not public.netloc or public.query
                                or public.fragment):
            raise SettingsError(f"{PREFIX}PUBLIC_URL must be the site's address, such as https://annuaire.example.fr")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise SettingsError(f"{PREFIX}TRUSTED_PROXIES lists IP addresses or networks (10.0.0.5, "
                                    f"172.18.0.0/16), not {proxy!r}") from None
        if self.map_tiles_url and not self.map_tiles_url.startswith("https://"):
            raise SettingsError(f"{PREFIX}MAP_TILES_URL must be an https:// tile address with {{z}}/{{x}}/{{y}}")
        if self.secret_key and len(self.secret_key) < 32:
            raise SettingsError(f"{PREFIX}SECRET_KEY must be at least 32 characters (python -c "
                                f"'import secrets; print(secrets.token_urlsafe(32))')")
        if self.redis_url and urlsplit(self.redis_url).scheme not in ("redis", "rediss", "unix"):
            raise SettingsError(f"{PREFIX}REDIS_URL must start with redis://, rediss:// or unix://")
        if self.mail_transport not in ("smtp", "console", "file"):
            raise SettingsError(f"{PREFIX}MAIL_TRANSPORT must be 'smtp', 'console' or 'file'")
        if self.mail_transport == "smtp" and not self.smtp_host:
            raise SettingsError(f"{PREFIX}SMTP_HOST is required with the smtp mail transport")
        if self.smtp_tls not in ("none", "starttls", "tls"):
            raise SettingsError(f"{PREFIX}SMTP_TLS must be 'none', 'starttls' or 'tls'")
        if self.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise SettingsError(f"{PREFIX}LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        if self.metrics_token and len(self.metrics_token) < 32:
            raise SettingsError(f"{PREFIX}METRICS_TOKEN must be at least 32 characters (python -c "
                                f"'import secrets; print(secrets.token_urlsafe(32))')")
        if self.contact_email and "@" not in self.contact_email:
            raise SettingsError(f"{PREFIX}CONTACT_EMAIL must be an e-mail address, "
                                f"not {self.contact_email!r}")
        if self.log_format not in ("text", "json"):
            raise SettingsError(f"{PREFIX}LOG_FORMAT must be text or json, not {self.log_format!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``environ`` (the process environment by default)."""
        env = os.environ if environ is None else environ

        def get(name: str, default: str = "") -> str:
            return env.get(PREFIX + name, default)

        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            lock_timeout_s=_float(PREFIX + "LOCK_TIMEOUT_S", get("LOCK_TIMEOUT_S", str(DEFAULT_LOCK_TIMEOUT_S))),
            debug=_bool(PREFIX + "DEBUG", get("DEBUG")),
            public_url=get("PUBLIC_URL"),
            trusted_proxies=_list(get("TRUSTED_PROXIES")),
            access_log=_bool(PREFIX + "ACCESS_LOG", get("ACCESS_LOG", "true")),
            page_cache=_bool(PREFIX + "PAGE_CACHE", get("PAGE_CACHE", "true")),
            disabled_plugins=_list(get("DISABLED_PLUGINS")),
            strict_plugins=_bool(PREFIX + "STRICT_PLUGINS", get("STRICT_PLUGINS")),
            log_level=get("LOG_LEVEL", "INFO").upper(),
            log_format=get("LOG_FORMAT", "text").lower(),
            geocoders=_list(get("GEOCODERS").lower()),
            ban_domain=get("BAN_DOMAIN", BAN_DOMAIN),
            nominatim_domain=get("NOMINATIM_DOMAIN", NOMINATIM_DOMAIN),
            nominatim_user_agent=get("NOMINATIM_USER_AGENT"),
            geocode_cache=get("GEOCODE_CACHE", "var/geocode-cache.sqlite3"),
            geocode_timeout_s=_float(PREFIX + "GEOCODE_TIMEOUT_S", get("GEOCODE_TIMEOUT_S", "5")),
            search_backend=get("SEARCH_BACKEND", "embedded").lower(),
            meilisearch_url=get("MEILISEARCH_URL"),
            meilisearch_api_key=get("MEILISEARCH_API_KEY"),
            meilisearch_index=get("MEILISEARCH_INDEX", "providers"),
            map_tiles_url=get("MAP_TILES_URL"),
            map_attribution=get("MAP_ATTRIBUTION"),
            worker_in_app=_bool(PREFIX + "WORKER_IN_APP", get("WORKER_IN_APP", "true")),
            redis_url=get("REDIS_URL"),
            secret_key=get("SECRET_KEY"),
            # With an SMTP server named, mail goes there unless told otherwise.
            mail_transport=get("MAIL_TRANSPORT", "smtp" if get("SMTP_HOST") else "file").lower(),
            mail_from=get("MAIL_FROM", Settings.mail_from),
            mail_dir=get("MAIL_DIR", Settings.mail_dir),
            smtp_host=get("SMTP_HOST"),
            smtp_port=_port(PREFIX + "SMTP_PORT", get("SMTP_PORT", "587")),
            smtp_username=get("SMTP_USERNAME"),
            smtp_password=get("SMTP_PASSWORD"),
            smtp_tls=get("SMTP_TLS", "starttls").lower(),
            smtp_timeout_s=_float(PREFIX + "SMTP_TIMEOUT_S", get("SMTP_TIMEOUT_S", "10")),
            mail_concurrency=_whole(PREFIX + "MAIL_CONCURRENCY", get("MAIL_CONCURRENCY", "20"), 1000,
                                    "a whole number from 1 to 1000"),
            metrics_token=get("METRICS_TOKEN"),
            worker_metrics_port=_port(PREFIX + "WORKER_METRICS_PORT", port)
            if (port := get("WORKER_METRICS_PORT")) else 0,
            worker_metrics_host=get("WORKER_METRICS_HOST", DEFAULT_HOST),
            publisher_name=get("PUBLISHER_NAME"),
            publisher_address=get("PUBLISHER_ADDRESS"),
            publisher_registration=get("PUBLISHER_REGISTRATION"),
            publication_director=get("PUBLICATION_DIRECTOR"),
            host_name=get("HOST_NAME"),
            host_address=get("HOST_ADDRESS"),
            host_phone=get("HOST_PHONE"),
            contact_email=get("CONTACT_EMAIL"),
            contact_retention_days=_whole(PREFIX + "CONTACT_RETENTION_DAYS",
                                          get("CONTACT_RETENTION_DAYS", "365"), 3650,
                                          "a number of days from 1 to 3650"),
        )
