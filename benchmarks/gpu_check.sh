#!/usr/bin/env bash
# GPU check of the exllamav2 / exllamav3 backends (benchmarks/gpu_check.py), within 8 minutes.
#
# On the GPU machine (CUDA torch, nvcc, Python 3.12; no network, no flash-attn):
#     bash benchmarks/gpu_check.sh [WHEELHOUSE]
# It makes a venv that also sees the interpreter's packages (torch), installs exllamav2,
# exllamav3 (when its wheel is there), llguidance and reviewbot from WHEELHOUSE (default: .whl in
# the repository root; from the package index when that folder does not exist), then runs
# gpu_check.py, which prints ONE JSON line of figures on stdout. Progress goes to stderr.
#
# On a machine with the index, fetch the wheels first (Linux x86-64, CPython 3.12):
#     bash benchmarks/gpu_check.sh --download [WHEELHOUSE]
# (.whl/ is git-ignored) and carry it over with the device tool (carry: [".whl"]).
#
# CUDA extensions are built just in time on first import, into TORCH_EXTENSIONS_DIR (default
# /tmp/reviewbot-torch-extensions), never inside the repository.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
started=$(date +%s)
total_seconds="${GPU_CHECK_SECONDS:-480}"

# exllamav2/v3 are installed without their dependency lists (those name torch and tools the
# image already has); these are what they and reviewbot need beyond such an image.
runtime_wheels=(llguidance marisa-trie pydantic unidiff platformdirs hatchling)
engine_wheels=(exllamav2==0.3.2 exllamav3)

if [[ "${1:-}" == "--download" ]]; then
    wheels="${2:-$repo/.whl}"
    mkdir -p "$wheels"
    platform=(--python-version 3.12 --implementation cp --only-binary=:all:)
    for n in 17 27 28 31 34; do platform+=(--platform "manylinux_2_${n}_x86_64"); done
    platform+=(--platform manylinux2014_x86_64)
    "$python" -m pip download -q "${platform[@]}" -d "$wheels" "${runtime_wheels[@]}"
    "$python" -m pip download -q "${platform[@]}" --no-deps -d "$wheels" "${engine_wheels[@]}"
    du -sh "$wheels"
    exit 0
fi

wheels="${1:-$repo/.whl}"
venv="${GPU_CHECK_VENV:-/tmp/reviewbot-gpu-venv}"
export TORCH_EXTENSIONS_DIR="${TORCH_EXTENSIONS_DIR:-/tmp/reviewbot-torch-extensions}"
export MAX_JOBS="${MAX_JOBS:-$(nproc)}"  # parallel nvcc jobs for the extension builds
export PYTHONUNBUFFERED=1
# ninja and nvcc for the extension builds: the interpreter's scripts folder holds pip's `ninja`
PATH="$("$python" -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
export PATH
log() { echo "gpu_check.sh: $*" >&2; }

# A venv made from a venv's python only sees the base interpreter's packages, not the parent
# venv's (where an image keeps torch): a .pth file adds the parent's site-packages after ours.
rm -rf "$venv"
if ! "$python" -m venv --system-site-packages "$venv" 2>/dev/null; then
    rm -rf "$venv"  # no ensurepip: make it without pip and drive the interpreter's pip at it
    "$python" -m venv --system-site-packages --without-pip "$venv"
fi
parent_sites="$("$python" -c 'import site; print("\n".join(site.getsitepackages()))')"
venv_site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
printf '%s\n' "$parent_sites" > "$venv_site/zz_parent_site.pth"

if "$venv/bin/python" -m pip --version > /dev/null 2>&1; then
    pip=(timeout 150 "$venv/bin/python" -m pip)
else
    pip=(timeout 150 "$python" -m pip --python "$venv/bin/python")
fi
pip+=(install -q --disable-pip-version-check --no-cache-dir)
if [[ -d "$wheels" ]]; then
    pip+=(--no-index --find-links "$wheels")
    log "installing from $wheels"
fi
"${pip[@]}" "${runtime_wheels[@]}"
"${pip[@]}" --no-deps exllamav2
"${pip[@]}" --no-deps exllamav3 || log "exllamav3 is not installable here; it is skipped"
if ! "${pip[@]}" --no-deps --no-build-isolation "$repo"; then
    log "installing reviewbot failed; running it from $repo instead"
    export PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}"
fi

deadline=$((started + total_seconds - 10))
log "setup took $(($(date +%s) - started)) s; benchmark deadline in $((deadline - $(date +%s))) s"
cd /tmp  # run the installed reviewbot, not the checkout's, when the install worked
exec timeout $((deadline - $(date +%s) + 5)) "$venv/bin/python" "$repo/benchmarks/gpu_check.py" \
    --deadline "$deadline"
