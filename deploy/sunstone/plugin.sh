#!/bin/sh
# Install or remove oneha's Sunstone plugin in a FireEdge. A remote that fails
# to load stops the whole Sunstone UI, so the order is strict: the module's
# files first (into FireEdge's own modules directory, served by FireEdge), then
# the views and the sidebar overlay, and the remotes-config.yaml entry last;
# uninstall removes the entry first. Each file is replaced by a rename, so
# FireEdge (which reads these files on every page load) never sees half a
# file. Idempotent.
#
#   plugin.sh install   [--modules DIR] [--sunstone DIR] [--runner URL] [--views LIST] [--module FILE]
#   plugin.sh uninstall [--modules DIR] [--sunstone DIR]
set -eu

say() { printf '%s\n' "$*"; }
die() { printf 'plugin.sh: %s\n' "$*" >&2; exit 1; }
usage() {
  cat <<'USAGE'
usage: plugin.sh install|uninstall [options]
  --modules DIR   FireEdge's remote modules directory (default /usr/lib/one/fireedge/dist/modules)
  --sunstone DIR  FireEdge's Sunstone configuration (default /etc/one/fireedge/sunstone)
  --runner URL    the oneha runner as browsers reach it (default http://127.0.0.1:2720);
                  add FireEdge's origin to the runner's config plugin.origins
  --views LIST    comma-separated Sunstone views that get the pages (default admin)
  --module FILE   the built remoteEntry.js (default dist/sunstone/OnehaModule/remoteEntry.js)
USAGE
}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$(dirname "$here")")
[ "$#" -ge 1 ] || { usage >&2; exit 2; }
action=$1; shift
modules=/usr/lib/one/fireedge/dist/modules sunstone=/etc/one/fireedge/sunstone
runner=http://127.0.0.1:2720 views=admin module=$repo/dist/sunstone/OnehaModule/remoteEntry.js
while [ "$#" -gt 0 ]; do
  case $1 in
    --modules) modules=${2:?--modules needs a directory}; shift ;;
    --sunstone) sunstone=${2:?--sunstone needs a directory}; shift ;;
    --runner) runner=${2:?--runner needs a URL}; shift ;;
    --views) views=${2:?--views needs a list}; shift ;;
    --module) module=${2:?--module needs a file}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
case $action in install | uninstall) ;; *) usage >&2; exit 2 ;; esac
[ -d "$sunstone" ] || die "no Sunstone configuration at $sunstone (--sunstone)"
remotes=$sunstone/remotes-config.yaml
[ -f "$remotes" ] || die "no $remotes"

name=OnehaModule
target=$modules/$name

# The remotes-config.yaml entry: written and removed as one block.
without_entry() {
  awk -v n="$name:" '$0 == n { skip = 1; next } skip && /^[ \t]/ { next } { skip = 0; print }' "$remotes"
}
replace_remotes() { # STDIN -> remotes-config.yaml, by rename
  cat >"$remotes.oneha.new"
  chmod --reference="$remotes" "$remotes.oneha.new" 2>/dev/null || true
  mv -f "$remotes.oneha.new" "$remotes"
}

if [ "$action" = uninstall ]; then
  if grep -qx "$name:" "$remotes"; then
    without_entry | replace_remotes
    say "removed $name from $remotes"
  fi
  rm -f "$sunstone/tabs/oneha.yaml"
  for v in "$sunstone"/views/*/oneha-tab.yaml; do
    [ ! -e "$v" ] || { rm -f "$v"; say "removed $v"; }
  done
  rm -rf "$target"
  say "removed $target"
  exit 0
fi

[ -f "$module" ] || die "no built module at $module: run 'npm run build' first (or pass --module)"
[ -d "$modules" ] || die "no FireEdge modules directory at $modules (--modules)"
case $runner in http://* | https://*) ;; *) die "--runner must be an http(s) URL" ;; esac
case $runner in *\"* | *\\* | *' '*) die "--runner must not contain quotes, backslashes or spaces" ;; esac

# 1. The module's files, as a whole directory swapped in by renames.
umask 022
rm -rf "$target.new"
mkdir -p "$target.new"
cp "$module" "$target.new/remoteEntry.js"
printf '{"runner": "%s"}\n' "${runner%/}" >"$target.new/config.json"
if [ -d "$target" ]; then
  rm -rf "$target.old"
  mv "$target" "$target.old"
fi
mv "$target.new" "$target"
rm -rf "$target.old"
say "installed $target (runner $runner)"

# 2. The views that show the pages, and the sidebar overlay.
echo "$views" | tr ',' '\n' | while read -r v; do
  [ -n "$v" ] || continue
  [ -d "$sunstone/views/$v" ] || die "no Sunstone view $v in $sunstone/views"
  cp "$here/oneha-view.yaml" "$sunstone/views/$v/oneha-tab.yaml.new"
  mv -f "$sunstone/views/$v/oneha-tab.yaml.new" "$sunstone/views/$v/oneha-tab.yaml"
done
mkdir -p "$sunstone/tabs"
cp "$here/oneha-tabs.yaml" "$sunstone/tabs/oneha.yaml.new"
mv -f "$sunstone/tabs/oneha.yaml.new" "$sunstone/tabs/oneha.yaml"

# 3. Last: the entry that makes every browser load the module.
{
  without_entry
  printf '%s\n  name: %s\n  entry: __HOST__/fireedge/modules/%s/remoteEntry.js\n' "$name:" "$name" "$name"
} | replace_remotes
say "registered $name in $remotes"
