"""Sending the digest to a real SMTP server (aiosmtpd) on 127.0.0.1."""

import email
import email.policy
import os
import shutil
import ssl
import subprocess
import sys

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from newsmon import pipeline
from newsmon.config import EmailSettings
from newsmon.digest.email import SendError
from tests.conftest import Inbox
from tests.servers import free_port
from tests.support.digest import seed_flagged_article

USER, PASSWORD = "digest-bot", "s3cret-Passw0rd"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_auth():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=_authenticator,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    yield controller, inbox
    controller.stop()


def _with_email(settings, port, **extra):
    return settings.model_copy(update={"email": EmailSettings(
        smtp_host="127.0.0.1", smtp_port=port, sender="newsmon@example.org",
        recipients=["analyst@example.org", "lead@example.org"], retry_backoff=0.01, **extra)})


def test_digest_arrives_with_text_html_and_inline_chart(settings, smtp):
    controller, inbox = smtp
    seed_flagged_article(settings, "<script>alert(1)</script> Parcel hub\nswitches on robots")
    settings = _with_email(settings, controller.port)
    result = pipeline.send_digest(settings, "2026-W47")
    assert result["status"] == "sent" and result["articles"] == 1

    (recipients, raw), = inbox.messages
    assert recipients == ["analyst@example.org", "lead@example.org"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == "newsmon 2026-W47: 1 integration, 0 decentralization of 1 articles"
    assert message["To"] == "analyst@example.org, lead@example.org"
    assert message.get_content_type() == "multipart/alternative"
    text_part, related = message.get_payload()
    assert text_part.get_content_type() == "text/plain"
    assert "<script>alert(1)</script> Parcel hub" in text_part.get_content()
    html_part, image = related.get_payload()
    html = html_part.get_content()
    assert 'src="cid:trend-chart"' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'style="' in html  # CSS inlined for mail clients
    assert image.get_content_type() == "image/png" and image["Content-ID"] == "<trend-chart>"
    assert image.get_payload(decode=True).startswith(b"\x89PNG")

    _, ledger = pipeline.run_sql(settings, "select week, recipients, message_id, article_ids from digests")
    assert ledger == [("2026-W47", ["analyst@example.org", "lead@example.org"], message["Message-ID"], ["a1"])]


def test_a_week_is_sent_once_unless_forced(settings, smtp):
    controller, inbox = smtp
    seed_flagged_article(settings, "Parcel hub switches on sorting robots")
    settings = _with_email(settings, controller.port)
    assert pipeline.send_digest(settings, "2026-W47")["status"] == "sent"
    assert pipeline.send_digest(settings, "2026-W47")["status"] == "already sent"
    assert len(inbox.messages) == 1
    assert pipeline.send_digest(settings, "2026-W47", force=True)["status"] == "sent"
    assert len(inbox.messages) == 2


def test_empty_week_is_still_a_valid_email(settings, smtp):
    controller, inbox = smtp
    seed_flagged_article(settings, "Parcel hub switches on sorting robots")
    pipeline.send_digest(_with_email(settings, controller.port), "2026-W40")
    message = email.message_from_bytes(inbox.messages[0][1], policy=email.policy.default)
    assert "No articles flagged this week." in message.get_body(("plain",)).get_content()


def test_auth_accepted_and_refused_and_password_never_stored(settings, smtp_auth, capfd):
    controller, inbox = smtp_auth
    seed_flagged_article(settings, "Parcel hub switches on sorting robots")
    good = _with_email(settings, controller.port, username=USER, password=PASSWORD)
    assert pipeline.send_digest(good, "2026-W47")["status"] == "sent"
    wrong = _with_email(settings, controller.port, username=USER, password="wrong")
    with pytest.raises(SendError, match="authentication refused"):
        pipeline.send_digest(wrong, "2026-W46")
    assert len(inbox.messages) == 1
    _, weeks = pipeline.run_sql(settings, "select week from digests")
    assert weeks == [("2026-W47",)]
    # nowhere on disk: warehouse, staging, crawl logs, models, anything under the data dir
    written = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    assert settings.data_dir / "newsmon.duckdb" in written
    assert not [p for p in written if PASSWORD.encode() in p.read_bytes()]
    printed = capfd.readouterr()  # nor in anything printed or logged while sending and failing
    assert PASSWORD not in printed.out and PASSWORD not in printed.err


def test_smtp_down_is_a_clear_failure_and_nothing_is_recorded(settings):
    seed_flagged_article(settings, "Parcel hub switches on sorting robots")
    env = {**os.environ, "NEWSMON_DATA_DIR": str(settings.data_dir), "NEWSMON_EMAIL__SMTP_HOST": "127.0.0.1",
           "NEWSMON_EMAIL__SMTP_PORT": str(free_port()), "NEWSMON_EMAIL__RECIPIENTS": "a@example.org",
           "NEWSMON_EMAIL__RETRY_BACKOFF": "0.05", "NEWSMON_EMAIL__PASSWORD": PASSWORD}
    result = subprocess.run([sys.executable, "-m", "newsmon", "digest", "--week", "2026-W47", "--send"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: could not send the digest via 127.0.0.1:")
    assert "after 3 attempts" in lines[0]
    assert PASSWORD not in result.stderr + result.stdout
    _, rows = pipeline.run_sql(settings, "select count(*) from digests")
    assert rows == [(0,)]


# ---------------------------------------------------------------- a known week, both parts

def _parts(raw: bytes):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    images = {part["Content-ID"].strip("<>"): part for part in message.walk()
              if part.get_content_maintype() == "image"}
    return message, text, html, images


def test_known_week_email_carries_the_same_content_in_both_parts(settings, smtp):
    import re

    from tests.digest_week import TITLES, WEEK, build_digest_week

    controller, inbox = smtp
    build_digest_week(settings)
    result = pipeline.send_digest(_with_email(settings, controller.port), WEEK)
    assert result["articles"] == 7
    message, text, html, images = _parts(inbox.messages[0][1])
    assert message["Subject"] == "newsmon 2026-W47: 5 integration, 2 decentralization of 10 articles"

    # every image the HTML shows by Content-ID is a part of the message, and no other
    referenced = set(re.findall(r'src="cid:([^"]+)"', html))
    assert referenced == set(images) == {"trend-chart", "sector-chart"}
    for part in images.values():
        assert part.get_content_type() == "image/png" and part.get_payload(decode=True).startswith(b"\x89PNG")
        assert part.get_content_disposition() == "inline"

    for body in (text, html):
        # the header: the week against the mean of the 4 before it
        assert "+150%" in body and "+25.0 pp" in body and "-12.5 pp" in body
        assert "mean of the 4 previous weeks" in body
        # one entry per story, in rank order; the two PORT articles appear once
        positions = [body.index(TITLES[key]) for key in ("PORT", "BUS", "WELD", "WARD")]
        assert positions == sorted(positions)
        assert body.count("Also reported by") == 1 and "Also reported by 1 other source: beta" in body
        assert "AI crane scheduling goes live at Kessling" not in body  # the second PORT article's own headline
        assert "Evidence for integration in w5." in body and "Evidence for integration in w1." not in body
        assert TITLES["RADIO"] in body and "Podcasters keep leaving" not in body
        # rising and health
        assert "logistics" in body and "+75.0 pp" in body and "(3 of 3)" in body and "(1 of 4)" in body
        assert "delta" in body and "dns: no such host delta.example (day 6)" in body
        assert "http: 503 Service Unavailable on https://beta.example/feed" in body
        assert "omega" not in body and "next week" not in body and "last week" not in body
    assert text.index("Rising") < text.index("Source health")
    # the text part has tables instead of images
    assert re.search(r"2026-W46\s+50\.0\s+50\.0", text)
    assert re.search(r"logistics\s+3 of 3\s+0 of 3", text)
    assert 'href="https://alpha.example/w1"' in html  # the canonical URL, not the fetched one
    assert "utm_source" not in html + text


# ---------------------------------------------------------------- TLS

def _write_certificates(folder):
    """A private CA and a certificate for 127.0.0.1 that it signed: (ca.pem, server cert, server key)."""
    ca_pem, cert_pem, key_pem = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    try:
        import datetime as dt
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if not shutil.which("openssl"):
            pytest.skip("neither the cryptography package nor the openssl CLI is available to make a certificate")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", str(key_pem),
                        "-out", str(cert_pem), "-addext", "subjectAltName=IP:127.0.0.1",
                        "-addext", "basicConstraints=critical,CA:TRUE"], check=True, capture_output=True)
        shutil.copy(cert_pem, ca_pem)
        return ca_pem, cert_pem, key_pem

    now = dt.datetime.now(dt.UTC)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "newsmon test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
              .issuer_name(ca_name).public_key(server_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
              .not_valid_after(now + dt.timedelta(days=2))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                             critical=False)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    return ca_pem, cert_pem, key_pem


@pytest.fixture
def certificates(tmp_path):
    return _write_certificates(tmp_path)


def _server_context(cert_pem, key_pem):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_pem, key_pem)
    return context


@pytest.fixture
def smtp_starttls(certificates):
    """STARTTLS required before anything else, and AUTH only over TLS."""
    _, cert_pem, key_pem = certificates
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=_authenticator,
                            auth_required=True, tls_context=_server_context(cert_pem, key_pem),
                            require_starttls=True)
    controller.start()
    yield controller, inbox
    controller.stop()


def test_starttls_with_a_private_ca_and_auth(settings, smtp_starttls, certificates):
    controller, inbox = smtp_starttls
    ca_pem, _, _ = certificates
    seed_flagged_article(settings, "Parcel hub switches on sorting robots")
    secure = _with_email(settings, controller.port, security="starttls", username=USER, password=PASSWORD,
                         ca_file=ca_pem)
    assert pipeline.send_digest(secure, "2026-W47")["status"] == "sent"
    (recipients, raw), = inbox.messages
    assert recipients == ["analyst@example.org", "lead@example.org"]
    assert b"newsmon 2026-W47" in raw


def test_starttls_refuses_an_untrusted_certificate_and_records_nothing(settings, smtp_starttls):
    controller, inbox = smtp_starttls
    seed_flagged_article(settings, "Parcel hub switches on sorting robots")
    untrusted = _with_email(settings, controller.port, security="starttls", username=USER, password=PASSWORD)
    with pytest.raises(SendError, match=r"TLS certificate of 127\.0\.0\.1:\d+ not trusted .*NEWSMON_EMAIL__CA_FILE"):
        pipeline.send_digest(untrusted, "2026-W47")
    assert inbox.messages == []
    _, rows = pipeline.run_sql(settings, "select count(*) from digests")
    assert rows == [(0,)]


def test_plain_connection_is_refused_where_starttls_is_required(settings, smtp_starttls):
    controller, inbox = smtp_starttls
    seed_flagged_article(settings, "Parcel hub switches on sorting robots")
    with pytest.raises(SendError, match="after 3 attempts"):
        pipeline.send_digest(_with_email(settings, controller.port), "2026-W47")
    assert inbox.messages == []


def test_implicit_tls(settings, certificates):
    ca_pem, cert_pem, key_pem = certificates
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(),
                            ssl_context=_server_context(cert_pem, key_pem))
    controller.start()
    try:
        seed_flagged_article(settings, "Parcel hub switches on sorting robots")
        assert pipeline.send_digest(_with_email(settings, controller.port, security="ssl", ca_file=ca_pem),
                                    "2026-W47")["status"] == "sent"
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


def test_missing_ca_file_is_a_clear_error(settings, smtp, tmp_path):
    controller, inbox = smtp
    seed_flagged_article(settings, "Parcel hub switches on sorting robots")
    with pytest.raises(SendError, match="NEWSMON_EMAIL__CA_FILE .*no such file"):
        pipeline.send_digest(_with_email(settings, controller.port, security="starttls",
                                         ca_file=tmp_path / "missing.pem"), "2026-W47")
    assert inbox.messages == []
