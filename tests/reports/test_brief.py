"""The briefing deck: open the PPTX with python-pptx and check slides, titles, pictures, takeaways, sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Emu

from junkan.charts import CATALOG, ChartParams, render
from junkan.engine import Engine
from junkan.errors import ConfigError
from junkan.reports.brief import build_briefing, png_size, write_deck
from tests.charts.world import engine

CHARTS = ["intl_coauthorship_trend", "rankings_now_and_then", "world_flows", "cohort_phases"]


@pytest.fixture(scope="module")
def eng(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return engine(tmp_path_factory)


def _texts(slide) -> list[str]:  # noqa: ANN001
    return [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame and sh.text_frame.text]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_deck_slides(eng: Engine, tmp_path: Path, lang: str) -> None:
    params = ChartParams(country="JP", lang=lang)
    b = build_briefing(eng, params, charts=CHARTS)
    out = write_deck(b, tmp_path / f"brief-{lang}.pptx")
    prs = Presentation(str(out))
    assert (prs.slide_width, prs.slide_height) == (Emu(12192000), Emu(6858000))  # 13.333 × 7.5 in: 16:9
    slides = list(prs.slides)
    assert len(slides) == 1 + len(CHARTS) + 2  # title, one per chart, method notes, manifest
    assert "JP" not in _texts(slides[0])[0] and ("日本" in _texts(slides[0])[0] or "Japan" in _texts(slides[0])[0])
    assert any("SIMULATED" in t for t in _texts(slides[0]))
    for slide, cid in zip(slides[1:-2], CHARTS, strict=True):
        res = render(cid, eng, params)  # cached: the same numbers as the deck's
        texts = _texts(slide)
        assert texts[0] == CATALOG[cid].title[lang]
        assert any(res.takeaway in t for t in texts)
        src = next(t for t in texts if t.startswith("出典：" if lang == "ja" else "Source: "))
        assert CATALOG[cid].source[lang] in src and res.caption in src
        pics = [sh for sh in slide.shapes if sh.shape_type == 13]
        assert len(pics) == 1
        w, h = png_size(pics[0].image.blob)
        assert abs(pics[0].width / pics[0].height - w / h) < 0.01  # not distorted
        assert pics[0].left >= 0 and pics[0].left + pics[0].width <= prs.slide_width
    notes, manifest = _texts(slides[-2]), "\n".join(_texts(slides[-1]))
    assert ("方法の注記" if lang == "ja" else "Method notes") == notes[0]
    assert eng.provenance["content_hash"] in manifest and "charts drawn: 4 of 4" in manifest
    # Japanese text carries the CJK font as its East Asian typeface
    xml = slides[1].shapes[0].text_frame.paragraphs[0].runs[0]._r.xml
    assert 'typeface="Noto Sans CJK JP"' in xml and "<a:ea" in xml


def test_unavailable_chart_is_listed_not_dropped(eng: Engine, tmp_path: Path) -> None:
    b = build_briefing(eng, ChartParams(country="US", lang="en"), charts=["cohort_phases", "intl_coauthorship_trend"])
    assert [i.result is None for i in b.items] == [True, False]
    prs = Presentation(str(write_deck(b, tmp_path / "us.pptx")))
    slides = list(prs.slides)
    assert len(slides) == 1 + 1 + 2
    notes = "\n".join(_texts(slides[-2]))
    assert "Charts not drawn" in notes and "no cohort file for US" in notes
    assert b.manifest["charts"][0] == {**b.manifest["charts"][0], "id": "cohort_phases", "drawn": False}


def test_unknown_chart_in_briefing(eng: Engine) -> None:
    with pytest.raises(ConfigError, match="unknown chart"):
        build_briefing(eng, ChartParams(), charts=["nope"])


def test_slide_preview_draws_the_deck(eng: Engine, tmp_path: Path) -> None:
    from io import BytesIO

    from PIL import Image

    from junkan.reports.preview import slide_images

    b = build_briefing(eng, ChartParams(country="JP", lang="ja"), charts=["intl_coauthorship_trend"])
    imgs = slide_images(write_deck(b, tmp_path / "p.pptx"), width=800, slides=[0, 1])
    assert len(imgs) == 2
    for data in imgs:
        im = Image.open(BytesIO(data))
        assert im.size == (800, 450)
        assert len(set(im.convert("L").getdata())) > 8  # text and the chart were drawn, not a blank page
