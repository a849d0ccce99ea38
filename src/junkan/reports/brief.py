"""The briefing deck (PPTX, 16:9) and the content it shares with the HTML report.

:func:`build_briefing` renders every chart of :data:`junkan.charts.catalog.CATALOG` for one focus country and
language, and collects the method notes and the run manifest. :func:`write_deck` turns it into a PPTX: a title
slide, one slide per chart (title, one-line takeaway computed from the data, the chart as a PNG, the source and
caption under it), method notes and the manifest. Charts the store cannot give (for example no cohort file) are
listed with the reason on the notes slide instead of being dropped silently.

>>> b = build_briefing(connect("store"), ChartParams(country="JP", lang="ja"))   # doctest: +SKIP
>>> write_deck(b, "brief-ja.pptx")                                               # doctest: +SKIP
"""

from __future__ import annotations

import io
import logging
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from junkan.charts.catalog import CATALOG, ChartDef, ChartParams, ChartResult, ChartUnavailable, render, to_png
from junkan.charts._base import FONT
from junkan.errors import ConfigError
from junkan.model.countries import country_name

if TYPE_CHECKING:
    from junkan.engine import Engine

__all__ = ["Briefing", "BriefingItem", "build_briefing", "method_notes", "write_deck"]

logger = logging.getLogger(__name__)


@dataclass
class BriefingItem:
    """One chart of the briefing: its definition, the rendered result (None when unavailable) and the PNG."""

    chart: ChartDef
    result: ChartResult | None
    png: bytes | None = None
    unavailable: str | None = None


@dataclass
class Briefing:
    params: ChartParams
    items: list[BriefingItem]
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        p = self.params
        name = country_name(p.country, p.lang)
        return p.t(f"国際的な科学技術・イノベーション活動の現状について（{name}）",
                   f"International science, technology and innovation: the state of {name}")


def method_notes(params: ChartParams, simulated: bool) -> list[str]:
    """The method notes of the deck and report, in ``params.lang``."""
    t = params.t
    notes = [
        t("論文は OpenAlex の書誌データ（正準ストア）から junkan の指標関数で算出。文献セット nistep: 学術誌の article・review、"
          "社会科学（心理学を除く）を除外（METHODS §0.2）。",
          "Papers are counted from OpenAlex records in the canonical store with junkan's indicator functions. Profile "
          "nistep: journal articles and reviews, social sciences except psychology excluded (METHODS §0.2)."),
        t("整数カウント: 著者の所属国に1ずつ。分数カウント: 機関単位で按分（NISTEP、METHODS §0.4）。国際共著論文は所属国が2か国以上の論文。",
          "Whole counting: 1 to each country of the authors' affiliations. Fractional: split over institutions (NISTEP, "
          "METHODS §0.4). An international paper has affiliations in two or more countries."),
        t("Top10%補正論文数: 分野×出版年ごとの被引用数上位10%、同順位は NISTEP の補正（METHODS §0.8）。順位は3年移動平均。",
          "Top10% papers: the 10% most cited per field and publication year, ties adjusted as NISTEP does (METHODS §0.8); "
          "rankings use 3-year moving averages."),
        t("研究者の移動: 著者ごとの年別の主たる所属国から流入・流出を判定（OECD、METHODS §1）。率は MPIDR と同じパディング人口で割る。"
          "移動は論文に現れたものだけが観測される。",
          "Mobility: each author's main economy per year gives inflows and outflows (OECD, METHODS §1); rates use the MPIDR "
          "padded population. Only moves that papers reveal are observed."),
        t("世界の流動図: 期間の最初と最後の主たる所属国（METHODS §2.2）。国の位置は同梱の概略座標（国境データなし）。",
          "Flow map: first vs last main economy in the period (METHODS §2.2), drawn between approximate country positions "
          "shipped with junkan (no boundary data)."),
        t("サイエンスマップ: Top1%論文の共引用による研究領域（NISTEP サイエンスマップの方法、METHODS §6）、Leiden 法（seed 固定）。",
          "Science map: research areas from the co-citation of Top 1% papers (NISTEP Science Map method, METHODS §6), "
          "Leiden clustering with a fixed seed."),
        t("コホート: 派遣者の論文を派遣前・中・後で全国平均・マッチングした対照群と比較（差の差、ブートストラップ信頼区間、seed 固定、METHODS §7）。",
          "Cohorts: fellows' papers before, during and after, against the national average and matched controls "
          "(difference in differences, seeded bootstrap CI, METHODS §7)."),
    ]
    if simulated:
        notes.append(t("このデータはシミュレーションによる架空の世界（SIMULATED）であり、実在の国・研究者の実績ではない。",
                       "This store holds a SIMULATED world: the numbers are not facts about real countries or researchers."))
    return notes


def build_briefing(engine: Engine, params: ChartParams, *, charts: list[str] | None = None, png: bool = True,
                   progress: Callable[[str, int, int], None] | None = None) -> Briefing:
    """Render the charts (every chart of the catalog by default) for the deck and the report."""
    params = params.validate()
    ids = charts or list(CATALOG)
    unknown = [c for c in ids if c not in CATALOG]
    if unknown:
        raise ConfigError(f"unknown chart {', '.join(unknown)}. Hint: choose from {', '.join(CATALOG)}")
    items: list[BriefingItem] = []
    timings: dict[str, float] = {}
    for i, cid in enumerate(ids):
        t0 = time.perf_counter()
        d = CATALOG[cid]
        try:
            res = render(cid, engine, params)
        except ChartUnavailable as exc:
            logger.info("chart %s not drawn: %s", cid, exc)
            items.append(BriefingItem(d, None, unavailable=str(exc)))
        else:
            items.append(BriefingItem(d, res, to_png(res.spec) if png else None))
        timings[cid] = round(time.perf_counter() - t0, 3)
        if progress:
            progress("charts", i + 1, len(ids))
    prov = engine.provenance
    manifest = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "params": {"country": params.country, "lang": params.lang, "start": params.start, "end": params.end,
                   "field": params.field, "counting": params.counting, "key": params.key()},
        "store": {k: prov.get(k) for k in ("store", "store_version", "content_hash", "created", "junkan_version",
                                            "simulated", "data_sources", "backend")},
        "ingest_counts": engine.store.manifest.get("counts"),
        "charts": [{"id": it.chart.id, "briefing_page": it.chart.briefing_page,
                    "drawn": it.result is not None, "rows": it.result.table.num_rows if it.result else 0,
                    "unavailable": it.unavailable, "seconds": timings[it.chart.id]} for it in items],
    }
    return Briefing(params, items, manifest, method_notes(params, bool(prov.get("simulated"))))


# ------------------------------------------------------------------------------------------------------------------
# PPTX

_W, _H = 13.333, 7.5  # inches, 16:9


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG header."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def _font(run: Any, size: float, *, bold: bool = False, color: tuple[int, int, int] | None = None) -> None:
    """Set the run's Latin and East Asian typeface to the CJK font (python-pptx sets only the Latin one)."""
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    f = run.font
    f.size = Pt(size)
    f.bold = bold
    f.name = FONT
    rpr = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            rpr.append(el)
        el.set("typeface", FONT)
    if color:
        f.color.rgb = RGBColor(*color)


def _text(slide: Any, x: float, y: float, w: float, h: float, lines: list[tuple[str, float, bool]], *,
          color: tuple[int, int, int] | None = None) -> Any:
    from pptx.util import Inches

    box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    tf = box.text_frame
    tf.word_wrap = True
    for i, (text, size, bold) in enumerate(lines):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        run = para.add_run()
        run.text = text
        _font(run, size, bold=bold, color=color)
    return box


def _rule(slide: Any, y: float) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches

    bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(0.4), Inches(y), Inches(_W - 0.8), Inches(0.04))
    bar.fill.solid()
    bar.fill.fore_color.rgb = RGBColor(0x1F, 0x4E, 0x79)
    bar.line.fill.background()


def write_deck(b: Briefing, out: str | os.PathLike[str]) -> Path:
    """Write the briefing as a 16:9 PPTX; returns the path."""
    from pptx import Presentation
    from pptx.util import Emu, Inches

    p = b.params
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)  # 13.333 × 7.5 in (PowerPoint's 16:9)
    blank = prs.slide_layouts[6]
    store = b.manifest["store"]
    sim = bool(store.get("simulated"))

    s = prs.slides.add_slide(blank)
    _rule(s, 3.55)
    _text(s, 0.6, 1.6, _W - 1.2, 1.9, [(b.title, 34, True)])
    sub = [p.t("現状と課題 — junkan（循環）による自動生成", "Current state and issues — generated by junkan (循環)"), ]
    sub.append(p.t(f"データ版 {store.get('store_version')}（{str(store.get('content_hash'))[:12]}）・{b.manifest['generated'][:10]}",
                   f"data version {store.get('store_version')} ({str(store.get('content_hash'))[:12]}) · {b.manifest['generated'][:10]}"))
    if sim:
        sub.append(p.t("シミュレーションデータ（SIMULATED）: 実在の国の実績ではありません",
                       "SIMULATED data: not facts about real countries"))
    _text(s, 0.6, 3.8, _W - 1.2, 2.0, [(x, 18, False) for x in sub])

    for n, it in enumerate((i for i in b.items if i.result is not None and i.png is not None), start=2):
        r = it.result
        s = prs.slides.add_slide(blank)
        _text(s, 0.4, 0.25, _W - 0.8, 0.7, [(r.title, 26, True)], color=(0x1F, 0x4E, 0x79))
        _rule(s, 0.95)
        _text(s, 0.5, 1.05, _W - 1.0, 0.6, [("■ " + r.takeaway, 18, True)])
        # the picture: as large as fits between the takeaway and the source lines, centred
        top, bottom = 1.75, 6.35
        pw, ph = png_size(it.png)
        max_w, max_h = _W - 1.0, bottom - top
        scale = min(max_w / pw, max_h / ph)
        w, h = pw * scale, ph * scale
        s.shapes.add_picture(io.BytesIO(it.png), Inches((_W - w) / 2), Inches(top), Inches(w), Inches(h))
        src = p.t("出典：", "Source: ") + it.chart.source[p.lang]
        _text(s, 0.5, 6.4, _W - 1.5, 0.9, [(src, 11, False), (r.caption, 10, False)], color=(0x40, 0x40, 0x40))
        _text(s, _W - 0.9, 7.0, 0.6, 0.4, [(str(n), 11, False)], color=(0x40, 0x40, 0x40))

    s = prs.slides.add_slide(blank)
    _text(s, 0.4, 0.25, _W - 0.8, 0.7, [(p.t("方法の注記", "Method notes"), 26, True)], color=(0x1F, 0x4E, 0x79))
    _rule(s, 0.95)
    lines = [("・" + x, 13, False) for x in b.notes]
    missing = [i for i in b.items if i.result is None]
    if missing:
        lines.append((p.t("描画できなかった図:", "Charts not drawn:"), 13, True))
        lines += [(f"・{i.chart.title[p.lang]}: {i.unavailable}", 12, False) for i in missing]
    _text(s, 0.5, 1.15, _W - 1.0, 6.0, lines)

    s = prs.slides.add_slide(blank)
    _text(s, 0.4, 0.25, _W - 0.8, 0.7, [(p.t("実行記録（マニフェスト）", "Run manifest"), 26, True)], color=(0x1F, 0x4E, 0x79))
    _rule(s, 0.95)
    mlines = [(f"{k}: {v}", 12, False) for k, v in manifest_lines(b)]
    _text(s, 0.5, 1.15, _W - 1.0, 6.0, mlines)

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    prs.save(str(tmp))
    os.replace(tmp, out)
    return out


def manifest_lines(b: Briefing) -> list[tuple[str, str]]:
    """The manifest as (key, value) lines for a slide or a table."""
    m = b.manifest
    st = m["store"]
    counts = m.get("ingest_counts") or {}
    drawn = [c["id"] for c in m["charts"] if c["drawn"]]
    return [
        ("generated", m["generated"]),
        ("parameters", ", ".join(f"{k}={v}" for k, v in m["params"].items())),
        ("store", str(st.get("store"))),
        ("store version", f"{st.get('store_version')} (created {st.get('created')})"),
        ("content hash", str(st.get("content_hash"))),
        ("simulated", str(st.get("simulated"))),
        ("junkan / backend", f"{st.get('junkan_version')} / {st.get('backend')}"),
        ("records read / kept / rejected", f"{counts.get('read')} / {counts.get('kept')} / {counts.get('rejected')}"),
        ("charts drawn", f"{len(drawn)} of {len(m['charts'])}: {', '.join(drawn)}"),
    ]
