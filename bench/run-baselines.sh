#!/usr/bin/env bash
# Run the JavaScript and Python email-validation baselines on the benchmark
# corpus and print them side by side.
#
#   bench/run-baselines.sh                  # 1M corpus, all baselines, 3 timed passes each
#   bench/run-baselines.sh --count 10000    # quick smoke run on a 10k corpus
#   bench/run-baselines.sh --only validator,python --runs 5
#   bench/run-baselines.sh --setup-only     # corpus + npm ci + venv, no timing
#
# Idempotent: generates the corpus when it is missing or older than
# gen_corpus.py, runs `npm ci` in baselines/node when node_modules is missing
# or was installed from another package-lock.json / node major version, and
# creates bench/.venv from baselines/python/requirements.txt when missing or
# stale. Then runs each baseline one after the other (never in parallel: the
# numbers are only comparable on a quiet machine) and writes the JSON lines to
# bench/out/baselines.jsonl (plus a timestamped copy), then prints a table.
#
# Needs: node >= 18 with npm, python3 >= 3.8 (stdlib only for the corpus;
# the venv needs either a working `python3 -m venv` (Debian: python3-venv) or
# pip (Debian: python3-pip), or the virtualenv module).
# Environment overrides: PYTHON (default python3), NODE (node), NPM (npm).

set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
NODE="${NODE:-node}"
NPM="${NPM:-npm}"
NODE_DIR="$BENCH/baselines/node"
PY_DIR="$BENCH/baselines/python"
VENV="$BENCH/.venv"
OUT_DIR="$BENCH/out"

RUNS=3
ONLY="validator,email-validator,mailchecker,mailcheck,python"
CORPUS=""
COUNT=""
BY_CATEGORY=1
PY_LIMIT=""
SETUP_ONLY=0

usage() {
  sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
  cat <<'EOF'
Options:
  --runs N            timed passes per baseline (best and median reported; default 3)
  --only LIST         comma-separated subset of: validator,email-validator,mailchecker,mailcheck,python
  --corpus PATH       use this corpus file (must exist) instead of bench/corpus/corpus-1m.txt
  --count N           use (and generate if needed) bench/corpus/corpus-N.txt with N lines
  --python-limit N    time python on the first N addresses only, extrapolated (for slow machines)
  --no-by-category    skip the untimed per-category accepted pass
  --setup-only        prepare corpus and dependencies, run nothing
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --corpus) CORPUS="$2"; shift 2 ;;
    --count) COUNT="$2"; shift 2 ;;
    --python-limit) PY_LIMIT="$2"; shift 2 ;;
    --no-by-category) BY_CATEGORY=0; shift ;;
    --setup-only) SETUP_ONLY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run-baselines: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

log() { printf '[run-baselines] %s\n' "$*" >&2; }
die() { printf '[run-baselines] error: %s\n' "$*" >&2; exit 1; }
want() { case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
want_node() { want validator || want email-validator || want mailchecker || want mailcheck; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (set PYTHON=...)"

# ---------------------------------------------------------------- corpus
if [ -n "$CORPUS" ] && [ -n "$COUNT" ]; then
  die "--corpus and --count are exclusive"
fi
if [ -n "$CORPUS" ]; then
  [ -f "$CORPUS" ] || die "corpus $CORPUS does not exist"
  CORPUS="$(cd "$(dirname "$CORPUS")" && pwd)/$(basename "$CORPUS")"
  GEN_ARGS=()
else
  if [ -n "$COUNT" ]; then
    CORPUS="$BENCH/corpus/corpus-$COUNT.txt"
    GEN_ARGS=(--count "$COUNT" --out "$CORPUS")
  else
    CORPUS="$BENCH/corpus/corpus-1m.txt"
    GEN_ARGS=(--out "$CORPUS")
  fi
  LABELS="${CORPUS%.txt}.labels.txt"
  if [ ! -s "$CORPUS" ] || [ ! -s "$LABELS" ] || [ "$BENCH/gen_corpus.py" -nt "$CORPUS" ]; then
    log "generating $CORPUS"
    t0=$(now)
    "$PYTHON" "$BENCH/gen_corpus.py" "${GEN_ARGS[@]}" >&2
    log "corpus generated in $(elapsed "$t0") s"
  else
    log "corpus up to date: $CORPUS"
  fi
fi
if [ "$BY_CATEGORY" = 1 ] && [ ! -s "${CORPUS%.*}.labels.txt" ]; then
  log "no ${CORPUS%.*}.labels.txt: skipping the per-category pass"
  BY_CATEGORY=0
fi

# ---------------------------------------------------------------- node
stamp_of() { cat "$@" | sha256sum | cut -c1-64; }

if want_node; then
  command -v "$NODE" >/dev/null 2>&1 || die "$NODE not found"
  command -v "$NPM" >/dev/null 2>&1 || die "$NPM not found"
  node_major="$("$NODE" -p 'process.versions.node.split(".")[0]')"
  [ "$node_major" -ge 18 ] || die "node >= 18 needed, found $("$NODE" --version)"
  want_stamp="$(stamp_of "$NODE_DIR/package.json" "$NODE_DIR/package-lock.json") node$node_major"
  have_stamp="$(cat "$NODE_DIR/node_modules/.prebounce-stamp" 2>/dev/null || true)"
  if [ "$want_stamp" != "$have_stamp" ]; then
    log "npm ci in $NODE_DIR"
    (cd "$NODE_DIR" && "$NPM" ci --no-audit --no-fund --loglevel=error >&2)
    printf '%s\n' "$want_stamp" > "$NODE_DIR/node_modules/.prebounce-stamp"
  else
    log "node_modules up to date"
  fi
fi

# ---------------------------------------------------------------- python venv
make_venv() {
  rm -rf "$VENV"
  local pip_q=(--disable-pip-version-check --no-input -q)
  # 1. the standard way (needs ensurepip; on Debian the python3-venv package)
  if "$PYTHON" -m venv "$VENV" >/dev/null 2>&1 && [ -x "$VENV/bin/pip" ]; then
    log "venv: python -m venv"
    "$VENV/bin/python" -m pip install "${pip_q[@]}" -r "$PY_DIR/requirements.txt" >&2
    return 0
  fi
  rm -rf "$VENV"
  # 2. a venv without pip, filled by the interpreter's own pip with --target
  if "$PYTHON" -m pip --version >/dev/null 2>&1 && "$PYTHON" -m venv --without-pip "$VENV" >/dev/null 2>&1; then
    log "venv: python -m venv --without-pip + pip install --target (no ensurepip here)"
    local site
    site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    "$PYTHON" -m pip install "${pip_q[@]}" --target "$site" -r "$PY_DIR/requirements.txt" >&2
    return 0
  fi
  rm -rf "$VENV"
  # 3. virtualenv, if installed
  if "$PYTHON" -m virtualenv --version >/dev/null 2>&1; then
    log "venv: virtualenv"
    "$PYTHON" -m virtualenv -q "$VENV" >&2
    "$VENV/bin/python" -m pip install "${pip_q[@]}" -r "$PY_DIR/requirements.txt" >&2
    return 0
  fi
  die "cannot create a virtual environment with $PYTHON: install python3-venv or python3-pip (apt-get install python3-venv)"
}

if want python; then
  py_id="$("$PYTHON" -c 'import sys; print(sys.version.split()[0], sys.executable)')"
  want_stamp="$(stamp_of "$PY_DIR/requirements.txt") $py_id"
  have_stamp="$(cat "$VENV/.prebounce-stamp" 2>/dev/null || true)"
  if [ "$want_stamp" != "$have_stamp" ] || ! "$VENV/bin/python" -c 'import email_validator' >/dev/null 2>&1; then
    log "creating $VENV"
    t0=$(now)
    make_venv
    "$VENV/bin/python" -c 'import email_validator' || die "email_validator not importable in $VENV"
    printf '%s\n' "$want_stamp" > "$VENV/.prebounce-stamp"
    log "venv ready in $(elapsed "$t0") s"
  else
    log "venv up to date"
  fi
fi

[ "$SETUP_ONLY" = 1 ] && { log "setup done"; exit 0; }

# ---------------------------------------------------------------- run
mkdir -p "$OUT_DIR"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results="$OUT_DIR/baselines-$stamp.jsonl"
: > "$results"
extra=()
[ "$BY_CATEGORY" = 1 ] && extra+=(--by-category)

add_wall() {  # JSON line, wall seconds -> JSON line with "wall_seconds"
  "$PYTHON" -c 'import json, sys
d = json.loads(sys.argv[1]); d["wall_seconds"] = float(sys.argv[2])
print(json.dumps(d, ensure_ascii=False, separators=(",", ":")))' "$1" "$2"
}

run_one() {  # label, command...
  local label="$1"; shift
  log "running $label"
  local t0 line
  t0=$(now)
  line="$("$@" | tail -n 1)" || die "$label failed"
  line="$(add_wall "$line" "$(elapsed "$t0")")"
  printf '%s\n' "$line" >> "$results"
  log "$label done in $(elapsed "$t0") s"
}

for lib in validator email-validator mailchecker mailcheck; do
  want "$lib" || continue
  run_one "$lib" "$NODE" "$NODE_DIR/run.mjs" "$lib" "$CORPUS" --runs "$RUNS" ${extra[@]+"${extra[@]}"}
done
if want python; then
  py_args=(--runs "$RUNS")
  [ -n "$PY_LIMIT" ] && py_args+=(--limit "$PY_LIMIT")
  run_one "python email-validator" "$VENV/bin/python" "$PY_DIR/run.py" "$CORPUS" "${py_args[@]}" ${extra[@]+"${extra[@]}"}
fi

cp "$results" "$OUT_DIR/baselines.jsonl"
log "results: $results (copied to $OUT_DIR/baselines.jsonl)"
echo
"$PYTHON" "$BENCH/baselines/table.py" "$results"
