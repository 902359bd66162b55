#!/usr/bin/env bash
# Rebuilds the scenario-builder page (web/src, React + rjsf, bundled by vite) into cli/assets/:
# index.html, app.js and app.css, which are committed and embedded in the binary with
# include_str! (so building the binary needs no npm). Run it after changing anything in web/.
set -euo pipefail
cd "$(dirname "$0")"

npm ci --no-audit --no-fund
npx vite build

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

assets=../cli/assets
mkdir -p "$assets"
cp dist/index.html "$assets/index.html"
cp dist/assets/app.js "$assets/app.js"
cp dist/assets/app.css "$assets/app.css"

for f in index.html app.js app.css; do
  printf '%-12s %8d bytes (%d gzipped)\n' "$f" "$(wc -c < "$assets/$f")" "$(gzip -9c "$assets/$f" | wc -c)"
done
echo "build.sh: cli/assets/ updated; rebuild the binary to embed it"
