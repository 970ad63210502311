#!/usr/bin/env bash
# Test-bed infrastructure (not shipped): build kube-apiserver 1.20.2 from Debian's `kubernetes`
# source package and cache the binary outside the checkout.
#
# Why build it: Debian ships no kube-apiserver binary, but the source package (with vendor/) is there.
# No-op when the cached binary exists. Needs the Debian packages installed by `make setup`
# (dpkg-dev, golang-1.19-go, rsync, jq, golang-github-modern-go-reflect2-dev).
#
# Usage: tests/bed/build_apiserver.sh            (prints the binary's path last)
# Env:   MESHCTL_CACHE (default ~/.cache/meshctl), MESHCTL_APISERVER (use this binary instead)
set -euo pipefail

VERSION=1.20.2
CACHE="${MESHCTL_CACHE:-$HOME/.cache/meshctl}"
BIN="$CACHE/kube-apiserver-$VERSION"

if [[ -n "${MESHCTL_APISERVER:-}" ]]; then
  echo "$MESHCTL_APISERVER"; exit 0
fi
if [[ -x "$BIN" ]]; then
  echo "$BIN"; exit 0
fi

step() { printf '[build-apiserver %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
mkdir -p "$CACHE"
# Two beds starting at once (the session fixtures do) must not build twice: the second waits for the first.
exec 9>"$CACHE/kube-apiserver-$VERSION.lock"
if ! flock -n 9; then
  step "another build is running; waiting for it"
  flock 9
fi
if [[ -x "$BIN" ]]; then
  echo "$BIN"; exit 0
fi
START=$(date +%s)
WORK="$(mktemp -d "$CACHE/build.XXXXXX")"
# The build tree is ~1.8 GB: always remove it, success or failure.
trap 'rm -rf "$WORK"' EXIT

for tool in dpkg-source /usr/lib/go-1.19/bin/go rsync jq; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run 'make setup' first" >&2; exit 1; }
done
REFLECT2=/usr/share/gocode/src/github.com/modern-go/reflect2
[[ -d "$REFLECT2" ]] || { echo "missing $REFLECT2 (golang-github-modern-go-reflect2-dev): run 'make setup'" >&2; exit 1; }

# A private apt configuration with deb-src lines derived from the system's deb822 sources;
# the system's own sources stay untouched.
step "preparing a private apt source list (deb-src)"
APT="$WORK/apt"
mkdir -p "$APT/lists/partial" "$APT/archives/partial"
SRC="$APT/sources.list"
: > "$SRC"
for f in /etc/apt/sources.list.d/*.sources; do
  [[ -f "$f" ]] || continue
  # deb822 stanzas -> one-line "deb-src [signed-by=...] URI suite components" entries
  awk '
    function flush() {
      if (uris != "" && types ~ /deb/) {
        n = split(uris, U, " "); m = split(suites, S, " ")
        for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) {
          opt = (signed != "") ? "[signed-by=" signed "] " : ""
          print "deb-src " opt U[i] " " S[j] " " comps
        }
      }
      types = uris = suites = comps = signed = ""
    }
    /^[[:space:]]*$/ { flush(); next }
    /^#/ { next }
    /^Types:/ { sub(/^Types:[[:space:]]*/, ""); types = $0 }
    /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
    /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
    /^Components:/ { sub(/^Components:[[:space:]]*/, ""); comps = $0 }
    /^Signed-By:/ { sub(/^Signed-By:[[:space:]]*/, ""); signed = $0 }
    END { flush() }
  ' "$f" >> "$SRC"
done
if [[ -f /etc/apt/sources.list ]]; then
  sed -n 's/^deb \(.*\)$/deb-src \1/p' /etc/apt/sources.list >> "$SRC"
fi
[[ -s "$SRC" ]] || { echo "could not derive deb-src lines from /etc/apt" >&2; exit 1; }
# APT::Sandbox::User=root: the private lists directory is not readable by the _apt user.
APTOPTS=(-o "Dir::Etc::SourceList=$SRC" -o "Dir::Etc::SourceParts=/dev/null" -o "APT::Sandbox::User=root"
         -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache::Archives=$APT/archives"
         -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=")
apt-get "${APTOPTS[@]}" -q update >&2

step "downloading source package kubernetes=$VERSION (apt-get source)"
mkdir -p "$WORK/src"
# Debian calls it 1.20.5+really1.20.2: ask for the package and check the tree's real version below.
( cd "$WORK/src" && apt-get "${APTOPTS[@]}" -q source kubernetes >&2 )
TREE="$(find "$WORK/src" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -1)"
[[ -n "$TREE" && -d "$TREE/vendor" ]] || { echo "unpacked source tree with vendor/ not found" >&2; exit 1; }
[[ "$TREE" == *"$VERSION"* ]] || { echo "expected kubernetes $VERSION sources, got $(basename "$TREE")" >&2; exit 1; }

step "replacing vendored github.com/modern-go/reflect2 (1.0.1 crashes under Go 1.19) with Debian's 1.0.2"
rm -rf "$TREE/vendor/github.com/modern-go/reflect2"
mkdir -p "$TREE/vendor/github.com/modern-go/reflect2"
cp -r "$REFLECT2/." "$TREE/vendor/github.com/modern-go/reflect2/"
rm -f "$TREE/vendor/github.com/modern-go/reflect2/go.mod" "$TREE/vendor/github.com/modern-go/reflect2/go.sum"

step "compiling cmd/kube-apiserver in GOPATH mode (takes ~3 minutes, ~1.3 GB RAM)"
GP="$WORK/gopath"
mkdir -p "$GP/src/k8s.io"
ln -s "$TREE" "$GP/src/k8s.io/kubernetes"
(
  cd "$GP/src/k8s.io/kubernetes"
  export GOPATH="$GP" GO111MODULE=off GOFLAGS= GOCACHE="$WORK/gocache"
  export PATH="/usr/lib/go-1.19/bin:$PATH"
  export KUBE_GIT_VERSION="v$VERSION" KUBE_GIT_TREE_STATE=clean
  make WHAT=cmd/kube-apiserver >&2
)
OUT="$(find "$TREE/_output" -type f -name kube-apiserver -perm -u+x | head -1)"
[[ -n "$OUT" ]] || { echo "build produced no kube-apiserver binary" >&2; exit 1; }
install -m 0755 "$OUT" "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
END=$(date +%s)
echo "$((END - START))" > "$CACHE/kube-apiserver-$VERSION.build-seconds"
step "done in $((END - START)) s: $BIN (build tree removed)"
echo "$BIN"
