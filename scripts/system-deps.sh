#!/usr/bin/env bash
# Installs the system programs tinygrad_edu uses beyond Python: Graphviz's `dot` (to render
# drawings) and, with --browser, Chromium (for the end-to-end drawing test).
# Safe to run again: it installs only what is missing.
set -euo pipefail
want=()
command -v dot >/dev/null 2>&1 || want+=(graphviz)
# a font for the labels of the drawings (Graphviz and Chromium find no glyphs on a bare image)
if command -v apt-get >/dev/null 2>&1 && [ ! -d /usr/share/fonts/truetype/dejavu ]; then
  want+=(fonts-dejavu-core)
fi
if [ "${1:-}" = "--browser" ]; then
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || want+=(chromium)
fi
[ ${#want[@]} -eq 0 ] && exit 0
echo "installing system packages: ${want[*]}" >&2
if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
elif command -v brew >/dev/null 2>&1; then
  brew install "${want[@]}"
else
  echo "Please install ${want[*]} with your system's package manager (https://graphviz.org/download/);" >&2
  echo "without Graphviz the drawings are still written as DOT text." >&2
fi
