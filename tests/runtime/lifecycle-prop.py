#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Property test of the agent's policy lifecycle (docs/agent.md, "Policy
lifecycle"): random sequences of writes renamed in, writes in place (grown,
shrunk, emptied), deletes, duplicate names in another file, the directory
removed and recreated, SIGHUP, containers re-pointed, and agent restarts
(clean stop and kill -9, files deleted or rewritten while it is down), against cgroups with a sleeping process attached
to a private plastrond.

A model of the contract (transactions, in-place writes that shrink are
refused, orphans keep their last version for their containers, the file
that holds a name keeps it, also after a restart, owners recorded in the
state file go first) predicts the version of every policy after each step.
After every step:
  - status lists exactly the model's policies, each from the model's file
    (or orphaned with its container count), and each container on its policy;
  - every container's rules read from the kernel maps (prop-maps kernel:
    containers -> policies -> the active table slot) hash to the rules of the
    version in force (prop-maps expect on that version's text); so do those
    of every policy status lists, and status reports that hash as the
    policy's cgroup_bpf_hash (not for an orphan adopted at start-up, whose
    tables the agent never had); the policies map holds no other policy.

Usage: lifecycle-prop.py   (env PLASTRON, PLASTROND, PROP_MAPS; PROP_SEED=N
PROP_STEPS=M reproduce one run; PROP_SEEDS="2 10 4" the fixed seeds (2 and 10 found bugs); default
steps PROP_STEPS_DEFAULT). On failure: the seed, the steps so far, the diff.
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PLASTRON = os.environ.get("PLASTRON", "")
PLASTROND = os.environ.get("PLASTROND", "")
PROP_MAPS = os.environ.get("PROP_MAPS", "")
NAMES = ["p0", "p1", "p2", "p3"]
FILES = ["a.yaml", "b.yaml", "c.yaml", "d.yaml"]
ATOMS = ["core", "icmp", "meta"] + ["net%d" % i for i in range(6)]
N_CTRS = 3

tap_n = 0


def ok(good, what):
    global tap_n
    tap_n += 1
    print("%s %d - %s" % ("ok" if good else "not ok", tap_n, what), flush=True)
    return good


def note(s):
    for line in str(s).splitlines():
        print("# " + line, flush=True)


# ---- policy text -------------------------------------------------------------


def doc(name, atoms):
    hard = ["disallow-write-core-pattern"] if "core" in atoms else []
    att = [r for a, r in (("icmp", "disable-icmp"), ("meta", "block-access-to-metadata-service"))
           if a in atoms]
    nets = sorted(int(a[3:]) for a in atoms if a.startswith("net"))
    s = ("---\napiVersion: crd.varmor.org/v1beta1\nkind: VarmorPolicy\n"
         "metadata: {name: %s, namespace: default}\n"
         "spec:\n  target: {kind: Deployment, name: %s}\n  policy:\n"
         "    enforcer: BPFSeccomp\n    mode: EnhanceProtect\n    enhanceProtect:\n"
         "      auditViolations: true\n"
         "      hardeningRules: [%s]\n      attackProtectionRules: [{rules: [%s]}]\n"
         % (name, name, ", ".join(hard), ", ".join(att)))
    if nets:
        s += "      bpfRawRules:\n        network:\n          egress:\n            toDestinations:\n"
        for i in nets:
            # distinct prefixes and ports: versions differ in the trie and ranges
            if i % 2:
                s += "            - cidr: 10.%d.0.0/16\n              ports: [{port: %d}]\n" % (i, 1000 + i)
            else:
                s += "            - cidr: fd00:%x::/32\n" % (i + 1)
    return s


def text(content):
    """content: list of (name, frozenset atoms), or None for an empty file."""
    if content is None:
        return ""
    return "".join(doc(n, a) for n, a in content)


class Expect:
    """name -> (weight, hash) of a file text, computed by prop-maps expect."""

    def __init__(self, tmp):
        self.tmp, self.cache = tmp, {}

    def __call__(self, txt):
        if txt not in self.cache:
            p = os.path.join(self.tmp, "expect.yaml")
            with open(p, "w") as f:
                f.write(txt)
            r = subprocess.run([PROP_MAPS, "expect", p], capture_output=True, text=True)
            if r.returncode != 0:
                self.cache[txt] = None  # the agent refuses it too
            else:
                d = {}
                for line in r.stdout.splitlines():
                    n, w, h = line.split()
                    d[n] = (int(w), h)
                self.cache[txt] = d
        return self.cache[txt]


# ---- the model -----------------------------------------------------------------


class Model:
    def __init__(self, expect):
        self.expect = expect
        self.disk = {}     # file -> text on disk
        self.records = {}  # file -> {"dup": bool}: files the agent has a record of
        self.pols = {}     # name -> {"owner": file or None (orphan), "last": file, "w", "h"}
        self.ctrs = {}     # container index -> policy name
        self.saved = {}    # name -> file: owners recorded in the state file at start-up

    def users(self, name):
        return sum(1 for v in self.ctrs.values() if v == name)

    def release(self, name, path):
        if self.users(name):
            self.pols[name]["owner"] = None
            self.pols[name]["last"] = path
        else:
            del self.pols[name]

    def owned(self, path):
        return [n for n, p in self.pols.items() if p["owner"] == path]

    def claims_saved(self, path, parsed):
        return any(self.saved.get(n) == path for n in (parsed or {}))

    def batch(self, changes, retry=False):
        """changes: [(path, removed, in_place)], the text is what is on disk."""
        v = []
        for path, removed, in_place in changes:
            has = path in self.records
            if removed and not has:
                continue
            parsed = None if removed else self.expect(self.disk.get(path, ""))
            v.append({"path": path, "removed": removed, "in_place": in_place, "pf": has,
                      "parsed": parsed, "r": 0 if removed or parsed is not None else -1,
                      "dup": False})
        v.sort(key=lambda c: (not self.claims_saved(c["path"], c["parsed"]), c["path"]))
        gone = {c["path"] for c in v if c["removed"]}
        for k, c in enumerate(v):
            if c["r"] or c["removed"]:
                continue
            for n in c["parsed"]:
                o = self.pols.get(n)
                held = o and o["owner"] is not None and o["owner"] != c["path"] and o["owner"] not in gone
                held = held or any(x["r"] == 0 and not x["removed"] and n in x["parsed"] for x in v[:k])
                # the recorded owner (state file) keeps the name when it
                # still defines it: a restart picks the same file
                so = self.saved.get(n)
                held = held or (so != c["path"] and not (o and o["owner"] == c["path"]) and any(
                    x["path"] == so and x["r"] == 0 and not x["removed"] and n in x["parsed"]
                    for x in v))
                if held:
                    c["r"], c["dup"] = -1, True
                    break
        for c in v:  # written in place: must not shrink what is in force
            if c["r"] or c["removed"] or not c["in_place"] or not c["pf"]:
                continue
            for n in self.owned(c["path"]):
                if n not in c["parsed"] or c["parsed"][n][0] < self.pols[n]["w"]:
                    c["r"] = -1
                    break
        released = False
        for c in [c for c in v if c["r"] == 0 and not c["removed"]] + \
                 [c for c in v if c["r"] == 0 and c["removed"]]:
            path = c["path"]
            released = released or c["pf"]
            if c["removed"]:
                for n in self.owned(path):
                    self.release(n, path)
                del self.records[path]
                continue
            for n in self.owned(path):
                if n not in c["parsed"]:
                    self.release(n, path)
            for n, (w, h) in c["parsed"].items():
                self.pols[n] = {"owner": path, "last": path, "w": w, "h": h}
            self.records[path] = {"dup": False}
        for c in v:
            if c["r"]:
                self.records[c["path"]] = {"dup": c["dup"]}
        refused_now = {c["path"] for c in v if c["r"]}
        if released and not retry:
            again = sorted(p for p, r in self.records.items() if r["dup"] and p not in refused_now)
            if again:
                self.batch([(p, False, False) for p in again], retry=True)

    def restart(self):
        for n, p in self.pols.items():
            self.saved[n] = p["owner"] or p["last"]
        old = self.pols
        self.pols, self.records = {}, {}
        self.batch([(p, False, False) for p in sorted(self.disk)])
        for n, p in old.items():  # adopt_orphans: kept as the kernel holds them
            if n not in self.pols and self.users(n):
                self.pols[n] = dict(p, owner=None, adopted=True)  # no tables: no hash


# ---- the agent -------------------------------------------------------------------


class Agent:
    def __init__(self, tmp):
        self.tmp = tmp
        self.pol = os.path.join(tmp, "pol")
        self.sock = os.path.join(tmp, "plastrond.sock")
        self.pin = "/sys/fs/bpf/plastron-prop-%d" % os.getpid()
        self.logpath = os.path.join(tmp, "agent.log")
        self.proc = None

    def start(self):
        self.log = open(self.logpath, "a")
        self.proc = subprocess.Popen(
            [PLASTROND, "--foreground", "--pin-dir", self.pin, "--policy-dir", self.pol,
             "--socket", self.sock, "--log", os.path.join(self.tmp, "violations.log")],
            stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            if self.status() is not None:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("plastrond does not start (see its log below)")

    def stop(self, sig):
        if self.proc:
            self.proc.send_signal(sig)
            self.proc.wait()
            self.proc = None
            self.log.close()

    def remove(self):
        self.stop(signal.SIGTERM)
        subprocess.run([PLASTROND, "--uninstall", "--pin-dir", self.pin, "--socket", self.sock],
                       capture_output=True)
        shutil.rmtree(self.pin, ignore_errors=True)

    def status(self):
        r = subprocess.run([PLASTRON, "status", "--socket", self.sock, "--json"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None
        try:
            return json.loads(r.stdout)
        except ValueError:
            return None

    def reloads(self):
        try:
            with open(self.logpath, errors="replace") as f:
                return f.read().count("reload done")
        except OSError:
            return 0

    def settle(self, before, timeout=2.0):
        """Until a reload batch finished after `before`, then none for 0.2 s."""
        t = time.time() + timeout
        while self.reloads() <= before and time.time() < t:
            time.sleep(0.02)
        n = self.reloads()
        while True:
            time.sleep(0.2)
            m = self.reloads()
            if m == n:
                return
            n = m

    def attach(self, cg, name):
        r = subprocess.run([PLASTRON, "attach", "--socket", self.sock, "--cgroup", cg,
                            "--policy", name], capture_output=True, text=True)
        return r.returncode == 0


# ---- the property ------------------------------------------------------------------


def kernel(agent, args):
    r = subprocess.run([PROP_MAPS, "kernel", agent.pin] + args, capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return r.stdout


def check(model, agent, cgids):
    """The differences between the model, status and the kernel maps."""
    diff = []
    st = agent.status()
    if st is None:
        return ["status does not answer"]
    got = {}
    for p in st["policies"]:
        got[p["name"]] = p
    if sorted(got) != sorted(model.pols):
        diff.append("policies: status %s, model %s" % (sorted(got), sorted(model.pols)))
    for n, m in sorted(model.pols.items()):
        s = got.get(n)
        if not s:
            continue
        if m["owner"] is None:
            if not s.get("orphaned") or s.get("containers") != model.users(n):
                diff.append("%s: status %s, model orphaned with %d container(s)"
                            % (n, json.dumps(s, sort_keys=True), model.users(n)))
        if not m.get("adopted") and s.get("cgroup_bpf_hash") != m["h"]:
            diff.append("%s: status cgroup_bpf_hash %s, model %s (version of %s)"
                        % (n, s.get("cgroup_bpf_hash"), m["h"], m["last"]))
        if m["owner"] is None:
            pass
        elif s.get("orphaned") or os.path.basename(s["file"]) != m["owner"]:
            diff.append("%s: status file %s%s, model %s" % (
                n, os.path.basename(s["file"]), " (orphaned)" if s.get("orphaned") else "", m["owner"]))
    sc = {c["cgroup_id"]: c["policy"] for c in st["containers"]}
    for i, n in sorted(model.ctrs.items()):
        if sc.get(cgids[i]) != n:
            diff.append("container c%d: status policy %s, model %s" % (i, sc.get(cgids[i]), n))
    ids = {p["name"]: p["id"] for p in st["policies"]}
    args = ["p:%d" % ids[n] for n in sorted(ids)] + [str(cgids[i]) for i in sorted(model.ctrs)]
    out = kernel(agent, args)
    pres = kernel(agent, ["present"])
    if out is None or pres is None:
        return diff + ["prop-maps kernel failed"]
    lines = out.splitlines()
    for n, line in zip(sorted(ids), lines[:len(ids)]):
        h = line.split()[-1]
        if n in model.pols and h != model.pols[n]["h"]:
            diff.append("%s (id %d): kernel %s, model %s (version of %s), status %s" % (
                n, ids[n], h, model.pols[n]["h"], model.pols[n]["last"],
                got[n].get("cgroup_bpf_hash")))
    for i, line in zip(sorted(model.ctrs), lines[len(ids):]):
        n = model.ctrs[i]
        f = line.split()
        want = model.pols.get(n, {}).get("h")
        if len(f) < 3 or f[2] != want or int(f[1]) != ids.get(n, -1):
            diff.append("container c%d (%s): kernel '%s', model policy %s id %s hash %s" % (
                i, n, line, n, ids.get(n), want))
    present = sorted(int(x) for x in pres.split())
    if present != sorted(ids.values()):
        diff.append("policies map holds ids %s, status lists %s" % (present, sorted(ids.values())))
    return diff


# ---- the run -------------------------------------------------------------------------


def run(seed, steps, cgroot):
    rnd = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="plastron-prop.")
    agent = Agent(tmp)
    model = Model(Expect(tmp))
    os.mkdir(agent.pol)
    procs, cgs, log, failed = [], [], [], None
    desc = "start"

    def put(f, content):
        t = text(content)
        p = os.path.join(agent.pol, "." + f + ".tmp")
        with open(p, "w") as fh:
            fh.write(t)
        os.rename(p, os.path.join(agent.pol, f))
        model.disk[f] = t

    def rand_content(k=None):
        names = rnd.sample(NAMES, k or rnd.randint(1, 3))
        return [(n, frozenset(rnd.sample(ATOMS, rnd.randint(1, 4)))) for n in names]

    try:
        # start: one file with the containers' policies, cgroups with a sleeper
        put("a.yaml", [(n, frozenset(rnd.sample(ATOMS, 3))) for n in NAMES[:N_CTRS]])
        agent.start()
        model.batch([("a.yaml", False, False)])
        cgids = []
        for i in range(N_CTRS):
            cg = os.path.join(cgroot, "c%d" % i)
            os.makedirs(cg, exist_ok=True)
            cgs.append(cg)
            p = subprocess.Popen(["sh", "-c", "echo $$ > %s/cgroup.procs && exec sleep 1000" % cg])
            procs.append(p)
            for _ in range(100):
                with open(os.path.join(cg, "cgroup.procs")) as f:
                    if f.read().strip():
                        break
                time.sleep(0.02)
            if not agent.attach(cg, NAMES[i]):
                raise RuntimeError("plastron attach c%d %s failed" % (i, NAMES[i]))
            model.ctrs[i] = NAMES[i]
            cgids.append(os.stat(cg).st_ino)
        d = check(model, agent, cgids)
        if d:
            failed = ("start", d)
        for step in range(steps):
            if failed:
                break
            op = rnd.choice(["rename", "rename", "rename", "inplace", "inplace", "delete",
                             "dup", "dir", "restart", "sighup", "repoint"])
            before = agent.reloads()
            prev = {n: (p["owner"] or "orphan of " + p["last"]) for n, p in model.pols.items()}
            f = rnd.choice(FILES)
            desc = op
            if op == "rename":
                c = rand_content()
                put(f, c)
                desc = "rename %s <- %s" % (f, c)
                agent.settle(before)
                model.batch([(f, False, False)])
            elif op == "inplace":
                cur = [x for x in model.disk if model.disk[x]]
                f = rnd.choice(cur) if cur and rnd.random() < 0.8 else f
                kind = rnd.choice(["grow", "shrink", "drop", "empty", "new"])
                old = None
                if f in model.disk:
                    old = [(d_["name"], d_["atoms"]) for d_ in model_parse(model.disk[f])]
                if not old or kind == "new":
                    c = rand_content()
                elif kind == "grow":
                    c = [(n, a | {rnd.choice(ATOMS)}) for n, a in old]
                elif kind == "shrink":
                    j = rnd.randrange(len(old))
                    c = [(n, frozenset(sorted(a)[1:]) if k == j and len(a) > 1 else a)
                         for k, (n, a) in enumerate(old)]
                elif kind == "drop":
                    c = old[1:] if len(old) > 1 else None
                else:
                    c = None
                t = text(c)
                with open(os.path.join(agent.pol, f), "w") as fh:
                    fh.write(t)
                model.disk[f] = t
                desc = "in place (%s) %s <- %s" % (kind, f, c)
                agent.settle(before)
                model.batch([(f, False, True)])
            elif op == "delete":
                if not model.disk:
                    continue
                f = rnd.choice(sorted(model.disk))
                os.unlink(os.path.join(agent.pol, f))
                del model.disk[f]
                desc = "delete %s" % f
                agent.settle(before)
                model.batch([(f, True, False)])
            elif op == "dup":
                held = [n for n, p in model.pols.items() if p["owner"]]
                if not held:
                    continue
                n = rnd.choice(held)
                f = rnd.choice([x for x in FILES if x != model.pols[n]["owner"]])
                c = [(n, frozenset(rnd.sample(ATOMS, 2)))] + \
                    [x for x in rand_content(1) if x[0] != n]
                put(f, c)
                desc = "duplicate %s in %s <- %s" % (n, f, c)
                agent.settle(before)
                model.batch([(f, False, False)])
            elif op == "dir":
                old = agent.pol + ".old"
                os.rename(agent.pol, old)
                agent.settle(before, 1.0)
                model.batch([(x, True, False) for x in sorted(model.records)])
                keep = {x: t for x, t in model.disk.items() if rnd.random() < 0.7}
                model.disk = {}
                new = agent.pol + ".new"
                os.mkdir(new)
                for x, t in keep.items():
                    with open(os.path.join(new, x), "w") as fh:
                        fh.write(t)
                before = agent.reloads()
                os.rename(new, agent.pol)
                shutil.rmtree(old)
                model.disk = keep
                desc = "directory removed, recreated with %s" % sorted(keep)
                agent.settle(before, 1.0)
                model.batch([(x, False, False) for x in sorted(keep)])
            elif op == "restart":
                sig = rnd.choice([signal.SIGTERM, signal.SIGKILL])
                agent.stop(sig)
                desc = "restart (%s)" % sig.name
                if model.disk and rnd.random() < 0.5:  # a change while it is down
                    g = rnd.choice(sorted(model.disk))
                    if rnd.random() < 0.5:
                        os.unlink(os.path.join(agent.pol, g))
                        del model.disk[g]
                        desc += ", %s deleted while it was down" % g
                    else:
                        c = rand_content()
                        with open(os.path.join(agent.pol, g), "w") as fh:
                            fh.write(text(c))
                        model.disk[g] = text(c)
                        desc += ", %s <- %s while it was down" % (g, c)
                agent.start()
                agent.settle(agent.reloads(), 0.3)
                model.restart()
            elif op == "sighup":
                agent.proc.send_signal(signal.SIGHUP)
                desc = "SIGHUP"
                agent.settle(before)
                model.batch([(x, False, False) for x in sorted(model.disk)] +
                            [(x, True, False) for x in sorted(model.records) if x not in model.disk])
            elif op == "repoint":
                i = rnd.randrange(N_CTRS)
                n = rnd.choice(sorted(model.pols))
                if not agent.attach(cgs[i], n):
                    failed = (desc, ["plastron attach c%d %s failed" % (i, n)])
                model.ctrs[i] = n
                for x in list(model.pols):
                    if model.pols[x]["owner"] is None and not model.users(x):
                        del model.pols[x]
                desc = "re-point c%d to %s" % (i, n)
                time.sleep(0.1)  # the orphan reaped by the loop
            log.append(desc)
            d = check(model, agent, cgids)
            if d:
                d.append("before the step: %s; on disk: %s" % (
                    prev, {x: [y["name"] for y in model_parse(t)] for x, t in model.disk.items()}))
                failed = (desc, d)
    except Exception as ex:  # the seed and the steps are printed all the same
        if not log or log[-1] is not desc:
            log.append(desc)
        failed = (desc, ["%s: %s" % (type(ex).__name__, ex)])
    finally:
        agent.remove()
        for p in procs:
            p.kill()
            p.wait()
        for cg in cgs:
            for _ in range(50):
                try:
                    os.rmdir(cg)
                    break
                except OSError:
                    time.sleep(0.02)
        if failed:
            note("seed %d: failed at step %d: %s" % (seed, len(log), failed[0]))
            note("steps (PROP_SEED=%d PROP_STEPS=%d reproduces):" % (seed, len(log)))
            for k, s in enumerate(log):
                note("  %d. %s" % (k + 1, s))
            note("diff:")
            for s in failed[1]:
                note("  " + s)
            note("agent log (last lines):")
            with open(agent.logpath, errors="replace") as fh:
                note("".join(fh.readlines()[-25:]))
        shutil.rmtree(tmp, ignore_errors=True)
    return failed is None


def model_parse(txt):
    """The (name, atoms) of a text this script wrote (for in-place variants)."""
    out = []
    for d in txt.split("---\n")[1:]:
        name = d.split("metadata: {name: ")[1].split(",")[0]
        atoms = set()
        if "disallow-write-core-pattern" in d:
            atoms.add("core")
        if "disable-icmp" in d:
            atoms.add("icmp")
        if "block-access-to-metadata-service" in d:
            atoms.add("meta")
        for line in d.splitlines():
            if "cidr: 10." in line:
                atoms.add("net%d" % int(line.split("10.")[1].split(".")[0]))
            elif "cidr: fd00:" in line:
                atoms.add("net%d" % (int(line.split("fd00:")[1].split(":")[0], 16) - 1))
        out.append({"name": name, "atoms": frozenset(atoms)})
    return out


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP the agent needs root (cgroup-BPF, cgroups)")
        return 0
    for x, what in ((PLASTRON, "PLASTRON"), (PLASTROND, "PLASTROND"), (PROP_MAPS, "PROP_MAPS")):
        if not os.access(x, os.X_OK):
            print("1..0 # SKIP %s is not built (-Dbpf)" % what)
            return 0
    if not os.path.isdir("/sys/fs/bpf"):
        print("1..0 # SKIP no bpffs at /sys/fs/bpf")
        return 0
    cgmnt = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            p = line.split()
            if p[p.index("-") + 1] == "cgroup2":
                cgmnt = p[4]
                break
    if not cgmnt:
        print("1..0 # SKIP no cgroup v2 mount")
        return 0
    steps = int(os.environ.get("PROP_STEPS") or os.environ.get("PROP_STEPS_DEFAULT") or 40)
    if os.environ.get("PROP_SEED"):
        seeds = [int(os.environ["PROP_SEED"])]
    else:
        seeds = [int(s) for s in os.environ.get("PROP_SEEDS", "2 10 4").split()]
    cgroot = os.path.join(cgmnt, "plastron-prop-%d" % os.getpid())
    os.makedirs(cgroot, exist_ok=True)
    try:
        for seed in seeds:
            t0 = time.time()
            good = run(seed, steps, cgroot)
            ok(good, "seed %d: %d steps: kernel maps, status and the model agree after each "
               "(%.1f s)" % (seed, steps, time.time() - t0))
    finally:
        os.rmdir(cgroot)
    print("1..%d" % tap_n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
