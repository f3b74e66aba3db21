"""The review app's pages, server-rendered from Jinja2 templates (autoescaped, no script): this
week's flagged stories, trends, search, an article, sources, and right/wrong feedback on labels.

It reads through a warehouse.review.Review (made by newsmon.pipeline.open_review): the published
snapshot, opened read-only in the sandbox, named queries only. Feedback is judged against the
snapshot and queued for the next write step, so no request waits for the pipeline's writer; on
DuckLake, which takes several writers, it is stored in the lake at once, and a lake that does not
take it is an error page (503), never a verdict shown as saved."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from newsmon.digest.render import LABEL_TITLES, DigestRows, digest_context, safe_link
from newsmon.domain import LABELS, NewsmonError, Unavailable
from newsmon.pipeline import iso_week_bounds
from newsmon.web.security import AUTH_COOKIE, Guard, check_csrf, is_loopback, login_cookie, safe_next, same

_CHART_LOCK = threading.Lock()  # matplotlib's pyplot is not thread-safe


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("newsmon.web", "templates"),
                      autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["link"] = safe_link
    env.filters["day"] = lambda v: v.strftime("%Y-%m-%d %H:%M") if v else ""
    env.globals["label_titles"] = LABEL_TITLES
    env.globals["label_names"] = LABELS
    return env


def _week_of(moment: date) -> str:
    year, number, _ = moment.isocalendar()
    return f"{year}-W{number:02d}"


def _parse_day(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        raise NewsmonError(f"{name}: not a date: {value!r} (expected YYYY-MM-DD)") from None


def create_app(review, *, token: str | None = None, user: str = "web", stories_per_label: int = 25) -> Starlette:
    """The app over review (a warehouse.review.Review); token: required of every request but the
    login page (bearer header or the login form's cookie)."""
    env = _environment()
    key = secrets.token_bytes(32)  # signs CSRF tokens and login cookies; new each start

    def page(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        try:
            snapshot = review.snapshot_time()
        except NewsmonError:  # the warehouse out of reach: the error page that says so still renders
            snapshot = None
        html = env.get_template(template).render(
            request=request, csrf=request.state.csrf, path=request.url.path, snapshot=snapshot,
            login=token is not None, **context)
        return HTMLResponse(html, status_code=status)

    def failure(request: Request, message: str, status: int = 400) -> HTMLResponse:
        return page(request, "error.html.j2", status=status, message=message)

    def chosen_week(request: Request) -> tuple[str, date, date, list[str]]:
        weeks = review.weeks()
        week = request.query_params.get("week") or (weeks[0] if weeks else _week_of(datetime.utcnow().date()))
        start, end = iso_week_bounds(week)
        return _week_of(start), start, end, weeks

    def feedback_for(ids: list[str]) -> dict[str, dict]:
        return {f"{a}/{lbl}": row for (a, lbl), row in review.feedback(ids).items()}

    def index(request: Request) -> Response:
        return RedirectResponse("/week", status_code=303)

    def week_page(request: Request) -> Response:
        week, start, end, weeks = chosen_week(request)
        rows = review.digest_rows(start, end, stories_per_label)
        context = digest_context(week, start, end, DigestRows(**rows))
        article_ids = {(row[0], row[3]): list(row[-1] or []) for row in rows["stories"]}
        for section in context["sections"]:
            for story in section["stories"]:
                story["article_ids"] = article_ids.get((section["label"], story["story_id"]), [])
                story["article_id"] = story["article_ids"][0] if story["article_ids"] else story["story_id"]
        ids = [s["article_id"] for section in context["sections"] for s in section["stories"]]
        return page(request, "week.html.j2", weeks=weeks, feedback=feedback_for(ids), **context)

    def trends_page(request: Request) -> Response:
        week, start, end, weeks = chosen_week(request)
        rows = review.digest_rows(start, end, stories_per_label, parts=("volume", "changes", "trend", "sectors"))
        context = digest_context(week, start, end, DigestRows(**rows, stories=[]))  # the page shows no stories
        return page(request, "trends.html.j2", weeks=weeks, **context)

    def chart(request: Request) -> Response:
        from newsmon.digest.chart import sector_chart, trend_chart

        name = request.path_params["name"]
        if name not in ("trend", "sectors"):
            return PlainTextResponse("no such chart", status_code=404)
        week, start, end, _ = chosen_week(request)

        def draw() -> bytes | None:
            rows = review.digest_rows(start, end, 1, parts=("trend", "sectors"))
            with _CHART_LOCK:
                if name == "trend":
                    return trend_chart(rows["trend"], f"Share of articles flagged, 12 weeks to {week}")
                return sector_chart([(sector, label, flagged) for sector, label, _, flagged, _ in rows["sectors"]])

        png = review.cached(("chart", name, start), draw)  # drawn once per snapshot, like the reads
        if png is None:
            return PlainTextResponse("nothing flagged this week", status_code=404)
        return Response(png, media_type="image/png")

    def search_page(request: Request) -> Response:
        params = request.query_params
        filters = {name: params.get(name) or None for name in ("q", "label", "sector", "source", "since", "until")}
        if filters["label"] is not None and filters["label"] not in LABELS:
            return failure(request, f"unknown label {filters['label']!r}: use one of {', '.join(LABELS)}")
        try:
            number = max(1, int(params.get("page") or 1))
        except ValueError:
            return failure(request, f"page: not a number: {params.get('page')!r}")
        since = _parse_day(filters["since"], "since")
        until = _parse_day(filters["until"], "until")
        total, hits = review.search(filters["q"], label=filters["label"], sector=filters["sector"],
                                    source=filters["source"], since=since,
                                    until=until + timedelta(days=1) if until else None, page=number)
        pages = max(1, -(-total // 20))
        kept = {k: v for k, v in filters.items() if v}

        def link(n: int) -> str:
            return "/search?" + urlencode({**kept, "page": n})

        return page(request, "search.html.j2", filters=filters, options=review.filters(), hits=hits, total=total,
                    page_number=number, pages=pages, previous=link(number - 1) if number > 1 else None,
                    next_page=link(number + 1) if number < pages else None,
                    feedback=feedback_for([h["article_id"] for h in hits]))

    def article_page(request: Request) -> Response:
        article_id = request.path_params["article_id"]
        article = review.article(article_id)
        if article is None:
            return failure(request, f"no article with id {article_id!r} in the warehouse", status=404)
        current = {s["label"]: s for s in article["scores"] if s["is_current"]}
        return page(request, "article.html.j2", article=article, current=current,
                    feedback=feedback_for([article_id]))

    def sources_page(request: Request) -> Response:
        return page(request, "sources.html.j2", sources=review.source_health())

    def checked_post(handler):
        """A POST endpoint: handler(request, form, back) runs only when the form carries the page's
        CSRF token (a 403 otherwise); back is the form's `next`, if it stays on this site."""
        async def endpoint(request: Request) -> Response:
            form = await request.form()
            refused = check_csrf(request, form.get("csrf"))
            if refused:
                return PlainTextResponse(refused, status_code=403)
            return await handler(request, form, safe_next(form.get("next"), "/week"))
        return endpoint

    async def feedback_post(request: Request, form, back: str) -> Response:
        article_id, label, verdict = (str(form.get(name, "")) for name in ("article_id", "label", "verdict"))

        def submit(request: Request) -> Response:  # a lake out of reach (FeedbackNotSaved) is a 503
            review.submit_feedback(article_id, label, verdict, user=user)
            return RedirectResponse(back, status_code=303)

        return await run_in_threadpool(lambda: _run(request, submit))

    async def login_get(request: Request) -> Response:
        return page(request, "login.html.j2", next=safe_next(request.query_params.get("next"), "/week"), wrong=False)

    async def login_post(request: Request, form, back: str) -> Response:
        if token is None or not same(str(form.get("token", "")), token):
            return page(request, "login.html.j2", status=401, next=back, wrong=True)
        response = RedirectResponse(back, status_code=303)
        response.set_cookie(AUTH_COOKIE, login_cookie(key, token), httponly=True, samesite="strict", path="/")
        return response

    def sync(handler):
        async def endpoint(request: Request) -> Response:
            return await run_in_threadpool(lambda: _run(request, handler))
        return endpoint

    def _run(request: Request, handler) -> Response:
        started = time.perf_counter()
        try:
            response = handler(request)
        except Unavailable as exc:  # the warehouse out of reach or not ready: not the reader's mistake
            response = failure(request, str(exc), status=503)
        except NewsmonError as exc:
            response = failure(request, str(exc))
        response.headers["Server-Timing"] = f"app;dur={1000 * (time.perf_counter() - started):.1f}"
        return response

    routes = [
        Route("/", index),
        Route("/favicon.ico", lambda request: Response(status_code=204)),  # browsers ask; there is none
        Route("/week", sync(week_page)),
        Route("/trends", sync(trends_page)),
        Route("/charts/{name}.png", sync(chart)),
        Route("/search", sync(search_page)),
        Route("/article/{article_id}", sync(article_page)),
        Route("/sources", sync(sources_page)),
        Route("/feedback", checked_post(feedback_post), methods=["POST"]),
        Route("/login", login_get, methods=["GET"]),
        Route("/login", checked_post(login_post), methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("newsmon.web", "static")]), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(Guard, token=token, key=key)])


def check_binding(host: str, token: str | None) -> None:
    """Binding anywhere but the loopback interface needs a token (NEWSMON_SERVE__TOKEN)."""
    if not is_loopback(host) and not token:
        raise NewsmonError(f"refusing to serve on {host}: other machines could reach the app; set "
                           "NEWSMON_SERVE__TOKEN (a long random string) to require it, or bind 127.0.0.1")


def serve(review, *, host: str, port: int, token: str | None, user: str, stories_per_label: int,
          on_ready=None) -> None:
    """Run the app with uvicorn until interrupted."""
    import uvicorn

    check_binding(host, token)
    app = create_app(review, token=token, user=user, stories_per_label=stories_per_label)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            server_header=False, proxy_headers=False)
    server = uvicorn.Server(config)
    if on_ready:
        on_ready(f"http://{'[' + host + ']' if ':' in host else host}:{port}/")
    server.run()
