#!/usr/bin/env bash
# Throwaway single-node Slurm for the tests (issue 20: shards run by Slurm),
# from Debian's packages (slurm-wlm, munge), started and stopped like the
# throwaway PostgreSQL (tests/db/pg.sh). Usage:
#   slurm.sh start STATE_DIR      munged, slurmctld and slurmd under a scratch directory of their own;
#                                 writes STATE_DIR/env (SLURM_CONF)
#   slurm.sh exec  STATE_DIR CMD  runs CMD (sbatch, squeue, ...) with that environment
#   slurm.sh stop  STATE_DIR      stops the daemons and removes their files
# Everything lives under mktemp -d /tmp/recon-slurm.XXXXXX: its own munge key
# and socket, non-default ports, no cgroups (proctrack/linuxproc), so it
# neither needs nor touches a system Slurm. Runs as root (slurmd starts the
# jobs' processes as their submitter; munged runs as the munge user).
SERVICE=slurm.sh
USAGE="slurm.sh start|stop STATE_DIR | slurm.sh exec STATE_DIR CMD [ARG]..."
# shellcheck source=../service_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

need() {
	command -v "$1" >/dev/null 2>&1 || [[ -x "/usr/sbin/$1" ]] ||
		die "$1 is missing: install slurm-wlm and munge (scripts/bootstrap.sh does)"
}

# stop_by_pidfile FILE: stops the process it names, if it still runs.
stop_by_pidfile() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	[[ $pid =~ ^[0-9]+$ ]] && stop_pid "$pid"
}

stop_cluster() {
	local state=$1
	[[ -f "$state/env" ]] || return 0
	local dir
	dir=$(sed -n 's/^RECON_SLURM_DIR=//p' "$state/env")
	rm -f "$state/env"
	# Only ever remove what start created.
	if [[ "$dir" == /tmp/recon-slurm.* && -d "$dir" ]]; then
		stop_by_pidfile "$dir/slurmd.pid"
		stop_by_pidfile "$dir/slurmctld.pid"
		stop_by_pidfile "$dir/munge/munged.pid"
		rm -rf "$dir"
	fi
}

start_cluster() {
	local state=$1
	[[ $(id -u) -eq 0 ]] || die "must run as root (slurmd starts jobs as their submitter)"
	id munge >/dev/null 2>&1 || die "there is no munge user: install munge"
	need munged
	need slurmctld
	need slurmd
	need sbatch
	mkdir -p "$state"
	stop_cluster "$state"
	local dir host cpus mem ctl_port d_port
	dir=$(mktemp -d /tmp/recon-slurm.XXXXXX)
	chmod 755 "$dir"
	# Record the directory first, so a failed start is still cleaned up by stop.
	printf 'RECON_SLURM_DIR=%s\n' "$dir" >"$state/env"
	host=$(hostname -s)
	cpus=$(nproc)
	mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
	ctl_port=$((16000 + RANDOM % 20000))
	d_port=$((ctl_port + 1))

	mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/jobs"
	chmod 1777 "$dir/jobs" # the tests' job scripts and their output
	dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
	chmod 400 "$dir/munge/munge.key"
	chown -R munge:munge "$dir/munge"
	chmod 700 "$dir/munge"
	if ! runuser -u munge -- munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
		--pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/seed" \
		--force; then
		cat "$dir/munge/munged.log" >&2 2>/dev/null || true
		die "munged did not start (log above)"
	fi

	cat >"$dir/slurm.conf" <<CONF
ClusterName=recon-test
SlurmctldHost=$host
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctl_port
SlurmdPort=$d_port
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=batch Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
	export SLURM_CONF=$dir/slurm.conf
	slurmctld -f "$dir/slurm.conf" || { cat "$dir/slurmctld.log" >&2; die "slurmctld did not start (log above)"; }
	slurmd -f "$dir/slurm.conf" || { cat "$dir/slurmd.log" >&2; die "slurmd did not start (log above)"; }
	local tries=0
	until sinfo -h -N -o '%T' 2>/dev/null | grep -qx 'idle'; do
		tries=$((tries + 1))
		if ((tries > 300)); then
			sinfo -N >&2 || true
			tail -20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
			die "the node did not become idle in 30 s (logs above)"
		fi
		sleep 0.1
	done
	cat >"$state/env" <<ENV
RECON_SLURM_DIR=$dir
SLURM_CONF=$dir/slurm.conf
RECON_SLURM_JOBS=$dir/jobs
ENV
	echo "slurm.sh: node $host idle ($cpus CPUs), controller on port $ctl_port, files in $dir"
}

start_service() { start_cluster "$1"; }
stop_service() { stop_cluster "$1"; }
check_exec() {
	[[ -f "$1/env" ]] || die "no Slurm recorded in $1: run 'slurm.sh start $1' first"
	grep -q '^SLURM_CONF=' "$1/env" || die "the Slurm recorded in $1 did not start"
}

service_main "$@"
