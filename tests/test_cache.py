from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from factories import ASSIGNMENT_BUG, answer, finding, raw_finding

from reviewbot import pipeline
from reviewbot.anchor import merge_findings
from reviewbot.backends.fake import FakeBackend
from reviewbot.cache import (
    ResultCache,
    decode_findings,
    encode_findings,
    file_key,
    review_from_cache,
)
from reviewbot.cache_settings import review_settings, settings_digest
from reviewbot.config import Config
from reviewbot.diff import parse_diff
from reviewbot.prompt_files import default_prompt_dir, template_digest
from reviewbot.render import PromptRenderer
from reviewbot.serialize import finding_to_dict
from reviewbot.store import Store
from reviewbot.types import (
    Completion,
    FileDiff,
    FinishReason,
    Severity,
    Stats,
)

DIFF = b"""\
diff --git a/app.py b/app.py
index 1111111..2222222 100644
--- a/app.py
+++ b/app.py
@@ -1,2 +1,4 @@
 def f(x):
+    if x = None:
+        return 0
     return x
diff --git a/util.py b/util.py
index 3333333..4444444 100644
--- a/util.py
+++ b/util.py
@@ -1 +1,2 @@
 A = 1
+B = 2
diff --git a/poetry.lock b/poetry.lock
index 5555555..6666666 100644
--- a/poetry.lock
+++ b/poetry.lock
@@ -1 +1 @@
-old
+new
"""

CONSTANT = raw_finding(
    path="util.py", line=2, severity="info", category="style", message="Name the constant."
)
FINDING = finding(
    path="app.py",
    line=2,
    end_line=3,
    severity=Severity.WARNING,
    category="bug",
    message="Ünïcode message\nsecond line",
    suggestion="    pass",
    fingerprint="0123456789abcdef",
)


def files() -> list[FileDiff]:
    parsed, skipped = parse_diff(DIFF)
    assert skipped == []
    return parsed


@pytest.fixture
def cache(tmp_path: Path) -> ResultCache:
    return ResultCache(Store(tmp_path / "db.sqlite3"), settings="s" * 64)


# -- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"backend": "llamacpp"},
        {"model": "other"},
        {"base_url": "http://127.0.0.1:9999/v1"},
        {"chat_template": Path("/t.jinja")},
        {"structured_output": "none"},
        {"max_new_tokens": 512},
        {"temperature": 0.2},
        {"seed": 7},
        {"instructions": "Check SQL."},
    ],
)
def test_each_setting_that_shapes_the_answer_changes_the_key(change: dict[str, object]) -> None:
    base = Config(model="m")
    assert settings_digest(replace(base, **change), "t") != settings_digest(base, "t")  # type: ignore[arg-type]


def test_templates_change_the_key_and_hook_settings_do_not() -> None:
    base = Config(model="m")
    assert settings_digest(base, "t1") != settings_digest(base, "t2")
    unrelated = replace(
        base, fail_on=Severity.ERROR, deadline=5.0, on_unavailable="fail", timeout=3.0, retries=0
    )
    assert settings_digest(unrelated, "t") == settings_digest(base, "t")


def test_file_key_follows_the_reviewed_text() -> None:
    app, util, _ = files()
    assert file_key("s", app) == file_key("s", parse_diff(DIFF)[0][0])
    assert file_key("s", app) != file_key("s", util)
    assert file_key("s", app) != file_key("t", app)
    moved = replace(app, hunks=(replace(app.hunks[0], new_start=5),))
    assert file_key("s", moved) != file_key("s", app)
    assert len(file_key("s", app)) == 64


# -- codec ----------------------------------------------------------------------------------


def test_encoded_findings_have_the_serialize_shape_and_round_trip() -> None:
    summary = replace(FINDING, line=None, end_line=None, suggestion=None, note="moved")
    text = encode_findings([FINDING, summary])
    assert json.loads(text)["findings"] == [finding_to_dict(FINDING), finding_to_dict(summary)]
    assert decode_findings(text) == (FINDING, summary)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"rows": []}',
        '{"findings": [{"path": "a"}]}',
        '{"findings": [{"path": 1, "line": 1, "end_line": null, "side": "RIGHT", '
        '"severity": "info", "category": "c", "message": "m", "suggestion": null, '
        '"fingerprint": "f", "placement": "inline", "note": null}]}',
    ],
)
def test_unreadable_rows_are_misses(cache: ResultCache, text: str) -> None:
    app = files()[0]
    cache.store.put_result(file_key(cache.settings, app), text)
    assert cache.get(app) is None
    assert cache.problem is None


# -- the cache ------------------------------------------------------------------------------


def test_get_and_put(cache: ResultCache) -> None:
    app, util, _ = files()
    assert cache.get(app) is None
    cache.put(app, [FINDING])
    cache.put(util, [])
    assert cache.get(app) == (FINDING,)
    assert cache.get(util) == ()
    assert cache.hits == 2


def test_a_broken_database_turns_the_cache_off(cache: ResultCache) -> None:
    app = files()[0]
    cache.store.close()  # every later use fails
    assert cache.get(app) is None
    assert cache.problem is not None and "cannot read the reviewbot database" in cache.problem
    cache.put(app, [FINDING])  # no error: the cache is off


def test_review_from_cache_needs_every_reviewable_file(cache: ResultCache) -> None:
    app, util, lock = files()
    cache.put(app, [FINDING])
    assert review_from_cache([app, util, lock], Config(), cache) is None
    cache.put(util, [])
    review = review_from_cache([app, util, lock], Config(), cache)
    assert review is not None
    assert review.findings == (FINDING,)
    assert review.reviewed_files == ("app.py", "util.py")
    assert [(s.path, s.reason) for s in review.skipped] == [("poetry.lock", "lockfile")]
    assert review.stats.calls == 0


def test_merge_findings_drops_repeats_and_orders() -> None:
    info = replace(FINDING, severity=Severity.INFO, fingerprint="b" * 16)
    other = replace(FINDING, path="a.py", line=9)
    assert merge_findings([info, FINDING, other, FINDING]) == (other, FINDING, info)


# -- the pipeline with a cache --------------------------------------------------------------


def _renderer() -> PromptRenderer:
    return PromptRenderer([default_prompt_dir()])


def test_a_second_review_makes_no_model_call_and_finds_the_same(cache: ResultCache) -> None:
    first_backend = FakeBackend([answer(ASSIGNMENT_BUG, CONSTANT)])
    first = pipeline.review(files(), first_backend, Config(), _renderer(), cache=cache)
    assert len(first_backend.requests) == 1
    assert [f.path for f in first.findings] == ["app.py", "util.py"]
    again = FakeBackend()
    second = pipeline.review(files(), again, Config(), _renderer(), cache=cache)
    assert again.requests == []
    assert second.findings == first.findings
    assert second.reviewed_files == first.reviewed_files == ("app.py", "util.py")
    assert second.skipped == first.skipped
    assert second.stats.calls == 0
    assert review_from_cache(files(), Config(), cache) == replace(second, stats=Stats())


def test_only_the_missing_file_goes_to_the_model(cache: ResultCache) -> None:
    app, util, lock = files()
    cache.put(app, [FINDING])
    backend = FakeBackend([answer(CONSTANT)])
    review = pipeline.review([app, util, lock], backend, Config(), _renderer(), cache=cache)
    assert len(backend.requests) == 1
    prompt = backend.requests[0].messages[1].content
    assert "util.py" in prompt and "app.py" not in prompt
    assert [f.message for f in review.findings] == [FINDING.message, "Name the constant."]
    assert review.reviewed_files == ("app.py", "util.py")
    assert [f.message for f in cache.get(util) or ()] == ["Name the constant."]


@pytest.mark.parametrize(
    "completion",
    [
        Completion("", FinishReason.ERROR, error="server said 500"),
        Completion("no json here", FinishReason.STOP),
        Completion('{"findings": [{"path": "app.py", "line": 2, "sev', FinishReason.LENGTH),
    ],
)
def test_failed_or_cut_off_chunks_are_not_stored(
    cache: ResultCache, completion: Completion
) -> None:
    app = files()[0]
    pipeline.review([app], FakeBackend([completion]), Config(), _renderer(), cache=cache)
    assert cache.get(app) is None


def test_review_settings_hash_the_templates_a_review_renders(tmp_path: Path) -> None:
    config = Config(cache_dir=tmp_path / "c")
    expected = settings_digest(config, template_digest([default_prompt_dir()]))
    assert review_settings(config, None) == expected
    assert review_settings(config, tmp_path) == expected  # no .reviewbot/prompts there
