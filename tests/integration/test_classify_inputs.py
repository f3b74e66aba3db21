"""Bad input to the classifier: each has a defined outcome, never a crash of the batch."""

import pytest

from models.classifier import plain_text
from newsmon import pipeline

pytestmark = pytest.mark.slow

DEPLOYMENT = ("Hospital network puts sepsis-prediction model to work on its wards",
              "Nurses at four hospitals now get alerts from the model, which reads vital signs every fifteen "
              "minutes; the health system says escalations reached doctors an hour earlier.")


def test_bad_inputs_in_one_batch(model_settings):
    title, text = DEPLOYMENT
    html = f"<html><body><script>var tracking = 1;</script><article><h1>{title}</h1><p>{text}</p></article></body></html>"
    records = [
        {"id": "plain", "title": title, "text": text},
        {"id": "html", "title": title, "text": html},
        {"id": "empty", "title": " ", "text": ""},
        {"id": "huge", "title": title, "text": (text + " ") * 6000},  # about 1 MB
        {"id": "german", "title": "Krankenhaus setzt KI ein", "text": "Die Pflegekräfte erhalten Warnungen vom Modell."},
        {"id": "no-title", "text": text},
    ]
    out = {r["id"]: r for r in pipeline.classify_texts(model_settings, records)}
    assert list(out) == [r["id"] for r in records]
    assert out["empty"] == {"id": "empty", "skipped": "empty title and text"}
    for key in ("plain", "html", "huge", "german", "no-title"):
        assert set(out[key]["scores"]) == {"integration", "decentralization"}
    assert abs(out["html"]["scores"]["integration"] - out["plain"]["scores"]["integration"]) < 0.05
    assert "tracking" not in out["html"].get("evidence", {}).get("integration", "")
    assert "integration" in out["huge"]["labels"]


def test_classify_output_is_written_whole_with_nothing_left_beside_it(trained_model_dir, tmp_path, monkeypatch):
    """`newsmon classify --input --output`: the file holds every record's line, written at once
    (newsmon.files.write_atomically), and no temporary file is left beside it, also when the write
    fails (one line, a UserError). The command's function runs in this process (the session's model,
    no new interpreter to start)."""
    import json

    from newsmon import cli
    from newsmon.config import get_settings

    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": str(n), "title": DEPLOYMENT[0], "text": DEPLOYMENT[1]}) + "\n"
                              for n in range(3)), encoding="utf-8")
    out = tmp_path / "out" / "scores.jsonl"
    out.parent.mkdir()
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSMON_MODEL__PATH", str(trained_model_dir))
    get_settings.cache_clear()
    taken = out.parent / "taken"
    taken.mkdir()  # a folder where the file should go: the write fails after the scoring
    try:
        cli.classify(input=source, output=out, rescore=False)
        with pytest.raises(cli.UserError, match=r"^.*/taken: cannot write \(Is a directory\)$"):
            cli.classify(input=source, output=taken, rescore=False)
    finally:
        get_settings.cache_clear()
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["0", "1", "2"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["scores.jsonl", "taken"]  # no temporary file left


def test_plain_text_keeps_text_and_strips_html():
    assert plain_text("Robots <3 ports, 2 < 3") == "Robots <3 ports, 2 < 3"
    assert plain_text("<p>One</p><script>x()</script><p>Two</p>") == "One\nTwo"
    assert plain_text("<div><h1>Head</h1>Body <b>bold</b> text</div>") == "Head\nBody bold text"


FILLER = ("The city council met on Tuesday to discuss the timetable for resurfacing the ring road. "
          "Residents asked for more benches along the river walk and a later closing time for the library. "
          "The summer festival will again take place in the old market square in the second week of July. ")
DEPLOYED = ("At the Rotterdam container terminal, cranes are now scheduled by a machine-learning system "
            "that plans every move of the quay cranes and the automated vehicles.")


@pytest.mark.parametrize("precision", ["float32", "auto"])
def test_evidence_is_the_sentence_that_carries_the_label(trained_model_dir, precision):
    from models.classifier import Classifier

    classifier = Classifier.load(trained_model_dir, precision=precision)
    text = (f"The terminal handled 2.1 million containers last year, a tenth more than the year before. {DEPLOYED} "
            "Dock workers' shifts and the terminal's opening hours stay as they are. "
            "The port authority plans to deepen the approach channel by two metres next spring.")
    [prediction] = classifier.predict(["Rotterdam terminal hands crane planning to software"], [text])
    assert "integration" in prediction.labels
    assert prediction.evidence["integration"] == DEPLOYED

    # a sentence past the windows read is never quoted: with one window, the late one is not read
    classifier.max_chunks = 1
    late = f"{FILLER * 8}{DEPLOYED}"
    [prediction] = classifier.predict(["Council news in brief"], [late])
    assert DEPLOYED not in prediction.evidence.values()
    assert all(quote in late for quote in prediction.evidence.values())


@pytest.mark.parametrize("precision", ["float32", "auto"])
def test_a_score_does_not_depend_on_what_it_was_batched_with(trained_model_dir, precision):
    """Windows are batched only with windows of the same length (no padding): scoring articles one at
    a time, all together or in another order gives the same numbers, bit for bit in float32, so a
    rerun after a crash reproduces an uninterrupted run's scores. In bfloat16 that holds where the
    CPU multiplies with AVX-512 BF16; with AMX tiles (Sapphire Rapids and later) oneDNN's kernels
    depend on how many rows a batch has, which moves a score by up to ~3e-3 (measured; AMX scores
    2.7x faster than AVX-512 BF16 here, so it stays on): there the scores agree within 0.005 and
    every verdict not that close to its threshold is the same."""
    from models.classifier import Classifier

    classifier = Classifier.load(trained_model_dir, precision=precision)
    titles = [f"Story {n}" for n in range(10)]
    texts = [(FILLER if n % 2 else "") + DEPLOYED + " " + FILLER * (n % 4) for n in range(10)]
    together = classifier.predict(titles, texts)
    alone = [classifier.predict([t], [x])[0] for t, x in zip(titles, texts, strict=True)]
    backwards = classifier.predict(titles[::-1], texts[::-1])[::-1]
    if classifier.encoder.precision == "float32":
        assert [p.scores for p in together] == [p.scores for p in alone] == [p.scores for p in backwards]
        assert [p.sectors for p in together] == [p.sectors for p in alone]
    else:
        thresholds = classifier.config["thresholds"]
        for other in (alone, backwards):
            for ours, theirs in zip(together, other, strict=True):
                assert all(abs(ours.scores[k] - theirs.scores[k]) <= 0.005 for k in ours.scores), (ours, theirs)
                clear = {k for k in ours.scores if abs(ours.scores[k] - thresholds[k]) > 0.005}
                assert set(ours.labels) & clear == set(theirs.labels) & clear
    assert [p.evidence for p in together] == [p.evidence for p in alone]
