"""Digital signatures on final PDFs (PAdES baseline B, with pyHanko), and their verification.

The coalition's certificate is a PKCS#12 file named in the settings. In development and
tests, where there is none, a self-signed certificate is made once and kept in the data
folder with its random passphrase, so every PDF signed on one machine has the same signer.
Production refuses to sign without a configured certificate.

Verification trusts exactly that certificate (and any chain shipped in the PKCS#12 file),
and never fetches revocation data: the renderer and the verifier reach no network.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from app.core.config import Settings, get_settings
from app.core.i18n import gettext as _

if TYPE_CHECKING:
    from pyhanko_certvalidator import ValidationContext

# pyHanko is imported where it signs or verifies, not with this module: it takes 46 MiB
# and 0.4 s to import, and finalising a list runs the Typst child first, which at 50,000
# names needs the memory more. A process that never signs (an export, a worker) never
# loads it; one that does loads it once.

# pyHanko logs a full traceback for every untrusted signer; the report says it plainly.
logging.getLogger("pyhanko").setLevel(logging.ERROR)
T = TypeVar("T")

DEV_COMMON_NAME: Final = "Undersigned development signing key"
DEV_P12_FILE: Final = "dev-signing.p12"
DEV_PASSPHRASE_FILE: Final = "dev-signing.pass"  # noqa: S105 (a file name, not a secret)
FIELD_NAME: Final = "Signature1"


class SigningConfigError(RuntimeError):
    """No usable signing certificate."""


@dataclass(frozen=True)
class SignatureReport:
    """What a verifier can say about the signature on a PDF."""

    intact: bool  # the signed bytes are unchanged
    valid: bool  # the signature over them is cryptographically sound
    trusted: bool  # made by the coalition's (or this machine's development) certificate
    whole_file: bool  # nothing was appended after signing
    signer: str  # the certificate's common name, "" when unknown
    signed_at: datetime | None
    problem: str = ""  # why it is not ok, in plain words, for logs and the verification page

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.whole_file


def sign_pdf(pdf: bytes, *, settings: Settings, reason: str, location: str = "") -> bytes:
    """The PDF with a PAdES signature appended as an incremental update."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    p12, passphrase = _certificate_files(settings)
    signer = signers.SimpleSigner.load_pkcs12_data(p12, other_certs=[], passphrase=passphrase)
    if signer is None:  # pyHanko reports a wrong passphrase or bad file by returning None
        raise SigningConfigError("The signing certificate (PKCS#12) could not be opened.")
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location or None,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    out = BytesIO()
    _outside_event_loop(lambda: signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=out))
    return out.getvalue()


def _outside_event_loop(work: Callable[[], T]) -> T:
    """pyHanko's synchronous calls start an event loop of their own (asyncio.run), which
    fails inside one that is already running: then run them in a thread of their own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def validate_pdf_signature(
    pdf: bytes, *, trust_dev_cert: bool = True, settings: Settings | None = None
) -> SignatureReport:
    """Check the last signature of `pdf` against the coalition's certificate."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import SignatureCoverageLevel
    from pyhanko.sign.validation import validate_pdf_signature as validate_embedded

    settings = settings or get_settings()
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        embedded = reader.embedded_signatures
        if not embedded:
            return _failed(_("The PDF is not signed."))
        context = _validation_context(settings, trust_dev_cert)
        status = _outside_event_loop(
            lambda: validate_embedded(embedded[-1], signer_validation_context=context)
        )
    except (PdfError, ValueError):
        return _failed(_("The PDF or its signature cannot be read."))
    signer = status.signing_cert.subject.native.get("common_name", "")
    signed_at = status.signer_reported_dt or embedded[-1].self_reported_timestamp
    report = SignatureReport(
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signer=signer if isinstance(signer, str) else "",
        signed_at=signed_at,
    )
    return SignatureReport(**{**report.__dict__, "problem": _problem(report)})


def signing_certificate(settings: Settings) -> x509.Certificate:
    """The certificate PDFs are signed with (made first, in development)."""
    p12, passphrase = _certificate_files(settings)
    return _load(p12, passphrase)[1]


# --- Certificates ---------------------------------------------------------------------------


def _certificate_files(settings: Settings) -> tuple[bytes, bytes]:
    """The PKCS#12 bytes and passphrase: configured, or the development certificate."""
    path: Path | None = getattr(settings, "signing_p12_path", None)
    if path is not None:
        secret = getattr(settings, "signing_p12_passphrase", None)
        passphrase = secret.get_secret_value() if secret is not None else ""
        try:
            return Path(path).read_bytes(), passphrase.encode()
        except OSError as error:
            raise SigningConfigError(
                f"SIGNING_P12_PATH cannot be read: {path} ({error.strerror})"
            ) from error
    if settings.is_production:
        raise SigningConfigError(
            "SIGNING_P12_PATH (the coalition's PKCS#12 certificate) and SIGNING_P12_PASSPHRASE "
            "must be set in production to sign final PDFs."
        )
    return _development_certificate(settings.data_dir)


def _development_certificate(data_dir: Path) -> tuple[bytes, bytes]:
    p12_path, pass_path = data_dir / DEV_P12_FILE, data_dir / DEV_PASSPHRASE_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    # Two processes starting together must not each make a certificate and mix the halves.
    with (data_dir / "dev-signing.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (p12_path.exists() and pass_path.exists()):
            passphrase = secrets.token_urlsafe(32)
            _write_private(pass_path, (passphrase + "\n").encode())
            _write_private(p12_path, _make_development_p12(passphrase.encode()))
        return p12_path.read_bytes(), pass_path.read_text().strip().encode()


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _make_development_p12(passphrase: bytes) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DEV_COMMON_NAME)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        DEV_COMMON_NAME.encode(),
        key,
        cert,
        None,
        serialization.BestAvailableEncryption(passphrase),
    )


def _load(p12: bytes, passphrase: bytes) -> tuple[object, x509.Certificate, list[x509.Certificate]]:
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(p12, passphrase)
    except ValueError as error:
        raise SigningConfigError(
            "The signing certificate (PKCS#12) could not be opened: wrong passphrase or file."
        ) from error
    if cert is None:
        raise SigningConfigError("The PKCS#12 file holds no certificate.")
    return key, cert, list(chain)


def _validation_context(settings: Settings, trust_dev_cert: bool) -> ValidationContext:
    from pyhanko_certvalidator import ValidationContext

    configured = getattr(settings, "signing_p12_path", None) is not None
    trusted: list[asn1_x509.Certificate] = []
    if configured or (trust_dev_cert and not settings.is_production):
        _key, cert, chain = _load(*_certificate_files(settings))
        for item in (cert, *chain):
            der = item.public_bytes(serialization.Encoding.DER)
            trusted.append(asn1_x509.Certificate.load(der))
    return ValidationContext(trust_roots=trusted, allow_fetching=False)


def _failed(problem: str) -> SignatureReport:
    return SignatureReport(
        intact=False,
        valid=False,
        trusted=False,
        whole_file=False,
        signer="",
        signed_at=None,
        problem=problem,
    )


def _problem(report: SignatureReport) -> str:
    if not report.intact:
        return _("The document was changed after it was signed.")
    if not report.valid:
        return _("The signature does not match the document.")
    if not report.trusted:
        return _("The signature was not made with the coalition's certificate.")
    if not report.whole_file:
        return _("Content was added to the document after it was signed.")
    return ""
