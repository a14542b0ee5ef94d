"""Files never worth a model's time, judged by their path alone.

Lockfiles, vendored folders, generated and minified files. Kept free of heavy imports (no
``re``, ``pathlib`` or dataclasses): the pre-commit hook asks it before anything else loads, so
a commit that touches only such files costs no more than starting Python.
"""

from __future__ import annotations

LOCKFILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "bun.lockb",
        "deno.lock",
        "poetry.lock",
        "Pipfile.lock",
        "uv.lock",
        "pdm.lock",
        "pixi.lock",
        "conda-lock.yml",
        "Cargo.lock",
        "Gemfile.lock",
        "composer.lock",
        "go.sum",
        "go.work.sum",
        "mix.lock",
        "Podfile.lock",
        "Package.resolved",
        "pubspec.lock",
        "packages.lock.json",
        "gradle.lockfile",
        "flake.lock",
        ".terraform.lock.hcl",
    }
)
VENDOR_DIRS = frozenset(
    {
        "vendor",
        "node_modules",
        "bower_components",
        "jspm_packages",
        "third_party",
        "third-party",
        "thirdparty",
        ".venv",
        "venv",
        "site-packages",
        "Pods",
    }
)
# build/ and out/ are build outputs only at the top: src/build/ is often a real package
GENERATED_DIRS = frozenset({"dist", "__generated__"})
GENERATED_TOP_DIRS = frozenset({"build", "out"})
GENERATED_SUFFIXES = (
    "_pb2.py",
    "_pb2.pyi",
    "_pb2_grpc.py",
    ".pb.go",
    ".pb.cc",
    ".pb.h",
    ".pb.swift",
    ".g.dart",
    ".freezed.dart",
    ".designer.cs",
)
MINIFIED_SUFFIXES = (".min.js", ".min.mjs", ".min.css")


def name_reason(path: str) -> str | None:
    """Why ``path`` (repository-relative, ``/``-separated) is not reviewed, or None.

    Reasons: ``"lockfile"``, ``"vendored (node_modules/)"``, ``"generated (dist/)"``,
    ``"generated (*_pb2.py)"``, ``"minified (*.min.js)"``.
    """
    *dirs, name = path.split("/")
    if name in LOCKFILES:
        return "lockfile"
    vendored = next((d for d in dirs if d in VENDOR_DIRS), None)
    if vendored is not None:
        return f"vendored ({vendored}/)"
    generated = next((d for d in dirs if d in GENERATED_DIRS), None)
    if generated is None and dirs and dirs[0] in GENERATED_TOP_DIRS:
        generated = dirs[0]
    if generated is not None:
        return f"generated ({generated}/)"
    suffix = next((s for s in GENERATED_SUFFIXES if name.endswith(s)), None)
    if suffix is not None:
        return f"generated (*{suffix})"
    suffix = next((s for s in MINIFIED_SUFFIXES if name.endswith(s)), None)
    return None if suffix is None else f"minified (*{suffix})"
