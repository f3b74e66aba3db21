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
    out = {r["id"]: r for r in pipeline.classify_records(model_settings, records)}
    assert list(out) == [r["id"] for r in records]
    assert out["empty"] == {"id": "empty", "skipped": "empty title and text"}
    for key in ("plain", "html", "huge", "german", "no-title"):
        assert set(out[key]["scores"]) == {"integration", "decentralization"}
    assert abs(out["html"]["scores"]["integration"] - out["plain"]["scores"]["integration"]) < 0.05
    assert "tracking" not in out["html"].get("evidence", {}).get("integration", "")
    assert "integration" in out["huge"]["labels"]


def test_plain_text_keeps_text_and_strips_html():
    assert plain_text("Robots <3 ports, 2 < 3") == "Robots <3 ports, 2 < 3"
    assert plain_text("<p>One</p><script>x()</script><p>Two</p>") == "One\nTwo"
    assert plain_text("<div><h1>Head</h1>Body <b>bold</b> text</div>") == "Head\nBody bold text"
