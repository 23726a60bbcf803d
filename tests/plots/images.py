"""Reading figures back for tests: SVG parsed as XML (element ids, texts), PNG decoded
(Pillow), and each kind kept as a test artefact.

Artefacts go to ``$HEMALAKE_TEST_ARTEFACTS`` when set (CI uploads that directory), else to
``tests/artefacts/`` (ignored by git); each test overwrites its own file, so the directory holds
the pictures of the last run.
"""

from __future__ import annotations

import io
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from PIL import Image

SVG = "{http://www.w3.org/2000/svg}"
ARTEFACTS = Path(
    os.environ.get("HEMALAKE_TEST_ARTEFACTS") or Path(__file__).parents[1] / "artefacts"
)


def keep(name: str, body: bytes) -> Path:
    """Write a figure as a test artefact; its path."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / name
    path.write_bytes(body)
    return path


def ids(svg: bytes, pattern: str) -> list[str]:
    """The element ids of the SVG matching ``pattern`` (a full match), in document order."""
    root = ET.fromstring(svg)
    return [i for e in root.iter() if (i := e.get("id")) is not None and re.fullmatch(pattern, i)]


def texts(svg: bytes, element_id: str) -> str:
    """The text inside the element with this id ('' when it holds none)."""
    root = ET.fromstring(svg)
    for e in root.iter():
        if e.get("id") == element_id:
            return "".join(e.itertext()).strip()
    raise KeyError(element_id)


def at_risk_rows(svg: bytes) -> list[list[str]]:
    """The number-at-risk table: per row, its cells' texts in tick order."""
    rows = ids(svg, r"at-risk-row-\d+")
    return [[texts(svg, cell) for cell in ids(svg, rf"at-risk-{r}-\d+")] for r in range(len(rows))]


def decoded(png: bytes) -> Image.Image:
    """The decoded PNG (raises if it is not one)."""
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    return image


def colours(image: Image.Image) -> set[tuple[int, ...]]:
    """The distinct colours of an image (a blank image has one)."""
    found = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert found is not None
    return {c for _, c in found}
