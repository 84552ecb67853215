#!/usr/bin/env bash
# The documentation site, called by `bash tools/build.sh docs` (and by `test`):
#   bash tools/docs/build_site.sh BUILD_DIR
# BUILD_DIR is a configured build of this checkout (the examples' `translate` is built there for
# the heatmap). Writes BUILD_DIR/docs/site (open site/index.html) and BUILD_DIR/docs/screenshots.
# Fails on: a Doxygen warning (an undocumented public name of seq2seq, a bad doc command), a
# MkDocs warning in --strict mode (a page missing from the nav, a link to a missing page), a
# broken link or anchor anywhere in the site (tools/docs/check_links.py), or a page that
# headless Chromium cannot render.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
out=$build/docs
rm -rf "$out"
mkdir -p "$out/guide/img" "$out/screenshots"
cp "$root/docs/mkdocs.yml" "$out/"
cp -r "$root/docs/guide/." "$out/guide/"

# The pictures: an attention heatmap of the date translator (a model trained in TensorFlow) and
# the same-run benchmark chart (benchmarks/compare: run_compare.py, plot_ratios.py).
cmake --build "$build" --target translate -j"$(nproc)"
"$build/examples/translate" --heatmap "$out/guide/img/attention" > "$out/translate.txt"
cp "$root/benchmarks/compare/results/ratios.png" "$out/guide/img/benchmark_ratios.png"

# The API reference (guide/api/), every warning an error.
(cat "$root/docs/Doxyfile"
 echo "OUTPUT_DIRECTORY = $out/guide"
 echo "WARN_LOGFILE = $out/doxygen-warnings.txt") | (cd "$root" && doxygen -)
if [ -s "$out/doxygen-warnings.txt" ]; then
  cat "$out/doxygen-warnings.txt"
  echo "docs: Doxygen warned (above): document every public name" >&2
  exit 1
fi

(cd "$out" && /usr/bin/mkdocs build --strict --quiet -d "$out/site")
/usr/bin/python3 "$root/tools/docs/check_links.py" "$out/site"

# Look at it as a reader would: the front page and one API page, rendered to PNG.
render() {
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --hide-scrollbars --window-size=1280,1600 --screenshot="$2" "file://$1" > /dev/null 2>&1
  if [ ! -s "$2" ] || [ "$(stat -c %s "$2")" -lt 20000 ]; then
    echo "docs: Chromium did not render $1 (see $2)" >&2
    exit 1
  fi
  echo "docs: rendered $1 -> $2"
}
render "$out/site/index.html" "$out/screenshots/front.png"
render "$out/site/api/classseq2seq_1_1AttentionWrapper.html" "$out/screenshots/api_attention_wrapper.png"
echo "docs: the site is $out/site/index.html"
