"""The Scrapy project: spiders, item pipelines and pure extraction; one source per process."""
