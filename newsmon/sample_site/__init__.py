"""Circuit Ledger, a fictional tech-news site served locally with a labelled manifest, for crawler tests."""

from newsmon.sample_site.server import SampleSite, load_manifest

__all__ = ["SampleSite", "load_manifest"]
