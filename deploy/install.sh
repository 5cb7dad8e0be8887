#!/bin/sh
# Install, upgrade or remove oneha on an OpenNebula front-end. Idempotent:
# program files are replaced, configuration and secrets are created once and
# then left alone.
#
#   deploy/install.sh [--prefix DIR] [--bundle FILE] [--no-chown] [--activate] [--sunstone-runner URL]
#   deploy/install.sh --uninstall [--purge] [--prefix DIR]
set -eu

usage() {
  cat <<'EOF'
usage: install.sh [options]
  --prefix DIR   install below DIR instead of / (staging, tests)
  --bundle FILE  the runner bundle (default $ONEHA_BUNDLE, else dist/oneha.mjs);
                 its chunks and the drop-in, oneha-*.mjs and oneha-dropin.cjs beside it, are installed with it
  --no-chown     leave files owned by the installing user
  --activate     also create the hook and enable the service (prefix / only)
  --sunstone-runner URL
                 the runner's URL as browsers reach it, for the Sunstone plugin
                 (installed when FireEdge is: etc/one/fireedge/sunstone exists)
  --uninstall    remove program files; keep configuration, secrets and journal
  --purge        with --uninstall: remove /etc/oneha and /var/lib/oneha too
EOF
}

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
prefix=/ bundle=${ONEHA_BUNDLE:-$repo/dist/oneha.mjs}
chown_to=auto activate=no uninstall=no purge=no sunstone_runner=
while [ "$#" -gt 0 ]; do
  case $1 in
    --prefix) [ "$#" -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift ;;
    --prefix=*) prefix=${1#*=} ;;
    --bundle) [ "$#" -ge 2 ] || die "--bundle needs a file"; bundle=$2; shift ;;
    --bundle=*) bundle=${1#*=} ;;
    --no-chown) chown_to=no ;;
    --activate) activate=yes ;;
    --uninstall) uninstall=yes ;;
    --purge) purge=yes ;;
    --sunstone-runner) [ "$#" -ge 2 ] || die "--sunstone-runner needs a URL"; sunstone_runner=$2; shift ;;
    --sunstone-runner=*) sunstone_runner=${1#*=} ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
case $prefix in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
root=${prefix%/}
[ "$activate" = no ] || [ -z "$root" ] || die "--activate only with --prefix /"
[ "$purge" = no ] || [ "$uninstall" = yes ] || die "--purge goes with --uninstall"

lib=$root/usr/lib/oneha
cli=$root/usr/bin/oneha
unit=$root/etc/systemd/system/oneha.service
hooks=$root/var/lib/one/remotes/hooks/oneha
share=$root/usr/share/oneha
doc=$root/usr/share/doc/oneha
etc=$root/etc/oneha
data=$root/var/lib/oneha
# FireEdge's packaged layout: its remote modules and its Sunstone configuration.
fe_modules=$root/usr/lib/one/fireedge/dist/modules
fe_sunstone=$root/etc/one/fireedge/sunstone

# As oneadmin when run as root (the hook and the runner run as oneadmin).
as_oneadmin() {
  if [ "$(id -u)" -eq 0 ]; then su oneadmin -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

# Hooks other than oneha's own that act on a host entering ERROR (the stock
# host_error hook): "ID<TAB>NAME<TAB>COMMAND" lines. oneha must replace such a
# hook's COMMAND, never add a second hook acting on the same failure.
host_error_hooks() {
  command -v onehook >/dev/null 2>&1 || return 0
  command -v xmllint >/dev/null 2>&1 || { say "note: xmllint is missing: check 'onehook list' for a host_error hook yourself" >&2; return 0; }
  pool=$(as_oneadmin 'onehook list -x' 2>/dev/null) || return 0
  match="//HOOK[TYPE='state' and TEMPLATE/RESOURCE='HOST' and TEMPLATE/STATE='ERROR' and NAME!='oneha_host_error']"
  n=$(printf '%s' "$pool" | xmllint --xpath "count($match)" - 2>/dev/null) || return 0
  i=1 tab=$(printf '\t')
  while [ "$i" -le "${n%.*}" ]; do
    printf '%s' "$pool" | xmllint --xpath "concat(${match}[$i]/ID, '$tab', ${match}[$i]/NAME, '$tab', ${match}[$i]/TEMPLATE/COMMAND)" - 2>/dev/null
    printf '\n'
    i=$((i + 1))
  done
}

# --- uninstall ----------------------------------------------------------------
if [ "$uninstall" = yes ]; then
  # The Sunstone plugin first: its remotes-config.yaml entry goes before its files.
  if [ -f "$fe_sunstone/remotes-config.yaml" ]; then
    "$here/sunstone/plugin.sh" uninstall --modules "$fe_modules" --sunstone "$fe_sunstone"
  fi
  # Stop the service while its unit file still exists (disabling needs it).
  if [ "$activate" = yes ] || { [ -z "$root" ] && command -v systemctl >/dev/null 2>&1; }; then
    systemctl disable --now oneha 2>/dev/null || true
  fi
  if [ "$activate" = yes ]; then
    as_oneadmin 'onehook delete oneha_host_error' || true
    as_oneadmin 'onehook delete oneha_probe' || true
  fi
  rm -f "$lib/oneha.mjs" "$lib"/oneha-*.mjs "$lib"/oneha-*.cjs "$cli" "$unit" "$hooks/onehook.sh" "$hooks/host_error.sh" \
    "$share/host_error.hook" "$share/probe.hook" "$share/oneha.env.example" "$share/oneha.json.example"
  rm -f "$doc"/*.md
  for dir in "$lib" "$hooks" "$share" "$doc"; do
    [ ! -d "$dir" ] || rmdir "$dir" 2>/dev/null || say "kept $dir (not empty)"
  done
  if [ "$purge" = yes ]; then
    rm -rf "$etc" "$data"
    say "purged $etc and $data"
  else
    # Configuration the operator never changed goes; changed configuration,
    # secrets (token, hook.env, secrets.json) and the journal stay.
    cmp -s "$etc/oneha.env" "$here/oneha.env.example" 2>/dev/null && rm -f "$etc/oneha.env"
    cmp -s "$etc/oneha.json" "$here/oneha.json.example" 2>/dev/null && rm -f "$etc/oneha.json"
    say "kept $etc (secrets, changed configuration) and $data (journal); --purge removes them"
  fi
  if [ -z "$root" ] && command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload 2>/dev/null || true; fi
  [ "$activate" = yes ] || say "if they exist, also remove oneha's hooks (as oneadmin):
  onehook delete oneha_host_error; onehook delete oneha_probe
or, if you switched the host_error hook to oneha, switch its COMMAND back (docs/upgrade-from-host_error.md)"
  exit 0
fi

# --- install ------------------------------------------------------------------
[ -f "$bundle" ] || die "no runner bundle at $bundle: run 'npm run build' first, or pass --bundle / ONEHA_BUNDLE"
if [ "$chown_to" = auto ]; then
  if ! id oneadmin >/dev/null 2>&1; then
    chown_to=no; say "note: no oneadmin user here; files stay owned by $(id -un)"
  elif [ "$(id -u)" -ne 0 ]; then
    chown_to=no; say "note: not root; files stay owned by $(id -un) (chown them to oneadmin)"
  else
    chown_to=oneadmin:$(id -gn oneadmin)
  fi
fi

umask 022
# put MODE SOURCE DEST: replace DEST atomically with a copy of SOURCE.
put() {
  mkdir -p "$(dirname "$3")"
  cp "$2" "$3.new" && chmod "$1" "$3.new" && mv -f "$3.new" "$3"
}
# once MODE SOURCE DEST: copy only when DEST does not exist yet.
once() {
  if [ -e "$3" ]; then say "kept $3"; else put "$@"; say "created $3"; fi
}

# The runner bundle is split (build.mjs): the entry loads each command's code
# from oneha-*.mjs chunks beside it (the drop-in is oneha-dropin.cjs). Chunk
# names carry a content hash, so the new ones go in first, then the entry that
# names them, then the previous build's chunks go.
chunks=
for f in "$(dirname "$bundle")"/oneha-*.mjs "$(dirname "$bundle")"/oneha-*.cjs; do
  [ -f "$f" ] || continue
  put 0644 "$f" "$lib/${f##*/}"
  chunks="$chunks ${f##*/} "
done
put 0644 "$bundle" "$lib/oneha.mjs"
for f in "$lib"/oneha-*.mjs "$lib"/oneha-*.cjs; do
  [ -f "$f" ] || continue
  case $chunks in *" ${f##*/} "*) ;; *) rm -f "$f" ;; esac
done
put 0755 "$here/bin/oneha" "$cli"
put 0644 "$here/systemd/oneha.service" "$unit"
put 0755 "$here/onehook/onehook.sh" "$hooks/onehook.sh"
put 0755 "$here/onehook/host_error_foreground.sh" "$hooks/host_error.sh"
put 0644 "$here/onehook/host_error.hook" "$share/host_error.hook"
put 0644 "$here/onehook/probe.hook" "$share/probe.hook"
put 0644 "$here/oneha.env.example" "$share/oneha.env.example"
put 0644 "$here/oneha.json.example" "$share/oneha.json.example"
for f in "$repo"/docs/*.md; do
  [ ! -f "$f" ] || put 0644 "$f" "$doc/$(basename "$f")"
done

mkdir -p "$etc" "$data"
chmod 0750 "$etc" "$data"
once 0600 "$here/oneha.env.example" "$etc/oneha.env"
once 0640 "$here/oneha.json.example" "$etc/oneha.json"

# Secrets: created once, mode 0600, never printed.
umask 077
if [ ! -s "$etc/token" ]; then
  od -An -vtx1 -N32 /dev/urandom | tr -d ' \n' >"$etc/token.new"
  mv -f "$etc/token.new" "$etc/token"
  say "created $etc/token"
fi
token=$(cat "$etc/token")
listen=$(sed -n 's/^ONEHA_LISTEN=//p' "$etc/oneha.env" | tail -n 1 | tr -d '"')
listen=${listen:-127.0.0.1:2720}
case $listen in 0.0.0.0:* | :*) listen=127.0.0.1:${listen##*:} ;; esac
url=http://$listen
if [ -f "$etc/hook.env" ]; then
  url=$(sed -n 's/^ONEHA_URL=//p' "$etc/hook.env" | tail -n 1 | tr -d '"')
  url=${url:-http://$listen}
fi
if ! grep -qx "ONEHA_TOKEN=$token" "$etc/hook.env" 2>/dev/null; then
  printf 'ONEHA_URL=%s\nONEHA_TOKEN=%s\n' "$url" "$token" >"$etc/hook.env.new"
  mv -f "$etc/hook.env.new" "$etc/hook.env"
  say "wrote $etc/hook.env (runner at $url)"
fi
[ -e "$etc/secrets.json" ] || { printf '{}\n' >"$etc/secrets.json"; say "created $etc/secrets.json"; }
chmod 0600 "$etc/token" "$etc/hook.env" "$etc/secrets.json"

if [ "$chown_to" != no ]; then
  chown "$chown_to" "$etc" "$etc/oneha.env" "$etc/oneha.json" "$etc/token" \
    "$etc/hook.env" "$etc/secrets.json" "$data"
fi

# The Sunstone plugin, where FireEdge is installed (deploy/sunstone/plugin.sh: files first, entry last).
if [ -f "$fe_sunstone/remotes-config.yaml" ]; then
  module=$repo/dist/sunstone/OnehaModule/remoteEntry.js
  [ -f "$module" ] || die "no Sunstone plugin at $module: run 'npm run build' first"
  "$here/sunstone/plugin.sh" install --modules "$fe_modules" --sunstone "$fe_sunstone" --module "$module" \
    --runner "${sunstone_runner:-http://$listen}"
  say "Sunstone plugin: add FireEdge's origin (as browsers see it) to plugin.allowedOrigins in $etc/oneha.json,
  and make the runner reachable from browsers at ${sunstone_runner:-http://$listen} (--sunstone-runner)"
fi

say "installed oneha into ${root:-/}"
# The probe hook (an API hook: readiness's proof that oned's hook manager reaches the runner) goes with either way below.
create_probe="onehook show oneha_probe >/dev/null 2>&1 || onehook create /usr/share/oneha/probe.hook"
existing=$(host_error_hooks)
if [ -n "$existing" ]; then
  # Switch the existing hook to oneha's script: same stdin ($TEMPLATE and its
  # flags), one hook, one recovery per failure.
  ids=$(printf '%s\n' "$existing" | cut -f1 | tr '\n' ' ')
  printf '%s\n' "$existing" | while IFS="$(printf '\t')" read -r id name cmd; do
    say "found hook $id ($name, COMMAND $cmd) acting on host ERROR: oneha takes it over instead of adding a second hook"
  done
  update_file=/tmp/oneha-hook-update.txt
  if [ "$activate" = yes ]; then
    printf '%s\n' 'COMMAND = "oneha/onehook.sh"' 'TIMEOUT = "60"' >"$update_file"
    for id in $ids; do as_oneadmin "onehook update $id $update_file -a"; say "hook $id now runs oneha/onehook.sh"; done
    as_oneadmin "$create_probe"
    systemctl daemon-reload && systemctl enable --now oneha
  else
    say "to finish:
  systemctl daemon-reload && systemctl enable --now oneha
  printf '%s\\n' 'COMMAND = \"oneha/onehook.sh\"' 'TIMEOUT = \"60\"' > $update_file"
    for id in $ids; do say "  su oneadmin -s /bin/sh -c 'onehook update $id $update_file -a'"; done
    say "  su oneadmin -s /bin/sh -c '$create_probe'"
    say "(or run install.sh --activate, which does exactly that; a second host-error hook would act on the same failures)"
  fi
elif [ "$activate" = yes ]; then
  as_oneadmin "onehook show oneha_host_error >/dev/null 2>&1 || onehook create /usr/share/oneha/host_error.hook"
  as_oneadmin "$create_probe"
  systemctl daemon-reload && systemctl enable --now oneha
else
  say "to finish:
  systemctl daemon-reload && systemctl enable --now oneha
  su oneadmin -s /bin/sh -c 'onehook create /usr/share/oneha/host_error.hook'
  su oneadmin -s /bin/sh -c 'onehook create /usr/share/oneha/probe.hook'
(or run install.sh --activate)"
fi
