#!/usr/bin/env bash
# The throwaway Slurm (tests/slurm/slurm.sh) runs what the nightly shards will
# need (issue 20): a 4-task job array, each task told its index, and a job
# chained with --dependency=afterok that starts only after every task ended
# well — and one that never starts after a task failed. Usage: array_order.sh STATE_DIR
set -euo pipefail
STATE=$1
SLURM=$(dirname "$0")/slurm.sh
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
run() { "$SLURM" exec "$STATE" "$@"; }
jobs_dir=$(run printenv RECON_SLURM_JOBS)
work=$(mktemp -d "$jobs_dir/array.XXXXXX")
chmod 755 "$work"

cat >"$work/task.sh" <<'SH'
#!/bin/bash
#SBATCH --array=0-3
#SBATCH --job-name=recon-shard-test
#SBATCH --output=/dev/null
sleep 0.$((RANDOM % 5))
echo "$SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT $(date +%s.%N)" >"$WORK/task-$SLURM_ARRAY_TASK_ID"
[ "${FAIL_TASK:-}" != "$SLURM_ARRAY_TASK_ID" ]
SH
cat >"$work/merge.sh" <<'SH'
#!/bin/bash
#SBATCH --job-name=recon-merge-test
#SBATCH --output=/dev/null
echo "merge $(date +%s.%N)" >"$WORK/merge"
SH

# wait_gone JOB...: until squeue no longer lists them (60 s at most)
wait_gone() {
	local tries=0
	while [ -n "$(run squeue -h -j "$(
		IFS=,
		echo "$*"
	)" -o %i 2>/dev/null)" ]; do
		tries=$((tries + 1))
		((tries < 600)) || fail "jobs $* still queued after 60 s: $(run squeue)"
		sleep 0.1
	done
}

# all four tasks, then the merge
array=$(run env WORK="$work" sbatch --parsable --export=ALL "$work/task.sh")
merge=$(run env WORK="$work" sbatch --parsable --export=ALL --dependency=afterok:"$array" "$work/merge.sh")
wait_gone "$array" "$merge"
for i in 0 1 2 3; do
	[ -f "$work/task-$i" ] || fail "array task $i did not run"
	read -r idx _ count t <"$work/task-$i"
	[ "$idx" = "$i" ] && [ "$count" = 4 ] || fail "task $i was told '$idx of $count'"
	last=$(printf '%s\n' "$t" "${last:-0}" | sort -g | tail -1)
done
[ -f "$work/merge" ] || fail "the merge job did not run after the array"
read -r _ m <"$work/merge"
[ "$(printf '%s\n' "$m" "$last" | sort -g | tail -1)" = "$m" ] || fail "the merge ran before the last task ended"

# a failed task: the merge never runs (afterok can no longer be met)
rm -f "$work"/task-* "$work/merge"
array=$(run env WORK="$work" FAIL_TASK=2 sbatch --parsable --export=ALL "$work/task.sh")
merge=$(run env WORK="$work" sbatch --parsable --export=ALL --dependency=afterok:"$array" \
	--kill-on-invalid-dep=yes "$work/merge.sh")
wait_gone "$array" "$merge"
[ -f "$work/task-2" ] || fail "the failing task did not run"
[ ! -f "$work/merge" ] || fail "the merge ran although task 2 failed"
echo "ok: a 4-task array ran, each task told its index, the merge after the last; no merge after a failed task"
