from reviewbot.bench.cases import CaseOptions, generate_cases
from reviewbot.bench.benchdb import BenchDB
from reviewbot.bench.oracles import SELF_CHECK
from reviewbot.bench.profiles import Profile
from reviewbot.bench.runner import run_profiles
from reviewbot.bench.score import score_all
from reviewbot.config import Config

def test_explore(history_repo, tmp_path):
    cs = generate_cases(history_repo, CaseOptions(count=10, seed=1))
    profiles = [Profile(n, Config(backend="fake")) for n in SELF_CHECK]
    with BenchDB(tmp_path / "b.sqlite") as db:
        n = run_profiles(cs.cases, profiles, db, repo=history_repo, make_backend=lambda p: SELF_CHECK[p.name]())
        print(n)
        for s in score_all(cs.cases, db.results(), [p.name for p in profiles]):
            print(s)
        for r in db.results():
            if r.profile == "oracle": print(r.case_id, r.findings, r.errors)
