"""Shared fixtures: settings in a temp dir, the sample site on 127.0.0.1, one trained model per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from newsmon.config import CrawlSettings, ModelSettings, Settings  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


def fast_crawl() -> CrawlSettings:
    """Politeness off for loopback servers: no delays, short timeouts, few retries."""
    return CrawlSettings(download_delay=0.0, autothrottle=False, download_timeout=5.0,
                         retry_times=0, source_timeout=120.0, allow_private_hosts=True)


# fixtures that train or load a model: a test using one (directly or through another fixture) is
# marked `model` without saying so
MODEL_FIXTURES = {"trained_model_dir", "model_settings"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", sources_file=tmp_path / "sources.yaml",
                    crawl=fast_crawl())


@pytest.fixture(scope="session")
def sample_site():
    from newsmon.sample_site import SampleSite

    with SampleSite() as site:
        yield site


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory) -> Path:
    """Train once per session on the repository's data; tests copy or point at the artifact."""
    from newsmon import pipeline

    # the frozen method trains in ~30 s; the fine-tuned default has its own test on a small set
    models_root = tmp_path_factory.mktemp("session-data")
    # written examples only (model.extra_data off): the real corpus has its own small-subset tests
    return pipeline.train_model(Settings(data_dir=models_root, model=ModelSettings(method="frozen", extra_data=None)))


@pytest.fixture
def model_settings(settings: Settings, trained_model_dir: Path) -> Settings:
    """Settings whose models dir already holds the session's trained model."""
    from tests.support.models import install_model

    install_model(trained_model_dir, settings.models_dir)
    return settings


class Inbox:
    """An aiosmtpd handler that keeps what it receives: (recipients, raw message bytes)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1: (controller, inbox)."""
    from aiosmtpd.controller import Controller

    from tests.servers import free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()
