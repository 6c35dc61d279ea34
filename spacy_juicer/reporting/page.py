"""One self-contained HTML page for one evaluation run: scores per type and description form,
the threshold curves ``calibrate`` chose on, and each type's mentions drawn with displaCy,
gold beside predicted, grouped by what went wrong.

The page fetches nothing when viewed: CSS inline, charts inline SVG, the system's fonts.
"""
from __future__ import annotations

import html
import platform
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from spacy import displacy
from spacy.tokens import Doc

from ..display import label_color
from .cases import GROUP_HELP, GROUP_TITLES, GROUPS, Case, ErrorCases, SpanTuple
from .charts import calibration_parts, prf_chart, threshold_chart

PathLike = Union[str, Path]
TEMPLATE = "report.html.jinja"
# a doc longer than this is cut to a window of CONTEXT tokens either side of the mention
MAX_TOKENS = 70
CONTEXT = 25
# put before the label of the span a case is about, in both columns
FOCUS = "▸ "


def by_form(metrics: Mapping[str, Any]) -> Dict[str, Mapping[str, Any]]:
    """The run's scores per description form, the worst first (one form, ``given``, without
    ``--forms``)."""
    forms = metrics.get("forms")
    if not forms:
        return {"given": metrics}
    worst = metrics.get("worst_form")
    order = ([worst] if worst in forms else []) + [f for f in forms if f != worst]
    return {f: forms[f] for f in order}


def descriptions_by_form(metrics: Mapping[str, Any]) -> Dict[str, Dict[str, str]]:
    forms = metrics.get("forms")
    if not forms:
        return {"given": dict(metrics.get("descriptions", {}))}
    return {f: dict(m.get("labels", {})) for f, m in by_form(metrics).items()}


def _window(doc: Doc, case: Case) -> Tuple[int, int]:
    if len(doc) <= MAX_TOKENS:
        return 0, len(doc)
    focus = case.gold or case.pred
    assert focus is not None
    start, end = min(focus[0], (case.pred or focus)[0]), max(focus[1], (case.pred or focus)[1])
    return max(0, start - CONTEXT), min(len(doc), end + CONTEXT)


def render_spans(
    doc: Doc,
    spans: Sequence[SpanTuple],
    window: Tuple[int, int],
    colors: Mapping[str, str],
    focus: Optional[SpanTuple] = None,
) -> str:
    """displaCy's span style for ``spans`` over the tokens of ``window`` ("…" where cut); the
    ``focus`` span's label is marked, so that the mention a case is about stands out."""
    lo, hi = window
    tokens = [t.text for t in doc[lo:hi]]
    shift = -lo
    if lo > 0:
        tokens.insert(0, "…")
        shift += 1
    if hi < len(doc):
        tokens.append("…")
    parsed = [{
        "text": doc[lo:hi].text,
        "tokens": tokens,
        "spans": [
            {"start_token": max(s, lo) + shift, "end_token": min(e, hi) + shift,
             "label": html.escape((FOCUS if (s, e, label) == focus else "") + label)}
            for s, e, label in spans if s < hi and e > lo
        ],
    }]
    shown = {html.escape(prefix + k): v for k, v in colors.items() for prefix in ("", FOCUS)}
    return displacy.render(parsed, style="span", manual=True, jupyter=False, options={"colors": shown})


def _text(doc: Doc, span: Optional[SpanTuple]) -> str:
    return doc[span[0]:span[1]].text if span else ""


def caption(doc: Doc, case: Case) -> str:
    """What the case is about, in words."""
    gold, pred = _text(doc, case.gold), _text(doc, case.pred)
    if case.group == "missed":
        return f"“{gold}” ({case.label}) not found"
    if case.group == "spurious":
        return f"“{pred}” predicted as {case.label}, not a gold mention"
    if case.group == "wrong_type":
        assert case.pred is not None
        edges = "" if case.pred[:2] == case.gold[:2] else f" over “{pred}”"  # type: ignore[index]
        return f"“{gold}” is {case.label}, predicted as {case.pred[2]}{edges}"
    if case.group == "wrong_edges":
        return f"gold “{gold}”, predicted “{pred}”"
    return f"“{gold}”"


def _case_view(doc: Doc, case: Case, colors: Mapping[str, str]) -> Dict[str, str]:
    window = _window(doc, case)
    return {
        "caption": caption(doc, case),
        "gold": render_spans(doc, case.gold_spans, window, colors, case.gold),
        "predicted": render_spans(doc, case.pred_spans, window, colors, case.pred),
    }


def _fmt_curve(scores: Mapping[str, float]) -> List[Tuple[str, str]]:
    return [(f"{float(t):g}", f"{100 * float(f):.1f}") for t, f in sorted(scores.items(), key=lambda kv: float(kv[0]))]


def calibration_view(metrics: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """The calibration's choice and curves for the page, or None when never calibrated."""
    calibration = metrics.get("calibration")
    if not calibration or "threshold" not in calibration:
        return None
    check = "on" if calibration.get("check_names") else "off"
    rows = []
    for title, part in calibration_parts(calibration):
        main = part.get("scores_by_check", {}).get(check) or part.get("scores") or {}
        rows.append({"title": title, "data": part.get("data"), "labels": part.get("labels"),
                     "curve": _fmt_curve(main)})
    used = metrics.get("threshold")
    return {
        "threshold": float(calibration["threshold"]),
        "name_threshold": calibration.get("name_threshold"),
        "check_names": check,
        "metric": calibration.get("metric", "span_macro_f"),
        "rule": calibration.get("rule", "best score over the grid"),
        "parts": rows,
        "used": used,
        "svg": threshold_chart(calibration, used),
    }


def page_context(metrics: Mapping[str, Any], cases: ErrorCases) -> Dict[str, Any]:
    """Everything the template shows, from a metrics dict of ``evaluate`` and the cases it saw."""
    forms = by_form(metrics)
    worst = next(iter(forms))
    types = list(metrics.get("types") or metrics.get("gold_types") or [])
    colors = {label: label_color(label) for label in types}
    shown = worst if worst in cases.counts else next(iter(cases.counts), worst)
    type_views = []
    for label in types:
        rows = []
        for form, scores in forms.items():
            per = scores.get("ents_per_type", {}).get(label, {})
            rows.append({
                "form": form,
                "worst": form == worst and len(forms) > 1,
                "counts": {g: cases.count(form, label, g) for g in GROUPS},
                "p": 100 * per.get("p", 0.0), "r": 100 * per.get("r", 0.0), "f": 100 * per.get("f", 0.0),
            })
        groups = []
        for group in GROUPS:
            sample = cases.sample(shown, label, group)
            groups.append({
                "key": group,
                "title": GROUP_TITLES[group],
                "help": GROUP_HELP[group],
                "count": cases.count(shown, label, group),
                "cases": [_case_view(cases.docs[c.doc], c, colors) for c in sample],
            })
        type_views.append({"label": label, "color": colors[label], "rows": rows, "groups": groups})
    component = dict(metrics.get("component") or {})
    return {
        "title": f"Evaluation of {metrics.get('name', 'a pipeline')}",
        "metrics": metrics,
        "generated": datetime.now().astimezone().isoformat(timespec="seconds"),
        "forms": list(forms),
        "worst": worst if len(forms) > 1 else None,
        "shown_form": shown,
        "summary": [
            ("span P", 100 * metrics.get("ents_p", 0.0)), ("span R", 100 * metrics.get("ents_r", 0.0)),
            ("span F", 100 * metrics.get("ents_f", 0.0)), ("span macro F", 100 * metrics.get("span_macro_f", 0.0)),
        ],
        "prf_svg": prf_chart(forms, types, worst if len(forms) > 1 else None),
        "prf_rows": [{"form": f, "worst": f == worst and len(forms) > 1,
                      "p": 100 * m.get("span_macro_p", 0.0), "r": 100 * m.get("span_macro_r", 0.0),
                      "f": 100 * m.get("span_macro_f", 0.0)} for f, m in forms.items()],
        "calibration": calibration_view(metrics),
        "types": type_views,
        "groups": [(g, GROUP_TITLES[g], GROUP_HELP[g]) for g in GROUPS],
        "per_group": cases.per_group,
        "seed": cases.seed,
        "descriptions": descriptions_by_form(metrics),
        "component": component,
        "colors": colors,
        "machine": metrics.get("machine") or {"python": platform.python_version(), "platform": platform.platform()},
    }


def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("spacy_juicer.reporting", "."),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def build_report(metrics: Mapping[str, Any], cases: ErrorCases) -> str:
    """The page's HTML."""
    from markupsafe import Markup

    context = page_context(metrics, cases)
    context["prf_svg"] = Markup(context["prf_svg"])
    if context["calibration"]:
        context["calibration"]["svg"] = Markup(context["calibration"]["svg"])
    for view in context["types"]:
        for group in view["groups"]:
            for case in group["cases"]:
                case["gold"], case["predicted"] = Markup(case["gold"]), Markup(case["predicted"])
    return _environment().get_template(TEMPLATE).render(**context)


def write_report(metrics: Mapping[str, Any], cases: ErrorCases, output: PathLike) -> Tuple[Path, float]:
    """Write the page to ``output``; the path and the seconds the report cost (reading the
    cases during the evaluation and building the page)."""
    start = time.perf_counter()
    page = build_report(metrics, cases)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf8")
    return output, cases.seconds + time.perf_counter() - start
