"""Would the local model tell an answering sentence from a neighbouring one? A probe.

    .venv/bin/python scripts/judge_probe.py --base-url http://127.0.0.1:PORT/v1 \
        --prompt yesno --split dev --out OUT.jsonl RUN/results.jsonl [RUN2/results.jsonl ...]

Reads the per-question rows of `python -m evals run`, `run-conversations` or
`run-negatives` (their `results.jsonl`), and for every answered question of the split
shows the model each cited sentence (at most three) with its article's title and date, one
call per sentence: `yesno` asks whether the sentence answers the question and reads P(yes)
from the first token's alternatives; `extract` asks for the answer in a few words or
"none" and reads 1 - P(none). The prompt's fixed part (instruction and six worked
examples, invented articles) is the same for every call, so a llama.cpp server evaluates
it once. It prints, for thresholds from 0.1 to 0.5, how many wrongly answered
unanswerable questions the lead sentence's probability would refuse, against how many
answers with fact recall above 0 and how many with none. The findings are in
docs/llm-quality.md ("A yes-or-no judge of the answer sentence"). Not part of any `make`
target: it needs a running model server (`python -m llama_cpp.server`, as `make
bench-llm` starts one).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

from openai import OpenAI

SYSTEM = {
    "yesno": (
        "You check whether a sentence from a news article answers a question. It answers "
        "if it states what the question asks, in any words. A sentence on the same topic "
        "that does not state what is asked does not answer, nor does one about another "
        "person, place, year or event than the one asked about. Reply yes or no."
    ),
    "extract": (
        "You answer a question from one sentence of a news article. Reply with the answer "
        "in a few words taken from the sentence. If the sentence does not state the answer "
        "to exactly this question, reply none."
    ),
}
# (question, article, sentence, answer in words or "" for none)
EXAMPLES: tuple[tuple[str, str, str, str], ...] = (
    (
        "Who is the city's chief engineer?",
        "Harbour bridge to close for repairs (2024-03-04)",
        '"The cables are older than we thought," said Anna Berg, the city\'s chief engineer.',
        "Anna Berg",
    ),
    (
        "Who is the council's finance director?",
        "Council approves school budget (2024-09-20)",
        "Mayor Tom Reed said the money would pay for two new schools.",
        "",
    ),
    (
        "How long was the library closed?",
        "Library reopens after flood (2024-06-11)",
        "The library opened its doors again on Saturday, eight months after the river "
        "flooded its ground floor.",
        "eight months",
    ),
    (
        "Who won the 2022 city marathon?",
        "Lee wins marathon in record time (2023-04-17)",
        "Kim Lee won Sunday's marathon in 2:09:14, a course record.",
        "",
    ),
    (
        "How much did the new sports hall cost?",
        "Sports hall opens (2024-01-08)",
        "The council also set aside 3 million euros to repair the old swimming pool.",
        "",
    ),
    (
        "Who opened the new bridge?",
        "New bridge opens to traffic (2024-05-02)",
        "Governor Ana Ruiz cut the ribbon on the bridge on Thursday morning.",
        "Governor Ana Ruiz",
    ),
)
THRESHOLDS = (0.1, 0.2, 0.25, 0.3, 0.35, 0.5)


def _turn(prompt: str, question: str, article: str, sentence: str) -> str:
    text = f"Article: {article}\nSentence: {sentence}\nQuestion: {question}"
    return text + "\nDoes the sentence answer the question?" if prompt == "yesno" else text


def messages(prompt: str, question: str, article: str, sentence: str) -> list[dict[str, str]]:
    out = [{"role": "system", "content": SYSTEM[prompt]}]
    for q, a, s, answer in EXAMPLES:
        reply = ("yes" if answer else "no") if prompt == "yesno" else (answer or "none")
        out += [
            {"role": "user", "content": _turn(prompt, q, a, s)},
            {"role": "assistant", "content": reply},
        ]
    out.append({"role": "user", "content": _turn(prompt, question, article, sentence)})
    return out


def probability(client: OpenAI, prompt: str, question: str, article: str, sentence: str) -> float:
    """P(the sentence answers), from the first reply token's alternatives."""
    reply = client.chat.completions.create(
        model="local",
        messages=messages(prompt, question, article, sentence),  # type: ignore[arg-type]
        max_tokens=1,
        temperature=0,
        logprobs=True,
        top_logprobs=10,
    )
    content = reply.choices[0].logprobs.content if reply.choices[0].logprobs else None
    alternatives = content[0].top_logprobs if content else []
    weights = Counter[str]()
    for alt in alternatives:
        word = alt.token.strip().lower()
        for key in ("yes", "none", "no"):
            if word.startswith(key) or (key == "none" and word == "non"):
                weights[key] += math.exp(alt.logprob)
                break
    if prompt == "extract":
        return 1.0 - weights["none"] - weights["no"]
    total = weights["yes"] + weights["no"]
    return weights["yes"] / total if total else 0.5


def kind(row: dict[str, Any], negatives: bool) -> str:
    """ "neg": an unanswerable question answered; "good" / "bad": an answer with fact recall
    above 0 / of 0."""
    if negatives or not row.get("answerable", True):
        return "neg"
    recall = row.get("metrics", {}).get("answers.fact_recall") or 0.0
    return "good" if recall > 0 else "bad"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="+", type=Path, help="results.jsonl of an eval run")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--prompt", choices=sorted(SYSTEM), default="yesno")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    client = OpenAI(base_url=args.base_url, api_key="unused")
    leads: list[tuple[str, float]] = []
    seconds: list[float] = []
    with args.out.open("w", encoding="utf-8") as out:
        for path in args.results:
            negatives = "negatives" in json.loads(path.with_name("summary.json").read_text())[
                "dataset"
            ] or path.parent.name.startswith("neg")
            for line in path.open(encoding="utf-8"):
                row = json.loads(line)
                if args.split != "all" and row["split"] != args.split:
                    continue
                if row["abstained"] or not row["citations"]:
                    continue
                question = row.get("standalone") or row["question"]
                found = []
                for cited in row["citations"][:3]:
                    started = time.perf_counter()
                    article = f"{cited.get('title')} ({cited.get('published')})"
                    p = probability(client, args.prompt, question, article, cited["quote"])
                    seconds.append(time.perf_counter() - started)
                    found.append(p)
                leads.append((kind(row, negatives), found[0]))
                record = {"id": row["id"], "kind": leads[-1][0], "question": question, "p": found}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    counts = Counter(k for k, _ in leads)
    seconds.sort()
    print(
        f"{len(leads)} answered questions {dict(counts)}; one call p50 "
        f"{seconds[len(seconds) // 2]:.2f} s"
        if seconds
        else "nothing answered"
    )
    for t in THRESHOLDS:
        refused = Counter(k for k, p in leads if p < t)
        print(
            f"lead sentence below {t}: refuses {refused['neg']}/{counts['neg']} answered "
            f"unanswerable, {refused['good']}/{counts['good']} right answers, "
            f"{refused['bad']}/{counts['bad']} wrong answers"
        )


if __name__ == "__main__":
    main()
