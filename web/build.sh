#!/usr/bin/env bash
# Rebuilds the scenario-builder page (web/src, React + rjsf, bundled by vite) into cli/assets/:
# index.html, app.js and app.css, which are committed and embedded in the binary with
# include_str! (so building the binary needs no npm). Run it after changing anything in web/.
#
# web/build.sh --check (run by scripts/test) changes nothing: it builds a copy of web/ under
# target/web-check/ and fails if cli/assets/ differs from that build by a single byte. Vite's
# output depends only on the sources and the locked packages (two builds, in any folder, are
# byte-identical), so a difference means web/ changed without this script being run. The copy
# keeps its node_modules between runs and reinstalls them only when package.json or the
# lockfile change.
set -euo pipefail
web="$(cd "$(dirname "$0")" && pwd)"
assets="$web/../cli/assets"

case "${1:-}" in
  "")
    check=false
    dir="$web"
    cd "$dir"
    npm ci --no-audit --no-fund
    ;;
  --check)
    check=true
    dir="$web/../target/web-check"
    mkdir -p "$dir"
    cd "$dir"
    # The sources, afresh (what an earlier copy had must not linger); node_modules stays.
    find . -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
    (cd "$web" && find . -mindepth 1 -maxdepth 1 ! -name node_modules ! -name dist -print0) |
      xargs -0 -I{} cp -R "$web/{}" .
    # node_modules/.installed-from: the package.json and lockfile of the last install.
    if ! cat package.json package-lock.json | cmp -s - node_modules/.installed-from; then
      echo "web/build.sh: installing the page's packages into target/web-check (npm ci)" >&2
      npm ci --no-audit --no-fund --silent
      cat package.json package-lock.json > node_modules/.installed-from
    fi
    ;;
  *)
    echo "usage: web/build.sh [--check]" >&2
    exit 2
    ;;
esac

if $check; then
  npx vite build --logLevel warn
else
  npx vite build
fi

# The build must be exactly the three files the server embeds and serves.
found=$(cd dist && find . -type f | LC_ALL=C sort | tr '\n' ' ')
expected="./assets/app.css ./assets/app.js ./index.html "
if [ "$found" != "$expected" ]; then
  echo "build.sh: vite wrote [$found], expected [$expected]" >&2
  exit 1
fi
for ref in '/assets/app.js' '/assets/app.css'; do
  grep -q "$ref" dist/index.html || { echo "build.sh: dist/index.html does not reference $ref" >&2; exit 1; }
done

built=(dist/index.html dist/assets/app.js dist/assets/app.css)
if $check; then
  stale=()
  for file in "${built[@]}"; do
    cmp -s "$file" "$assets/$(basename "$file")" || stale+=("$(basename "$file")")
  done
  if [ ${#stale[@]} -gt 0 ]; then
    echo "web/build.sh --check: cli/assets/ is not what web/ builds (different: ${stale[*]}):" \
      "run web/build.sh and commit cli/assets/" >&2
    exit 1
  fi
  echo "web/build.sh --check: cli/assets/ is what web/ builds"
  exit 0
fi

mkdir -p "$assets"
cp "${built[@]}" "$assets/"

for f in index.html app.js app.css; do
  printf '%-12s %8d bytes (%d gzipped)\n' "$f" "$(wc -c < "$assets/$f")" "$(gzip -9c "$assets/$f" | wc -c)"
done
echo "build.sh: cli/assets/ updated; rebuild the binary to embed it"
