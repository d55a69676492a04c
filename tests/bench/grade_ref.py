#!/usr/bin/python3
"""A client-side reference grader for a practice lab.

Runs a lab's checks the way the brief's per-family rules say the daemon's
grader does (labs/grade.c), but from outside: one POST .../console/exec per
command, node after node, check after check, sequentially. The bench compares
its wall time with POST /labs/{lab}/grade; the practice-lab suite uses it as a
second opinion on a lab's checks.

usage: grade_ref.py URL LAB LABFILE [STAGE]   (token in $LW_TOKEN)
prints a JSON object {score, max_score, passed, seconds, checks:[{id, passed, detail}]}.
"""
import json, os, re, sys, time, urllib.request, urllib.error

FRR = {"frr-router"}
PROMPT = r"# .{0,4}$"


def console_exec(url, lab, node, send, timeout):
    body = json.dumps({"send": send, "expect": PROMPT, "timeout_s": timeout}).encode()
    req = urllib.request.Request(f"{url}/api/v1/labs/{lab}/nodes/{node}/console/exec", data=body, method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer " + os.environ.get("LW_TOKEN", "")})
    try:
        with urllib.request.urlopen(req, timeout=timeout + 5) as r:
            return json.load(r).get("output", ""), True
    except urllib.error.HTTPError as e:
        try:
            return json.load(e).get("output", ""), False
        except ValueError:
            return "", False


def run_check(url, lab, c, frr):
    kind, node, t = c["kind"], c["node"], c.get("timeout_s", 10)
    ex = lambda cmd: console_exec(url, lab, node, cmd, t)
    if kind == "ping":
        out, ok = ex(f"ping {c['target']}" if frr else f"ping -c 3 -W 1 {c['target']}")
        m = re.search(r"(\d+) (?:packets )?received", out)
        n = int(m.group(1)) if m else 0
        want = c.get("expect", "success") == "success"
        return (n > 0) == want, f"{n} replies"
    if kind == "route":
        p, via = c["prefix"], c.get("via")
        if frr:
            out, ok = ex(f"show ip route {p} json")
            i, j = out.find("{"), out.rfind("}")
            try:
                d = json.loads(out[i:j + 1]) if i >= 0 else {}
            except ValueError:
                d = {}
            if p not in d:
                return False, f"no route {p}"
            if via is None:
                return True, "present"
            hops = [h.get("ip") for r in d[p] for h in r.get("nexthops", [])]
            return via in hops, f"next hops {hops}"
        out, ok = ex("ip route show")
        key = "default" if p == "0.0.0.0/0" else p
        lines = [l for l in out.splitlines() if l.startswith(key + " ") or l.strip() == key]
        if not lines:
            return False, f"no route {p}"
        return (via is None or any(f" via {via} " in l + " " for l in lines)), lines[0].strip()
    if kind == "ospf_neighbors":
        out, ok = ex("show ip ospf neighbor")
        n = out.count(" Full/")
        return n >= c["full"], f"{n} Full"
    if kind == "bgp_established":
        out, ok = ex(f"show bgp neighbors {c['peer']}")
        return "BGP state = Established" in out, "established" if "BGP state = Established" in out else "not established"
    if kind in ("config", "exec"):
        cmd = c["command"] if kind == "exec" else ("show running-config" if frr else "ip -o addr show; ip route show")
        out, ok = ex(cmd)
        found = re.search(c["match"], out) is not None
        return found != bool(c.get("absent", False)), ("matched" if found else "no match")
    return False, f"unknown kind {kind}"


def main():
    url, lab, f = sys.argv[1:4]
    stage = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    d = json.load(open(f))
    fam = {n["name"]: n["template"] in FRR for n in d["nodes"]}
    if stage == 0:
        checks = list(d.get("checks", [])) + [c for s in d.get("stages", []) for c in s["checks"]]
    else:
        checks = d["stages"][stage - 1]["checks"]
    t0 = time.time()
    res, score, mx = [], 0, 0
    done = set()
    for c in checks:
        frr = fam[c["node"]]
        if frr and c["node"] not in done:
            console_exec(url, lab, c["node"], "end", 5)
            done.add(c["node"])
        p, detail = run_check(url, lab, c, frr)
        pts = c.get("points", 1)
        mx += pts
        score += pts if p else 0
        res.append({"id": c["id"], "passed": p, "detail": detail})
    print(json.dumps({"score": score, "max_score": mx, "passed": score == mx,
                      "seconds": round(time.time() - t0, 2), "checks": res}))


if __name__ == "__main__":
    main()
