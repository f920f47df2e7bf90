#!/bin/sh
# Migrate, load the demo (real data if mounted at /data, else the synthetic city), write the demo users, then serve.
set -e
mkdir -p /state
if [ -z "${URBANMONITOR_Auth__SigningKey:-}" ]; then
  [ -s /state/jwt-key ] || (umask 077; head -c 32 /dev/urandom | base64 > /state/jwt-key)
  URBANMONITOR_Auth__SigningKey=$(cat /state/jwt-key)
  export URBANMONITOR_Auth__SigningKey
fi
dotnet /app/cli/urbanmonitor.dll migrate --create
dotnet /app/cli/urbanmonitor.dll demo --data "${URBANMONITOR_DATA:-/data}"
dotnet /app/cli/urbanmonitor.dll users demo --out /state/demo-users.json
cd /app/api
exec dotnet /app/api/UrbanMonitor.Api.dll
