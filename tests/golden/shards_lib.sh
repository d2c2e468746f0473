# Helpers of the sharded-night tests (issue 20): a night reconciled as N
# shards and merged must give the bytes and the rows one process gives.
# Sourced after lib.sh.

# dump_db FILE: every row a night writes (recon_* but the shards' own and the
# migrations), as sorted text, without what differs between two runs of the
# same night (serial run ids, times, the run's own directories).
dump_db() {
	local t cols
	: >"$1"
	for t in $(sql "select table_name from information_schema.tables where table_schema = 'public' and table_name like 'recon\_%' and table_name not in ('recon_shards', 'recon_schema_migrations') and table_type = 'BASE TABLE' order by 1"); do
		cols=$(sql "select string_agg(quote_ident(column_name), ', ' order by ordinal_position) from information_schema.columns where table_schema = 'public' and table_name = '$t' and data_type not like 'timestamp%' and column_name not in ('run_id', 'seconds', 'staged_id', 'staged_dir', 'reports_dir', 'inputs')")
		printf '== %s\n' "$t" >>"$1"
		psql -qtAX -c "select $cols from $t" | LC_ALL=C sort >>"$1"
	done
}

# shard_night N DATE CONF [EXPECTED_MERGE_EXIT]: shards 0..N-1 of DATE one after
# another, each must exit 0, then the merge (its exit status as run's).
shard_night() {
	local n=$1 day=$2 conf=$3 want=${4:-}
	local i
	for ((i = 0; i < n; i++)); do
		run_recon 0 run --config "$conf" --date "$day" --shard "$i/$n"
	done
	if [ -n "$want" ]; then
		run_recon "$want" merge --config "$conf" --date "$day" --shards "$n"
	fi
}

# same_tree A B: the same files with the same bytes under both directories.
same_tree() {
	local a=$1 b=$2 f
	if ! diff -r -q "$a" "$b" >"$WORK/tree.diff" 2>&1; then
		fail "$a and $b differ: $(head -c 2000 "$WORK/tree.diff")"
		for f in $(cd "$a" && find . -type f -name '*.csv'); do
			cmp -s "$a/$f" "$b/$f" || diff "$a/$f" "$b/$f" | head -20 >&2
		done
	fi
}
