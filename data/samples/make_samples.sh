#!/usr/bin/env sh
# Regenerates the bundled SIMULATED sample recordings (deterministic seeds).
set -eu
cd "$(dirname "$0")"
kinewrite simulate --task spiral   --seed 11 --tremor-hz 6.3 --tremor-mm 0.3 -o spiral_tremor_6.3hz.csv
kinewrite simulate --task spiral   --seed 12 -o spiral_smooth.csv
kinewrite simulate --task loops    --seed 13 --loop-hz 2.5 -o loops_2.5hz.csv
kinewrite simulate --task sentence --seed 14 --pressure-mean 0.55 --pressure-drift-per-s 0.03 -o sentence_pressure_drift.csv
kinewrite simulate --task circles  --seed 15 -o circles.csv
kinewrite simulate --task lines    --seed 16 -o lines.csv
