"""``quantvista models``: the model registry from a terminal.

- ``models list``: every model — id, family, version, status, trained window, horizon-1 log
  loss and accuracy (out of sample) — the champion marked;
- ``models train [--families a,b] [--wait/--no-wait] [--note TEXT] --by SUBJECT``: ask for
  new models (``RetrainRequested``, reason ``manual``) on every bar stored now; with
  ``--wait`` (the default) this process trains them at once and prints their figures and
  whether one was promoted (a serving training component then finds the request answered);
  with ``--no-wait`` the training component answers it;
- ``models promote MODEL_ID --note TEXT --by SUBJECT``: make a model the champion (rule
  ``manual``);
- ``models retire MODEL_ID --reason TEXT --by SUBJECT``: retire a model (not the champion);
- ``models evaluate MODEL_ID [--from TS] [--to TS]``: the model's scores per horizon on a
  window of the stored bars (by default its own out-of-sample block), beside the champion's
  on the same rows.

What a person does is recorded in the prediction store with ``person:<by>`` as its actor.
Entrypoints parse, call the prediction context, print; a refusal (an unknown model, a retired
one, the champion, nothing to train on) ends with the reason and exit status 2.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table

from quantvista.config import ConfigurationError


def add_model_commands(subparsers: Any) -> None:
    models = subparsers.add_parser("models", help="the model registry: list, train, promote …")
    sub = models.add_subparsers(dest="models_action", required=True)
    sub.add_parser("list", help="every model of the registry").set_defaults(run=_list)

    train = sub.add_parser("train", help="ask for new models on every stored bar")
    train.add_argument(
        "--families", default=None, help="comma-separated families (default: the configured)"
    )
    train.add_argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="train in this process and print the result (default); --no-wait leaves the "
        "request to the training component",
    )
    train.add_argument("--note", default="", help="why (recorded with the request)")
    _by(train)
    train.set_defaults(run=_train)

    promote = sub.add_parser("promote", help="make a model the champion")
    promote.add_argument("model_id")
    promote.add_argument("--note", required=True, help="why (recorded with the promotion)")
    _by(promote)
    promote.set_defaults(run=_promote)

    retire = sub.add_parser("retire", help="retire a model that is not the champion")
    retire.add_argument("model_id")
    retire.add_argument("--reason", required=True, help="why (recorded)")
    _by(retire)
    retire.set_defaults(run=_retire)

    evaluate = sub.add_parser("evaluate", help="score a model on a window, beside the champion")
    evaluate.add_argument("model_id")
    evaluate.add_argument(
        "--from", dest="ts_from", default=None, help="UTC ns or ISO-8601 (default: its holdout)"
    )
    evaluate.add_argument("--to", dest="ts_to", default=None, help="exclusive; UTC ns or ISO")
    evaluate.set_defaults(run=_evaluate)


def _by(command: argparse.ArgumentParser) -> None:
    command.add_argument("--by", required=True, help="who decided it (recorded as person:<by>)")


def _principal(args: argparse.Namespace) -> Any:
    from gateway.ports import Principal

    if not args.by.strip():
        raise ConfigurationError("--by must name who decided it")
    return Principal(args.by.strip())


def _instant(option: str, text: str | None) -> int | None:
    from gateway.errors import BadUserInput
    from gateway.scalars import parse_utc_timestamp

    if text is None:
        return None
    text = text.strip()
    try:
        return int(text) if text.isdigit() else parse_utc_timestamp(text)
    except BadUserInput as error:
        raise ConfigurationError(f"{option}: {error}") from None


def _when(ns: int | None) -> str:
    from gateway.scalars import format_utc_ns

    return "" if ns is None else format_utc_ns(ns)[:19].replace("T", " ")


# -- list ------------------------------------------------------------------------------------
def _list(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from bounded_contexts.prediction.application.registry_view import load_registry
    from quantvista.mifid_cli import platform_started

    with platform_started(settings) as platform:
        registry = load_registry(platform.stores["prediction"])
    if not registry.models:
        console.print("the registry holds no model yet (the baseline is fitted at warm-up)")
        return 0
    table = Table(title="model registry")
    for column in ("", "model", "family", "version", "status", "trained on", "h1 log loss"):
        table.add_column(column)
    table.add_column("h1 accuracy")
    ordered = sorted(
        registry.models.values(),
        key=lambda m: (m.model_id != registry.champion, m.family, -m.model_version),
    )
    for m in ordered:
        first = m.metrics[0] if m.metrics else None
        table.add_row(
            "*" if m.model_id == registry.champion else "",
            m.model_id,
            m.family,
            str(m.model_version),
            registry.status(m.model_id),
            f"{_when(m.window_start_ts)} .. {_when(m.window_end_ts)}",
            "" if first is None else f"{first.log_loss:.4f}",
            "" if first is None else f"{first.accuracy:.3f}",
        )
    console.print(table)
    console.print("* the champion: every new prediction comes from it")
    return 0


# -- train -----------------------------------------------------------------------------------
def _train(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from quantvista.mifid_cli import platform_started

    principal = _principal(args)
    families = None
    if args.families is not None:
        families = [f.strip() for f in args.families.split(",")]
    with platform_started(settings) as platform:
        commands = platform.model_commands
        asked = commands.request_retrain(principal, families=families, note=args.note)
        console.print(
            f"requested {asked.request_id}: {', '.join(asked.families)} on every bar up to "
            f"{_when(asked.window_end_ts)} (prediction #{asked.position})"
        )
        if not args.wait:
            console.print("the training component answers it (quantvista serve prediction)")
            return 0
        answer = commands.fulfil(asked.request_id)
    if answer.answered_elsewhere:
        console.print("the training component answered it first:")
    for model in answer.trained:
        console.print(
            f"trained [bold]{model.model_id}[/] ({model.family} v{model.model_version}, "
            f"{model.samples} rows)"
        )
        _print_scores(console, model.model_id, model.metrics)
    for failure in answer.failures:
        console.print(f"[red]{failure.family} not trained:[/] {failure.reason}")
    if answer.promoted is not None:
        console.print(f"promoted {answer.promoted}: it beat the champion out of sample")
    else:
        console.print(f"no promotion: the champion stays {answer.champion}")
    return 0 if answer.trained else 1


def _print_scores(console: Console, title: str, metrics: Any) -> None:
    table = Table(title=title)
    for column in ("horizon", "samples", "log loss", "Brier", "accuracy", "bal. acc.", "ECE"):
        table.add_column(column, justify="right")
    for m in metrics:
        table.add_row(
            str(m.horizon),
            str(m.samples),
            f"{m.log_loss:.4f}",
            f"{m.brier:.4f}",
            f"{m.accuracy:.3f}",
            f"{m.balanced_accuracy:.3f}",
            f"{m.calibration_error:.3f}",
        )
    console.print(table)


# -- promote, retire -------------------------------------------------------------------------
def _promote(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from quantvista.mifid_cli import platform_started

    principal = _principal(args)
    with platform_started(settings) as platform:
        outcome = platform.model_commands.promote_model(
            principal, model_id=args.model_id, note=args.note
        )
    console.print(f"{outcome.model_id} is the champion (prediction #{outcome.position})")
    return 0


def _retire(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from quantvista.mifid_cli import platform_started

    principal = _principal(args)
    with platform_started(settings) as platform:
        outcome = platform.model_commands.retire_model(
            principal, model_id=args.model_id, reason=args.reason
        )
    console.print(f"{outcome.model_id} is retired (prediction #{outcome.position})")
    return 0


# -- evaluate --------------------------------------------------------------------------------
def _evaluate(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from bounded_contexts.prediction.application.evaluation import evaluate_registered
    from bounded_contexts.prediction.application.registry_view import load_registry
    from quantvista.mifid_cli import platform_started

    start, end = _instant("--from", args.ts_from), _instant("--to", args.ts_to)
    with platform_started(settings) as platform:
        registry = load_registry(platform.stores["prediction"])
        result = evaluate_registered(
            registry,
            args.model_id,
            platform.stores["intelligence"],
            platform.model_weights,
            start_ts=start,
            end_ts=end,
        )
    own = " (its out-of-sample block)" if start is None and end is None else ""
    console.print(
        f"{result.model.model_id} ({registry.status(result.model.model_id)}) on "
        f"{_when(result.start_ts)} .. {_when(result.end_ts)}{own}"
    )
    _print_scores(console, result.model.model_id, result.scores)
    if result.champion_scores is not None and result.champion is not None:
        _print_scores(console, f"champion {result.champion.model_id}", result.champion_scores)
        mine = _mean(result.scores)
        theirs = _mean(result.champion_scores)
        verdict = "lower" if mine < theirs else "not lower"
        console.print(
            f"mean log loss {mine:.4f} vs the champion's {theirs:.4f}: {verdict} on this window"
        )
    else:
        console.print(f"no comparison with the champion: {result.comparison}")
    return 0


def _mean(scores: Any) -> float:
    return sum(s.log_loss for s in scores) / len(scores)
