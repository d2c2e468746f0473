#!/usr/bin/env bash
# A night run as 4 shards on a real Slurm (issue 20): `recon-nightly --slurm 4`
# submits the job array of `recon run --shard I/4` and the merge chained with
# afterok, waits, and the merged reports and rows are those of one `recon run`
# byte for byte — on the demo night and on a generated 200 k-row night, which
# is also run as 4 shards by hand. Then a shard that fails: the merge never
# runs, the wrapper names the shard, nothing is published.
#
#   shards.sh SLURM_STATE RECON ROOT WORK GEN   (inside tests/db/pg.sh exec)
set -euo pipefail
SLURM_STATE=$1
export RECON_TEST_BIN=$2
ROOT=$3
OUT=$4
GEN=$5
SLURM=$ROOT/tests/slurm/slurm.sh
# lib.sh's helpers, with a work directory of their own
source "$ROOT/tests/golden/lib.sh" "$RECON_TEST_BIN" "$ROOT" "$OUT"
source "$ROOT/tests/golden/shards_lib.sh"
BASE=$(cd "$("$SLURM" exec "$SLURM_STATE" printenv RECON_SLURM_JOBS)" && mktemp -d "$PWD/shards.XXXXXX")
chmod 755 "$BASE"

# nightly DIR DATE EXIT: recon-nightly --slurm 4 in DIR (its logs in DIR/logs); the wrapper's
# status is the merge's (discrepancies: 0, as in cron)
nightly() {
	local dir=$1 day=$2 want=$3 got=0
	"$SLURM" exec "$SLURM_STATE" env RECON_SLURM_POLL=0.2 RECON_SBATCH_ARGS=--cpus-per-task=1 RECON_BIN="$RECON" RECON_LOG_DIR="$dir/logs" \
		"$ROOT/cron/recon-nightly" --slurm 4 --config "$dir/recon.conf" --date "$day" >"$dir/nightly.out" 2>&1 || got=$?
	[ "$got" = "$want" ] || fail "recon-nightly --slurm 4 exited $got, expected $want: $(cat "$dir/nightly.out") $(cat "$dir"/logs/*.log)"
}

# ---- the demo night ----
for mode in one slurm; do
	WORK=$BASE/demo-$mode
	mkdir -p "$WORK"
	demo_night "slurm_demo_$mode"
	if [ $mode = one ]; then
		run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02
	else
		nightly "$WORK" 2026-03-02 0
		grep -q "DISCREPANCIES: reconciled, discrepancies found" "$WORK/nightly.out" || fail "wrapper said: $(cat "$WORK/nightly.out")"
	fi
	dump_db "$WORK/db.txt"
	sed -i "s#$WORK#WORK#g" "$WORK/db.txt"
done
WORK=$BASE
same_tree "$BASE/demo-one/reports" "$BASE/demo-slurm/reports"
cmp -s "$BASE/demo-one/db.txt" "$BASE/demo-slurm/db.txt" || fail "demo on Slurm: rows differ: $(diff "$BASE/demo-one/db.txt" "$BASE/demo-slurm/db.txt" | head)"
grep -q "submitted 4 shards of 2026-03-02 as Slurm job array" "$BASE"/demo-slurm/logs/recon-*.log || fail "no submission in the log"
[ "$(grep -c "shard [0-3]/4: .* stored" "$BASE"/demo-slurm/logs/recon-*.log)" = 4 ] || fail "the log lacks the 4 shards: $(cat "$BASE"/demo-slurm/logs/recon-*.log)"

# ---- a generated 200 k-row night: one process, 4 shards by hand, 4 shards on Slurm ----
"$GEN" --rows 200000 --date 2026-03-02 --seed 20 --out "$BASE/gen" >/dev/null
fresh_db slurm_gen_one
load_ledger "$BASE/gen"
psql -q -c "VACUUM ANALYZE" >/dev/null
for mode in hand slurm; do
	psql -q -d postgres -c "drop database if exists slurm_gen_$mode" -c "create database slurm_gen_$mode template slurm_gen_one" >/dev/null
done
for mode in one hand slurm; do
	WORK=$BASE/gen-$mode
	mkdir -p "$WORK"
	export PGDATABASE=slurm_gen_$mode
	cp "$BASE"/gen/bill_* "$WORK"/
	sed -e 's#^reports = .*#reports = reports#' -e 's#^spool = .*#spool = spool#' -e "s#$BASE/gen#$WORK#g" "$BASE/gen/recon.conf" >"$WORK/recon.conf"
	case $mode in
	one) run_recon 1 run --config "$WORK/recon.conf" --date 2026-03-02 ;;
	hand) shard_night 4 2026-03-02 "$WORK/recon.conf" 1 ;;
	slurm) nightly "$WORK" 2026-03-02 0 ;;
	esac
	dump_db "$WORK/db.txt"
	sed -i "s#$WORK#WORK#g" "$WORK/db.txt"
done
WORK=$BASE
[ -s "$BASE/gen-one/reports/2026-03-02/discrepancies.csv" ] || fail "the generated night has no findings"
for mode in hand slurm; do
	same_tree "$BASE/gen-one/reports" "$BASE/gen-$mode/reports"
	cmp -s "$BASE/gen-one/db.txt" "$BASE/gen-$mode/db.txt" || fail "200 k by $mode: rows differ: $(diff "$BASE/gen-one/db.txt" "$BASE/gen-$mode/db.txt" | head -5)"
done

# ---- a shard that fails: no merge, the wrapper names it, nothing published ----
WORK=$BASE/broken
mkdir -p "$WORK"
demo_night slurm_broken
# shard 2's task finds a configuration it cannot read (the others are fine)
cat >"$WORK/recon-bin" <<SH
#!/bin/sh
case "\$*" in *"--shard 2/4"*) exec "$RECON" "\$@" --config /nonexistent/recon.conf ;; esac
exec "$RECON" "\$@"
SH
chmod 755 "$WORK/recon-bin"
got=0
"$SLURM" exec "$SLURM_STATE" env RECON_SLURM_POLL=0.2 RECON_SBATCH_ARGS=--cpus-per-task=1 RECON_BIN="$WORK/recon-bin" RECON_LOG_DIR="$WORK/logs" \
	"$ROOT/cron/recon-nightly" --slurm 4 --config "$WORK/recon.conf" --date 2026-03-02 >"$WORK/nightly.out" 2>&1 || got=$?
[ "$got" = 4 ] || fail "a failed shard: recon-nightly exited $got, expected 4: $(cat "$WORK/nightly.out")"
grep -q "the merge did not run: shard(s) 2 (exit 2) did not end well; nothing published" "$WORK"/logs/recon-*.log ||
	fail "the log does not name shard 2: $(cat "$WORK"/logs/recon-*.log)"
[ ! -e "$WORK/reports/2026-03-02" ] || fail "reports were published after a failed shard"
expect_sql 0 "select count(*) from recon_runs"
rm -rf "$BASE"
finish
