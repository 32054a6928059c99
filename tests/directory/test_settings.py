import pytest

from directory.settings import DEFAULT_DATABASE_URL, Settings, SettingsError


def test_defaults_need_no_environment():
    settings = Settings.from_env({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.disabled_plugins == ()


def test_settings_are_read_from_prefixed_variables():
    settings = Settings.from_env({
        "DATABASE_URL": "postgresql://u@h/db",
        "CHANNEL_EXPERT_DEBUG": "true",
        "CHANNEL_EXPERT_DISABLED_PLUGINS": "plugins.sitemap, other",
        "CHANNEL_EXPERT_LOG_LEVEL": "warning",
    })
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.debug is True
    assert settings.disabled_plugins == ("plugins.sitemap", "other")
    assert settings.log_level == "WARNING"


@pytest.mark.parametrize("environ", [
    {"DATABASE_URL": "mysql://x"},
    {"CHANNEL_EXPERT_DEBUG": "maybe"},
    {"CHANNEL_EXPERT_LOG_LEVEL": "loud"},
    {"CHANNEL_EXPERT_MAIL_TRANSPORT": "smtp"},
    {"CHANNEL_EXPERT_MAIL_TRANSPORT": "pigeon"},
    {"CHANNEL_EXPERT_SMTP_HOST": "mail.example.fr", "CHANNEL_EXPERT_SMTP_PORT": "７"},
    {"CHANNEL_EXPERT_SMTP_HOST": "mail.example.fr", "CHANNEL_EXPERT_SMTP_PORT": "70000"},
    {"CHANNEL_EXPERT_SMTP_HOST": "mail.example.fr", "CHANNEL_EXPERT_SMTP_TLS": "maybe"},
    {"CHANNEL_EXPERT_CONTACT_EMAIL": "equipe"},
    {"CHANNEL_EXPERT_CONTACT_RETENTION_DAYS": "0"},
    {"CHANNEL_EXPERT_CONTACT_RETENTION_DAYS": "un an"},
])
def test_bad_values_raise_a_clear_error(environ):
    with pytest.raises(SettingsError):
        Settings.from_env(environ)


def test_the_legal_notice_is_read_from_its_variables_and_names_what_is_still_unset():
    settings = Settings.from_env({"CHANNEL_EXPERT_PUBLISHER_NAME": "Association Channel Expert",
                                  "CHANNEL_EXPERT_HOST_PHONE": "01 02 03 04 05",
                                  "CHANNEL_EXPERT_CONTACT_RETENTION_DAYS": "180"})
    assert settings.publisher_name == "Association Channel Expert" and settings.contact_retention_days == 180
    assert settings.legal_gaps == ("CHANNEL_EXPERT_PUBLISHER_ADDRESS", "CHANNEL_EXPERT_PUBLICATION_DIRECTOR",
                                   "CHANNEL_EXPERT_HOST_NAME", "CHANNEL_EXPERT_HOST_ADDRESS")


def test_geocoding_is_offline_unless_services_are_named():
    assert Settings.from_env({}).geocoders == ()
    settings = Settings.from_env({"CHANNEL_EXPERT_GEOCODERS": "BAN, nominatim",
                                  "CHANNEL_EXPERT_NOMINATIM_USER_AGENT": "annuaire.example.fr"})
    assert settings.geocoders == ("ban", "nominatim")


@pytest.mark.parametrize("environ", [
    {"CHANNEL_EXPERT_GEOCODERS": "google"},
    {"CHANNEL_EXPERT_GEOCODERS": "nominatim"},  # no identifying user agent
    {"CHANNEL_EXPERT_GEOCODE_TIMEOUT_S": "-1"},
])
def test_bad_geocoding_settings_are_refused(environ):
    with pytest.raises(SettingsError):
        Settings.from_env(environ)


def test_the_public_address_is_kept_without_a_trailing_slash():
    assert Settings(public_url="https://annuaire.example.fr/").public_url == "https://annuaire.example.fr"


def test_mail_goes_to_files_unless_an_smtp_server_is_named():
    assert Settings.from_env({}).mail_transport == "file"  # never the log, which would keep the links
    settings = Settings.from_env({"CHANNEL_EXPERT_SMTP_HOST": "mailpit", "CHANNEL_EXPERT_SMTP_PORT": "1025",
                                  "CHANNEL_EXPERT_SMTP_PASSWORD": "s3cret"})
    assert (settings.mail_transport, settings.smtp_host, settings.smtp_port) == ("smtp", "mailpit", 1025)
    assert "s3cret" not in repr(settings)
