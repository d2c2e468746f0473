# Sourced by the throwaway servers of the tests (tests/db/pg.sh,
# tests/fetch/server.sh, tests/fetch/sftp.sh): each is called as
#   NAME start STATE_DIR [ARG] | NAME stop STATE_DIR | NAME exec STATE_DIR CMD [ARG]...
# and defines start_service STATE [ARG], stop_service STATE and
# check_exec STATE (refuses an exec whose STATE_DIR/env is missing or bad),
# then ends with service_main "$@". exec runs CMD with the variables of
# STATE_DIR/env exported.

die() {
	echo "$SERVICE: $*" >&2
	exit 1
}

# running PID: a zombie counts as stopped: whoever adopted it may reap it late.
running() {
	local st
	st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n "$st" && "$st" != Z ]]
}

# stop_pid PID: SIGTERM, up to 5 s to go, then SIGKILL.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	local tries=0
	while running "$1" && ((tries < 50)); do
		sleep 0.1
		tries=$((tries + 1))
	done
	if running "$1"; then
		kill -KILL "$1" 2>/dev/null || true
	fi
}

service_main() {
	[[ $# -ge 2 ]] || die "usage: $USAGE"
	local cmd=$1 state=$2
	shift 2
	case "$cmd" in
	start)
		start_service "$state" "$@"
		;;
	stop)
		stop_service "$state"
		;;
	exec)
		[[ $# -ge 1 ]] || die "exec: no command given"
		check_exec "$state"
		set -a
		# shellcheck disable=SC1091
		. "$state/env"
		set +a
		exec "$@"
		;;
	*)
		die "unknown command '$cmd' (start, stop or exec)"
		;;
	esac
}
