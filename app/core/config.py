"""One Settings object, read from the environment and `.env`.

Development is forgiving (a secret key is generated once and kept under ./data/);
production refuses to start with anything unsafe.
"""

from __future__ import annotations

import secrets
import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "dev", "development"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("data")
    database_url: str = ""
    secret_key: SecretStr = SecretStr("")
    base_url: str = "http://127.0.0.1:8000"
    # Signer data is encrypted at rest (app.security.encryption) under this key: base64 of
    # 32 random bytes, here or in a file. Old keys (comma-separated) are read, never
    # written, until `undersigned rotate-encryption-key` has moved every value off them.
    # Development creates DATA_DIR/encryption_key once; production refuses to start without.
    encryption_key: SecretStr = SecretStr("")
    encryption_key_file: Path | None = None
    encryption_old_keys: SecretStr = SecretStr("")

    # Outgoing mail. With no SMTP host in development, mail is kept for the dev mailbox.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: float = 10.0
    mail_from: str = "Undersigned <no-reply@undersigned.localhost>"

    # Outbox worker.
    outbox_batch_size: int = 50
    outbox_poll_seconds: float = 1.0
    outbox_max_attempts: int = 8
    outbox_retry_base_seconds: float = 30.0
    outbox_claim_lease_seconds: float = 300.0

    # Accounts.
    # A session ends after this long without a request (idle), and this long after
    # sign-in whatever happens (absolute). SESSION_MAX_AGE_HOURS is the old name.
    session_idle_minutes: int = Field(default=30, ge=1)
    session_max_hours: int = Field(
        default=12,
        ge=1,
        validation_alias=AliasChoices("session_max_hours", "session_max_age_hours"),
    )
    invite_max_age_hours: int = 72
    # Wrong second-factor codes for one account within this window pause its code entry.
    login_failure_window_minutes: int = 15
    # A second factor proved within this many minutes before contact data leaves, a token
    # is made, the team changes, a factor changes or a statement is finalised.
    step_up_minutes: int = 10
    password_reset_minutes: int = Field(default=30, ge=1)
    # Wrong passwords slow the address that sends them, never lock the account: after
    # this many failures for one account from one address (or for any account from one
    # address), each further try waits twice as long, up to the cap.
    login_free_failures_per_account: int = Field(default=3, ge=1)
    login_free_failures_per_ip: int = Field(default=10, ge=1)
    login_max_delay_seconds: int = Field(default=900, ge=1)
    # Failures older than this are forgotten.
    login_failure_memory_hours: int = Field(default=24, ge=1)
    api_token_default_days: int = Field(default=90, ge=1)

    # The coalition's certificate for signing final PDFs (PKCS#12). Without one, development
    # and tests create a self-signed certificate under DATA_DIR; production refuses.
    signing_p12_path: Path | None = None
    signing_p12_passphrase: SecretStr = SecretStr("")

    # Signing.
    # How long a confirmation link works, and how long after the deadline a signature
    # submitted before it may still be confirmed (both stated in the confirmation email).
    signature_confirm_days: int = Field(default=7, ge=1)
    confirm_grace_minutes: int = Field(default=60, ge=0)
    # Treat name+tag@example.org as name@example.org when spotting repeat signers.
    email_ignore_plus_tags: bool = True
    sign_limit_per_ip_per_hour: int = 30
    sign_limit_per_email_per_hour: int = 5
    sign_min_seconds: float = 3.0  # a form sent faster than this is held as "too fast"

    # Retention (app.signatures.retention). Contact details go a number of days after
    # finalisation chosen per statement; unconfirmed and rejected signatures go this long
    # after they were submitted.
    pending_signature_days: int = 30
    sent_mail_days: int = 30  # sent and failed mail (links, addresses) is deleted after
    retention_batch_size: int = 500
    privacy_link_days: int = 7  # how long the links in a privacy report work
    privacy_limit_per_ip_per_hour: int = 10
    privacy_limit_per_email_per_hour: int = 3

    # Organisation verification (app.signatures.verification), run by the worker.
    # A DNS server "host:port" to ask instead of the system's resolvers.
    verification_resolver: str = ""
    verification_dns_timeout: float = Field(default=3.0, gt=0)
    # A /.well-known/ fetch: the most it reads, and the longest it takes in all.
    verification_fetch_max_bytes: int = Field(default=8192, ge=64)
    verification_fetch_timeout: float = Field(default=5.0, gt=0)
    # Tests only: addresses (comma-separated) a fetch may reach although not public.
    # Production refuses to start with it.
    verification_fetch_allow: str = ""

    # Requests. Every size limit is here, read at request time.
    max_body_bytes: int = 1_000_000
    # A CSV import's request body: the file, or (on the later steps) that file again,
    # compressed and signed.
    max_upload_bytes: int = 8_000_000
    import_file_max_bytes: int = 5_000_000  # the CSV file itself
    # The request body at /verify: a final PDF someone was sent, with its signature and
    # any translations, plus a little room for the form around it.
    verify_upload_max_bytes: int = 60_000_000
    # The public statement page is rendered at most once per this many seconds per worker
    # and address (it is already public and cacheable for 30 s); 0 turns the cache off.
    public_page_cache_seconds: float = 1.0
    # Signing and confirming transactions run at once per web process (the rest wait their
    # turn on the event loop): see app.core.db.in_one_thread.
    signing_concurrency: int = Field(default=4, ge=1, le=64)
    # Number of reverse-proxy hops whose X-Forwarded-For we trust; 0 = use the socket peer.
    trusted_proxy_hops: int = 0
    # Whether uvicorn's access log shows each request's client address; off, it shows "-".
    access_log_client_ips: bool = False

    @model_validator(mode="after")
    def _fill_and_check(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'undersigned.db'}"
        self.base_url = self.base_url.rstrip("/")
        if self.app_env == "production":
            key = self.secret_key.get_secret_value()
            if len(key) < 32 or key.lower() in PLACEHOLDER_SECRETS:
                raise ValueError(
                    "SECRET_KEY must be set to a random value of at least 32 characters in "
                    'production (for example: python -c "import secrets; '
                    'print(secrets.token_urlsafe(48))")'
                )
            if urlsplit(self.base_url).scheme != "https":
                raise ValueError("BASE_URL must be an https:// address in production")
            if not self.smtp_host:
                raise ValueError("SMTP_HOST must be set in production: mail cannot be delivered")
            if self.verification_fetch_allow:
                raise ValueError(
                    "VERIFICATION_FETCH_ALLOW is only for tests: refused in production"
                )
        elif not self.secret_key.get_secret_value():
            self.secret_key = SecretStr(_development_secret(self.data_dir))
        self._encryption_keys()
        return self

    def _encryption_keys(self) -> None:
        from app.security.encryption import parse_key

        if self.encryption_key_file is not None and not self.encryption_key.get_secret_value():
            self.encryption_key = SecretStr(self.encryption_key_file.read_text().strip())
        if not self.encryption_key.get_secret_value():
            if self.app_env == "production":
                raise ValueError(
                    "ENCRYPTION_KEY or ENCRYPTION_KEY_FILE must be set in production: signer "
                    "data is encrypted with it (create one with `undersigned new-encryption-key`)"
                )
            self.encryption_key = SecretStr(_development_encryption_key(self.data_dir))
        parse_key(self.encryption_key.get_secret_value())
        for old in self.encryption_old_keys.get_secret_value().split(","):
            if old.strip():
                parse_key(old)

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def cookie_secure(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    @property
    def dev_mailbox(self) -> bool:
        """Mail is kept for the local mailbox page instead of being sent."""
        return not self.smtp_host and not self.is_production


def _development_secret(data_dir: Path) -> str:
    """Generate the development key once and keep it, so sessions survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def _development_encryption_key(data_dir: Path) -> str:
    """Create the development encryption key once, readable only by its owner, and say so:
    a copy of the database is unreadable without it."""
    path = data_dir / "encryption_key"
    if path.exists():
        return path.read_text().strip()
    from app.security.encryption import new_key

    data_dir.mkdir(parents=True, exist_ok=True)
    key = new_key()
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(key + "\n")
    print(
        f"Created the encryption key {path} (keep it with your backups: without it "
        "the signers' data in the database cannot be read).",
        file=sys.stderr,
    )
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
