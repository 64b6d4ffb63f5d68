#!/usr/bin/env bash
# Installs the system tools ai_video needs (ffmpeg with libx264/libass, fonts for every script
# captions use (DejaVu; Noto for Arabic, Hebrew, Indic, Thai; Noto CJK), espeak-ng, the
# PostgreSQL server for the store tests, and chromium for the browser test) with apt-get when
# they are missing; says clearly what to do when it cannot.
set -euo pipefail
need=()
command -v ffmpeg  >/dev/null || need+=(ffmpeg)
command -v ffprobe >/dev/null || need+=(ffmpeg)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -e /usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf ] || need+=(fonts-noto-core)
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need+=(fonts-noto-cjk)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
# the store tests run against a throwaway PostgreSQL server too (tests/serve/postgres.py)
command -v pg_ctl >/dev/null || compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || need+=(postgresql)
if [ "${AI_VIDEO_BROWSER_TESTS:-1}" = 1 ]; then
  command -v chromium >/dev/null || need+=(chromium)
fi
[ ${#need[@]} -eq 0 ] && exit 0
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
echo "system-deps: installing ${need[*]}"
if ! command -v apt-get >/dev/null; then
  echo "error: missing ${need[*]} and apt-get is not available; install them with your package manager" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null; }; then
  echo "error: apt-get could not install ${need[*]}; install them by hand (ffmpeg must have libx264 and libass)" >&2
  exit 1
fi
