"""GPU check of the exllamav2 / exllamav3 backends on the tiny random-weight model.

Prints ONE JSON line on stdout, per engine: the first import's seconds (the CUDA extension's
just-in-time build), load seconds, tokens/s for 32 review requests one at a time and all at once,
their ratio, the share of answers that parse as findings, and whether the generator pages
(batches). Progress goes to stderr. Run it through benchmarks/gpu_check.sh, which installs the
engines; every phase runs in a child process with a timeout so the whole check ends by
``--deadline`` (epoch seconds).

The model is built on the spot by tests/fixtures/tiny_model.py (no network), with
``max_position_embeddings`` raised to 8192: the review prompt alone is about 1,600 of its
tokens. Its weights are random, so a constrained answer ends only where the grammar forces it:
requests use the findings schema with bounded strings, integers and arrays (a subset of
``reviewbot.findings.findings_json_schema``, so every answer must still parse with
``parse_output``).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("GPU_CHECK_DIR", "/tmp/reviewbot-gpu-check"))
ENGINES = ("exllamav2", "exllamav3")
REQUESTS = 32
CONTEXT = 4096  # tokens per request: a ~1,600-token prompt and MAX_NEW_TOKENS
MAX_NEW_TOKENS = 640  # above the bounded schema's longest answer (about 520 characters)
CACHE_TOKENS = REQUESTS * 2304  # every request's prompt + answer at once, in 256-token pages
IMPORT_LIMIT = 330.0  # seconds for one engine's first import (its CUDA build)
BENCH_LIMIT = 200.0  # seconds for one engine's load + both runs
STRING_BOUND, INTEGER_BOUND, ITEMS_BOUND = 24, 9999, 2

log = logging.getLogger("gpu_check")


def main() -> int:
    parser = argparse.ArgumentParser(description="GPU check of the exllamav2/v3 backends")
    parser.add_argument("--deadline", type=float, default=time.time() + 470)
    parser.add_argument("--engine", choices=ENGINES, help="(child) benchmark one engine")
    parser.add_argument("--model", type=Path, help="(child) the model directory")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="gpu_check: %(message)s")
    os.environ.setdefault("TORCH_EXTENSIONS_DIR", "/tmp/reviewbot-torch-extensions")
    if importlib.util.find_spec("reviewbot") is None:  # run from a checkout, not installed
        sys.path.insert(0, str(REPO))
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(REPO), os.environ.get("PYTHONPATH")])
        )
    figures = bench(args.engine, args.model) if args.engine else orchestrate(args.deadline)
    print(json.dumps(figures, sort_keys=True), flush=True)
    return 0


# -- the parent: phases with timeouts ------------------------------------------------------------


def orchestrate(deadline: float) -> dict[str, Any]:
    figures: dict[str, Any] = {"machine": machine()}
    started = time.perf_counter()
    model_dir = build_model(WORK / "model")
    figures["model_build_seconds"] = round(time.perf_counter() - started, 2)
    installed = [e for e in ENGINES if importlib.util.find_spec(e) is not None]
    for engine in ENGINES:
        figures[engine] = {"installed": engine in installed}
    if "exllamav2" in installed:
        figures["exllamav2"].update(first_import("exllamav2", _left(deadline) - 90))
    # exllamav3's build runs on the CPUs while exllamav2's benchmark mostly waits on the GPU
    v3_build = start_import("exllamav3", background=True) if "exllamav3" in installed else None
    if figures["exllamav2"].get("import_ok"):
        building = v3_build is not None and v3_build[0].poll() is None
        figures["exllamav2"]["exllamav3_build_running"] = building
        figures["exllamav2"].update(run_bench("exllamav2", model_dir, deadline, reserve=60))
    if v3_build is not None:
        figures["exllamav3"].update(finish_import(*v3_build, _left(deadline) - 45))
        if figures["exllamav3"].get("import_ok"):
            figures["exllamav3"].update(run_bench("exllamav3", model_dir, deadline, reserve=3))
    figures["total_seconds"] = round(time.perf_counter() - started, 1)
    return figures


def _left(deadline: float) -> float:
    return deadline - time.time()


def machine() -> dict[str, Any]:
    from reviewbot.backends import gpu

    info: dict[str, Any] = {"python": sys.version.split()[0]}
    try:
        import torch
    except ImportError as exc:
        return {**info, "torch": None, "error": str(exc)}
    info |= {
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "flash_attn": gpu.flash_attn_version(),
        "nvcc": shutil.which("nvcc") is not None,
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        major, minor = torch.cuda.get_device_capability(0)
        info["capability"] = f"{major}.{minor}"
    return info


def build_model(target: Path) -> Path:
    """The tiny model's HF directory (tests/fixtures/tiny_model.py), with a longer context."""
    spec = importlib.util.spec_from_file_location(
        "tiny_model", REPO / "tests" / "fixtures" / "tiny_model.py"
    )
    assert spec is not None and spec.loader is not None
    tiny = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = tiny  # its dataclasses look their module up while being built
    spec.loader.exec_module(tiny)
    shutil.rmtree(target, ignore_errors=True)
    tokenizer = tiny.train_tokenizer()
    tiny.write_hf_dir(target, tokenizer, tiny.vocab_of(tokenizer), tiny.hf_weights())
    # Random weights have no trained context: a longer one only sizes the RoPE tables.
    longer = (
        ("config.json", "max_position_embeddings"),
        ("tokenizer_config.json", "model_max_length"),
    )
    for name, key in longer:
        data = json.loads((target / name).read_text(encoding="utf-8"))
        data[key] = 2 * CONTEXT
        (target / name).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    log.info("built the tiny model in %s", target)
    return target


def start_import(engine: str, background: bool = False) -> tuple[subprocess.Popen[str], float]:
    """Start ``import engine`` in a child. background: niced, two cores left free, so a build
    disturbs the other engine's timings as little as it can."""
    command = [sys.executable, "-c", f"import {engine}, {engine}.generator"]
    env = dict(os.environ)
    if background:
        command = ["nice", "-n", "15", *command]
        env["MAX_JOBS"] = str(max(1, (os.cpu_count() or 4) - 2))
    log.info("importing %s (first import builds its CUDA extension)", engine)
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    return process, time.perf_counter()


def finish_import(process: subprocess.Popen[str], started: float, timeout: float) -> dict[str, Any]:
    try:
        _, err = process.communicate(timeout=max(timeout, 1.0))
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return {"import_ok": False, "import_error": f"timed out after {timeout:.0f} s"}
    seconds = round(time.perf_counter() - started, 1)
    if process.returncode != 0:
        return {"import_ok": False, "import_seconds": seconds, "import_error": _last_line(err)}
    log.info("first import took %.1f s", seconds)
    return {"import_ok": True, "import_seconds": seconds}


def first_import(engine: str, timeout: float) -> dict[str, Any]:
    return finish_import(*start_import(engine), min(IMPORT_LIMIT, timeout))


def run_bench(engine: str, model_dir: Path, deadline: float, reserve: float) -> dict[str, Any]:
    timeout = min(BENCH_LIMIT, _left(deadline) - reserve)
    if timeout < 20:
        return {"bench_error": f"skipped: only {timeout:.0f} s left"}
    command = [sys.executable, __file__, "--engine", engine, "--model", str(model_dir)]
    log.info("benchmarking %s (limit %.0f s)", engine, timeout)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        tail = exc.stderr if isinstance(exc.stderr, str) else (exc.stderr or b"").decode()
        return {"bench_error": f"timed out after {timeout:.0f} s; last: {_last_line(tail)}"}
    sys.stderr.write(done.stderr)
    if done.returncode != 0 or not done.stdout.strip():
        return {"bench_error": _last_line(done.stderr)}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


# -- the child: one engine --------------------------------------------------------------------


def bench(engine: str, model_dir: Path) -> dict[str, Any]:
    from reviewbot.backends import create_backend
    from reviewbot.config import Config

    started = time.perf_counter()
    importlib.import_module(engine)
    figures: dict[str, Any] = {"warm_import_seconds": round(time.perf_counter() - started, 2)}
    config = Config(
        backend=engine,
        model=str(model_dir),
        context_window=CONTEXT,
        cache_size=CACHE_TOKENS,
        max_new_tokens=MAX_NEW_TOKENS,
    )
    started = time.perf_counter()
    backend = create_backend(config)
    figures["load_seconds"] = round(time.perf_counter() - started, 2)
    figures["paged"] = bool(getattr(backend, "paged", False))
    requests = review_requests(backend, config)
    figures["requests"] = len(requests)
    backend.complete(requests[:1])  # warm-up: kernels, sampler threads, grammar compile
    started = time.perf_counter()
    single = [backend.complete([request])[0] for request in requests]
    figures.update(run_figures("single", single, time.perf_counter() - started))
    figures["prompt_tokens_mean"] = round(sum(a.prompt_tokens for a in single) / len(single))
    started = time.perf_counter()
    batched = backend.complete(requests)
    figures.update(run_figures("batched", batched, time.perf_counter() - started))
    if figures["single_tok_s"]:
        figures["batched_over_single"] = round(
            figures["batched_tok_s"] / figures["single_tok_s"], 2
        )
    figures["same_answers"] = [a.text for a in single] == [a.text for a in batched]
    return figures


def review_requests(backend: Any, config: Any) -> list[Any]:
    """REQUESTS review requests made the way a review makes them: one small diff each through
    ``pipeline.plan_requests``, with the bounded schema."""
    from reviewbot.diff import parse_diff
    from reviewbot.pipeline import plan_requests
    from reviewbot.render import PromptRenderer

    renderer = PromptRenderer.for_repo(None, config)
    requests = []
    for index in range(REQUESTS):
        files, _ = parse_diff(diff(index))
        _, planned, _ = plan_requests(files, backend, config, renderer)
        for request in planned:
            schema = bounded(request.json_schema)
            requests.append(dataclasses.replace(request, json_schema=schema))
    return requests[:REQUESTS]


def diff(index: int) -> bytes:
    name = f"src/module_{index:02d}.py"
    start = 10 + 3 * index
    return (
        f"diff --git a/{name} b/{name}\n--- a/{name}\n+++ b/{name}\n"
        f"@@ -{start},4 +{start},4 @@ def total_{index}(items):\n"
        "     total = 0\n"
        "-    for k in range(len(items)):\n"
        f"+    for k in range(len(items) + {index % 3 + 1}):\n"
        "         total += items[k]\n"
        "     return total\n"
    ).encode()


def bounded(node: Any) -> Any:
    """The schema with every free string 1..STRING_BOUND characters, integers 1..INTEGER_BOUND
    and arrays at most ITEMS_BOUND items: a random model then always finishes its answer."""
    if isinstance(node, list):
        return [bounded(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: bounded(value) for key, value in node.items()}
    kind = node.get("type")
    if kind == "string" and "enum" not in node:
        out.update(minLength=1, maxLength=STRING_BOUND)
    elif kind == "integer":
        out.update(minimum=1, maximum=INTEGER_BOUND)
    elif kind == "array":
        out["maxItems"] = min(int(node.get("maxItems", ITEMS_BOUND)), ITEMS_BOUND)
    return out


def run_figures(label: str, answers: list[Any], seconds: float) -> dict[str, Any]:
    """parse_rate: answers that ended (STOP) and parse_output read completely; schema_rate:
    answers the findings schema's own model (FindingsModel) accepts."""
    from pydantic import ValidationError

    from reviewbot.errors import OutputParseError
    from reviewbot.findings import FindingsModel, parse_output
    from reviewbot.types import FinishReason

    parsed, valid, failures = 0, 0, []
    for answer in answers:
        try:
            result = parse_output(answer.text, answer.finish_reason)
            ok = answer.finish_reason is FinishReason.STOP and not result.truncated
        except OutputParseError:
            ok = False
        try:
            FindingsModel.model_validate_json(answer.text)
            valid += 1
        except ValidationError:
            pass
        parsed += ok
        if not ok:
            failures.append(answer.error or f"{answer.finish_reason.value}: {answer.text[:160]}")
    tokens = sum(a.completion_tokens for a in answers)
    count = max(len(answers), 1)
    return {
        f"{label}_seconds": round(seconds, 2),
        f"{label}_tokens": tokens,
        f"{label}_tok_s": round(tokens / seconds, 1) if seconds > 0 else 0.0,
        f"{label}_parse_rate": round(parsed / count, 3),
        f"{label}_schema_rate": round(valid / count, 3),
        f"{label}_first_failure": failures[0] if failures else None,
    }


if __name__ == "__main__":
    raise SystemExit(main())
