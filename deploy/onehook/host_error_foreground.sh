#!/bin/sh
# oneha as a foreground drop-in for ft/host_error.rb: point the existing
# host_error hook's COMMAND here (ARGUMENTS and ARGUMENTS_STDIN unchanged).
# It runs the whole recovery inside the hook, like host_error.rb, and fences
# with the operator's existing ft/fence_host.sh (base64 host XML on stdin).
# The hook must not have a short TIMEOUT: -p 5 alone waits 5 monitoring cycles.
# /usr/bin/oneha reads /etc/oneha/oneha.env, so the runner's settings apply
# (ONEHA_CLI names another oneha command, e.g. of a staged install.sh --prefix).
# The hooks folder from $0 without a subshell or dirname (each fork is a few ms of the hook's start),
# cut as text: with oneha/ a symlink, "oneha/.." would be the parent of its target, not this hooks folder.
case $0 in
  */*/*) hooks=${0%/*/*} ;;
  */*) hooks=$PWD ;;
  *) hooks=$PWD/.. ;;
esac
exec "${ONEHA_CLI:-/usr/bin/oneha}" hook host-error \
  --fence-command "${ONEHA_FENCE_COMMAND:-$hooks/ft/fence_host.sh}" "$@"
