# recon user (issue 21, item 3): the workbench's people on a real PostgreSQL —
# add with a role (the password from standard input, kept only as a salted
# PBKDF2-SHA256 hash), disable, a new password; every change with its row in
# the append-only recon_audit; the refusals change nothing.
source "$(dirname "$0")/lib.sh"

fresh_db users_cli
demo_conf
CONF=$WORK/recon.conf
PW='张三的 long passphrase 1'
user() { run_recon "$1" user "${@:2}" --config "$CONF"; }

user 0 add lina --role clerk --by admin1 <<<"$PW"
expect_line "$WORK/out" "user lina added as clerk"
expect_sql "clerk|f|0" "select role, disabled, failed_logins from recon_users where name = 'lina'"
hash=$(sql "select password_hash from recon_users where name = 'lina'")
[[ $hash =~ ^pbkdf2-sha256\$600000\$[0-9a-f]{32}\$[0-9a-f]{64}$ ]] || fail "the stored form: $hash"
# the password is nowhere: not in the table, the audit trail, the output or the log
expect_sql 0 "select count(*) from recon_users u, recon_audit a where u::text like '%passphrase%' or a::text like '%passphrase%'"
! grep -q passphrase "$WORK/out" "$WORK/err" || fail "the password was printed"
expect_sql "admin1|user_added|lina|role clerk|" \
	"select actor, action, subject, detail, coalesce(remote, '') from recon_audit order by audit_id"

# a second user with the same password: another salt, another hash
user 0 add wang.wei@fin --role supervisor --by admin1 <<<"$PW"
expect_sql 2 "select count(distinct password_hash) from recon_users"

# refusals, each exit 2, nothing changed
audit=$(sql "select count(*) from recon_audit")
user 2 add lina --role viewer --by admin1 <<<"$PW"
expect_line "$WORK/err" "recon: user add: user lina exists already; nothing changed"
expect_sql clerk "select role from recon_users where name = 'lina'"
user 2 add zhao --role root --by admin1 <<<"$PW"
expect_line "$WORK/err" "recon: user add: --role 'root': viewer, clerk, supervisor or admin"
user 2 add zhao --by admin1 <<<"$PW"
expect_line "$WORK/err" "recon: user add: --role viewer, clerk, supervisor or admin is needed"
user 2 add zhao --role viewer --by admin1 <<<"too short"
expect_line "$WORK/err" "recon: user: the password is too short: at least 12 characters; nothing changed"
user 2 add zhao --role viewer --by admin1 </dev/null
expect_line "$WORK/err" "recon: user: no password on standard input (one line, at most 1024 characters)"
user 2 add "x'; drop table recon_users; --" --role viewer --by admin1 <<<"$PW"
grep -q "a user's name is 1 to 64 of" "$WORK/err" || fail "a name with SQL in it: $(cat "$WORK/err")"
user 2 add '<script>alert(1)</script>' --role viewer --by admin1 <<<"$PW"
user 2 passwd nobody --by admin1 <<<"$PW another"
expect_line "$WORK/err" "recon: user passwd: user nobody does not exist; nothing changed"
user 2 disable nobody --by admin1
expect_line "$WORK/err" "recon: user disable: user nobody does not exist; nothing changed"
user 2 frobnicate lina
expect_line "$WORK/err" "recon: user: unknown subcommand 'frobnicate' (add, disable or passwd)"
user 2 disable lina --role clerk
expect_line "$WORK/err" "recon: user disable: --role is for add only"
expect_sql 2 "select count(*) from recon_users"
expect_sql "$audit" "select count(*) from recon_audit"

# a new password: another hash, the lockout ended; then disabled
sql "update recon_users set failed_logins = 7, locked_until = now() + interval '1 hour' where name = 'lina'" >/dev/null
user 0 passwd lina --by wang.wei@fin <<<"another long passphrase"
expect_line "$WORK/out" "user lina has a new password"
[ "$(sql "select password_hash from recon_users where name = 'lina'")" != "$hash" ] || fail "passwd kept the old hash"
expect_sql "0|t" "select failed_logins, locked_until is null from recon_users where name = 'lina'"
user 0 disable lina --by wang.wei@fin
expect_line "$WORK/out" "user lina disabled"
expect_sql "t" "select disabled from recon_users where name = 'lina'"
expect_sql "admin1 user_added lina|admin1 user_added wang.wei@fin|wang.wei@fin password_changed lina|wang.wei@fin user_disabled lina" \
	"select string_agg(actor || ' ' || action || ' ' || subject, '|' order by audit_id) from recon_audit"

# the audit trail is append-only, in the database itself
! psql -qtAX -c "delete from recon_audit" 2>/dev/null || fail "a row of recon_audit could be deleted"
! psql -qtAX -c "update recon_audit set actor = 'x'" 2>/dev/null || fail "a row of recon_audit could be changed"
! psql -qtAX -c "truncate recon_audit" 2>/dev/null || fail "recon_audit could be truncated"
expect_sql 4 "select count(*) from recon_audit"

# --help, and no subcommand
run_recon 0 user --help
grep -q "recon user add NAME --role viewer|clerk|supervisor|admin" "$WORK/out" || fail "user --help: $(cat "$WORK/out")"
run_recon 2 user
finish
