"""Mail tests talk to a real SMTP server (aiosmtpd on 127.0.0.1) and the real database."""

from __future__ import annotations

import pytest

from app.core.config import Settings, get_settings
from tests.smtp_server import RecordingHandler, _smtp_handler, smtp_server  # noqa: F401


@pytest.fixture
def settings() -> Settings:
    """The app's own settings object (cached and mutable: patch it with monkeypatch)."""
    return get_settings()


@pytest.fixture
def smtp_settings(
    settings: Settings,
    smtp_server: RecordingHandler,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    """Settings pointing the worker at the test SMTP server."""
    monkeypatch.setattr(settings, "smtp_host", smtp_server.host)
    monkeypatch.setattr(settings, "smtp_port", smtp_server.port)
    return settings
