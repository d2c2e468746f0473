#!/bin/bash
# The audit trails (recon_item_events: the open items'; recon_audit: logins
# and users') have no UPDATE or DELETE path in recon's
# code: no statement in src/ updates, deletes from or truncates it, or turns
# its append-only trigger off. The check first proves on a planted statement
# that it finds one.  Usage: audit_append_only.sh SRC_DIR
set -uo pipefail
pattern='((UPDATE|DELETE[[:space:]]+FROM|TRUNCATE)([[:space:]]+(TABLE|ONLY))?[[:space:]]+"?(recon_item_events|recon_audit)\>)|((recon_item_events|recon_audit)[^;]*DISABLE[[:space:]]+TRIGGER)|session_replication_role'
check() { grep -rInEi --include='*.c' --include='*.h' --include='*.sql' "$pattern" "$1"; }

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
for planted in 'DELETE FROM recon_item_events WHERE 1' 'update recon_item_events set note' \
	'TRUNCATE TABLE recon_item_events' 'ALTER TABLE recon_item_events DISABLE TRIGGER ALL' \
	'DELETE FROM recon_audit WHERE 1' 'update recon_audit set actor' 'ALTER TABLE recon_audit DISABLE TRIGGER ALL'; do
	printf 'static const char *q = "%s";\n' "$planted" >"$probe/planted.c"
	check "$probe" >/dev/null || { echo "FAIL: the check does not find: $planted"; exit 1; }
done
if check "$1"; then
	echo "FAIL: recon's code above changes or could change an append-only audit trail (recon_item_events, recon_audit)"
	exit 1
fi
echo "ok: no UPDATE, DELETE or TRUNCATE of recon_item_events or recon_audit in $1"
