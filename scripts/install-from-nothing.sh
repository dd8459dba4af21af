#!/usr/bin/env bash
# Install Suanli from nothing on an empty database (PostgreSQL in production, SQLite works
# too): migrations, the platform organisation and its administrator, the catalogue, a city
# bureau with its first program (from a city preset, published), a regulator, and the first
# provider with a data centre and a cluster. Every step is a documented command or API
# call; the README's "Installing from nothing" walks through the same steps.
#
# Usage:
#   export SUANLI_DATABASE_URL=postgresql+psycopg://USER:PASSWORD@HOST:5432/suanli
#   export SUANLI_SECRET_KEY=...            # the one the server will run with
#   INSTALL_PASSWORD_FILE=first-passwords.txt scripts/install-from-nothing.sh
#
# Settings (environment): SUANLI (the command, default: suanli), INSTALL_PASSWORD_FILE
# (first line: the password of every user made here; each should change it with
# `suanli users reset-password`), INSTALL_PORT (a free local port for the API steps,
# default 8765), CITY (default shanghai), PRESET (a key of GET /api/v1/programs/presets,
# default: CITY), HUB (the data centre's hub, default yrd-demo-zone), MODEL (the cluster's
# accelerator, default h20). A second run stops at `suanli init`, which refuses to run twice.
set -euo pipefail

SUANLI=${SUANLI:-suanli}
PASSWORDS=${INSTALL_PASSWORD_FILE:?set INSTALL_PASSWORD_FILE to a file holding the first password}
PORT=${INSTALL_PORT:-8765}
CITY=${CITY:-shanghai}
PRESET=${PRESET:-$CITY}
HUB=${HUB:-yrd-demo-zone}
MODEL=${MODEL:-h20}
API="http://127.0.0.1:$PORT/api/v1"
: "${SUANLI_DATABASE_URL:?set SUANLI_DATABASE_URL to the (empty) database}"

step() { printf '\n== %s\n' "$*"; }
run() { echo "+ suanli $*"; $SUANLI "$@"; }
# api METHOD PATH TOKEN [JSON]: one JSON call with an Idempotency-Key; prints the answer,
# fails on any status but 2xx.
api() {
  local body=${4:-"{}"}
  curl --silent --show-error --fail-with-body -X "$1" "$API$2" \
    -H "Authorization: Bearer $3" -H "Content-Type: application/json" \
    -H "Idempotency-Key: install-$(date +%s%N)-$RANDOM" --data "$body"
}
field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }

step "1. the schema"
run db upgrade

step "2. the platform organisation and its first administrator"
run init --org-slug platform --org-name "Municipal compute dispatch centre" --username admin \
  --name "Platform administrator" --password-file "$PASSWORDS"

step "3. the accelerator catalogue, hubs and cities"
run catalog load

step "4. the first organisations and their users"
run orgs create city-bureau --kind authority --city "$CITY" \
  --name "$CITY Science and Technology Commission"
run users create bureau-admin --name "Program administrator" \
  --member city-bureau:program_admin --member city-bureau:reviewer --password-file "$PASSWORDS"
run orgs create regulator --kind regulator --name "Municipal audit office"
run users create auditor --name "Auditor" --member regulator:auditor --password-file "$PASSWORDS"
run orgs create first-dc --kind provider --name "First data centre operator"
run users create dc-ops --name "Data centre operations" --member first-dc:provider \
  --password-file "$PASSWORDS"

step "5. the API steps, on a local server started for them"
BUREAU_TOKEN=$($SUANLI tokens create bureau-admin --name install --expires-in-days 1)
DC_TOKEN=$($SUANLI tokens create dc-ops --name install --expires-in-days 1)
$SUANLI serve --host 127.0.0.1 --port "$PORT" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl --silent --fail "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { echo "error: the server did not start" >&2; exit 1; }
  sleep 0.5
done

step "6. the first program, from the $PRESET preset, published"
PROGRAM=$(api POST "/programs/presets/$PRESET" "$BUREAU_TOKEN" | field id)
api POST "/programs/$PROGRAM/status" "$BUREAU_TOKEN" '{"status": "published"}' >/dev/null
echo "program $PROGRAM published"

step "7. the first data centre and cluster"
DC=$(api POST /providers/data-centres "$DC_TOKEN" "{\"name\": \"First data centre\", \
  \"hub_id\": \"$HUB\", \"operator_type\": \"commercial\", \"pue\": \"1.25\", \
  \"green_share\": \"0.3\", \"racks\": 100}" | field id)
CLUSTER=$(api POST /providers/clusters "$DC_TOKEN" "{\"data_centre_id\": $DC, \
  \"name\": \"$MODEL-01\", \"accelerator_model\": \"$MODEL\", \"nodes\": 1, \
  \"gpus_per_node\": 8, \"interconnect\": \"NVLink\"}" | field id)
echo "data centre $DC, cluster $CLUSTER"

step "done"
cat <<EOF
Installed. Logins: admin, bureau-admin, auditor, dc-ops (password from $PASSWORDS; change
each with: suanli users reset-password NAME). Serve with: suanli serve --host 0.0.0.0.
Next, on each GPU node of cluster $CLUSTER (pip install ./agent):
  suanli-agent keygen --out cluster.key
  suanli-agent register --cluster $CLUSTER --key cluster.key --platform URL --provider-token TOKEN
  suanli-agent attest   --cluster $CLUSTER --key cluster.key --platform URL --provider-token TOKEN
EOF
