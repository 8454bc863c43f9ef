#!/usr/bin/env bash
# npm run build [-- <out>]: compiles src/ to dist/ (or <out>, a folder directly under the repository root,
# so that src's root-relative paths such as ../../../web/dist/ resolve the same from the output) and copies
# the files tsc does not emit (the store's SQL migrations). The output runs with node alone:
#   node dist/cli/main.js serve
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
case "$out" in
  */*|.|..|'') echo "build: the output must be one folder directly under the repository root, got '$out'" >&2; exit 2 ;;
esac
rm -rf "$out"
npx tsc -p tsconfig.build.json --outDir "$out"
mkdir -p "$out/adapters/store/migrations"
cp src/adapters/store/migrations/*.sql "$out/adapters/store/migrations/"
