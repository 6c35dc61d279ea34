"""The report's charts: matplotlib figures saved as SVG and inlined into the page.

Text is drawn as paths (``svg.fonttype = "path"``), so a chart looks the same whatever fonts
the viewer has; the XML prolog, metadata and namespace declarations (URLs, though never
fetched) are dropped, since an SVG inside HTML needs none of them.
"""
from __future__ import annotations

import io
import math
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

# P, R, F: colour-blind safe (Okabe-Ito)
PRF_COLORS = {"p": "#56b4e9", "r": "#e69f00", "f": "#0b5394"}
WORST_COLOR = "#b00020"
CHOSEN_COLOR = "#0b5394"
METRIC_NAMES = {"span_macro_f": "span macro F", "ents_f": "span F", "tok_macro_f": "token macro F"}
_RC = {
    "svg.fonttype": "path",
    "svg.hashsalt": "spacy-juicer",  # the same chart gives the same SVG
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def require_matplotlib() -> None:
    """Fail before an evaluation whose page could not be drawn (matplotlib is in the ``llm``
    extra, not in the base install)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ValueError(
            "--html draws its charts with matplotlib, which is not installed: "
            "pip install matplotlib (or spacy-juicer[llm])."
        ) from None


def pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display needed; savefig(format="svg") picks the SVG backend
    import matplotlib.pyplot as plt

    return plt


def to_inline_svg(fig) -> str:
    """The figure as an ``<svg>`` element to put inside HTML, scaled by the page's CSS."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = svg.replace("xlink:href=", "href=")
    return svg.strip()


def _pct(value: Optional[float]) -> float:
    return 100.0 * float(value or 0.0)


def prf_chart(
    by_form: Mapping[str, Mapping[str, Any]],
    types: Sequence[str],
    worst: Optional[str],
    max_columns: int = 3,
) -> str:
    """Span P, R and F per description form: a panel for the macro average over the types and
    one per type; the worst form (by the evaluation's metric) leads and is marked in red, as
    is each panel's lowest F."""
    plt = pyplot()
    forms = list(by_form)
    if worst in by_form:
        forms = [worst] + [f for f in forms if f != worst]
    panels: List[Tuple[str, Dict[str, Dict[str, float]]]] = [(
        "all types (macro average)",
        {f: {k: _pct(by_form[f].get(f"span_macro_{k}")) for k in "prf"} for f in forms},
    )]
    for label in types:
        panels.append((label, {f: {k: _pct(by_form[f].get("ents_per_type", {}).get(label, {}).get(k)) for k in "prf"}
                               for f in forms}))
    columns = min(max_columns, len(panels))
    rows = math.ceil(len(panels) / columns)
    panel_height = 0.42 * len(forms) + 0.9
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(rows, columns, figsize=(4.4 * columns, panel_height * rows + 0.4), squeeze=False)
        bar = 0.26
        for ax, (title, values) in zip(axes.flat, panels):
            lowest = min(values[f]["f"] for f in forms)
            marked = len(forms) > 1 and lowest < max(values[f]["f"] for f in forms)
            for i, form in enumerate(forms):
                for j, key in enumerate("prf"):
                    ax.barh(i + (j - 1) * bar, values[form][key], height=bar, color=PRF_COLORS[key],
                            label=key.upper() if i == 0 else None)
                low = marked and values[form]["f"] == lowest
                ax.text(values[form]["f"] + 1.5, i + bar, f"{values[form]['f']:.1f}", va="center", fontsize=7.5,
                        color=WORST_COLOR if low else "#222222", fontweight="bold" if low else "normal")
            ax.set_yticks(range(len(forms)))
            ax.set_yticklabels([f"{f} (worst)" if f == worst and len(forms) > 1 else f for f in forms])
            for tick, form in zip(ax.get_yticklabels(), forms):
                if form == worst and len(forms) > 1:
                    tick.set_color(WORST_COLOR)
                    tick.set_fontweight("bold")
            ax.invert_yaxis()
            ax.set_xlim(0, 108)
            ax.set_xticks([0, 25, 50, 75, 100])
            ax.grid(axis="x", alpha=0.3)
            ax.set_axisbelow(True)
            ax.set_title(title, fontsize=10, loc="left")
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, ["span P", "span R", "span F"], loc="upper right", ncol=3, frameon=False, fontsize=8)
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / (panel_height * rows + 0.4)))
        svg = to_inline_svg(fig)
        plt.close(fig)
    return svg


def calibration_parts(calibration: Mapping[str, Any]) -> List[Tuple[str, Mapping[str, Any]]]:
    """``(title, curves)`` per part that ``calibrate`` tuned on: the dev types alone, or the
    unseen dev types, the held-out seen types and the mean of both."""
    if "unseen" in calibration and "seen" in calibration:
        return [("unseen dev types", calibration["unseen"]), ("held-out seen types", calibration["seen"]),
                ("mean of both (chosen on)", calibration)]
    return [("dev types", calibration)]


def _curve(scores: Mapping[str, float]) -> Tuple[List[float], List[float]]:
    points = sorted((float(t), _pct(f)) for t, f in scores.items())
    return [t for t, _ in points], [f for _, f in points]


def _curves(part: Mapping[str, Any]) -> List[Mapping[str, float]]:
    """Every curve of a part: its scores under each check by name, each form's, the names'."""
    return [*part.get("scores_by_check", {}).values(), part.get("scores") or {},
            *part.get("scores_by_set", {}).values(), part.get("name_scores") or {}]


def threshold_chart(calibration: Mapping[str, Any], used: Optional[float] = None) -> str:
    """F by threshold as ``calibrate`` measured it: per part, the curve it chose on (the worst
    description form where it had several) bold, each form thin, the chosen threshold (and the
    bare names' own, when set) marked; ``used``: this evaluation's threshold, when another."""
    plt = pyplot()
    check = "on" if calibration.get("check_names") else "off"
    chosen = float(calibration["threshold"])
    names = calibration.get("name_threshold")
    parts = calibration_parts(calibration)
    metric = METRIC_NAMES.get(str(calibration.get("metric")), str(calibration.get("metric", "score")))
    with plt.rc_context(_RC):
        width = max(4.6, 7.2 / len(parts))
        fig, axes = plt.subplots(1, len(parts), figsize=(width * len(parts), 3.4), squeeze=False, sharey=True)
        for ax, (title, part) in zip(axes.flat, parts):
            main = part.get("scores_by_check", {}).get(check) or part.get("scores") or {}
            xs, ys = _curve(main)
            # the curve chosen on, wide and light, so that the forms' thin curves show on top
            forms = part.get("scores_by_set", {})
            label = "worst form" if forms else ("mean" if part is calibration and len(parts) > 1 else metric)
            ax.plot(xs, ys, linewidth=5, color="#9aa0a6", alpha=0.7, label=label, solid_capstyle="round")
            # a part's forms were swept under the check by name that part chose alone, which
            # may differ from the whole's: then they are dashed and say which
            own = part.get("check_names")
            other = own is not None and bool(own) != bool(calibration.get("check_names"))
            for form, scores in forms.items():
                fx, fy = _curve(scores)
                ax.plot(fx, fy, linewidth=1.2, marker=".", markersize=3, linestyle="--" if other else "-",
                        label=f"{form} (check_names {'on' if own else 'off'})" if other else form)
            if part.get("name_scores") and part is calibration and len(parts) > 1:
                fx, fy = _curve(part["name_scores"])
                ax.plot(fx, fy, linewidth=1.2, linestyle="--", color="#555555", label="names (mean)")
            if xs:
                at = min(range(len(xs)), key=lambda k: abs(xs[k] - chosen))
                ax.plot([xs[at]], [ys[at]], marker="o", markersize=7, color=CHOSEN_COLOR, zorder=5)
                ax.annotate(f"chosen {chosen:g}: {ys[at]:.1f}", (xs[at], ys[at]), xytext=(6, 8),
                            textcoords="offset points", fontsize=8, color=CHOSEN_COLOR, fontweight="bold")
            ax.axvline(chosen, color=CHOSEN_COLOR, linewidth=1.2)
            if names is not None:
                ax.axvline(float(names), color=CHOSEN_COLOR, linewidth=1, linestyle=":")
            if used is not None and abs(float(used) - chosen) > 1e-9:
                ax.axvline(float(used), color=WORST_COLOR, linewidth=1, linestyle="--")
                ax.text(float(used), 1, f" this run {float(used):g}", color=WORST_COLOR, fontsize=7.5,
                        transform=ax.get_xaxis_transform(), va="bottom")
            n_docs = part.get("n_docs")
            ax.set_title(f"{title}" + (f" ({n_docs} docs)" if n_docs else ""), fontsize=10, loc="left")
            ax.set_xlabel("threshold")
            ax.set_xlim(0, 1)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7, frameon=False, loc="best")
        axes.flat[0].set_ylabel(f"{metric} (%)")
        top = max((_pct(f) for _, part in parts for curve in _curves(part) for f in curve.values()), default=1.0)
        axes.flat[0].set_ylim(0, top * 1.18 + 2)  # room for the chosen threshold's label
        fig.tight_layout()
        svg = to_inline_svg(fig)
        plt.close(fig)
    return svg
