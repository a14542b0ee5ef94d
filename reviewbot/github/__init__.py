"""The pull-request bot: GitHub events, review payloads, idempotent posting.

    event (Actions env / webhook) ─► source (diff + base config) ─► pipeline ─► payload ─► post

Everything that talks to GitHub goes through ``client.GitHubClient``; the rest is pure.
"""
