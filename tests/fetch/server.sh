#!/usr/bin/env bash
# The fixture channel server for the download tests (label fetch). Usage:
#   server.sh start STATE_DIR [FIXTURE_SERVER]  make a test CA, a certificate for 127.0.0.1 and the
#                                               channels' test keys, start the server; writes STATE_DIR/env
#   server.sh exec  STATE_DIR CMD [ARG]...      runs CMD with RECON_FIXTURE_URL, RECON_FIXTURE_HTTP_URL (the
#                                               same routes in plain http), RECON_FIXTURE_CA,
#                                               RECON_FIXTURE_STATE and RECON_FIXTURE_KEYS set
#   server.sh stop  STATE_DIR                   stops the server and removes the keys
# FIXTURE_SERVER defaults to $RECON_FIXTURE_SERVER. Every key and certificate is generated here, at
# test time, under STATE_DIR/keys (in the build tree): none is ever committed. Files in keys/:
#   ca.pem ca.key                        test CA (tests trust it through RECON_FIXTURE_CA)
#   server.pem server.key                the server's certificate: CN and subjectAltName IP:127.0.0.1
#   merchant.key merchant.pem            WeChat merchant key and certificate (serial: merchant.serial)
#   platform.key platform.pem            WeChat platform certificate, self-signed (serial: platform.serial)
#   platform_public.pem                  the same key as a bare public key (微信支付公钥 mode)
#   platform_new.key platform_new.pem    the platform certificate after a rotation (serial: platform_new.serial)
#   alipay_app.key alipay_app_public.pem the merchant's Alipay application key pair
#   alipay_private.key alipay_public.pem the "Alipay" side: signs answers, public key verifies them
#   unionpay_merchant.key .pem           UnionPay signing key and certificate (certId: unionpay_merchant.certid)
#   unionpay_platform.key .pem           UnionPay's verification key and certificate (unionpay_platform.certid)
#   wechat_v2.key                        a WeChat API v2 key: one line of 32 characters
# Private keys and the v2 key are mode 600 (the client refuses group/other-readable keys).
set -euo pipefail

SERVICE=server.sh
USAGE="server.sh start STATE_DIR [FIXTURE_SERVER] | stop STATE_DIR | exec STATE_DIR CMD [ARG]..."
# shellcheck source=../service_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

MERCHANT_SERIAL=0x5157F09EFDC096DE15EBE81A47057A7232F1B8E1
PLATFORM_SERIAL=0x3775B6A45ACD588826D15E583A95F5DD2A5C9A4E
PLATFORM_NEW_SERIAL=0x6E4BA8D1C0F2937A55B1D3E9F08C27A4B6D1E5F3
UNIONPAY_MERCHANT_CERTID=68759663125
UNIONPAY_PLATFORM_CERTID=69042905377

stop_server() {
	local state=$1
	if [[ -f "$state/pid" ]]; then
		local pid
		pid=$(cat "$state/pid")
		# Only ever signal the server this script started.
		if [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q fixture_server; then
			stop_pid "$pid"
		fi
		rm -f "$state/pid"
	fi
	rm -rf "$state/keys"
	rm -f "$state/env" "$state/port" "$state/base_url" "$state/http_base_url" "$state/scenario"
}

# self_signed NAME SERIAL CN: RSA 2048 key NAME.key and certificate NAME.pem
self_signed() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 3 -set_serial "$2" \
		-subj "/CN=$3" 2>/dev/null
	chmod 600 "$1.key"
	chmod 644 "$1.pem"
}

make_keys() {
	local keys=$1
	mkdir -p "$keys"
	chmod 700 "$keys"
	cd "$keys"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3 -subj "/CN=recon test CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
	printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1" >server.ext
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 0x1001 -days 3 -extfile server.ext \
		-out server.pem 2>/dev/null
	rm -f server.csr server.ext
	chmod 600 ca.key server.key

	self_signed merchant "$MERCHANT_SERIAL" "recon test merchant"
	self_signed platform "$PLATFORM_SERIAL" "recon test WeChat platform"
	self_signed platform_new "$PLATFORM_NEW_SERIAL" "recon test WeChat platform (rotated)"
	openssl pkey -in platform.key -pubout -out platform_public.pem
	self_signed unionpay_merchant "$UNIONPAY_MERCHANT_CERTID" "recon test UnionPay merchant"
	self_signed unionpay_platform "$UNIONPAY_PLATFORM_CERTID" "recon test UnionPay verify"
	local name
	for name in merchant platform platform_new unionpay_merchant unionpay_platform; do
		openssl x509 -in "$name.pem" -noout -serial | sed 's/^serial=//' >"$name.serial"
	done
	echo "$UNIONPAY_MERCHANT_CERTID" >unionpay_merchant.certid
	echo "$UNIONPAY_PLATFORM_CERTID" >unionpay_platform.certid

	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out alipay_app.key 2>/dev/null
	openssl pkey -in alipay_app.key -pubout -out alipay_app_public.pem
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out alipay_private.key 2>/dev/null
	openssl pkey -in alipay_private.key -pubout -out alipay_public.pem
	chmod 600 alipay_app.key alipay_private.key
	chmod 644 alipay_app_public.pem alipay_public.pem

	(umask 077 && openssl rand -hex 16 >wechat_v2.key)
	cd - >/dev/null
}

start_server() {
	local state=$1 bin=$2
	[[ -x "$bin" ]] || die "no fixture server at '$bin' (pass it or set RECON_FIXTURE_SERVER)"
	command -v openssl >/dev/null || die "the openssl command is needed to make the test keys"
	mkdir -p "$state"
	state=$(cd "$state" && pwd)
	stop_server "$state"
	make_keys "$state/keys"
	# Detached, with no inherited stdout: ctest must not wait for the server.
	setsid "$bin" --state "$state" --cert "$state/keys/server.pem" --key "$state/keys/server.key" \
		</dev/null >"$state/server.log" 2>&1 &
	echo $! >"$state/pid"
	local tries=0
	until [[ -s "$state/port" ]]; do
		running "$(cat "$state/pid")" || {
			cat "$state/server.log" >&2
			die "the fixture server exited (log above)"
		}
		tries=$((tries + 1))
		((tries < 100)) || die "the fixture server did not write $state/port"
		sleep 0.1
	done
	local port
	port=$(cat "$state/port")
	cat >"$state/env" <<ENV
RECON_FIXTURE_URL=https://127.0.0.1:$port
RECON_FIXTURE_HTTP_URL=$(cat "$state/http_base_url")
RECON_FIXTURE_CA=$state/keys/ca.pem
RECON_FIXTURE_STATE=$state
RECON_FIXTURE_KEYS=$state/keys
ENV
	echo "server.sh: fixture server on https://127.0.0.1:$port (state $state)"
}

start_service() { start_server "$1" "${2:-${RECON_FIXTURE_SERVER:-}}"; }
stop_service() { stop_server "$1"; }
check_exec() {
	[[ -f "$1/env" ]] || die "no fixture server recorded in $1: run 'server.sh start $1' first"
}

service_main "$@"
