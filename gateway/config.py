"""Every setting of the gateway, declared once with its default and help text.

Values come, in increasing priority, from the defaults below, an optional
``instance/gateway.toml``, ``GATEWAY_*`` environment variables (Flask's
``from_prefixed_env``) and finally the ``test_config`` mapping given to
``create_app``.  Inside the app a setting is read as ``app.config[NAME]``
(``GATEWAY_`` prefix removed), already converted to its declared type.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

ENV_PREFIX = "GATEWAY"


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


def _as_str(value: Any) -> str:
    return "" if value is None else str(value)


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer")
    return int(value)


def _as_seconds(value: Any) -> float:
    """A positive duration in seconds; fractions allowed (tests use small backoffs)."""
    if isinstance(value, bool):
        raise ValueError("expected a number of seconds")
    seconds = float(str(value).strip().lower().removesuffix("s"))
    if not seconds > 0:
        raise ValueError("expected a positive number of seconds")
    return seconds


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def _as_list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _as_deadline(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in {"30d", "152fz"}:
        raise ValueError("expected 30d or 152fz")
    return text


def _as_days(value: Any) -> int:
    """Retention periods: an integer number of days, optionally written ``1095d``."""
    text = str(value).strip().lower().removesuffix("d")
    days = int(text)
    if days < 0:
        raise ValueError("expected a positive number of days")
    return days


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = _as_str
    secret: bool = False

    @property
    def env_name(self) -> str:
        return f"{ENV_PREFIX}_{self.name}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SECRET_KEYS",
        [],
        "Comma list of secret keys; the first signs, the rest still verify (rotation). "
        "`make run` generates one into instance/gateway.toml.",
        _as_list,
        secret=True,
    ),
    Setting(
        "DATABASE_URL",
        "sqlite:///{instance}/gateway.db",
        "SQLAlchemy URL: SQLite (WAL) or postgresql+psycopg://user:pass@host/db.",
        secret=True,
    ),
    Setting(
        "DATABASE_TIMEOUT",
        5.0,
        "Seconds a statement waits for a lock held by another session (PostgreSQL "
        "lock_timeout, SQLite busy_timeout) and a new connection waits for the server; "
        "past it the request answers 503 with Retry-After instead of holding a worker.",
        _as_seconds,
    ),
    Setting(
        "SITES_FILE",
        "{instance}/sites.toml",
        "TOML file declaring the sites, their origins, languages, categories and GA ids.",
    ),
    Setting(
        "PUBLIC_URL",
        "http://127.0.0.1:8000",
        "Public base URL of the gateway, used in e-mailed links and the Atom feed.",
    ),
    Setting(
        "GA_ENDPOINT",
        "dry-run",
        "`dry-run` keeps what would be sent; otherwise a base URL such as "
        "https://region1.google-analytics.com (the gateway POSTs to BASE/mp/collect).",
    ),
    Setting(
        "GA_TIMEOUT",
        10,
        "Seconds before a Measurement Protocol request is abandoned and retried.",
        _as_int,
    ),
    Setting(
        "FORWARD_BACKOFF_BASE",
        1.0,
        "Seconds before the first retry of a failed Measurement Protocol request; doubles "
        "with each attempt (with jitter).",
        _as_seconds,
    ),
    Setting(
        "FORWARD_BACKOFF_MAX",
        60.0,
        "Cap in seconds of the forwarder's backoff (a longer Retry-After from GA still wins).",
        _as_seconds,
    ),
    Setting(
        "FORWARD_CLAIM_TTL",
        300.0,
        "Seconds a forwarder holds the events it claimed; a dead worker's batch is retried "
        "by another after this.",
        _as_seconds,
    ),
    Setting(
        "FORWARD_ONCE_DEADLINE",
        120.0,
        "Seconds `gateway forward --once` keeps retrying failing batches before it gives up "
        "and leaves them pending.",
        _as_seconds,
    ),
    Setting(
        "FORWARD_POLL_INTERVAL",
        2.0,
        "Seconds the long-running forwarder waits between looks at an empty outbox.",
        _as_seconds,
    ),
    Setting("GEOIP_DB", "", "Path to a GeoIP2/GeoLite2 City or Country .mmdb; unset: no location."),
    Setting(
        "SMTP_URL",
        "",
        "smtp://user:pass@host:port (STARTTLS when offered); unset: mail is written as .eml "
        "files to MAIL_DIR.",
        secret=True,
    ),
    Setting("MAIL_DIR", "{instance}/mail", "Where .eml files go when no SMTP server is set."),
    Setting(
        "CONTACT_EMAIL",
        "privacy@hottelecom.example",
        "The address shown in the policy and used as the sender of every e-mail.",
    ),
    Setting(
        "TRUSTED_PROXIES",
        0,
        "Number of reverse proxies whose X-Forwarded-For is trusted; 0 ignores the header.",
        _as_int,
    ),
    Setting(
        "AGGREGATE_MIN_COUNT",
        5,
        "k: aggregate buckets with fewer events are folded into `(other)`.",
        _as_int,
    ),
    Setting("AGGREGATE_WINDOW", 3600, "Seconds per aggregate bucket.", _as_int),
    Setting(
        "CONSENT_MAX_AGE",
        183,
        "Days a consent decision (and its token) stays valid before the banner asks again.",
        _as_days,
    ),
    Setting(
        "CONTACT_MIN_FILL_SECONDS",
        3,
        "Seconds a person needs at least to fill the contact form; faster sends are asked "
        "to send again (with the honeypot field, this replaces a CAPTCHA).",
        _as_int,
    ),
    Setting(
        "REQUEST_DEADLINE",
        "30d",
        "`30d` (policy §4: 30 calendar days) or `152fz` (10 Russian working days, +5 once).",
        _as_deadline,
    ),
    Setting(
        "STATUS_LINK_DAYS",
        30,
        "Days an e-mailed request status link works; the requester can ask for a fresh one "
        "by e-mail.",
        _as_days,
    ),
    Setting(
        "DATA_LINK_DAYS",
        14,
        "Days after an access request is completed during which the requester can download "
        "their data from the status page.",
        _as_days,
    ),
    Setting(
        "VERIFY_MAILS_PER_DAY",
        5,
        "Request mails (verification links, fresh status links) one address receives at most "
        "in 24 hours; more submissions are kept but not mailed.",
        _as_int,
    ),
    Setting(
        "MAIL_SENDER_NAME",
        "HotTelecom",
        "Display name in the From header of every e-mail (the address is CONTACT_EMAIL).",
    ),
    Setting(
        "RATELIMIT_STORAGE_URL",
        "memory://",
        "Rate-limit storage; redis://… when several nodes run.",
        secret=True,
    ),
    Setting(
        "RATELIMIT_ENABLED",
        True,
        "false turns every limit off (load tests, trusted internal traffic).",
        _as_bool,
    ),
    Setting(
        "METRICS_TOKEN",
        "",
        "If set, /metrics requires `Authorization: Bearer TOKEN`.",
        secret=True,
    ),
    Setting(
        "OUTBOX_RETENTION",
        7,
        "Days delivered outbox rows are kept.",
        _as_days,
    ),
    Setting(
        "FORWARDED_RETENTION",
        30,
        "Days the record of each request sent to Google (or kept in dry-run) is kept for "
        "/admin/forwarded.",
        _as_days,
    ),
    Setting("DEAD_LETTER_RETENTION", 30, "Days dead-lettered events are kept.", _as_days),
    Setting(
        "TRAFFIC_RETENTION",
        800,
        "Days the gateway's own daily traffic figures (/admin/traffic, `gateway traffic`) are "
        "kept; they are k-anonymous counts, kept long enough to compare a month with the "
        "same month a year before.",
        _as_days,
    ),
    Setting(
        "CONSENT_RETENTION",
        1825,
        "Days consent records are kept after their last decision (5 years).",
        _as_days,
    ),
    Setting(
        "REQUEST_RETENTION",
        1095,
        "Days closed data-subject requests are kept before `gateway purge` removes them.",
        _as_days,
    ),
    Setting(
        "HSTS_MAX_AGE",
        31536000,
        "Strict-Transport-Security max-age in seconds, sent on HTTPS responses.",
        _as_int,
    ),
    Setting("LOG_LEVEL", "INFO", "Level of the application's own log."),
)

SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def _normalise_key(key: str) -> str:
    name = key.strip().upper()
    return name.removeprefix(f"{ENV_PREFIX}_")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = _normalise_key(key)
        if name not in SETTINGS_BY_NAME:
            raise ConfigError(f"{path}: unknown setting {key!r}")
        values[name] = value
    return values


def _read_env(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.env_name in environ:
            values[setting.name] = environ[setting.env_name]
    return values


def resolve(raw: Mapping[str, Any], instance_path: str) -> dict[str, Any]:
    """Turn raw values (any layer merged) into typed settings; unknown names are kept."""
    resolved: dict[str, Any] = {}
    for setting in SETTINGS:
        value = raw.get(setting.name, setting.default)
        if isinstance(value, str):
            value = value.replace("{instance}", instance_path)
        try:
            resolved[setting.name] = setting.parse(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{setting.env_name}={value!r}: {exc}") from exc
    return resolved


def load(
    app: Flask, test_config: Mapping[str, Any] | None = None, *, require_secret: bool = True
) -> None:
    """Fill ``app.config`` from defaults, instance/gateway.toml, environment and test_config."""
    raw: dict[str, Any] = {}
    raw.update(_read_toml(Path(app.instance_path) / "gateway.toml"))
    raw.update(_read_env(os.environ))
    if test_config:
        raw.update({_normalise_key(k): v for k, v in test_config.items()})
    settings = resolve(raw, app.instance_path)
    app.config.update(settings)
    # Settings that are not ours (Flask's own, e.g. TESTING) pass through untouched.
    if test_config:
        for key, value in test_config.items():
            if _normalise_key(key) not in SETTINGS_BY_NAME:
                app.config[key] = value

    keys = settings["SECRET_KEYS"]
    if keys:
        app.config["SECRET_KEY"] = keys[0]
        app.config["SECRET_KEY_FALLBACKS"] = keys[1:]
        # itsdangerous verifies with every key of a list and signs with the last
        # one: CSRF tokens made before a rotation stay valid, new ones use the new key.
        app.config["WTF_CSRF_SECRET_KEY"] = list(reversed(keys))
    elif require_secret:
        raise ConfigError(
            "no secret key: set GATEWAY_SECRET_KEYS, or run `gateway init` to generate one "
            "into instance/gateway.toml"
        )
    # Flask's own default is None (no limit), so setdefault alone would never apply.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    # A visitor may take a long time to write a request; the token still dies with the session.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 12 * 3600)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # `__Host-` cookies must be Secure, have Path=/ and no Domain: browsers then
    # refuse them from subdomains and plain HTTP (localhost counts as secure).
    app.config["SESSION_COOKIE_NAME"] = "__Host-session"
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config["SESSION_COOKIE_PATH"] = "/"
    app.config["SESSION_COOKIE_DOMAIN"] = None


def masked(setting: Setting, value: Any) -> str:
    """How ``gateway config`` shows a value: secrets reduced to their presence."""
    shown = ",".join(value) if isinstance(value, list) else str(value)
    if setting.secret and shown:
        if setting.name == "DATABASE_URL" or "://" in shown:
            return _mask_url(shown)
        count = len(value) if isinstance(value, list) else 1
        return f"******** ({count} set)"
    return shown


def _mask_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:********@{host}" if ":" in creds else f"{scheme}://****@{host}"


def describe(config: Mapping[str, Any]) -> Iterable[tuple[Setting, str]]:
    for setting in SETTINGS:
        yield setting, masked(setting, config.get(setting.name, setting.default))
