"""An evaluation as one self-contained HTML page (``spacy-juicer evaluate --html``): scores per
type and description form, the threshold curves ``calibrate`` chose on, and each type's
mentions drawn with displaCy, gold beside predicted, grouped by what went wrong.

    from spacy_juicer.evaluation import evaluate
    from spacy_juicer.reporting import ErrorCases, write_report

    cases = ErrorCases(per_group=5, seed=0)
    metrics = evaluate("training/kf/model-calibrated", "test.spacy", forms="test.forms.json", on_predicted=cases)
    write_report(metrics, cases, "metrics/report.html")
"""
from .cases import GROUPS, Case, ErrorCases, classify
from .charts import require_matplotlib
from .page import build_report, write_report

__all__ = ["GROUPS", "Case", "ErrorCases", "build_report", "classify", "require_matplotlib", "write_report"]
