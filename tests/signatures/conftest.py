"""The verification tests' real DNS and web servers, as fixtures for this folder."""

from tests.verification_servers import web, zone

__all__ = ["web", "zone"]
