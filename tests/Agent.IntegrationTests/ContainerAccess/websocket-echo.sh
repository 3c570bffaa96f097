#!/bin/sh
# A websocket echo server for one connection on stdin/stdout (nc -ll -e): the RFC 6455 handshake, then every
# text frame the client sends (masked, under 126 bytes) comes back unmasked, until a close frame.
key=""
while IFS= read -r line; do
  line=$(printf '%s' "$line" | tr -d '\r')
  [ -z "$line" ] && break
  case "$line" in [Ss]ec-[Ww]eb[Ss]ocket-[Kk]ey:*) key=$(printf '%s' "${line#*:}" | tr -d ' ');; esac
done
accept=$(printf '%s' "${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11" | sha1sum | cut -d' ' -f1 | xxd -r -p | base64)
printf 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n' "$accept"
while :; do
  set -- $(dd bs=1 count=2 2>/dev/null | od -An -tu1)
  [ $# -eq 2 ] || exit 0
  opcode=$(($1 & 15)); len=$(($2 & 127))
  set -- $(dd bs=1 count=4 2>/dev/null | od -An -tu1)
  m0=$1 m1=$2 m2=$3 m3=$4
  out=""; i=0
  for b in $(dd bs=1 count=$len 2>/dev/null | od -An -tu1); do
    case $((i % 4)) in 0) k=$m0;; 1) k=$m1;; 2) k=$m2;; 3) k=$m3;; esac
    out="$out\\$(printf '%03o' $((b ^ k)))"; i=$((i + 1))
  done
  [ $opcode -eq 8 ] && { printf '\210\000'; exit 0; }
  printf "\\$(printf '%03o' $((128 | opcode)))\\$(printf '%03o' $len)$out"
done
