# Shared helpers for the project's shell entry points (sourced, not run).

# ensure_deps: installs node_modules with `npm ci` when they are missing or older than the lock file.
ensure_deps() {
  local stamp=node_modules/.tandem-lock-hash
  local want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing dependencies (npm ci)"
    npm ci --no-audit --no-fund || return 1
    echo "$want" > "$stamp"
  fi
}

# ensure_chromium: Playwright drives Debian's Chromium; install it when missing and we are root.
ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return 0; fi
  if [ "$(id -u)" = 0 ]; then
    echo "==> installing Debian's chromium package (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || return 1
  else
    echo "error: /usr/bin/chromium is missing; install Debian's package: sudo apt-get install -y chromium" >&2
    return 1
  fi
}
