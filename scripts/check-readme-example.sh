#!/usr/bin/env bash
# Fails when an example in the README differs from the file that the tests compile and run.
# Usage: scripts/check-readme-example.sh README.md examples/quickstart.c   (or .cpp: a ```cpp block)
set -euo pipefail
readme=$1
example=$2
fence=${example##*.}
shown=$(awk '/<!-- example: '"${example//\//\\/}"' -->/{found=1; next} found && /^```'"$fence"'$/{inside=1; next} inside && /^```$/{exit} inside' "$readme")
if [ -z "$shown" ]; then
  echo "check-readme-example: $readme has no block marked <!-- example: $example -->" >&2
  exit 1
fi
if ! diff -u "$example" <(printf '%s\n' "$shown"); then
  echo "check-readme-example: the block in $readme differs from $example" >&2
  exit 1
fi
echo "README example matches $example"
