"""What besides the diff decides a review's findings, as one digest: the result cache's keys
and the hook's replay keys start with it.

Apart from ``cache`` so that the hook's replay (``commands.hook_replay``) computes it without
loading the record types: this module imports the configuration and the template hashing only.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from reviewbot.build_id import build_id
from reviewbot.config import Config, answer_settings
from reviewbot.prompt_files import prompt_dirs, template_digest

# Bump when the cached value's shape or the meaning of a key changes: old rows then miss.
CACHE_FORMAT = 1


def settings_digest(config: Config, templates: str, *, code: str | None = None) -> str:
    """sha256 hex of everything besides the diff that decides a file's findings.

    templates: ``prompt_files.template_digest`` of the prompt templates in use. The server URL
    counts for the openai backend: two servers may serve different weights under one model name.
    code: which reviewbot made the results (default ``build_id.build_id()``: a new commit of
    reviewbot misses the cache, as it may parse, place or report answers differently).
    """
    server = config.base_url if config.backend == "openai" else ""
    parts = {
        "format": CACHE_FORMAT,
        "reviewbot": build_id() if code is None else code,
        **answer_settings(config),
        "server": server,
        "templates": templates,
    }
    text = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def review_settings(config: Config, repo: Path | None, *, code: str | None = None) -> str:
    """``settings_digest`` of ``config`` with the templates a review of ``repo`` renders.

    Raises ConfigError for a ``prompt_dir`` that is not a directory (``prompt_files.prompt_dirs``).
    """
    return settings_digest(config, template_digest(prompt_dirs(repo, config)), code=code)
