#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
tests/mutants/run.py - the mutation run (`make mutants`).

Each mutation of tests/mutants/mutations.txt (see the head of that file) is
applied, alone, to a scratch copy of the tree under BUILD/mutants/ (never to
the work tree), the objects and tests it needs are rebuilt, and the fast
tests run against it: test_datapath and test_pktfuzz for the datapath
(headers/, xdp/, tc/), test_epspec for the endpoint parser (loader/state/epspec.c),
plus the shell tests a mutation names in its "test:" field (prove, as root).
A mutation is

  killed          a test failed (or timed out) with it
  survived        every test passed: no test notices the change
  equivalent      marked "equivalent: why" in the list (not run)
  not-applicable  its snippet is not in the file (the code changed)
  build-failed    the mutated tree does not compile (not counted)

The score is killed / (killed + survived). The table is written to
tests/results/mutants-DATE.md (or --out).

usage: run.py [-j N] [--only NAME,...] [--out FILE] [--list FILE] [--timeout S]
Run as root (the tests load BPF programs). -j 2 at most on a shared machine.
"""
import argparse
import datetime
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TREE = ["Makefile", "headers", "xdp", "tc", "cgroup", "loader", "tests", "bench"]
DATAPATH_TESTS = ["build/tests/test_datapath", "build/tests/test_pktfuzz"]
EPSPEC_TESTS = ["build/tests/test_epspec"]


def parse_list(path):
    """Blocks of 'key: value' lines, separated by blank lines; '#' comments."""
    muts, cur = [], {}
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line.strip():
                if cur:
                    muts.append(cur)
                    cur = {}
                continue
            key, sep, val = line.partition(":")
            key = key.strip()
            if not sep or key not in ("name", "file", "from", "to", "at", "equivalent", "test", "note"):
                sys.exit(f"{path}:{lineno}: expected 'KEY: value' (name, file, from, to, at, "
                         f"equivalent, test, note), got {line!r}")
            val = val[1:] if val.startswith(" ") else val
            if key == "test":
                cur.setdefault("test", []).extend(val.split())
            elif key in cur:
                sys.exit(f"{path}:{lineno}: {key} given twice in mutation {cur.get('name')!r}")
            else:
                cur[key] = val
            cur.setdefault("line", lineno)
    if cur:
        muts.append(cur)
    names = set()
    for m in muts:
        for k in ("name", "file", "from", "to"):
            if k not in m:
                sys.exit(f"{path}:{m['line']}: mutation without '{k}:'")
        if m["name"] in names:
            sys.exit(f"{path}:{m['line']}: mutation name {m['name']!r} used twice")
        names.add(m["name"])
        # \n in from/to: several lines; \t: a tab (the sources indent with tabs)
        for k in ("from", "to"):
            m[k] = m[k].replace("\\n", "\n").replace("\\t", "\t")
    return muts


def mutate(text, m):
    """The mutated text, or (None, reason)."""
    n = text.count(m["from"])
    at = int(m.get("at", "0"))
    if n == 0:
        return None, "snippet not found"
    if at == 0 and n > 1:
        return None, f"snippet found {n} times (give 'at: N')"
    if at > n:
        return None, f"snippet found {n} times, 'at: {at}' asked"
    idx = -1
    for _ in range(at if at else 1):
        idx = text.index(m["from"], idx + 1)
    return text[:idx] + m["to"] + text[idx + len(m["from"]):], None


def check_list(muts):
    """TAP: each mutation (equivalent ones too: their reason names the code)
    applies to the tree once, and no name is given twice. 0 or 1."""
    bad, seen = 0, set()
    print(f"1..{len(muts)}")
    for i, m in enumerate(muts, 1):
        path = os.path.join(ROOT, m["file"])
        if m["name"] in seen:
            why = "the name is given twice"
        elif not os.path.exists(path):
            why = f"{m['file']} does not exist"
        else:
            with open(path) as f:
                why = mutate(f.read(), m)[1]
        seen.add(m["name"])
        print(f"{'not ok' if why else 'ok'} {i} - {m['name']} applies to {m['file']}" +
              (f": {why} (the code moved or changed: make the mutation follow it)" if why else ""))
        bad += bool(why)
    print(f"# {len(muts) - bad} passed, {bad} failed")
    return 1 if bad else 0


def tests_for(m):
    tests = list(EPSPEC_TESTS if m["file"].startswith("loader/") else DATAPATH_TESTS)
    return tests + m.get("test", [])


def skipped(logname):
    """1 if the last prove in the log ran no test (a skip is no pass)."""
    with open(logname) as f:
        tail = f.read().rsplit("$ prove", 1)[-1]
    return "Result: NOTESTS" in tail or "skipped:" in tail


def make_targets(m):
    if m.get("test"):  # shell tests run tiu, its objects and the test tools
        return ["all"]
    if m["file"].startswith("loader/"):
        return ["build/tests/test_epspec"]
    return ["build/tests/test_datapath", "build/tests/test_pktfuzz"]


class Worker:
    def __init__(self, base, idx):
        self.dir = os.path.join(base, f"w{idx}")
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(self.dir)
        for t in TREE:
            src = os.path.join(ROOT, t)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(self.dir, t),
                                ignore=shutil.ignore_patterns("results"))
            elif os.path.exists(src):
                shutil.copy2(src, self.dir)

    def run(self, cmd, timeout, log, first_fail=False):
        """Run cmd in the scratch tree; its exit status, "timeout", or, with
        first_fail (TAP), "not ok" as soon as a test line says so (the rest of
        the run would only confirm the kill)."""
        log.write(f"$ {' '.join(cmd)}\n")
        log.flush()
        p = subprocess.Popen(cmd, cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, errors="replace", start_new_session=True)
        timer = threading.Timer(timeout, lambda: os.killpg(p.pid, 9))
        timer.start()
        verdict = None
        try:
            for line in p.stdout:
                log.write(line)
                if first_fail and line.startswith("not ok"):
                    verdict = "not ok: " + line.strip()[:120]
                    os.killpg(p.pid, 9)
                    break
            p.stdout.close()
            rc = p.wait()
        finally:
            expired = not timer.is_alive() and verdict is None and p.returncode == -9
            timer.cancel()
        if verdict:
            return verdict
        if expired:
            log.write(f"# timed out after {timeout} s\n")
            return "timeout"
        return rc


def run_one(m, workers, args, logdir):
    w = workers.get()
    try:
        path = os.path.join(w.dir, m["file"])
        orig = open(os.path.join(ROOT, m["file"])).read()
        mutated, why = mutate(orig, m)
        if mutated is None:
            return "not-applicable", why
        with open(os.path.join(logdir, m["name"] + ".log"), "w") as log:
            with open(path, "w") as f:
                f.write(mutated)
            try:
                rc = w.run(["make", "--no-print-directory", "BUILD=build"] + make_targets(m),
                           args.timeout, log)
                if rc != 0:
                    return "build-failed", f"make: {rc}"
                for t in tests_for(m):
                    cmd = ["prove", t] if t.endswith(".t") else [t]
                    rc = w.run(cmd, args.timeout, log, first_fail=not t.endswith(".t"))
                    log.flush()
                    if rc == 0 and t.endswith(".t") and skipped(log.name):
                        return "build-failed", f"{os.path.basename(t)} skipped: see its log"
                    if rc != 0:
                        return "killed", f"{os.path.basename(t)}: " + (
                            rc if isinstance(rc, str) else f"exit {rc}")
                return "survived", "all passed: " + ", ".join(os.path.basename(t) for t in tests_for(m))
            finally:
                with open(path, "w") as f:
                    f.write(orig)
    finally:
        workers.put(w)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--only", default="")
    ap.add_argument("--list", default=os.path.join(ROOT, "tests/mutants/mutations.txt"))
    ap.add_argument("--out", default="")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--check", action="store_true",
                    help="only check that every mutation applies to the tree as it is (TAP), run nothing")
    args = ap.parse_args()
    if args.check:
        sys.exit(check_list(parse_list(args.list)))
    if os.geteuid() != 0:
        sys.exit("run.py: the tests load BPF programs: run as root (sudo make mutants)")
    muts = parse_list(args.list)
    if args.only:
        want = set(args.only.split(","))
        unknown = want - {m["name"] for m in muts}
        if unknown:
            sys.exit(f"run.py: no mutation named {', '.join(sorted(unknown))} in {args.list}")
        muts = [m for m in muts if m["name"] in want]
    base = os.path.join(os.path.abspath(args.build), "mutants")
    logdir = os.path.join(base, "logs")
    os.makedirs(logdir, exist_ok=True)
    import queue
    rev = git_rev()  # what the scratch copies are taken from
    workers = queue.Queue()
    nw = max(1, min(args.j, 2))
    for i in range(nw):
        workers.put(Worker(base, i))
    # the unmutated tree must pass, or every mutant would look killed
    w = workers.get()
    with open(os.path.join(logdir, "baseline.log"), "w") as log:
        rc = w.run(["make", "--no-print-directory", "BUILD=build"] + DATAPATH_TESTS + EPSPEC_TESTS,
                   args.timeout * 2, log)
        for t in DATAPATH_TESTS + EPSPEC_TESTS if rc == 0 else []:
            rc = w.run([t], args.timeout, log)
            if rc != 0:
                break
    workers.put(w)
    if rc != 0:
        sys.exit(f"run.py: the unmutated tree fails ({rc}): see {logdir}/baseline.log; fix that first")

    results = {}
    lock = threading.Lock()
    t0 = time.time()

    def job(m):
        if "equivalent" in m:
            res = ("equivalent", m["equivalent"])
        else:
            res = run_one(m, workers, args, logdir)
        with lock:
            results[m["name"]] = res
            print(f"{len(results):3}/{len(muts)} {res[0]:14} {m['name']}  ({res[1]})", flush=True)

    with ThreadPoolExecutor(max_workers=nw) as ex:
        list(ex.map(job, muts))

    counts = {}
    for r, _ in results.values():
        counts[r] = counts.get(r, 0) + 1
    killed, survived = counts.get("killed", 0), counts.get("survived", 0)
    score = f"{killed}/{killed + survived}" + (
        f" = {100.0 * killed / (killed + survived):.1f} %" if killed + survived else "")
    date = datetime.date.today().isoformat()
    out = args.out or os.path.join(ROOT, "tests/results", f"mutants-{date}.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(f"# Mutation run, {date}\n\n")
        # paths inside the tree as the tree names them: a results file
        # carries no path of the machine it ran on
        shown = [os.path.relpath(a, ROOT) if os.path.isabs(a) and a.startswith(ROOT + os.sep) else a
                 for a in sys.argv[1:]]
        f.write(f"`{' '.join(['tests/mutants/run.py'] + shown)}` (make mutants), "
                f"{len(muts)} mutations of {os.path.relpath(args.list, ROOT)}, "
                f"{time.time() - t0:.0f} s, tree of git {rev}.\n\n")
        f.write(f"Score (killed / killed + survived): **{score}**; " +
                ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ".\n\n")
        f.write("| mutation | file | result | by / why |\n|---|---|---|---|\n")
        for m in muts:
            r, why = results[m["name"]]
            f.write(f"| {m['name']} | {m['file']} | {r} | {why.replace('|', '/')} |\n")
    print(f"score {score}; " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"table: {out}; logs: {logdir}")
    return 0


def git_rev():
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + ("+changes" if dirty else "")
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
