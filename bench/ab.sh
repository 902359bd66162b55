#!/usr/bin/env bash
# Two builds of s3-connector side by side, to see whether a change made transfers slower: both
# against one local store (the NEW binary's `s3-connector local`, on 127.0.0.1), alternating
# run by run, each run an upload and a download of SIZE_MIB MiB (checked byte for byte) and a
# listing of 300 keys. Prints one line per binary and run; compare the medians.
# Usage: bench/ab.sh OLD_BIN NEW_BIN [SIZE_MIB (512)] [RUNS (5)]
# e.g. git worktree add ../before REV && (cd ../before && cargo build --release -p s3-connector)
set -euo pipefail
OLD=$1 NEW=$2 SIZE=${3:-512} RUNS=${4:-5}
W=$(mktemp -d /tmp/ab.XXXXXX)
"$NEW" local --port 0 --dir "$W/store" >"$W/server.json" 2>"$W/server.log" & SP=$!
trap 'kill $SP 2>/dev/null; rm -rf "$W"' EXIT
for _ in $(seq 100); do python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$W/server.json" 2>/dev/null && break; sleep 0.1; done
read -r EP AK SK < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["connection"]
print(d["endpoint"], c["access_key_id"], c["secret_access_key"])' "$W/server.json")
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_ENDPOINT_URL=$EP AWS_REGION=us-east-1
: >"$W/none"; export AWS_CONFIG_FILE=$W/none AWS_SHARED_CREDENTIALS_FILE=$W/none AWS_EC2_METADATA_DISABLED=true
"$NEW" run create_bucket --json '{"bucket":"abtest"}' >/dev/null
head -c $((SIZE*1048576)) /dev/urandom > "$W/big"
for i in $(seq 300); do echo "$i" > "$W/s$i"; done
for i in $(seq 300); do "$NEW" run upload_file --json "{\"bucket\":\"abtest\",\"folder\":\"k\",\"file_name\":\"f$i\",\"source\":{\"text\":\"x\"}}" >/dev/null; done
t() { local s=$EPOCHREALTIME; "$@" >/dev/null; awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}'; }
for r in $(seq $RUNS); do
  for which in old new; do
    B=$OLD; [[ $which == new ]] && B=$NEW
    u=$(t "$B" run upload_file --json "{\"bucket\":\"abtest\",\"file_name\":\"big-$which\",\"source\":{\"path\":\"$W/big\"}}")
    rm -f "$W/dl"
    d=$(t "$B" run get_file --json "{\"bucket\":\"abtest\",\"key\":\"big-$which\",\"save_to\":\"$W/dl\"}")
    cmp -s "$W/big" "$W/dl" || { echo "download differs"; exit 1; }
    l=$(t "$B" run list_files --json '{"bucket":"abtest","prefix":"k"}')
    echo "$which upload=$u download=$d list300=$l"
  done
done
