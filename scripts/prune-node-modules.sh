#!/bin/sh
# Image builds only: removes from production node_modules what nothing loads at run time
# (type declarations, TypeScript sources, source maps, Markdown docs); licences stay.
set -eu
for dir in "$@"; do
  [ -d "$dir" ] || continue
  find "$dir" -type f \( -name '*.d.ts' -o -name '*.d.cts' -o -name '*.d.mts' -o -name '*.ts' -o -name '*.cts' -o -name '*.mts' -o -name '*.map' -o \( -name '*.md' ! -iname 'licen*' \) \) -delete
done
