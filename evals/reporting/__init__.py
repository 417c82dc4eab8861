"""From rows to reports: the summary, the written reports (results.jsonl, summary.json,
report.md, report.html) and the comparison of two result folders."""
