#!/usr/bin/env bash
# Installs the Debian package built by `cargo deb -p samenloop-cli` and checks what a user gets: a stripped
# program of at most 40 MB that runs, the service and the desktop entry in place, and a node that serves the
# app (the first-run page, through a one-time link). Removes the package afterwards. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(ls -t target/debian/samenloop_*.deb | head -1)
echo "package: $deb ($(du -h "$deb" | cut -f1))"
# What the package depends on beyond the C library (dpkg -i installs no dependencies by itself).
command -v xdg-open >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xdg-utils >/dev/null
dpkg -i "$deb"
trap 'dpkg -r samenloop >/dev/null || true' EXIT

size=$(stat -c %s /usr/bin/samenloop)
echo "installed program: $((size / 1024 / 1024)) MB"
[ "$size" -le $((40 * 1024 * 1024)) ] || { echo "the program is larger than 40 MB"; exit 1; }
/usr/bin/samenloop --version
test -f /usr/lib/systemd/user/samenloop.service
grep -q '^ExecStart=/usr/bin/samenloop node run --wait-for-unlock$' /usr/lib/systemd/user/samenloop.service
test -f /usr/share/applications/samenloop.desktop
grep -q '^Exec=samenloop open$' /usr/share/applications/samenloop.desktop
if command -v desktop-file-validate >/dev/null 2>&1; then desktop-file-validate /usr/share/applications/samenloop.desktop; fi

home=$(mktemp -d)
/usr/bin/samenloop --home "$home" node run --wait-for-unlock --api 127.0.0.1:0 --no-mdns \
  --listen /ip4/127.0.0.1/tcp/0 >"$home/run.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$home"; dpkg -r samenloop >/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$home/api.addr" ] && break; sleep 0.1; done
addr=$(cat "$home/api.addr")
link=$(/usr/bin/samenloop --home "$home" open --print-link)
jar="$home/cookies"
code=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" "$link")
[ "$code" = 303 ] || { echo "the sign-in link answered $code"; exit 1; }
curl -s -b "$jar" -H 'Accept-Language: nl' "http://$addr/welcome" | grep -q 'Welkom bij samenloop'
echo "the installed program serves the app on $addr"
