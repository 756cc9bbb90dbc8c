#!/usr/bin/env sh
# `npm run test:rules` (part of `npm test`): promtool validates rules.yml and the example scrape
# config, and runs the rules' unit tests (rules.test.yml: every alert fires and clears). Never
# skipped: without promtool it fails, and .ci/run installs it (Debian package `prometheus`).
set -eu
cd "$(dirname "$0")"
if ! command -v promtool >/dev/null 2>&1; then
  echo "test:rules: promtool not found on PATH. Install it with" >&2
  echo "  sudo apt-get update && sudo apt-get install -y prometheus   (Debian/Ubuntu)" >&2
  echo "or put promtool from https://prometheus.io/download/ on PATH." >&2
  exit 1
fi
promtool check rules rules.yml
promtool check config --syntax-only prometheus.example.yml
promtool test rules rules.test.yml
