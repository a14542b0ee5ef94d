from reviewbot.bench.cases import CaseOptions, generate_cases
from reviewbot.bench.casefile import case_to_json
from reviewbot.bench.fixes import find_fix_cases
from reviewbot.bench.history import recent_commits

def test_explore(history_repo):
    commits = recent_commits(history_repo, 50)
    for c in find_fix_cases(history_repo, commits):
        print(case_to_json(c))
    cs = generate_cases(history_repo, CaseOptions(count=10, seed=1))
    print(cs.notes)
    for c in cs.cases:
        print(c.id, c.kind.value, c.operator, c.note, c.answer)
