#!/bin/sh
# Brings the research corpus (verbatim Windows output, one file per sample,
# and its SOURCES.md) into testdata/windows byte for byte. SOURCES.md here is
# the corpus' SOURCES.md followed by this repository's own section, which
# starts at the line "## Samples kept by winplay" and is kept as it is.
set -eu
corpus=${1:-/work/corpus}
here=$(dirname "$0")
for d in "$corpus"/*/; do
	tool=$(basename "$d")
	mkdir -p "$here/$tool"
	cp -p "$d"* "$here/$tool/"
done
own=$(mktemp)
sed -n '/^## Samples kept by winplay/,$p' "$here/SOURCES.md" > "$own" 2>/dev/null || true
cp "$corpus/SOURCES.md" "$here/SOURCES.md"
if [ -s "$own" ]; then
	printf '\n' >> "$here/SOURCES.md"
	cat "$own" >> "$here/SOURCES.md"
fi
rm -f "$own"
