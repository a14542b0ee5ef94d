"""Auditing whole files of a repository: select -> units -> plan -> runner (SQLite progress)
-> outcome -> reporters (and html); merge combines the JSON reports of shards."""
