"""The CI gate: fail when a metric falls below (or rises above) its checked-in threshold."""

from __future__ import annotations

import tomllib
from pathlib import Path

from evals.rows import Summary


def check(summary: Summary, thresholds_file: Path) -> list[str]:
    """Failures as sentences; empty when every threshold holds."""
    spec = tomllib.loads(thresholds_file.read_text("utf-8"))
    failures = []
    for bound in ("min", "max"):
        for split, metrics in spec.get(bound, {}).items():
            measured_split = summary["splits"].get(split)
            if measured_split is None:
                failures.append(f"split {split!r} missing from the summary")
                continue
            for name, limit in metrics.items():
                value = measured_split.get(name)
                if value is None:
                    failures.append(f"{split}: {name} was not measured")
                elif bound == "min" and value < limit:
                    failures.append(f"{split}: {name} = {value:.4f}, below the minimum {limit}")
                elif bound == "max" and value > limit:
                    failures.append(f"{split}: {name} = {value:.4f}, above the maximum {limit}")
    return failures
