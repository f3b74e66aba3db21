"""Pages the crawl tests serve: an article page template (format title, body and n; {{base}} becomes
the server's base URL)."""

ARTICLE = """<!doctype html><html lang="en"><head><title>{title}</title>
<link rel="canonical" href="{{base}}/a/{n}"></head><body><nav>Home | World | Tech</nav>
<article><h1>{title}</h1><p class="byline">By Ada Osei</p>
<p>{body} The depot in Rotterdam now routes every inbound container through the scheduler, and the
operator says dwell times fell by a fifth in the first quarter after the switch.</p>
<p>Staff who used to plan berths by spreadsheet now review the system's proposals each morning,
and the port authority plans to extend the trial to two more terminals next spring.</p></article>
<footer>Copyright Example News</footer></body></html>"""
