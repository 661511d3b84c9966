#!/usr/bin/env bash
# The `make run` demo: mines the bundled Online Retail sample with the
# single-process `quarry mine` and prints what a shop would want to know.
set -euo pipefail
quarry=${1:?usage: demo.sh QUARRY SAMPLE}
sample=${2:?usage: demo.sh QUARRY SAMPLE}
out=${QUARRY_DEMO_OUT:-out/demo}
mkdir -p "$out"

echo "== Sample: $sample (UCI Online Retail, Dec 2010; see testdata/README.md)"
echo
echo "== Top 10 cross-sell rules by lift (support >= 1.5% of orders, confidence >= 60%, up to 3 items)"
"$quarry" mine rules --input "$sample" --min-support 0.015 --max-size 3 --min-confidence 0.6 \
  --single-consequent --sort lift --top 10 --output-format text --output - --log-level warn
"$quarry" mine rules --input "$sample" --min-support 0.015 --max-size 3 --min-confidence 0.6 \
  --output "$out/rules.jsonl" --log-level warn
echo
# The Online Retail sample covers one week; the groceries sample covers two
# years of 975 store members, which is what sequences need.
groceries=testdata/groceries-sample.csv.gz
echo "== What customers buy next: top sequential patterns in $groceries (>= 1% of members, next visit 1 to 60 days later)"
"$quarry" mine sequences --input "$groceries" --customer Member_number --time Date --item itemDescription \
  --min-support 0.01 --min-gap 1 --max-gap 60 --output "$out/sequences.jsonl" --log-level warn
"$quarry" mine sequences --input "$groceries" --customer Member_number --time Date --item itemDescription \
  --min-support 0.01 --min-gap 1 --max-gap 60 --sort support --output-format text --output - --log-level warn |
  grep -- '->' | head -n 10
echo
echo "== Customer segments in $sample: k-means|| over log-scaled RFM features, k chosen by silhouette"
"$quarry" mine segments --input "$sample" --k auto --seed 1 --customers "$out/customers.jsonl" \
  --output-format text --output - --log-level warn
"$quarry" mine segments --input "$sample" --k auto --seed 1 --output "$out/segments.json" --log-level warn
echo
echo "== The sample as a versioned, partitioned dataset (store: $out/store)"
rm -rf "$out/store"
"$quarry" dataset import "$sample" --name retail --partitions 4 --store "$out/store" --log-level warn
"$quarry" dataset describe retail --store "$out/store" | sed -n '1,12p'
echo
echo "== The same on the embedded cluster: quarry dev --demo"
echo "   (etcd, a raft coordinator and two gRPC workers in one process, on loopback;"
echo "    import, rules, sequences, segments and model jobs; then it serves until Ctrl-C)"
echo "   The single-process results above are in $out/ (JSON Lines)."
rm -rf "$out/dev"
export PATH="$(dirname "$quarry"):$PATH"
exec "$quarry" dev --demo --data-dir "$out/dev" --demo-input "$sample" --log-level warn
