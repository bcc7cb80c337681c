#!/usr/bin/env bash
# conformance-run.sh BASE TOKEN
#
# Runs two SCIM 2.0 conformance suites against BASE (e.g. http://127.0.0.1:8080/scim/v2)
# with "Authorization: Bearer TOKEN":
#   1. scim2-tester, through scim2-cli:  scim --url BASE test
#   2. scim-sanity:                      scim-sanity probe BASE --token TOKEN --i-accept-side-effects --json-output
# Prints both outputs, then a verdict, and exits non-zero on any failure that is not allowed.
# Failure detection parses the outputs (not just the exit codes) and cross-checks the exit codes.
#
# Environment:
#   VENV                    venv holding scim2-cli, scim2-tester, scim-sanity   (required)
#   OUT_DIR                 where raw outputs are kept                           (default: a new mktemp -d)
#   RUN_TESTER / RUN_SANITY set to 0 to skip a suite                              (default 1 / 1)
#   SUITE_TIMEOUT           seconds allowed per suite                             (default 900)
#
#   scim2-tester:
#   TESTER_ALLOW            allow-list of check results that may be non-SUCCESS, separated by
#                           commas or newlines. Entry = CHECK_NAME or CHECK_NAME:SUBSTRING; the
#                           substring must then occur in the result's reason text, e.g.
#                           "check_add_attribute:'roles'" or "object_query_without_id".
#                           "*" allows everything (report only).
#   TESTER_OK_STATUSES      statuses counted as passing (default "SUCCESS"; e.g. "SUCCESS SKIPPED").
#                           The upstream CLI treats anything but SUCCESS (SKIPPED included) as failure.
#   TESTER_VERBOSE=1        pass -v to "scim test" (adds the debug data of each result)
#
#   scim-sanity:
#   SANITY_ALLOW_PATCH_204=1  ignore scim-sanity FAILs caused by PATCH answering 204 instead of 200
#                           (only group PATCHes: "PATCH /Groups/{id}",
#                           "PATCH /Groups/{id} add member", "PATCH /Groups/{id} remove members"
#                           whose message contains "got 204").
#   SANITY_ALLOW            allow-list of scim-sanity result names (comma/newline separated);
#                           entry = exact result NAME or NAME:SUBSTRING (substring of its message),
#                           e.g. "PATCH /Groups/{id} add member:got 400".
#   SANITY_MODE             strict (default) | compat
#   SANITY_EXTRA_ARGS       extra args for "scim-sanity probe" (e.g. "--user-domain example.com")
set -u -o pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 BASE_URL TOKEN" >&2
  exit 2
fi
BASE="${1%/}"
TOKEN="$2"
VENV="${VENV:?set VENV to the venv holding scim2-cli, scim2-tester and scim-sanity}"
RUN_TESTER="${RUN_TESTER:-1}"
RUN_SANITY="${RUN_SANITY:-1}"
SUITE_TIMEOUT="${SUITE_TIMEOUT:-900}"
SANITY_MODE="${SANITY_MODE:-strict}"
OUT_DIR="${OUT_DIR:-$(mktemp -d -t scim-conformance.XXXXXX)}"
mkdir -p "$OUT_DIR"

PY="$VENV/bin/python"
for exe in "$PY" "$VENV/bin/scim" "$VENV/bin/scim-sanity"; do
  if [ ! -x "$exe" ]; then
    echo "conformance-run: missing $exe (set VENV to the venv holding scim2-cli, scim2-tester, scim-sanity)" >&2
    exit 2
  fi
done
case "$SANITY_MODE" in strict|compat) ;; *) echo "SANITY_MODE must be strict or compat" >&2; exit 2;; esac

TO=()
if command -v timeout >/dev/null 2>&1; then TO=(timeout "$SUITE_TIMEOUT"); fi

overall=0
echo "conformance-run: BASE=$BASE VENV=$VENV OUT_DIR=$OUT_DIR"
"$PY" - <<'EOF'
from importlib.metadata import version
print("conformance-run: versions: " + ", ".join(
    f"{p}={version(p)}" for p in ("scim2-cli", "scim2-tester", "scim2-client", "scim2-models", "scim-sanity")))
EOF

# ---------------------------------------------------------------- scim2-tester
if [ "$RUN_TESTER" = "1" ]; then
  echo
  echo "==================== scim2-tester (scim test) ===================="
  targs=(test)
  [ "${TESTER_VERBOSE:-0}" = "1" ] && targs+=(-v)
  # The header is passed through the environment so the token is not visible in ps.
  SCIM_CLI_URL="$BASE" SCIM_CLI_HEADERS="Authorization: Bearer $TOKEN" NO_COLOR=1 \
    "${TO[@]}" "$VENV/bin/scim" "${targs[@]}" >"$OUT_DIR/tester.out" 2>"$OUT_DIR/tester.err"
  trc=$?
  echo "$trc" >"$OUT_DIR/tester.rc"
  cat "$OUT_DIR/tester.out"
  if [ -s "$OUT_DIR/tester.err" ]; then echo "--- stderr ---"; cat "$OUT_DIR/tester.err"; fi
  echo "--- scim2-tester verdict (exit code $trc) ---"
  TESTER_ALLOW="${TESTER_ALLOW:-}" TESTER_OK_STATUSES="${TESTER_OK_STATUSES:-SUCCESS}" \
    "$PY" - "$OUT_DIR/tester.out" "$trc" <<'EOF'
import os, re, sys
path, rc = sys.argv[1], int(sys.argv[2])
text = re.sub(r"\x1b\[[0-9;]*m", "", open(path, encoding="utf-8", errors="replace").read())
STATUSES = "SUCCESS|COMPLIANT|ACCEPTABLE|DEVIATION|ERROR|CRITICAL|SKIPPED"
head = re.compile(rf"^({STATUSES}) ([A-Za-z0-9_]+)$")
results = []   # [status, name, reason]
for line in text.splitlines():
    m = head.match(line)
    if m:
        results.append([m.group(1), m.group(2), ""])
    elif results:  # reason lines are indented; multi-line reasons continue unindented
        results[-1][2] += (line[2:] if line.startswith("  ") else line) + "\n"
ok_statuses = set(os.environ["TESTER_OK_STATUSES"].replace(",", " ").split())
allow = [e.strip() for e in re.split(r"[,\n]", os.environ.get("TESTER_ALLOW", "")) if e.strip()]
def allowed(name, reason):
    for e in allow:
        if e == "*":
            return True
        n, sep, sub = e.partition(":")
        if n == name and (not sep or sub in reason):
            return True
    return False
bad, tolerated = [], []
for st, name, reason in results:
    if st in ok_statuses:
        continue
    (tolerated if allowed(name, reason) else bad).append((st, name, reason.strip().splitlines()[0] if reason.strip() else ""))
counts = {}
for st, _, _ in results:
    counts[st] = counts.get(st, 0) + 1
print("results: " + (", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"))
for st, name, r in tolerated:
    print(f"  allowed  {st} {name}: {r}")
for st, name, r in bad:
    print(f"  FAILED   {st} {name}: {r}")
fail = False
if not results:
    print("  FAILED   no check result could be parsed (discovery error? crash? see stderr)")
    fail = True
if "Performing a SCIM compliance check" not in text:
    print("  FAILED   scim test did not start its checks")
    fail = True
if bad:
    fail = True
if rc not in (0, 1):
    print(f"  FAILED   unexpected exit code {rc} (124 = timeout)")
    fail = True
if rc == 0 and any(st not in ("SUCCESS",) for st, _, _ in results):
    print("  note: exit code 0 but non-SUCCESS results were parsed")
if rc == 1 and results and all(st == "SUCCESS" for st, _, _ in results):
    print("  FAILED   exit code 1 although every parsed result is SUCCESS")
    fail = True
print("scim2-tester: " + ("FAIL" if fail else "PASS"))
sys.exit(1 if fail else 0)
EOF
  [ $? -eq 0 ] || overall=1
fi

# ---------------------------------------------------------------- scim-sanity
if [ "$RUN_SANITY" = "1" ]; then
  echo
  echo "==================== scim-sanity (probe, $SANITY_MODE) ===================="
  # shellcheck disable=SC2206
  sargs=(probe "$BASE" --token "$TOKEN" --i-accept-side-effects --json-output "--$SANITY_MODE" ${SANITY_EXTRA_ARGS:-})
  "${TO[@]}" "$VENV/bin/scim-sanity" "${sargs[@]}" >"$OUT_DIR/sanity.json" 2>"$OUT_DIR/sanity.err"
  src=$?
  echo "$src" >"$OUT_DIR/sanity.rc"
  SANITY_ALLOW="${SANITY_ALLOW:-}" SANITY_ALLOW_PATCH_204="${SANITY_ALLOW_PATCH_204:-0}" \
    "$PY" - "$OUT_DIR/sanity.json" "$src" "$OUT_DIR/sanity.err" <<'EOF'
import json, os, re, sys
path, rc, errpath = sys.argv[1], int(sys.argv[2]), sys.argv[3]
raw = open(path, encoding="utf-8", errors="replace").read()
err = open(errpath, encoding="utf-8", errors="replace").read()
try:
    data = json.loads(raw)
except ValueError:
    print(raw)
    if err.strip():
        print("--- stderr ---\n" + err)
    print(f"  FAILED   scim-sanity output is not JSON (exit code {rc})")
    print("scim-sanity: FAIL")
    sys.exit(1)
# Human-readable rendering of the JSON report.
print(f"scim-sanity {data.get('scim_sanity_version')} mode={data.get('mode')} {data.get('timestamp')}")
phase = None
for r in data.get("results", []):
    if r.get("phase") != phase:
        phase = r.get("phase")
        print(f"\n  {phase}")
    msg = f" -- {r['message']}" if r.get("message") else ""
    print(f"  [{r.get('status', '?').upper()}] {r.get('name')}{msg}")
for i in data.get("issues", []):
    print(f"\n  [{i.get('priority')}] {i.get('title')} ({i.get('affected_tests')} tests): {i.get('fix')}")
s = data.get("summary", {})
print("\n  summary: " + ", ".join(f"{k}={v}" for k, v in s.items()))
if err.strip():
    print("--- stderr ---\n" + err)
print(f"--- scim-sanity verdict (exit code {rc}) ---")

allow = [e.strip() for e in re.split(r"[,\n]", os.environ.get("SANITY_ALLOW", "")) if e.strip()]
allow_204 = os.environ.get("SANITY_ALLOW_PATCH_204") == "1"
def allowed(r):
    name, msg = r.get("name", ""), r.get("message", "") or ""
    if allow_204 and name.startswith("PATCH /Groups/") and "got 204" in msg:
        # Only a 204-related complaint: nothing else in the message.
        rest = [p.strip() for p in msg.split(";") if "got 204" not in p and p.strip() != "Response body is empty"]
        if not rest:
            return True
    for e in allow:
        if e == "*":
            return True
        n, sep, sub = e.partition(":")
        if n == name and (not sep or sub in msg):
            return True
    return False
bad, tolerated = [], []
for r in data.get("results", []):
    if r.get("status") in ("fail", "error"):
        (tolerated if allowed(r) else bad).append(r)
for r in tolerated:
    print(f"  allowed  {r['status'].upper()} {r['name']}: {r.get('message', '')}")
for r in bad:
    print(f"  FAILED   {r['status'].upper()} {r['name']}: {r.get('message', '')}")
fail = bool(bad)
if not data.get("results"):
    print("  FAILED   no results in the report")
    fail = True
if s and (s.get("failed", 0) + s.get("errors", 0)) != len(bad) + len(tolerated):
    print("  FAILED   summary counts disagree with parsed results")
    fail = True
if rc not in (0, 1):
    print(f"  FAILED   unexpected exit code {rc} (124 = timeout)")
    fail = True
if rc == 1 and not bad and not tolerated:
    print("  FAILED   exit code 1 but no failing result was parsed")
    fail = True
print("scim-sanity: " + ("FAIL" if fail else "PASS"))
sys.exit(1 if fail else 0)
EOF
  [ $? -eq 0 ] || overall=1
fi

echo
if [ "$overall" -eq 0 ]; then
  echo "conformance-run: PASS (raw outputs in $OUT_DIR)"
else
  echo "conformance-run: FAIL (raw outputs in $OUT_DIR)"
fi
exit "$overall"
