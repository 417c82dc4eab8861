"""Readers' feedback as eval cases: export rated answers, score labelled ones, report."""
