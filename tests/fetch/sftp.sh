#!/usr/bin/env bash
# A throwaway OpenSSH server on 127.0.0.1 for the sftp:// download tests (label fetch). Usage:
#   sftp.sh start STATE_DIR               make a host key, a client key pair and known_hosts, serve
#                                         STATE_DIR/srv over SFTP on a free port; writes STATE_DIR/env
#   sftp.sh exec  STATE_DIR CMD [ARG]...  runs CMD with RECON_SFTP_URL (sftp://root@127.0.0.1:PORT),
#                                         RECON_SFTP_KEY, RECON_SFTP_KNOWN_HOSTS and RECON_SFTP_DIR set
#   sftp.sh stop  STATE_DIR               stops the server and removes the keys and the served files
# Every key is generated here, at test time, under STATE_DIR/keys (in the build tree): none is ever
# committed. Files in keys/:
#   host_ed25519             the server's host key
#   client client.pub        the key the tests log in with (mode 600; authorized_keys lists client.pub)
#   known_hosts              "[127.0.0.1]:PORT" with the host key: the only host the client trusts
#   wrong_known_hosts        the same host with another key (RECON_SFTP_WRONG_KNOWN_HOSTS)
#   stranger                 a key the server does not accept (RECON_SFTP_STRANGER_KEY)
# srv/20210128.csv.gz is a copy of the WeChat v3 sample trade bill ($RECON_SAMPLES, else
# fixtures/samples in the repository). sshd runs as root (it must, to log a user in), on
# 127.0.0.1 only, with its own sshd_config: public keys only, no passwords, no PAM.
# Where sshd cannot run (not root, not installed) start fails with the reason: the tests never
# pass by skipping.
set -euo pipefail

SERVICE=sftp.sh
USAGE="sftp.sh start STATE_DIR | stop STATE_DIR | exec STATE_DIR CMD [ARG]..."
# shellcheck source=../service_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SAMPLE=wechat/gunsluo_v3_tradebill_ALL.csv.gz

# ctest's SKIP_RETURN_CODE for the sftp tests (tests/CMakeLists.txt): the one skip the suite has.
skip_not_root() {
	echo "SKIPPED: the sftp:// tests need a throwaway sshd, which must run as root to log a user in; this is uid $(id -u) (CI runs as root)"
	exit 77
}

stop_server() {
	local state=$1
	if [[ -f "$state/sshd.pid" ]]; then
		local pid
		pid=$(cat "$state/sshd.pid")
		# Only ever signal the sshd this script started (its own config file).
		if [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] &&
			tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "-f $state/sshd_config"; then
			stop_pid "$pid"
		fi
		rm -f "$state/sshd.pid"
	fi
	rm -rf "$state/keys" "$state/srv"
	rm -f "$state/env" "$state/sshd_config" "$state/authorized_keys"
}

# A TCP port nobody listens on now (sshd still may lose a race for it: start retries).
free_port() {
	local port used="" _sl local_addr _rem st _rest
	# listening sockets (state 0A): "sl local_address rem_address st ..." with hex ports
	while read -r _sl local_addr _rem st _rest; do
		[[ "$st" == 0A ]] && used+="$((16#${local_addr##*:}))"$'\n'
	done < <(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null)
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 30000))
		grep -qx "$port" <<<"$used" || {
			echo "$port"
			return 0
		}
	done
	die "no free TCP port found"
}

make_keys() {
	local keys=$1
	mkdir -p "$keys"
	chmod 700 "$keys"
	ssh-keygen -q -t ed25519 -N '' -C "recon test sftp host" -f "$keys/host_ed25519"
	ssh-keygen -q -t ed25519 -N '' -C "recon test sftp client" -f "$keys/client"
	ssh-keygen -q -t ed25519 -N '' -C "recon test other host" -f "$keys/other_host"
	ssh-keygen -q -t ed25519 -N '' -C "recon test stranger" -f "$keys/stranger"
	chmod 600 "$keys/host_ed25519" "$keys/client" "$keys/other_host" "$keys/stranger"
}

write_config() {
	local state=$1 port=$2
	cat >"$state/sshd_config" <<CONF
# recon sftp test server: written by tests/fetch/sftp.sh, removed by 'sftp.sh stop'
ListenAddress 127.0.0.1
Port $port
HostKey $state/keys/host_ed25519
PidFile $state/sshd.pid
AuthorizedKeysFile $state/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
Subsystem sftp internal-sftp
CONF
}

start_server() {
	local state=$1
	# Say why sshd cannot run before doing anything. Only an ordinary user skips (sshd must run
	# as root to log a user in); as root a missing or broken sshd fails: it would hide a broken sftp://.
	[[ $(id -u) -eq 0 ]] || skip_not_root
	local sshd
	sshd=$(command -v sshd || true)
	[[ -n "$sshd" ]] || { [[ -x /usr/sbin/sshd ]] && sshd=/usr/sbin/sshd; }
	[[ -n "$sshd" ]] || die "sshd not found: install openssh-server (scripts/bootstrap.sh does)"
	command -v ssh-keygen >/dev/null || die "ssh-keygen not found: install openssh-client (scripts/bootstrap.sh does)"
	if [[ -r /etc/shadow ]] && grep -q '^root:!' /etc/shadow; then
		die "root's password is locked (root:! in /etc/shadow): without PAM sshd refuses even key logins; run 'usermod -p \"*\" root'"
	fi
	local samples=${RECON_SAMPLES:-$ROOT/fixtures/samples}
	[[ -f "$samples/$SAMPLE" ]] || die "no sample at $samples/$SAMPLE (set RECON_SAMPLES)"

	mkdir -p "$state"
	state=$(cd "$state" && pwd)
	stop_server "$state"
	make_keys "$state/keys"
	cp "$state/keys/client.pub" "$state/authorized_keys"
	mkdir -p "$state/srv"
	cp "$samples/$SAMPLE" "$state/srv/20210128.csv.gz"
	# sshd's privilege separation directory (a fresh container has no /run/sshd).
	mkdir -p /run/sshd
	chmod 755 /run/sshd

	local port tries=0
	while :; do
		port=$(free_port)
		write_config "$state" "$port"
		"$sshd" -t -f "$state/sshd_config" 2>"$state/sshd.log" || {
			cat "$state/sshd.log" >&2
			die "sshd refuses the test configuration (above)"
		}
		# Detached, with no inherited stdout: ctest must not wait for the server.
		# -D: no fork, so $! is the server; -e: the log goes to stderr.
		setsid "$sshd" -D -e -f "$state/sshd_config" </dev/null >"$state/sshd.log" 2>&1 &
		local pid=$!
		echo "$pid" >"$state/sshd.pid"
		local wait=0
		until grep -q "Server listening on 127.0.0.1 port $port" "$state/sshd.log" 2>/dev/null; do
			running "$pid" || break
			wait=$((wait + 1))
			((wait < 100)) || die "sshd did not start listening on 127.0.0.1:$port within 10 s (log: $state/sshd.log)"
			sleep 0.1
		done
		running "$pid" && break
		tries=$((tries + 1))
		if ((tries >= 5)) || ! grep -q "Address already in use" "$state/sshd.log"; then
			cat "$state/sshd.log" >&2
			die "sshd exited (log above)"
		fi
	done

	local hostkey
	hostkey=$(cut -d' ' -f1,2 "$state/keys/host_ed25519.pub")
	echo "[127.0.0.1]:$port $hostkey" >"$state/keys/known_hosts"
	echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$state/keys/other_host.pub")" >"$state/keys/wrong_known_hosts"
	chmod 644 "$state/keys/known_hosts" "$state/keys/wrong_known_hosts"
	cat >"$state/env" <<ENV
RECON_SFTP_URL=sftp://root@127.0.0.1:$port
RECON_SFTP_KEY=$state/keys/client
RECON_SFTP_KNOWN_HOSTS=$state/keys/known_hosts
RECON_SFTP_DIR=$state/srv
RECON_SFTP_WRONG_KNOWN_HOSTS=$state/keys/wrong_known_hosts
RECON_SFTP_STRANGER_KEY=$state/keys/stranger
ENV
	echo "sftp.sh: sshd on sftp://127.0.0.1:$port serving $state/srv (state $state)"
}

start_service() { start_server "$1"; }
stop_service() {
	[[ -d "$1" ]] || exit 0
	stop_server "$(cd "$1" && pwd)"
}
check_exec() {
	[[ -f "$1/env" || $(id -u) -eq 0 ]] || skip_not_root
	[[ -f "$1/env" ]] || die "no sftp server recorded in $1: run 'sftp.sh start $1' first"
}

service_main "$@"
