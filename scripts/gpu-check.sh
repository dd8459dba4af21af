#!/usr/bin/env bash
# The agent against this machine's real GPUs (NVML), end to end on a throwaway platform:
#   1. prints the inventory as NVML reports it;
#   2. starts a local server on a temporary SQLite database and sets it up (init, catalogue,
#      a provider, a data centre);
#   3. cluster A claims the model and count NVML reports: attest, expect a match, list an
#      offer (live);
#   4. cluster B claims another model and one GPU more: attest, expect a mismatch, the
#      cluster suspended and no offer accepted;
#   5. a node cluster A does not claim (this machine under a second host name) attests:
#      expect a mismatch, and cluster A's offer shown as suspended.
# Exits non-zero when any expectation fails. Without a GPU, run it on a recorded inventory:
#   SUANLI_NVML_BACKEND=fake:inventory.json scripts/gpu-check.sh
# Settings: SUANLI and SUANLI_AGENT (the commands; default: on PATH), GPU_CHECK_PORT (8766).
set -euo pipefail

SUANLI=${SUANLI:-suanli}
AGENT=${SUANLI_AGENT:-suanli-agent}
PORT=${GPU_CHECK_PORT:-8766}
WORK=$(mktemp -d /tmp/suanli-gpu-check.XXXXXX)
URL="http://127.0.0.1:$PORT"
export SUANLI_DATABASE_URL="sqlite:///$WORK/platform.db"
export SUANLI_DATA_DIR="$WORK/var"
export SUANLI_SECRET_KEY="gpu-check-$(date +%s)"
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

FAILED=0
check() {  # check DESCRIPTION EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "ok   $1: $3"; else echo "FAIL $1: expected $2, got $3"; FAILED=1; fi
}
api() {  # api METHOD PATH [JSON]: prints the body, then the status code on the last line
  curl --silent --show-error -X "$1" "$URL/api/v1$2" -H "Authorization: Bearer $TOKEN" \
    -H "Content-Type: application/json" -H "Idempotency-Key: gpu-check-$(date +%s%N)-$RANDOM" \
    --data "${3:-{\}}" --write-out '\n%{http_code}'
}
json() { python3 -c "import json, sys; data = json.load(sys.stdin); print($1)"; }

echo "== 1. the inventory as NVML reports it (${SUANLI_NVML_BACKEND:-nvml})"
"$AGENT" inventory | tee "$WORK/inventory.json"
COUNT=$(json 'len(data["gpus"])' < "$WORK/inventory.json")
NAME=$(json 'data["gpus"][0]["name"] if data["gpus"] else ""' < "$WORK/inventory.json")
[ "$COUNT" -gt 0 ] || { echo "FAIL: NVML reports no GPU"; exit 1; }

echo "== 2. a local platform on $SUANLI_DATABASE_URL"
printf 'gpu check password\n' > "$WORK/password"
"$SUANLI" db upgrade >/dev/null
"$SUANLI" init --password-file "$WORK/password" >/dev/null
"$SUANLI" catalog load >/dev/null
"$SUANLI" orgs create check-dc --kind provider --name "GPU check data centre" >/dev/null
"$SUANLI" users create ops --member check-dc:provider --password-file "$WORK/password" >/dev/null
TOKEN=$("$SUANLI" tokens create ops --name gpu-check)
export SUANLI_PROVIDER_TOKEN=$TOKEN
"$SUANLI" serve --port "$PORT" > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do
  curl --silent --fail "$URL/healthz" >/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; echo "FAIL: the server did not start"; exit 1; }
  sleep 0.5
done
MODEL=$(api GET /catalog/accelerators | head -n1 | NAME="$NAME" python3 -c '
import json, os, sys
key = lambda name: " ".join(name.split()).casefold()
print(next((a["model"] for a in json.load(sys.stdin) for n in a["reported_names"]
            if key(n) == key(os.environ["NAME"])), ""))')
if [ -z "$MODEL" ]; then
  echo "FAIL: no catalogue model lists the name '$NAME'; add it to a model's reported names"
  exit 1
fi
OTHER=$([ "$MODEL" = "ascend-910b" ] && echo h20 || echo ascend-910b)
echo "NVML reports $COUNT x '$NAME': catalogue model $MODEL"
DC=$(api POST /providers/data-centres '{"name": "Check DC", "hub_id": "nx-zhongwei", "operator_type": "commercial", "pue": "1.2", "green_share": "0.5", "racks": 10}' | head -n1 | json 'data["id"]')

cluster() {  # cluster NAME MODEL GPUS: registers it, its key and prints its id
  local id
  id=$(api POST /providers/clusters "{\"data_centre_id\": $DC, \"name\": \"$1\", \"accelerator_model\": \"$2\", \"nodes\": 1, \"gpus_per_node\": $3}" | head -n1 | json 'data["id"]')
  "$AGENT" keygen --out "$WORK/$1.key" >/dev/null
  "$AGENT" register --cluster "$id" --key "$WORK/$1.key" --platform "$URL" >/dev/null
  echo "$id"
}
attest() {  # attest NAME ID [extra options]: prints the agent's output, returns its status
  local name=$1 id=$2
  shift 2
  "$AGENT" attest --cluster "$id" --key "$WORK/$name.key" --platform "$URL" "$@"
}
status_of() { api GET "/providers/clusters/$1" | head -n1 | json 'data["status"]'; }

echo "== 3. cluster A claims $COUNT x $MODEL"
A=$(cluster cluster-a "$MODEL" "$COUNT")
set +e; attest cluster-a "$A"; CODE=$?; set -e
check "cluster A attestation exit status (0: match)" 0 "$CODE"
check "cluster A status" listable "$(status_of "$A")"
TIMES=$(python3 -c 'from datetime import datetime, timedelta, timezone; h = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1); print(h.isoformat(), (h + timedelta(hours=48)).isoformat())')
OFFER=$(api POST /market/offers "{\"cluster_id\": $A, \"gpus\": $COUNT, \"start_at\": \"${TIMES% *}\", \"end_at\": \"${TIMES#* }\", \"ask_cny_per_gpu_hour\": \"9.00\"}" | head -n1 | json 'data["id"]')
check "cluster A offer $OFFER" live "$(api GET "/market/offers/$OFFER" | head -n1 | json 'data["status"]')"

echo "== 4. cluster B claims $((COUNT + 1)) x $OTHER"
B=$(cluster cluster-b "$OTHER" $((COUNT + 1)))
set +e; attest cluster-b "$B"; CODE=$?; set -e
check "cluster B attestation exit status (1: mismatch)" 1 "$CODE"
check "cluster B status" suspended "$(status_of "$B")"
check "an offer on cluster B" 409 "$(api POST /market/offers "{\"cluster_id\": $B, \"gpus\": 1, \"start_at\": \"${TIMES% *}\", \"end_at\": \"${TIMES#* }\", \"ask_cny_per_gpu_hour\": \"9.00\"}" | tail -n1)"

echo "== 5. a node cluster A does not claim attests"
set +e; attest cluster-a "$A" --hostname "unclaimed-node"; CODE=$?; set -e
check "unclaimed node's attestation exit status (1: mismatch)" 1 "$CODE"
check "cluster A status" suspended "$(status_of "$A")"
check "cluster A offer $OFFER" suspended "$(api GET "/market/offers/$OFFER" | head -n1 | json 'data["status"]')"

if [ "$FAILED" != 0 ]; then echo "gpu-check: FAILED"; exit 1; fi
echo "gpu-check: all expectations met"
