# Helpers of the workbench's tests (serve.sh, workbench.sh): a recon serve
# started on a free loopback port, curl with a cookie jar per browser.
# Source after lib.sh; CONF set.

# start_serve [ARGS...]: the server on $URL, its log in $WORK/serve.log
start_serve() {
	PORT=$((20000 + RANDOM % 20000))
	URL=http://127.0.0.1:$PORT
	"$RECON" serve --listen "127.0.0.1:$PORT" --config "$CONF" "$@" 2>"$WORK/serve.log" &
	SERVER=$!
	trap 'kill $SERVER 2>/dev/null' EXIT
	for _ in $(seq 100); do
		curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
		sleep 0.1
	done
	[ "$(curl -sS "$URL/healthz")" = ok ] || fail "healthz: $(cat "$WORK/serve.log")"
}

# stop_serve: SIGTERM, a clean exit
stop_serve() {
	kill -TERM $SERVER
	wait $SERVER
	local rc=$?
	trap - EXIT
	[ $rc = 0 ] || fail "serve exited $rc after SIGTERM"
}

# req JAR ARGS...: the status; headers in $WORK/h, body in $WORK/b
req() {
	local jar=$1
	shift
	curl -sS -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' -b "$WORK/$jar" -c "$WORK/$jar" "$@"
}
header() { tr -d '\r' <"$WORK/h" | grep -i "^$1:" | head -1 | cut -d' ' -f2-; }
form_csrf() { grep -o 'name="csrf" value="[0-9a-f]*"' "$WORK/b" | head -1 | sed 's/.*value="//; s/"//'; }

# login JAR NAME PASSWORD: the status of the login's POST
login() {
	req "$1" "$URL/login" >/dev/null
	local t
	t=$(form_csrf)
	req "$1" --data-urlencode "csrf=$t" --data-urlencode "name=$2" --data-urlencode "password=$3" "$URL/login"
}

# csrf_of JAR: the session's CSRF token, read from a page
csrf_of() {
	req "$1" "$URL/items" >/dev/null
	form_csrf
}
