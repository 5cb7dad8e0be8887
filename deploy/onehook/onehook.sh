#!/bin/sh
# oneha host-error hook: hand the hook's stdin ("<base64 host XML> <flags>")
# to the oneha runner, unchanged, and report what the runner answered.
# Run by oneha's probe hook (probe.hook, an API hook: stdin "<base64 CALL_INFO>"),
# it posts that test event to the runner's probe endpoint instead.
#
#   ONEHA_HOOK_ENV     file with ONEHA_URL= and ONEHA_TOKEN= (default /etc/oneha/hook.env,
#                      readable by oneadmin only)
#   ONEHA_HOOK_BUDGET  seconds to keep retrying an unreachable/busy runner (default 50;
#                      keep it under the hook's TIMEOUT)
#
# Exit: 0 accepted, 1 local problem, 2 wrong token, 3 payload rejected, 4 runner unreachable.
set -u

env_file=${ONEHA_HOOK_ENV:-/etc/oneha/hook.env}
budget=${ONEHA_HOOK_BUDGET:-50}

fail() { printf 'oneha: %s\n' "$2" >&2; exit "$1"; }

# The settings file is data, not a script: read the two keys, strip optional quotes.
[ -r "$env_file" ] || fail 1 "cannot read $env_file"
url='' token=''
while IFS='=' read -r key value || [ -n "$key" ]; do
  value=${value%\"}; value=${value#\"}
  case $key in
    ONEHA_URL) url=${value%/} ;;
    ONEHA_TOKEN) token=$value ;;
  esac
done < "$env_file"
[ -n "$url" ] || fail 1 "ONEHA_URL is not set in $env_file"
case $token in
  '' | *[!A-Za-z0-9._~+/=-]*) fail 1 "ONEHA_TOKEN in $env_file is missing or has odd characters" ;;
esac
case $budget in '' | *[!0-9]*) fail 1 "ONEHA_HOOK_BUDGET must be whole seconds" ;; esac

# Read stdin once, byte for byte (the x keeps trailing newlines), so every try sends
# the same bytes. With ARGUMENTS_STDIN=no the payload arrives on argv instead.
if [ "$#" -gt 0 ]; then
  payload=$*
else
  payload=$(cat; printf x); payload=${payload%x}
fi
[ -n "$payload" ] || fail 1 "empty hook payload (is ARGUMENTS_STDIN = yes in the hook?)"

# An API hook's $API is the base64 of "<CALL_INFO>...": these 14 characters whatever follows.
case $payload in
  PENBTExfSU5GTz*) endpoint=/v1/hooks/probe ;;
  *) endpoint=/v1/hooks/host-error ;;
esac

# One POST. The token goes to curl as a config file on fd 3, never on argv (ps);
# -q: no ~/.curlrc, and no proxy for a runner on this machine.
# Prints the response body, a newline and the HTTP status (000 = no answer).
post() {
  printf '%s' "$payload" |
    curl -q --silent --noproxy 127.0.0.1,localhost,::1 --config /dev/fd/3 \
      --connect-timeout "$1" --max-time "$2" \
      -H 'Content-Type: text/plain' --data-binary @- \
      --write-out '\n%{http_code}' "$url$endpoint" 2>/dev/null 3<<EOF
header = "Authorization: Bearer $token"
EOF
}

# Pull a string field out of the runner's JSON answer (flat values, no jq needed).
field() {
  printf '%s' "$body" | sed -n -E 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"(([^"\\]|\\.)*)".*/\1/p' |
    sed 's/\\"/"/g' | head -n 1
}

# Retry while the runner is down or busy, with backoff (1, 2, 4, 5, 5... s), until
# the budget is spent (whole seconds, so give or take one).
deadline=$(($(date +%s) + budget))
delay=1 last=''
while :; do
  left=$((deadline - $(date +%s)))
  if [ "$left" -le 0 ]; then
    [ -z "$last" ] || fail 4 "runner unreachable at $url for ${budget}s (last: $last)"
    left=1 # budget 0: one try
  fi
  connect=5; [ "$left" -lt "$connect" ] && connect=$left
  answer=$(post "$connect" "$left"); rc=$?
  status=${answer##*"
"}
  body=${answer%"$status"}; body=${body%"
"}

  case $status in
    2??)
      probe=$(field probe)
      [ -z "$probe" ] || { printf 'oneha: probe %s\n' "$probe"; exit 0; }
      id=$(field recoveryId)
      [ -n "$id" ] || { printf '%s\n' "$body"; exit 0; }
      link=$(field link)
      printf 'oneha: recovery %s %s%s\n' "$id" "$(field status)" "${link:+ $url$link}"
      exit 0 ;;
    401 | 403) fail 2 "wrong token ($status)" ;;
    408 | 429 | 5??) last="HTTP $status" ;; # starting, busy or cannot accept
    000) case $rc in                        # no answer at all
        6) last='cannot resolve host' ;;
        7) last='connection refused' ;;
        28) last='timed out' ;;
        *) last="curl exit $rc" ;;
      esac ;;
    *)
      msg=$(field message)
      [ -n "$msg" ] || msg=$(printf '%s' "$body" | head -c 200)
      fail 3 "payload rejected: ${msg:-HTTP $status} ($status)" ;;
  esac

  left=$((deadline - $(date +%s)))
  nap=$delay; [ "$nap" -lt "$left" ] || nap=$left
  [ "$nap" -le 0 ] || sleep "$nap"
  delay=$((delay * 2)); [ "$delay" -le 5 ] || delay=5
done
