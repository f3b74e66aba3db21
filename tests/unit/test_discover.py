from crawlers.discover import article_links, feed_links, looks_like_article, robots_sitemaps

SECTION = """<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">
<link rel="alternate" type="text/html" hreflang="de" href="/de/"></head><body>
<nav><a href="/">Home</a> <a href="/section/robots">Robots</a> <a href="/about">About</a></nav>
<a href="/2026/11/19/port-cranes">Port cranes</a>
<a href="/news/hospital-rolls-out-ai-triage-tool#comments">Hospital</a>
<a href="/news/hospital-rolls-out-ai-triage-tool">Hospital again</a>
<a href="/sponsored/buy-our-new-robot-vacuum-today">Ad</a>
<a href="https://other.example/2026/11/elsewhere">Other site</a>
<a href="javascript:void(0)">js</a> <a href="mailto:tips@e.example">tips</a>
</body></html>"""


def test_article_links_by_heuristic_in_page_order_without_fragments_or_repeats():
    links = article_links(SECTION, "https://e.example/section/robots")
    assert links == ["https://e.example/2026/11/19/port-cranes",
                     "https://e.example/news/hospital-rolls-out-ai-triage-tool",
                     "https://e.example/sponsored/buy-our-new-robot-vacuum-today",
                     "https://other.example/2026/11/elsewhere"]


def test_include_and_exclude_patterns_decide_when_given():
    links = article_links(SECTION, "https://e.example/section/robots", include=[r"e\.example/(news|20\d\d)/"],
                          exclude=[r"/sponsored/", r"port-cranes"])
    assert links == ["https://e.example/news/hospital-rolls-out-ai-triage-tool"]


def test_looks_like_article():
    assert looks_like_article("/2026/11/19/x")
    assert looks_like_article("/tech/robots-take-over-the-night-shift.html")
    assert not looks_like_article("/section/ai.html")
    assert not looks_like_article("/about")


def test_feed_links_and_robots_sitemaps():
    assert feed_links(SECTION, "https://e.example/") == ["https://e.example/feed.xml"]
    robots = "User-agent: *\nDisallow: /x\nSitemap: https://e.example/s.xml\nsitemap: /news.xml\n"
    assert robots_sitemaps(robots, "https://e.example/robots.txt") == ["https://e.example/s.xml",
                                                                      "https://e.example/news.xml"]


def test_many_links_keep_page_order_and_lose_repeats():
    hrefs = [f"/2026/11/{i % 28 + 1:02d}/story-number-{i}" for i in range(3000)]
    page = "<html><body>" + "".join(f'<a href="{h}">x</a><a href="{h}#c">y</a>' for h in hrefs + hrefs[::-1])
    links = article_links(page + "</body></html>", "https://e.example/s")
    assert links == [f"https://e.example{h}" for h in hrefs]
    head = "".join(f'<link rel="alternate" type="application/rss+xml" href="/f{i % 50}.xml">' for i in range(500))
    assert feed_links(f"<html><head>{head}</head></html>", "https://e.example/") == [
        f"https://e.example/f{i}.xml" for i in range(50)]


def test_link_discovery_is_linear_on_a_page_of_100000_links():
    """100,000 distinct links once took 79 s of CPU (`in` on a list): here they must fit in 30 s of
    CPU time. A CPU-time limit (RLIMIT_CPU), not a clock, so a busy machine does not change it."""
    import subprocess
    import sys

    script = (
        "import resource; resource.setrlimit(resource.RLIMIT_CPU, (30, 30))\n"
        "from crawlers.discover import article_links\n"
        "page = '<html><body>' + ''.join(f'<a href=\"/2026/11/05/robots-take-shift-{n}\">s</a>'"
        " for n in range(100_000)) + '</body></html>'\n"
        "print(len(article_links(page, 'https://news.example/section/')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"killed after 30 s of CPU time (signal {-done.returncode}): {done.stderr[-300:]}"
    assert done.stdout.strip() == "100000"
