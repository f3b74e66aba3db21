"""Scrapy settings for one source's crawl, built from the crawl section of newsmon's config."""

from __future__ import annotations

from typing import Any


def scrapy_settings(crawl: dict[str, Any], *, source: str, run_id: str, staging_path: str,
                    log_path: str, crawl_delay: float | None = None,
                    allow_private_hosts: bool = False) -> dict[str, Any]:
    """allow_private_hosts: the source's own allowance, on top of the crawl settings' process-wide one."""
    delay = crawl["download_delay"] if crawl_delay is None else crawl_delay
    return {
        "BOT_NAME": "newsmon",
        "USER_AGENT": crawl["user_agent"],
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_USER_AGENT": crawl["user_agent"],
        "CONCURRENT_REQUESTS": 8,
        # a page yields one item, yet Scrapy starts this many asyncio tasks per response to process
        # its output: 100 (the default) cost ~1.7 ms of CPU per page (benchmarks/crawl.py)
        "CONCURRENT_ITEMS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl["concurrent_per_domain"],
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "AUTOTHROTTLE_ENABLED": crawl["autothrottle"],
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.5),
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl["concurrent_per_domain"]),
        "DOWNLOAD_TIMEOUT": crawl["download_timeout"],
        "DNS_TIMEOUT": min(crawl["download_timeout"], 10),
        "RETRY_ENABLED": True,
        "RETRY_TIMES": crawl["retry_times"],
        "NEWSMON_RETRY_BACKOFF": crawl.get("retry_backoff", 2.0),
        # a name that does not resolve will not resolve seconds later: DNS failures are not retried
        "RETRY_EXCEPTIONS": [
            "scrapy.exceptions.DownloadConnectionRefusedError",
            "scrapy.exceptions.DownloadFailedError",
            "scrapy.exceptions.DownloadTimeoutError",
            "scrapy.exceptions.ResponseDataLossError",
            "twisted.internet.error.ConnectionDone",
            "twisted.internet.error.ConnectError",
            "twisted.internet.error.ConnectionLost",
            OSError,
        ],
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawlers.middlewares.BackoffRetryMiddleware": 550,
            # downloader side of RedirectMiddleware (600): sees each 3xx before it is followed
            "crawlers.middlewares.AddressGuardMiddleware": 650,
        },
        "NEWSMON_ALLOW_PRIVATE_HOSTS": bool(crawl.get("allow_private_hosts") or allow_private_hosts),
        "TWISTED_DNS_RESOLVER": "crawlers.middlewares.GuardedResolver",
        # http(s) only: no file:, data:, ftp: or s3: fetches, whatever a page or redirect says
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "ftp": None, "s3": None},
        "DOWNLOAD_MAXSIZE": crawl["max_page_bytes"],
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # Scrapy 2.19 would open a control port per crawl
        "LOG_LEVEL": "INFO",
        "LOG_FILE": log_path,
        "LOG_FILE_APPEND": True,
        "ITEM_PIPELINES": {
            "crawlers.pipelines.ValidatePipeline": 100,
            "crawlers.pipelines.NormalizePipeline": 200,
            "crawlers.pipelines.WindowPipeline": 250,
            "crawlers.pipelines.StagePipeline": 300,
        },
        "NEWSMON_SOURCE": source,
        "NEWSMON_RUN_ID": run_id,
        "NEWSMON_STAGING_PATH": staging_path,
    }
