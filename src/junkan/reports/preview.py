"""A plain preview of a junkan deck's slides as PNG images (Pillow), for the docs and for checking layouts
where LibreOffice is not installed.

It reads the PPTX with python-pptx and draws what junkan's decks contain: text boxes (size, bold, colour,
wrapped to the box), filled rectangles and pictures, at their positions. It is not a general PowerPoint
renderer (no themes, placeholders, charts, tables or effects).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from junkan.errors import ConfigError

__all__ = ["slide_images"]

_FONT_FILES = {False: "NotoSansCJK-Regular.ttc", True: "NotoSansCJK-Bold.ttc"}
_FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto")


def _font(bold: bool, px: int):  # noqa: ANN202
    from PIL import ImageFont

    for d in _FONT_DIRS:
        p = Path(d) / _FONT_FILES[bold]
        if p.is_file():
            return ImageFont.truetype(str(p), px, index=0)  # face 0 of the collection is "Noto Sans CJK JP"
    raise ConfigError("Noto Sans CJK not found (install fonts-noto-cjk) for the slide preview")


def _wrap(draw, text: str, font, width: float) -> list[str]:  # noqa: ANN001
    """Lines of ``text`` that fit ``width`` pixels: break at spaces, or anywhere in CJK text."""
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for ch in para:
            trial = line + ch
            if draw.textlength(trial, font=font) <= width or not line:
                line = trial
                continue
            cut = line.rfind(" ")
            if cut > 0 and ch != " " and all(ord(c) < 0x3000 for c in line[cut:]):
                lines.append(line[:cut])
                line = line[cut + 1:] + ch
            else:
                lines.append(line)
                line = ch.lstrip()
        lines.append(line)
    return lines


def slide_images(path: str | os.PathLike[str], *, width: int = 1600, slides: list[int] | None = None) -> list[bytes]:
    """PNG bytes of the slides of ``path`` (all, or the 0-based indices in ``slides``), ``width`` pixels wide."""
    from PIL import Image, ImageDraw
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    prs = Presentation(str(path))
    sw, sh = int(prs.slide_width), int(prs.slide_height)
    k = width / sw  # pixels per EMU
    px_per_pt = k * 12700
    out = []
    for i, slide in enumerate(prs.slides):
        if slides is not None and i not in slides:
            continue
        img = Image.new("RGB", (width, round(sh * k)), "white")
        draw = ImageDraw.Draw(img)
        for shape in slide.shapes:
            x, y, w, h = (round(int(v) * k) for v in (shape.left, shape.top, shape.width, shape.height))
            if shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
                pic = Image.open(io.BytesIO(shape.image.blob)).convert("RGB").resize((max(w, 1), max(h, 1)))
                img.paste(pic, (x, y))
                continue
            if shape.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE and shape.fill.type == 1:  # solid fill
                draw.rectangle([x, y, x + w, y + h], fill=str(shape.fill.fore_color.rgb).join(("#", "")))
            if not shape.has_text_frame:
                continue
            ty = y + round(0.05 * 914400 * k)
            for para in shape.text_frame.paragraphs:
                if not para.runs:
                    continue
                run = para.runs[0]
                size = run.font.size.pt if run.font.size else 18
                font = _font(bool(run.font.bold), max(8, round(size * px_per_pt)))
                try:
                    color = "#" + str(run.font.color.rgb)
                except AttributeError:
                    color = "#000000"
                for line in _wrap(draw, "".join(r.text for r in para.runs), font, w - 2 * round(0.1 * 914400 * k)):
                    draw.text((x + round(0.1 * 914400 * k), ty), line, font=font, fill=color)
                    ty += round(size * px_per_pt * 1.25)
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=True)
        out.append(buf.getvalue())
    return out
