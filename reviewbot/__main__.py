from __future__ import annotations

from reviewbot.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
