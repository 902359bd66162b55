#!/usr/bin/env bash
# Compares s3-connector with `aws s3` (AWS CLI v1, from PyPI) and rclone on the same local S3
# server (`s3-connector local`: s3s-fs on 127.0.0.1), with one signed curl request per transfer
# as the single-stream reference, and prints a Markdown report for docs/BENCHMARKS.md on stdout
# (progress goes to stderr).
#
# Measured for each tool, over RUNS runs (median wall time; median user+sys CPU seconds and
# peak RSS of the tool's process, from `/usr/bin/time -v`):
#   upload    one SIZE_MIB file of random bytes (s3-connector: run upload_file; aws s3 cp; rclone
#             copyto; curl --aws-sigv4 -T with x-amz-content-sha256: UNSIGNED-PAYLOAD)
#   download  the same file back, checked byte for byte with cmp (run get_file; aws s3 cp; rclone
#             copyto; curl --aws-sigv4 -o)
#   list      KEYS keys under one prefix, recursively (run list_files; aws s3 ls --recursive; rclone ls)
# and the end-to-end time, process start included, of one small listing (10 keys:
# run list_files; aws s3 ls; rclone lsf), median of SMALL_RUNS runs. curl only transfers.
#
# Run by hand from a checkout (not in CI):
#   bench/compare.sh                                  # 1 GiB, 10,000 keys, 5 runs
#   SIZE_MIB=64 KEYS=500 RUNS=2 bench/compare.sh      # a quick smoke run
# Env: RUNS (5), SIZE_MIB (1024), KEYS (10000), SMALL_RUNS (20), BENCH_TMP (where the temp dir
# goes; default $TMPDIR or /tmp; needs about 3 × SIZE_MIB free).
# Needs: cargo, python3 (with venv), GNU time, and network access the first time: awscli is
# installed into target/bench-venv; rclone, curl and time are installed with apt-get when run as
# root (otherwise rclone or curl is skipped, with how to install it). No AWS or rclone config file is read
# or written: every tool is configured by flags and environment variables.
set -euo pipefail
export LC_ALL=C

RUNS=${RUNS:-5} SIZE_MIB=${SIZE_MIB:-1024} KEYS=${KEYS:-10000} SMALL_RUNS=${SMALL_RUNS:-20}
REGION=us-east-1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/target/release/s3-connector
VENV=$ROOT/target/bench-venv
BUCKET=bench

log() { echo "==> $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }

# ensure PACKAGE PATH: the Debian package providing PATH (a file or a command), installed with
# apt-get when missing and running as root; returns 1 (with a hint) if it cannot be had.
ensure() {
  if [[ -x $2 ]] || command -v "$2" >/dev/null; then return 0; fi
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing $1 with apt-get"
    if apt-get install -y -q "$1" >&2 || { apt-get update -q >&2 && apt-get install -y -q "$1" >&2; }; then
      return 0
    fi
  fi
  echo "warning: $2 is missing; install it with: sudo apt-get install $1" >&2
  return 1
}

ensure time /usr/bin/time || die "GNU time (/usr/bin/time) is needed to measure CPU time and peak RSS"
HAVE_RCLONE=1
ensure rclone rclone || { HAVE_RCLONE=0; log "skipping rclone"; }
HAVE_CURL=1
ensure curl curl || { HAVE_CURL=0; log "skipping curl"; }
if [[ ! -x $VENV/bin/aws ]]; then
  log "installing awscli into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q awscli >&2
fi
AWS=$VENV/bin/aws

log "building s3-connector (release)"
(cd "$ROOT" && cargo build --release -q -p s3-connector)

WORK=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/s3c-bench.XXXXXX")
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "starting the local store"
"$BIN" local --port 0 --dir "$WORK/store" >"$WORK/server.json" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/server.json" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "the local store did not start"; }
  sleep 0.1
done
read -r ENDPOINT AK SK < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["connection"]
print(d["endpoint"], c["access_key_id"], c["secret_access_key"])' "$WORK/server.json")
[[ $ENDPOINT == http://127.0.0.1:* ]] || die "unexpected endpoint $ENDPOINT"
log "store at $ENDPOINT"

# Credentials for s3-connector and the AWS CLI come from the environment; empty shared files
# keep ~/.aws out of it. rclone gets everything from RCLONE_S3_* and a config path that does not
# exist (in the temp dir), and runs without AWS_CA_BUNDLE. Two s3s-fs quirks shape its listings:
# a HEAD of a "folder" key answers 500 (so prefixes end with `/`, which skips rclone's is-it-a-file
# probe), and an empty `delimiter=` (rclone's one-request recursive ListR) is taken as a real
# delimiter (so `--disable ListR`: rclone walks the folders, one listing per folder).
: >"$WORK/aws-empty"
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_ENDPOINT_URL=$ENDPOINT
export AWS_REGION=$REGION AWS_DEFAULT_REGION=$REGION AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=$WORK/aws-empty AWS_SHARED_CREDENTIALS_FILE=$WORK/aws-empty
RCLONE=(env -u AWS_CA_BUNDLE RCLONE_CONFIG="$WORK/rclone.conf" RCLONE_S3_PROVIDER=Other
  RCLONE_S3_ENDPOINT="$ENDPOINT" RCLONE_S3_ACCESS_KEY_ID="$AK" RCLONE_S3_SECRET_ACCESS_KEY="$SK"
  RCLONE_S3_REGION=$REGION RCLONE_S3_FORCE_PATH_STYLE=true rclone)
S3C_RUN=("$BIN" run)
# The same with `payload_signing: unsigned`: over this plain-HTTP endpoint the default (`auto`)
# signs every aws-chunked frame (a SHA-256 of every byte); unsigned frames carry only the CRC32C
# trailer, as the AWS SDKs send over HTTPS.
python3 - "$WORK/unsigned.json" "$ENDPOINT" "$AK" "$SK" "$REGION" <<'PY'
import json, sys
path, endpoint, ak, sk, region = sys.argv[1:]
json.dump({"access_key_id": ak, "secret_access_key": sk, "region": region,
           "endpoint_url": endpoint, "payload_signing": "unsigned"}, open(path, "w"))
PY
S3CU_RUN=("$BIN" run --connection "$WORK/unsigned.json")
AWS_CLI=("$AWS" --endpoint-url "$ENDPOINT")
# The reference: one SigV4-signed request per transfer, in one stream, the body neither hashed
# nor checksummed (UNSIGNED-PAYLOAD; s3s-fs wants the header on the GET too). Paths are
# path-style: $ENDPOINT/BUCKET/KEY. (`-H 'Expect:'` is not used: curl 7.88 signs the removed
# header, and the signature then fails.)
CURL=(curl -sS --fail --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK"
  -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD')

"${S3C_RUN[@]}" create_bucket --json "{\"bucket\":\"$BUCKET\"}" >/dev/null

log "writing a $SIZE_MIB MiB random file and $KEYS small files"
BIG=$WORK/big.bin DL=$WORK/download.bin
head -c $((SIZE_MIB * 1048576)) /dev/urandom >"$BIG"
python3 - "$WORK/tree" "$KEYS" <<'EOF'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
def write(path, size):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(rng.randbytes(size))
for i in range(n):
    write(f"{root}/keys/2026/{i % 12 + 1:02}/IMG_{i:06}.jpg", rng.randint(100, 4000))
for i in range(10):
    write(f"{root}/small/report-{i:02}.csv", 500)
EOF
# The keys are uploaded once, untimed, with `aws s3 sync` (10 parallel PUTs by default).
start=$EPOCHREALTIME
"${AWS_CLI[@]}" s3 sync "$WORK/tree" "s3://$BUCKET/" --only-show-errors
PRELOAD_S=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
log "uploaded $((KEYS + 10)) small keys in $PRELOAD_S s"

declare -A TIMES=() CPU=() RSS=()
# measure TOOL OP CMD...: one timed run; wall time from bash's clock, CPU time (user + sys, the
# tool's process and its children) and peak RSS from GNU time.
measure() {
  local key="$1|$2"; shift 2
  local start=$EPOCHREALTIME
  /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" ||
    { cat "$WORK/err.txt" >&2; die "failed: ${*//"$SK"/SECRET}"; }
  TIMES[$key]+="$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }') "
  CPU[$key]+="$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ { s += $2 }
    END { printf "%.4f", s }' "$WORK/time.txt") "
  local rss; rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
  if (( rss > ${RSS[$key]:-0} )); then RSS[$key]=$rss; fi
}
# check_count TOOL N: the last listing's output held N keys.
check_count() {
  local n
  if [[ $1 == s3c ]]; then
    n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["files"]))' "$WORK/out.txt")
  else
    n=$(grep -c . "$WORK/out.txt" || true)
  fi
  [[ $n == "$2" ]] || die "$1 listed $n keys, expected $2"
}
verify() { cmp "$BIG" "$DL" || die "$1: the downloaded file differs from the uploaded one"; rm -f "$DL"; }
# small TOOL CMD...: SMALL_RUNS end-to-end runs, no wrapper.
small() {
  local key="$1|small"; shift
  for _ in $(seq "$SMALL_RUNS"); do
    local start=$EPOCHREALTIME
    "$@" >/dev/null 2>"$WORK/err.txt" || { cat "$WORK/err.txt" >&2; die "failed: $*"; }
    TIMES[$key]+="$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }') "
  done
}

TOOLS=(s3c s3cu)
if [[ $HAVE_CURL == 1 ]]; then TOOLS+=(curl); fi
TOOLS+=(aws)
if [[ $HAVE_RCLONE == 1 ]]; then TOOLS+=(rclone); fi
for run in $(seq "$RUNS"); do
  for tool in "${TOOLS[@]}"; do
    log "run $run/$RUNS: $tool"
    obj=big-$tool.bin
    case $tool in
      s3c)
        measure s3c upload "${S3C_RUN[@]}" upload_file --json \
          "{\"bucket\":\"$BUCKET\",\"file_name\":\"$obj\",\"source\":{\"path\":\"$BIG\"}}"
        measure s3c download "${S3C_RUN[@]}" get_file --json \
          "{\"bucket\":\"$BUCKET\",\"key\":\"$obj\",\"save_to\":\"$DL\"}"
        verify s3c
        measure s3c list "${S3C_RUN[@]}" list_files --json \
          "{\"bucket\":\"$BUCKET\",\"prefix\":\"keys\",\"recursive\":true}" ;;
      s3cu)
        measure s3cu upload "${S3CU_RUN[@]}" upload_file --json \
          "{\"bucket\":\"$BUCKET\",\"file_name\":\"$obj\",\"source\":{\"path\":\"$BIG\"}}"
        measure s3cu download "${S3CU_RUN[@]}" get_file --json \
          "{\"bucket\":\"$BUCKET\",\"key\":\"$obj\",\"save_to\":\"$DL\"}"
        verify s3cu
        continue ;;
      aws)
        measure aws upload "${AWS_CLI[@]}" s3 cp "$BIG" "s3://$BUCKET/$obj" --only-show-errors
        measure aws download "${AWS_CLI[@]}" s3 cp "s3://$BUCKET/$obj" "$DL" --only-show-errors
        verify aws
        measure aws list "${AWS_CLI[@]}" s3 ls --recursive "s3://$BUCKET/keys/" ;;
      rclone)
        # --ignore-times: rclone would otherwise skip a copy it finds already done.
        measure rclone upload "${RCLONE[@]}" copyto --ignore-times "$BIG" ":s3:$BUCKET/$obj"
        measure rclone download "${RCLONE[@]}" copyto --ignore-times ":s3:$BUCKET/$obj" "$DL"
        verify rclone
        measure rclone list "${RCLONE[@]}" ls --disable ListR ":s3:$BUCKET/keys/" ;;
      curl)
        measure curl upload "${CURL[@]}" -o /dev/null -T "$BIG" "$ENDPOINT/$BUCKET/$obj"
        measure curl download "${CURL[@]}" -o "$DL" "$ENDPOINT/$BUCKET/$obj"
        verify curl
        continue ;;
    esac
    check_count "$tool" "$KEYS"
  done
done
log "small invocations ($SMALL_RUNS each)"
small s3c "${S3C_RUN[@]}" list_files --json "{\"bucket\":\"$BUCKET\",\"prefix\":\"small\"}"
small aws "${AWS_CLI[@]}" s3 ls "s3://$BUCKET/small/"
if [[ $HAVE_RCLONE == 1 ]]; then small rclone "${RCLONE[@]}" lsf ":s3:$BUCKET/small/"; fi

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 }
  END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
declare -A NAME=([s3c]=s3-connector [s3cu]="s3-connector (unsigned chunks)" [aws]="aws s3" [rclone]=rclone [curl]="curl (1 stream)")
declare -A OPNAME=([upload]="upload $SIZE_MIB MiB" [download]="download $SIZE_MIB MiB"
  [list]="list $KEYS keys" [small]="one small listing (end to end)")
declare -A MED=() MED_CPU=()
for key in "${!TIMES[@]}"; do MED[$key]=$(median "${TIMES[$key]}"); done
for key in "${!CPU[@]}"; do MED_CPU[$key]=$(median "${CPU[$key]}"); done

# The report (stdout).
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
echo "### compare.sh, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Command: \`RUNS=$RUNS SIZE_MIB=$SIZE_MIB KEYS=$KEYS SMALL_RUNS=$SMALL_RUNS bench/compare.sh\`"
echo
echo "- Machine: $(nproc) CPUs ($cpu), $mem RAM, $(uname -sr), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- s3-connector $("$BIN" --version | awk '{ print $2 }') ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ', with local changes')), release build"
echo "- $("$AWS" --version 2>&1 | cut -d' ' -f1,2,4), default settings (multipart above 8 MiB, 10 threads)"
if [[ $HAVE_RCLONE == 1 ]]; then
  echo "- $("${RCLONE[@]}" version 2>/dev/null | head -1), default settings and \`--ignore-times\`; lists with \`--disable ListR\` (folder by folder; see the script)"
else
  echo "- rclone: not installed, skipped"
fi
if [[ $HAVE_CURL == 1 ]]; then
  echo "- $(curl --version | head -1 | cut -d' ' -f1,2), the single-stream reference: one \`--aws-sigv4 \"aws:amz:$REGION:s3\"\` PUT (\`-T\`) or GET with \`x-amz-content-sha256: UNSIGNED-PAYLOAD\` (no hashing, no checksum, no multipart)"
else
  echo "- curl: not installed, skipped"
fi
echo "- Server: \`s3-connector local\` (s3s-fs) on 127.0.0.1, its directory on $(df -T "$WORK" | awk 'NR == 2 { print $2 }'); the $KEYS keys were uploaded once with \`aws s3 sync\` ($PRELOAD_S s, untimed)"
echo "- Wall time: median of $RUNS runs ($SMALL_RUNS for the small listing), process start included; CPU: user + sys seconds of the tool's process (the server's not counted), median of the runs, and per GiB moved for transfers; peak RSS: the largest of the runs"
echo
echo "| tool | operation | median s | MiB/s | CPU s | CPU s/GiB | peak RSS MiB |"
echo "|---|---|---:|---:|---:|---:|---:|"
for op in upload download list small; do
  for tool in "${TOOLS[@]}"; do
    key="$tool|$op"; [[ -n ${MED[$key]:-} ]] || continue
    rate=— per_gib=—
    cpu=—; [[ -n ${MED_CPU[$key]:-} ]] && cpu=$(awk -v c="${MED_CPU[$key]}" 'BEGIN { printf "%.3f", c }')
    if [[ $op == upload || $op == download ]]; then
      rate=$(awk -v s="$SIZE_MIB" -v t="${MED[$key]}" 'BEGIN { printf "%.0f", s / t }')
      per_gib=$(awk -v s="$SIZE_MIB" -v c="${MED_CPU[$key]}" 'BEGIN { printf "%.3f", c * 1024 / s }')
    fi
    rss=—; [[ -n ${RSS[$key]:-} ]] && rss=$(awk -v k="${RSS[$key]}" 'BEGIN { printf "%.1f", k / 1024 }')
    printf '| %s | %s | %.3f | %s | %s | %s | %s |\n' "${NAME[$tool]}" "${OPNAME[$op]}" "${MED[$key]}" "$rate" "$cpu" "$per_gib" "$rss"
  done
done
echo
echo "s3-connector compared (time: the other tool's median ÷ s3-connector's, above 1 = s3-connector faster; CPU and RSS: s3-connector's ÷ the other's, below 1 = s3-connector uses less; — where the other tool did not run the operation):"
echo
# ratio A B: A ÷ B as " 1.23× |", or " — |" when either is missing.
ratio() {
  if [[ -n $1 && -n $2 ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf " %.2f× |", (b > 0 ? a / b : 0) }'
  else printf ' — |'; fi
}
others=("${TOOLS[@]:1}")
printf '| operation |'; for t in "${others[@]}"; do printf ' vs %s: speed | vs %s: CPU | vs %s: RSS |' "${NAME[$t]}" "${NAME[$t]}" "${NAME[$t]}"; done; echo
printf '|---|'; for _ in "${others[@]}"; do printf -- '---:|---:|---:|'; done; echo
for op in upload download list small; do
  printf '| %s |' "${OPNAME[$op]}"
  for t in "${others[@]}"; do
    ratio "${MED[$t|$op]:-}" "${MED[s3c|$op]:-}"
    ratio "${MED_CPU[s3c|$op]:-}" "${MED_CPU[$t|$op]:-}"
    ratio "${RSS[s3c|$op]:-}" "${RSS[$t|$op]:-}"
  done
  echo
done
