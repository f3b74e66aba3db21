"""The digest as an email: multipart/alternative (text, and HTML with the chart inline by Content-ID),
built with the standard library; and sending it over SMTP with retries."""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid

import css_inline

from newsmon.domain import NewsmonError, one_line


class SendError(NewsmonError):
    """The digest could not be sent."""


def build_message(*, subject: str, sender: str, recipients: list[str], text: str, html: str,
                  images: dict[str, bytes] | None = None) -> EmailMessage:
    """images: Content-ID -> PNG bytes, each attached inline next to the HTML (multipart/related) and
    shown by `src="cid:<Content-ID>"` in it."""
    message = EmailMessage()
    message["Subject"] = one_line(subject)
    message["From"] = one_line(sender)
    message["To"] = ", ".join(one_line(r) for r in recipients)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] if "@" in sender else None)
    message.set_content(text)
    message.add_alternative(css_inline.inline(html), subtype="html")
    html_part = message.get_payload()[1]
    for cid, png in (images or {}).items():
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid}.png",
                              disposition="inline")
    return message


def send_message(message: EmailMessage, *, host: str, port: int, security: str, username: str | None,
                 password: str | None, attempts: int = 3, backoff: float = 2.0, timeout: float = 30.0,
                 ca_file: str | None = None, sleep: Callable[[float], None] = time.sleep) -> dict[str, str]:
    """Send; retry with exponential backoff; raise SendError with a one-line reason when all fail.
    TLS verifies the server against the system's CAs, or only those in ca_file (a private CA).
    Returns the recipients the server refused (address -> its reply) when it took the message for
    the others; when it refuses every recipient, that is a SendError at once (retrying cannot help)."""
    if ca_file and not os.path.isfile(ca_file):
        raise SendError(f"NEWSMON_EMAIL__CA_FILE {ca_file}: no such file")
    last = ""
    for attempt in range(attempts):
        try:
            context = ssl.create_default_context(cafile=ca_file or None)
            if security == "ssl":
                client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            else:
                client = smtplib.SMTP(host, port, timeout=timeout)
            with client:
                if security == "starttls":
                    client.starttls(context=context)
                if username:
                    client.login(username, password or "")
                refused = client.send_message(message)
            return {address: _reply(*answer) for address, answer in refused.items()}
        except smtplib.SMTPRecipientsRefused as exc:
            refusals = ", ".join(f"{a} ({_reply(*answer)})" for a, answer in exc.recipients.items())
            raise SendError(f"the SMTP server {host}:{port} refused every recipient: {refusals[:400]}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"SMTP authentication refused by {host}:{port} ({exc.smtp_code})") from None
        except ssl.SSLCertVerificationError as exc:
            # retrying cannot help; say how to trust a private CA
            raise SendError(f"TLS certificate of {host}:{port} not trusted ({one_line(exc.verify_message)}); "
                            "for a private CA set NEWSMON_EMAIL__CA_FILE") from None
        except (OSError, smtplib.SMTPException) as exc:
            last = f"{exc.__class__.__name__}: {one_line(str(exc))}"
        if attempt + 1 < attempts:
            sleep(backoff * 2 ** attempt)
    raise SendError(f"could not send the digest via {host}:{port} after {attempts} attempts ({last})")


def _reply(code: int, text: bytes | str) -> str:
    """An SMTP reply as one short line: `550 5.1.1 no such user`."""
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return one_line(f"{code} {text}")[:120]
