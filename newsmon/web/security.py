"""The review app's guards: a token when it is reachable from other hosts, CSRF tokens on every
form, and headers that allow no script and no framing."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import quote

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

CSRF_COOKIE = "newsmon_csrf"
AUTH_COOKIE = "newsmon_auth"
# no script at all, nothing from elsewhere; forms post only here; the app is never framed
CONTENT_SECURITY_POLICY = ("default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; "
                           "base-uri 'none'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # article links leave no trace of the app (its URLs name articles and searches)
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}
OPEN_PATHS = ("/login", "/static/")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: only this machine can reach the app."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def sign(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


class Guard(BaseHTTPMiddleware):
    """Token check (when a token is set), the CSRF cookie, and the security headers on every response."""

    def __init__(self, app, *, token: str | None, key: bytes) -> None:
        super().__init__(app)
        self.token = token
        self.key = key

    def authenticated(self, request: Request) -> bool:
        if self.token is None:
            return True
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer " and same(header[7:].strip(), self.token):
            return True
        return same(request.cookies.get(AUTH_COOKIE), login_cookie(self.key, self.token))

    async def dispatch(self, request: Request, call_next) -> Response:
        new_csrf = None
        csrf = request.cookies.get(CSRF_COOKIE)
        if not csrf or len(csrf) > 100:
            csrf = new_csrf = secrets.token_urlsafe(24)
        request.state.csrf = sign(self.key, csrf)
        request.state.csrf_cookie = csrf
        if not request.url.path.startswith(OPEN_PATHS) and not self.authenticated(request):
            if request.method == "GET":
                response: Response = RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
            else:
                response = PlainTextResponse("a token is required: Authorization: Bearer <NEWSMON_SERVE__TOKEN>",
                                             status_code=401, headers={"WWW-Authenticate": "Bearer"})
        else:
            response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if new_csrf:
            response.set_cookie(CSRF_COOKIE, new_csrf, httponly=True, samesite="strict", path="/")
        return response


def login_cookie(key: bytes, token: str) -> str:
    return sign(key, "login:" + token)


def check_csrf(request: Request, form_token: str | None) -> str | None:
    """Why a form post is refused (None: it is this app's own form, from this browser): the form's
    token must be the one the app derived from this browser's CSRF cookie, and a cross-site request
    (Sec-Fetch-Site, Origin) is refused whatever it carries."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return "cross-site form post refused"
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
        return "form posted from another origin refused"
    if not request.cookies.get(CSRF_COOKIE) or not same(form_token, request.state.csrf):
        return "missing or wrong CSRF token: reload the page and try again"
    return None


def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target within the app (a path), never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ch in target for ch in "\r\n\t\x00"):
        return default
    return target
