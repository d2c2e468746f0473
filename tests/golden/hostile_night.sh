# Hostile statement files in a five-source night (fixtures/multi: WeChat trade
# and fund flow, Alipay, UnionPay, the saobei profile). Each case replaces one
# source's file with a hostile variant and checks: exit 3, the one-line
# message (file, line, reason), that no raw hostile byte reached stderr, the
# reports or recon_runs, and that the other channels' report rows are the
# clean night's, byte for byte.
source "$(dirname "$0")/lib.sh"

DAY=2026-03-02
fresh_db golden_hostile_night
load_ledger "$ROOT/fixtures/multi"

# night EXIT DIR: runs the night (a hang, e.g. on a FIFO, is cut at 20 s and fails) on the files in DIR (a copy of fixtures/multi), stdout/stderr in $WORK/out, err.
night() {
	local want=$1 dir=$2 got=0
	(cd "$dir" && timeout 20 "$RECON" run --config recon.conf --date $DAY --jobs 2) >"$WORK/out" 2>"$WORK/err" || got=$?
	[ "$got" = "$want" ] || { fail "$CASE: recon exited $got, expected $want"; sed 's/^/  | /' "$WORK/err" >&2; }
}

# rows CHANNEL DIR: the report rows of every channel but CHANNEL (and but the
# cross-channel '*'). The fixture's ORD20260302002 and ORD20260302004 are paid
# through both WeChat and Alipay (a cross-channel double charge): without the
# Alipay file the WeChat rows of those orders rightly change, so an Alipay
# case compares UnionPay and saobei.
rows() {
	local skip="^($1)\$" r=$2/reports/$DAY
	[ "$1" = alipay ] && skip='^(alipay|wechat)$'
	awk -F, -v c="$skip" '$2 !~ c && $2 != "*"' "$r/summary.csv"
	awk -F, -v c="$skip" '$5 !~ c && $5 != "*"' "$r/discrepancies.csv" "$r/pending.csv"
}

fresh_copy() {
	rm -rf "$WORK/case"
	mkdir -p "$WORK/case"
	cp "$ROOT"/fixtures/multi/* "$WORK/case/"
}

# The clean night: the reference rows.
CASE=clean
fresh_copy
night 1 "$WORK/case"
for ch in wechat alipay unionpay saobei; do
	rows "$ch" "$WORK/case" >"$WORK/clean-$ch"
	[ "$(wc -l <"$WORK/clean-$ch")" -gt 3 ] || fail "too few clean rows without $ch"
done

# no_echo: none of the marker bytes in stderr, the reports or recon_runs.inputs.
no_echo() {
	local r=$WORK/case/reports/$DAY
	sql "select inputs::text from recon_runs where business_date = '$DAY'" >"$WORK/inputs"
	local f
	for f in "$WORK/err" "$WORK/inputs" "$r"/*.csv "$r"/index.html; do
		[ -f "$f" ] || continue
		if LC_ALL=C grep -q -e $'\x1b' -e $'\x07' -e $'\xff' -e $'\xfe' -e 'SECRET-MARKER' "$f"; then
			fail "$CASE: raw hostile bytes echoed into $f"
		fi
		iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1 || fail "$CASE: $f is not valid UTF-8"
	done
}

# check CHANNEL MESSAGE [QUARANTINE]: exit 3 done by the caller; the message
# on stderr, it (or QUARANTINE, a bad row's) in quarantine.csv, no echo, the
# other channels unchanged.
check() {
	local ch=$1 msg=$2 quar=${3:-$2}
	grep -qF -- "rejected: $msg" "$WORK/err" || { fail "$CASE: stderr lacks: $msg"; sed 's/^/  | /' "$WORK/err" >&2; }
	grep -qF -- "$quar" "$WORK/case/reports/$DAY/quarantine.csv" || {
		fail "$CASE: quarantine.csv lacks: $quar"
		sed 's/^/  | /' "$WORK/case/reports/$DAY/quarantine.csv" >&2
	}
	no_echo
	rows "$ch" "$WORK/case" >"$WORK/rows"
	diff -u "$WORK/clean-$ch" "$WORK/rows" >&2 || fail "$CASE: the other channels' rows changed"
}

# edit FILE PYTHON: rewrites a fixture copy with a python expression on its bytes b.
edit() {
	python3 - "$1" "$2" <<'EOF'
import sys
path, expr = sys.argv[1], sys.argv[2]
b = open(path, 'rb').read()
out = eval(expr)
assert out != b, 'edit changed nothing'
open(path, 'wb').write(out)
EOF
}

# edit_zip ZIP ENTRY_INDEX PYTHON: the same on one entry of a zip (names kept as stored).
edit_zip() {
	python3 - "$1" "$2" "$3" <<'EOF'
import sys, zipfile
path, idx, expr = sys.argv[1], int(sys.argv[2]), sys.argv[3]
src = zipfile.ZipFile(path)
entries = [(i, src.read(i)) for i in src.infolist()]
src.close()
class Raw(zipfile.ZipInfo):
    __slots__ = ('raw',)
    def _encodeFilenameFlags(self):
        return self.raw, self.flag_bits
with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
    for k, (info, data) in enumerate(entries):
        if k == idx:
            b = data
            data = eval(expr)
            assert data != b, 'edit changed nothing'
        zi = Raw(info.filename, info.date_time)
        zi.raw = info.filename.encode('cp437')  # the GBK bytes as stored, no UTF-8 flag
        zi.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(zi, data)
EOF
}

WX=wechat_20260302.csv
FF=wechat_fundflow_20260302.csv
ALI=20880211096256330156_20260302.csv.zip
UP=898111148990001_20260302.zip
SB=saobei_20260302.csv

# Each case: a function making the hostile file in the copy, then the channel
# and the message expected on stderr and in quarantine.csv.
ZMN=INN26030288ZM_898111148990001
ALN=20880211096256330156_20260302_业务明细.csv
mk_wx_key_utf8() { edit $WX 'b.replace(b"W-P001", b"W-P\xff\xfe001")'; }
mk_wx_txn_utf8() { edit $WX 'b.replace(b"4200009999202603020002", b"42000099992026\xff03020002")'; }
mk_wx_text_utf8() { edit $WX 'b.replace("拿铁".encode(), b"\xe6\x8b\xff")'; }
mk_wx_key_nul() { edit $WX 'b.replace(b"W-P001", b"W-P\x00001")'; }
mk_wx_mch_nul() { edit $WX 'b.replace(b"`1900000109,", b"`1900000109\x00777,", 1)'; }
mk_wx_dup_header() { edit $WX 'b.replace("费率备注".encode(), "商户订单号".encode())'; }
mk_wx_escapes() { edit $WX 'b.replace(b"`50.00,`0.00,`0,", b"`5\x1b[2J\x1b]0;t\x070.00,`0.00,`0,", 1)'; }
mk_wx_key_esc() { edit $WX 'b.replace(b"W-P001", b"W-P\x1b]0;SECRET-MARKER\x07001")'; }
mk_wx_text_bel() { edit $WX 'b.replace("拿铁".encode(), "拿".encode() + b"\x07" + "铁".encode())'; }
mk_wx_text_c1() { edit $WX 'b.replace("拿铁".encode(), "拿".encode() + b"\xc2\x9b2J" + "铁".encode())'; }
mk_wx_key_del() { edit $WX 'b.replace(b"W-P001", b"W-P\x7f001")'; }
mk_ali_esc() { edit_zip $ALI 0 'b.replace(b"ORD20260302002", b"ORD2026\x1b[2J0302002")'; }
mk_up_esc() { edit_zip $UP 0 'b.replace(b"U-P001", b"U-P\x1b01", 1)'; }
mk_sb_esc() { edit $SB 'b.replace(b"SB20260302002", b"SB2026\x1b[2J0302002")'; }
mk_wx_multibyte() { edit $WX 'b.replace(b"`35.00,`0.00,`0,", "`3元5.00,`0.00,`0,".encode(), 1)'; }
mk_wx_symlink() { rm $WX; printf 'root:SECRET-MARKER:19000:0:99999:7:::\n' >secret; ln -s secret $WX; }
mk_wx_escape_header() { edit $WX 'b"\x1b[2J\x1b]0;SECRET-MARKER\x07" + b'; }
mk_wx_fifo() { rm $WX; mkfifo $WX; }
mk_wx_dir() { rm $WX; mkdir $WX; }
mk_ff_utf8() { edit $FF 'b.replace(b"system", b"sys\xfftem", 1)'; }
mk_ff_dup_header() { edit $FF 'b.replace("备注".encode(), "收支金额（元）".encode(), 1)'; }
mk_ali_gbk() { edit_zip $ALI 0 'b.replace(b"ORD20260302002", b"ORD2026\xff0302002")'; }
mk_ali_nul() { edit_zip $ALI 0 'b.replace(b"ORD20260302002", b"ORD2026\x000302002")'; }
mk_ali_dup_header() { edit_zip $ALI 0 'b.replace("备注".encode("gbk"), "商户订单号".encode("gbk"), 1)'; }
mk_up_nul() { edit_zip $UP 0 'b.replace(b"U-P001", b"U-P\x0001", 1)'; }
mk_up_gbk() { edit_zip $UP 0 'b.replace(b"U-P001 ", b"U-P001\x81", 1)'; }
mk_up_fifo() { rm $UP; mkfifo $UP; }
mk_sb_utf8() { edit $SB 'b.replace(b"SB20260302002", b"SB2026\xff0302002")'; }
mk_sb_nul() { edit $SB 'b.replace(b"SB20260302002", b"SB2026\x000302002")'; }
mk_sb_dup_header() { edit $SB 'b.replace(",备注\n".encode(), ",商户订单号\n".encode(), 1)'; }
mk_sb_symlink() { rm $SB; printf 'SECRET-MARKER line one\n' >secret; ln -s secret $SB; }

cases=(
	'wx_key_utf8|wechat|'$WX':2: column 商户订单号: invalid UTF-8 (byte 5 of the field)'
	'wx_txn_utf8|wechat|'$WX':3: column 微信订单号: invalid UTF-8 (byte 16 of the field)'
	'wx_text_utf8|wechat|'$WX':3: column 商品名称: invalid UTF-8 (byte 2 of the field)'
	'wx_key_nul|wechat|'$WX':2: column 商户订单号: a NUL byte (byte 5 of the field)'
	'wx_mch_nul|wechat|'$WX':2: column 商户号: a NUL byte (byte 12 of the field)'
	'wx_dup_header|wechat|'$WX':1: header names column 商户订单号 twice (fields 7 and 27)'
	'wx_escapes|wechat|'$WX':2: column 应结订单金额: a control character (byte 3 of the field)'
	'wx_key_esc|wechat|'$WX':2: column 商户订单号: a control character (byte 5 of the field)'
	'wx_text_bel|wechat|'$WX':3: column 商品名称: a control character (byte 5 of the field)'
	'wx_text_c1|wechat|'$WX':3: column 商品名称: a control character (byte 5 of the field)'
	'wx_key_del|wechat|'$WX':2: column 商户订单号: a control character (byte 5 of the field)'
	'ali_esc|alipay|'$ALI:$ALN':7: column 商户订单号: a control character (byte 8 of the field)'
	'up_esc|unionpay|'$UP:$ZMN':1: 商户订单号: a control character'
	'sb_esc|saobei|'$SB':6: column 商户订单号: a control character'
	'wx_multibyte|wechat|'$WX': 1 row could not be parsed|,3,row,"应结订单金额: invalid amount ""3元5.00"": unexpected '"'"'元'"'"'",1,0.00'
	'wx_symlink|wechat|'$WX':1: not a WeChat trade bill: no header line (交易时间,...)'
	'wx_escape_header|wechat|'$WX':1: not a WeChat trade bill: a control character in field 1'
	'wx_fifo|wechat|'$WX': not a regular file: a FIFO (named pipe)'
	'wx_dir|wechat|'$WX': not a regular file: a directory'
	'ff_utf8|wechat|'$FF':2: column 资金变更提交申请人: invalid UTF-8 (byte 5 of the field)'
	'ff_dup_header|wechat|'$FF':1: header names column 收支金额(元) twice (fields 7 and 10)'
	'ali_gbk|alipay|'$ALI:$ALN':7: column 商户订单号: invalid GBK byte sequence'
	'ali_nul|alipay|'$ALI:$ALN':7: column 商户订单号: a NUL byte (byte 8 of the field)'
	'ali_dup_header|alipay|'$ALI:$ALN':5: header names column 商户订单号 twice (fields 2 and 25)'
	'up_nul|unionpay|'$UP:$ZMN':1: 商户订单号: a NUL byte'
	'up_gbk|unionpay|'$UP:$ZMN':1: 商户订单号: invalid GBK byte sequence'
	'up_fifo|unionpay|'$UP': not a regular file: a FIFO (named pipe)'
	'sb_utf8|saobei|'$SB':6: column 商户订单号: invalid UTF-8 byte sequence'
	'sb_nul|saobei|'$SB':6: column 商户订单号: a NUL byte'
	'sb_dup_header|saobei|'$SB':4: header names column 商户订单号 twice (fields 8 and 21)'
	'sb_symlink|saobei|'$SB':1: not a saobei statement (profile saobei): no header line'
)

for c in "${cases[@]}"; do
	IFS='|' read -r CASE ch msg quar <<<"$c"
	fresh_copy
	(cd "$WORK/case" && "mk_$CASE") || { fail "$CASE: could not make the file"; continue; }
	night 3 "$WORK/case"
	check "$ch" "$msg" "$quar"
done

# Many bad rows: the first 1,000 listed, then one line with the count of the
# rest, in quarantine.csv and on the page; memory does not grow with them.
CASE=wx-many-bad-rows
fresh_copy
python3 - "$WORK/case/$WX" <<'EOF'
import sys
p = sys.argv[1]
lines = open(p, 'rb').read().split(b'\n')
bad = lines[1].replace(b'`50.00,', b'`5x.00,', 1)
open(p, 'wb').write(b'\n'.join([lines[0]] + [bad] * 100000 + lines[3:]))
EOF
night 3 "$WORK/case"
check wechat "$WX: 100000 rows could not be parsed"
q=$WORK/case/reports/$DAY/quarantine.csv
[ "$(grep -c "^$DAY,wx,$WX," "$q")" = 1002 ] || fail "$CASE: quarantine.csv has $(grep -c "^$DAY,wx,$WX," "$q") rows of the file, expected 1000 + 2"
grep -qF "99000 more rows could not be parsed (the first 1000 are listed)" "$q" || fail "$CASE: no count of the unlisted rows"
page=$(stat -c %s "$WORK/case/reports/$DAY/index.html")
[ "$page" -lt 1000000 ] || fail "$CASE: index.html is $page bytes"
finish
