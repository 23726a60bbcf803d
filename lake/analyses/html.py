"""The HTML page of a study analysis's report: one self-contained file, no script, no external
resource; plots inline as SVG, numbers as tables, the run's provenance at the top.

Deterministic: the page is a pure function of its inputs (no clock time, no random ids), so the
same answers give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import polars as pl

from lake.analyses.definition import AnalysisDefinition, PlotSpec
from lake.analyses.figures import figure_svg
from lake.analyses.report import Answer, ReportTable, RunStamp

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222 }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; font-size: .85rem }
th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: right }
th { background: #f3f3f3 } td.text { text-align: left }
.errors { color: #8a1c1c } .slot { border: 1px dashed #999; padding: 1rem; color: #555 }
figure svg { max-width: 100%; height: auto }
"""


def cell(value: object) -> str:
    """A value as shown in the page: 4 significant digits for floats, a dash for null (a
    suppressed or missing number); the CSV and Arrow files keep every digit."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _table(frame: pl.DataFrame) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in frame.columns)
    rows = []
    for row in frame.iter_rows():
        cells = (
            f'<td class="text">{escape(v)}</td>' if isinstance(v, str) else f"<td>{cell(v)}</td>"
            for v in row
        )
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _plot(spec: PlotSpec, answer: Answer) -> str:
    caption = f"<figcaption>{escape(spec.title)}</figcaption>"
    svg = figure_svg(spec, answer.released.get(spec.path))
    if svg is None:
        return (
            f'<figure class="slot" data-kind="{spec.kind}" data-path="{escape(spec.path)}">'
            f"{caption}<p>plot not drawn ({spec.kind} of {escape(spec.path)}): nothing was "
            "released to draw (see the question's errors)</p></figure>"
        )
    return f'<figure data-kind="{spec.kind}">{svg}{caption}</figure>'


def render_html(
    definition: AnalysisDefinition,
    stamp: RunStamp,
    answers: Sequence[Answer],
    tables: Sequence[ReportTable],
) -> str:
    """The report page: title, provenance, then per question its errors, plots and tables."""
    provenance = "".join(
        f'<tr><td class="text">{escape(r["field"])}</td><td class="text">{escape(r["value"])}'
        "</td></tr>"
        for r in stamp.rows()
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(definition.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(definition.title)}</h1>",
        f"<p>{escape(definition.summary)}</p><p>Seed: {escape(definition.seed)}</p>",
        f"<h2>Provenance</h2><table><tbody>{provenance}</tbody></table>",
    ]
    by_question: dict[str, list[ReportTable]] = {}
    for table in tables:
        by_question.setdefault(table.question, []).append(table)
    for answer in answers:
        question = answer.question
        parts.append(f'<section id="{question.name}"><h2>{escape(question.title)}</h2>')
        if answer.errors:
            items = "".join(f"<li>{escape(c)}: {escape(m)}</li>" for c, m in answer.errors)
            parts.append(f'<ul class="errors">{items}</ul>')
        parts += [_plot(spec, answer) for spec in question.plots]
        for table in by_question.get(question.name, []):
            parts.append(f"<h3>{escape(table.name)}</h3>")
            parts.append(
                _table(table.frame)
                if table.frame is not None
                else f'<p class="errors">not answered: {escape(table.missing or "")}</p>'
            )
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
