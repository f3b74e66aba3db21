"""A trained classifier artifact: encoder reference, per-label logistic head, thresholds; batched predict."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from models.encoder import Encoder, ModelError

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])|\n+")
_MAX_EVIDENCE_SENTENCES = 80


_HTML_TAG = re.compile(r"<(p|div|span|br|html|body|a|li|h[1-6]|article|section|script|style)\b[^>]*>", re.IGNORECASE)


def plain_text(text: str) -> str:
    """Text as given, or the visible text when HTML was passed instead (scripts and styles dropped)."""
    if not _HTML_TAG.search(text or ""):
        return text or ""
    import lxml.html

    try:
        tree = lxml.html.fromstring(text)
    except (ValueError, lxml.etree.ParserError):
        return re.sub(r"<[^>]+>", " ", text)
    for node in tree.xpath("//script|//style|//noscript"):
        node.drop_tree()
    for node in tree.iter("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section"):
        node.tail = "\n" + (node.tail or "")  # keep block boundaries as line breaks
    return "\n".join(line.strip() for line in tree.text_content().splitlines() if line.strip())


def sentence_spans(text: str, exclude: str | None = None) -> list[tuple[int, int]]:
    """Character ranges of the sentences worth quoting: list markers stripped, short fragments and
    a repeated title left out, at most _MAX_EVIDENCE_SENTENCES."""
    skip = " ".join((exclude or "").split()).casefold()
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*_SENTENCE_END.finditer(text), None]:
        end = cut.start() if cut else len(text)
        piece = text[start:end]
        stripped = piece.strip().lstrip("-•*–— ").strip()
        if len(stripped) >= 25 and stripped.casefold() != skip:
            offset = start + piece.index(stripped)
            spans.append((offset, offset + len(stripped)))
            if len(spans) == _MAX_EVIDENCE_SENTENCES:
                break
        start = cut.end() if cut else len(text)
    return spans


def split_sentences(text: str, exclude: str | None = None) -> list[str]:
    """The sentences of sentence_spans, as text."""
    return [text[a:b] for a, b in sentence_spans(text, exclude)]


@dataclass(frozen=True)
class Prediction:
    scores: dict[str, float]
    labels: list[str]
    evidence: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None
    sectors: dict[str, float] = field(default_factory=dict)


def _rowwise(vectors: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """vectors @ coef.T computed row by row: a matrix product's rounding can depend on how many rows
    it is given, and a score must not depend on what it was scored with."""
    return (vectors[:, None, :] * coef[None, :, :]).sum(axis=-1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def probabilities(vectors: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """(n, heads) probabilities of linear heads on vectors: the one arithmetic newsmon scores
    with, in training (thresholds, cross-validation) and at inference alike."""
    return _sigmoid(_rowwise(vectors, coef) + intercept)


class Classifier:
    """Load with Classifier.load(path); predict(titles, texts) in batches."""

    def __init__(self, config: dict, coef: np.ndarray, intercept: np.ndarray,
                 encoder: Encoder | None = None, path: Path | None = None,
                 sector_head: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.config = config
        self.path = path
        self.labels: tuple[str, ...] = tuple(config["labels"])
        self.version: str = config["model_version"]
        self.thresholds = np.asarray([config["thresholds"][label] for label in self.labels])
        self.coef = coef
        self.intercept = intercept
        self.max_chunks: int = config["max_chunks"]
        self._encoder = encoder
        # sector tags: artifacts trained before sectors existed have none
        self.sectors: tuple[str, ...] = tuple(config.get("sectors") or ()) if sector_head else ()
        self.sector_head = sector_head
        self.sector_thresholds = np.asarray([config["sector_thresholds"][s] for s in self.sectors])

    @classmethod
    def load(cls, path: Path, *, batch_size: int = 32, precision: str = "float32") -> Classifier:
        """Every file its checksums file lists is checked first: a missing or changed one is one
        ModelError naming it and `newsmon train`."""
        from models.artifact import read_heads, read_run_facts, verify

        path = Path(path)
        if not path.is_dir():
            raise ModelError(f"no trained model at {path}: run `newsmon train`")
        verify(path)
        try:
            config = json.loads((path / "config.json").read_text(encoding="utf-8"))
            head = read_heads(path)
            coef, intercept = head["coef"], head["intercept"]
            sector_head = (head["sector_coef"], head["sector_intercept"]) if "sector_coef" in head else None
        except FileNotFoundError as exc:
            raise ModelError(f"model at {path} is incomplete: {Path(exc.filename or '?').name} is missing: "
                             "run `newsmon train`") from None
        except Exception as exc:  # noqa: BLE001 (numpy, zipfile and safetensors each raise their own)
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ModelError(f"model at {path} is corrupt ({reason}): run `newsmon train`") from None
        # when it was trained (run.json; else when it was written), which the warehouse records
        config = {"trained_at": datetime.fromtimestamp((path / "config.json").stat().st_mtime, UTC)
                  .replace(tzinfo=None).isoformat(timespec="seconds"), **read_run_facts(path), **config}
        if coef.shape[0] != len(config.get("labels", ())):
            raise ModelError(f"model at {path} is corrupt: head does not match its labels")
        if sector_head is not None and sector_head[0].shape[0] != len(config.get("sectors") or ()):
            raise ModelError(f"model at {path} is corrupt: sector head does not match its sectors")
        # a fine-tuned artifact carries its own encoder; a frozen one names its base model
        location = str(path / config["encoder"]) if config.get("encoder") else config["base_model"]
        encoder = Encoder(location, max_length=config["max_length"], batch_size=batch_size,
                          normalize=config.get("normalize", True), precision=precision)
        return cls(config, coef, intercept, encoder, path, sector_head)

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            raise ModelError("classifier has no encoder loaded")
        return self._encoder

    def score_vectors(self, vectors: np.ndarray) -> np.ndarray:
        """(n, labels) probabilities for document vectors."""
        return probabilities(vectors, self.coef, self.intercept)

    def sector_scores(self, vectors: np.ndarray) -> np.ndarray:
        """(n, sectors) probabilities that each article is substantially about each sector."""
        if self.sector_head is None:
            return np.zeros((len(vectors), 0))
        coef, intercept = self.sector_head
        return probabilities(vectors, coef, intercept)

    def predict(self, titles: list[str], texts: list[str], *, evidence: bool = True) -> list[Prediction]:
        """One Prediction per article. HTML is reduced to its text; empty articles are skipped with a
        reason; long ones are read up to max_chunks windows; non-English text is scored as it is
        (the model was trained on English only)."""
        results: list[Prediction | None] = [None] * len(titles)
        todo = []
        titles = [plain_text(t or "").replace("\n", " ") for t in titles]
        texts = [plain_text(t or "") for t in texts]
        for i, (title, text) in enumerate(zip(titles, texts, strict=True)):
            if not (title or "").strip() and not (text or "").strip():
                results[i] = Prediction({}, [], skipped="empty title and text")
            else:
                todo.append(i)
        if todo:
            spans = [sentence_spans(texts[i], exclude=titles[i]) for i in todo] if evidence else None
            vectors, sentence_vectors = self.encoder.encode_documents_and_spans(
                [titles[i] for i in todo], [texts[i] for i in todo], self.max_chunks, spans)
            probs = self.score_vectors(vectors)
            sector_probs = self.sector_scores(vectors)
            for row, i in enumerate(todo):
                flagged = [label for j, label in enumerate(self.labels)
                           if probs[row, j] >= self.thresholds[j]]
                results[i] = Prediction(
                    scores={label: round(float(probs[row, j]), 4) for j, label in enumerate(self.labels)},
                    labels=flagged,
                    evidence=self._evidence(texts[i], spans[row], sentence_vectors[row], flagged)
                    if evidence else {},
                    sectors={sector: round(float(sector_probs[row, k]), 4)
                             for k, sector in enumerate(self.sectors)
                             if sector_probs[row, k] >= self.sector_thresholds[k]},
                )
        return results  # type: ignore[return-value]

    def _evidence(self, text: str, spans: list[tuple[int, int]], vectors: np.ndarray,
                  labels: list[str]) -> dict[str, str]:
        """For each flagged label, the sentence whose tokens (read in the article's context, in the
        pass that scored the article) the head scores highest; sentences past the windows read
        have no tokens and are not candidates."""
        read = np.abs(vectors).sum(axis=1) > 0 if len(vectors) else np.zeros(0, bool)
        if not labels or not read.any():
            return {}
        probs = self.score_vectors(vectors)
        out = {}
        for label in labels:
            column = np.where(read, probs[:, self.labels.index(label)], -1.0)
            a, b = spans[int(np.argmax(column))]
            out[label] = text[a:b]
        return out
