"""A small repository with a crafted history in Python, JavaScript, TypeScript and Go."""

from __future__ import annotations

from pathlib import Path

import gitrepo
import pytest

CALC_V1 = '''"""Arithmetic helpers."""


def total(items, limit):
    result = 0
    for i in range(len(items)):
        if items[i] is not None and result < limit:
            result += items[i] * 2 - 1
    return max(result, 0)


def average(items):
    count = len(items)
    return total(items, 100) / count
'''

CALC_V2 = (
    CALC_V1
    + """

def window(items, start, size):
    end = start + size
    if start > 0 and end <= len(items):
        return items[start:end]
    return items[0:size]
"""
)

CALC_FIXED = CALC_V2.replace(
    "    count = len(items)\n",
    "    count = len(items)\n    if not count:\n        return 0\n",
)

APP_JS = """export function paginate(items, size) {
  const pages = [];
  for (let i = 0; i <= items.length; i += size) {
    pages.push(items.slice(i, i + size));
  }
  return pages;
}

export async function load(url, retries) {
  const body = await fetch(url);
  if (body !== null && body.ok) {
    return body.json();
  }
  throw new Error("failed: " + url);
}
"""

SERVER_GO = """package server

func Clamp(value int, low int, high int) int {
	if value < low {
		return low
	}
	if value > high {
		return high
	}
	return value
}

func Sum(values []int) int {
	total := 0
	for i := 0; i < len(values); i++ {
		total += values[i]
	}
	return total
}
"""

STORE_TS = """export class Store {
  private items: string[] = [];

  add(item: string): boolean {
    if (item === "" || this.items.length >= 10) {
      return false;
    }
    this.items.push(item);
    return true;
  }
}
"""


@pytest.fixture
def history_repo(git_repo: Path) -> Path:
    """Commits, oldest first: calc.py; web/app.js; srv/server.go; README; calc.py grows;
    web/store.ts; a Python fix + test; a test-only commit; a docs fix; a JS off-by-one fix."""
    steps = [
        ("calc.py", CALC_V1, "Add arithmetic helpers"),
        ("web/app.js", APP_JS, "Add pagination and loading"),
        ("srv/server.go", SERVER_GO, "Add clamp and sum"),
        ("README.md", "# Demo\n\nSome teh docs.\n", "Add readme"),
        ("calc.py", CALC_V2, "Add window helper"),
        ("web/store.ts", STORE_TS, "Add a bounded store"),
    ]
    for path, text, message in steps:
        gitrepo.write(git_repo, path, text)
        gitrepo.commit(git_repo, message)
    gitrepo.write(git_repo, "calc.py", CALC_FIXED)
    gitrepo.write(git_repo, "tests/test_calc.py", "def test_average():\n    assert True\n")
    gitrepo.commit(git_repo, "Fix crash in average on empty input")
    gitrepo.write(git_repo, "tests/test_calc.py", "def test_average():\n    assert 1\n")
    gitrepo.commit(git_repo, "Add regression test for the crash")
    gitrepo.write(git_repo, "README.md", "# Demo\n\nSome docs.\n")
    gitrepo.commit(git_repo, "Fix typo in README")
    gitrepo.write(git_repo, "web/app.js", APP_JS.replace("i <= items.length", "i < items.length"))
    gitrepo.commit(git_repo, "fix off-by-one in paginate")
    return git_repo
