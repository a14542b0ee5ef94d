"""``reviewbot bench``: a personal benchmark of local models, built from the user's repository.

    history ─► cases (seeded bugs, reversed fixes, clean diffs; JSONL) ─► runner (each profile,
    the real pipeline, SQLite) ─► score (detection, precision, false positives, speed; Wilson
    intervals) ─► report (terminal, JSON, HTML)

Modules: casefile (records, JSONL), cases (generation), mutate/operators/rules/mask (seeded
bugs), fixes (reversed fixes), sources/history (git), profiles, runner, benchdb, score,
report/report_html, oracles (scripted reviewers for ``--self-check`` and the tests).
"""
