"""`python -m evals run|run-conversations|run-negatives|compare|judge-agreement|feedback`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from evals.conversations.dataset import load_conversations
from evals.conversations.run import run_conversations, turns_to_run
from evals.feedback import cli as feedback_cli
from evals.feedback.report import add_to_report
from evals.gate import check
from evals.judges.lexical import LexicalJudge, agreement, best_threshold, load_labels
from evals.negatives.dataset import load_negatives
from evals.negatives.run import by_excluded, run_negatives
from evals.questions.dataset import load_dataset
from evals.questions.run import run
from evals.reporting.compare import compare
from evals.reporting.render import CONVERSATION_HEADLINE, HEADLINE, fmt, write_all
from evals.reporting.summary import summarize
from evals.rows import Row, Summary
from evals.settings import EvalSettings
from evals.targets import Target, TargetError, http_target, in_process_target
from service.core.offline import configure_offline
from service.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def _common(r: argparse.ArgumentParser) -> None:
    r.add_argument("--out", type=Path, required=True, help="folder for the reports")
    r.add_argument("--target", help="URL of a running service (default: in-process)")
    r.add_argument(
        "--corpus",
        type=Path,
        default=REPO / "data/articles",
        help="in-process: ingest this folder into a temporary index first",
    )
    r.add_argument(
        "--use-index",
        action="store_true",
        help="in-process: use the index the settings point at instead of --corpus",
    )
    r.add_argument("--concurrency", type=int, default=1)
    r.add_argument("--split", choices=["dev", "test", "all"], default="all")
    r.add_argument("--gate", type=Path, help="thresholds file; exit 1 if one is not met")
    r.add_argument("--judge-threshold", type=float, default=None)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evals", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a dataset and write reports")
    r.add_argument("--dataset", type=Path, default=REPO / "evals/datasets/articles.jsonl")
    _common(r)
    r.add_argument(
        "--llm-judge",
        action="store_true",
        help="also ask the configured LLM (RAG_LLM_*) to judge faithfulness and correctness "
        "(cached, temperature 0, reported apart, never gating)",
    )
    r.add_argument("--llm-judge-cache", type=Path, default=Path("eval-results/llm-judge.json"))
    t = sub.add_parser(
        "run-conversations",
        help="run a multi-turn conversation set (follow-ups asked with their history)",
    )
    t.add_argument("--dataset", type=Path, default=REPO / "evals/datasets/conversations.jsonl")
    _common(t)
    neg = sub.add_parser(
        "run-negatives",
        help="a negatives-only set: every row over the corpus without its excluded articles",
    )
    neg.add_argument("--dataset", type=Path, default=REPO / "evals/datasets/negatives.jsonl")
    neg.add_argument("--corpus", type=Path, default=REPO / "data/articles")
    neg.add_argument("--out", type=Path, required=True, help="folder for the reports")
    neg.add_argument("--concurrency", type=int, default=1)
    neg.add_argument("--split", choices=["dev", "test", "all"], default="all")
    neg.add_argument("--gate", type=Path, help="thresholds file; exit 1 if one is not met")
    c = sub.add_parser("compare", help="metric deltas and regressed questions")
    c.add_argument("old", type=Path)
    c.add_argument("new", type=Path)
    j = sub.add_parser("judge-agreement", help="the support judge against hand labels")
    j.add_argument("--labels", type=Path, default=REPO / "evals/datasets/judge_labels.jsonl")
    feedback_cli.add_parser(sub)
    return parser


def _target(
    args: argparse.Namespace, settings: Settings, harness: EvalSettings
) -> AbstractAsyncContextManager[Target]:
    if args.target:
        key = harness.api_key
        return http_target(args.target, key.get_secret_value() if key else None)
    return in_process_target(None if args.use_index else args.corpus, settings)


def _judge(args: argparse.Namespace) -> LexicalJudge:
    return LexicalJudge(args.judge_threshold) if args.judge_threshold else LexicalJudge()


def _summarize(
    args: argparse.Namespace,
    settings: Settings,
    harness: EvalSettings,
    rows: Sequence[Row],
    target_name: str,
) -> Summary:
    # The threshold is only known for the in-process app, whose settings are these.
    return summarize(
        rows,
        target=target_name,
        dataset=str(args.dataset),
        threshold=None if args.target else settings.answer.min_score,
        prices=harness.prices,
    )


async def _run_conversations(args: argparse.Namespace, console: Console) -> Summary:
    conversations = load_conversations(args.dataset)
    if args.split != "all":
        conversations = [c for c in conversations if c.split == args.split]
    settings, harness = Settings(), EvalSettings()
    async with _target(args, settings, harness) as target:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("turns", total=turns_to_run(conversations))
            rows = await run_conversations(
                conversations,
                target,
                concurrency=args.concurrency,
                judge=_judge(args),
                progress=lambda: progress.advance(task),
            )
    summary = _summarize(args, settings, harness, rows, target.name)
    write_all(args.out, rows, summary, CONVERSATION_HEADLINE)
    return summary


async def _run(args: argparse.Namespace, console: Console) -> Summary:
    questions = load_dataset(args.dataset)
    if args.split != "all":
        questions = [q for q in questions if q.split == args.split]
    settings, harness = Settings(), EvalSettings()
    opened = _target(args, settings, harness)
    judge = _judge(args)
    async with opened as target:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("questions", total=len(questions))
            rows = await run(
                questions,
                target,
                concurrency=args.concurrency,
                judge=judge,
                progress=lambda: progress.advance(task),
            )
    summary = _summarize(args, settings, harness, rows, target.name)
    if args.llm_judge:
        from evals.judges.llm import LLMJudge

        judge_llm = LLMJudge(settings.llm, args.llm_judge_cache)
        summary["llm_judge"] = await asyncio.to_thread(judge_llm.judge, rows)
    write_all(args.out, rows, summary)
    add_to_report(args.out, args.dataset)
    return summary


async def _run_negatives(args: argparse.Namespace, console: Console) -> Summary:
    negatives = load_negatives(args.dataset)
    if args.split != "all":
        negatives = [row for row in negatives if row.split == args.split]
    settings, harness = Settings(), EvalSettings()
    console.print(
        f"{len(negatives)} negatives over {len(by_excluded(negatives))} indexes "
        f"({args.corpus} without each row's excluded articles)"
    )
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("negatives", total=len(negatives))
        rows, target = await run_negatives(
            negatives,
            args.corpus,
            settings,
            concurrency=args.concurrency,
            progress=lambda: progress.advance(task),
        )
    summary = summarize(
        rows,
        target=target,
        dataset=str(args.dataset),
        threshold=settings.answer.min_score,
        prices=harness.prices,
    )
    write_all(args.out, rows, summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    configure_offline()
    args = _parser().parse_args(argv)
    console = Console()
    if args.command == "compare":
        console.print(compare(args.old, args.new), highlight=False, soft_wrap=True)
        return 0
    if args.command == "feedback":
        return feedback_cli.main(args)
    if args.command == "judge-agreement":
        labels = load_labels(args.labels)
        default = agreement(LexicalJudge(), labels)
        threshold, best = best_threshold(labels)
        console.print(
            f"{len(labels)} labelled pairs; default judge agrees on {default:.1%}; "
            f"best threshold {threshold:.2f} agrees on {best:.1%}"
        )
        return 0
    headline: tuple[str, ...] = HEADLINE
    try:
        if args.command == "run-conversations":
            summary = asyncio.run(_run_conversations(args, console))
            headline = CONVERSATION_HEADLINE
        elif args.command == "run-negatives":
            summary = asyncio.run(_run_negatives(args, console))
        else:
            summary = asyncio.run(_run(args, console))
    except TargetError as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False)
        return 2
    except httpx.TransportError as exc:
        console.print(
            f"[red]error:[/] cannot reach {args.target}: {exc}; is the service running there?",
            highlight=False,
        )
        return 2
    table = Table(title=f"evals: {args.dataset.name}")
    table.add_column("metric")
    splits = summary["splits"]
    for split in splits:
        table.add_column(split, justify="right")
    for name in headline:
        table.add_row(name, *(fmt(agg.get(name)) for agg in splits.values()))
    console.print(table)
    if "llm_judge" in summary:
        console.print(f"LLM judge (not gating): {summary['llm_judge']}")
    console.print(f"reports written to {args.out}/ (report.html, report.md, summary.json)")
    if args.gate:
        failures = check(summary, args.gate)
        if failures:
            console.print("[red]gate failed:[/]")
            for failure in failures:
                console.print(f"  {failure}", highlight=False)
            return 1
        console.print(f"gate passed ({args.gate})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
