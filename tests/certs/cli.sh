#!/usr/bin/env bash
# `gatewarden certs generate` and `certs inspect` as a user runs them. The files are
# checked with the openssl command-line tool, independently of the code that made them:
# the chain verifies for TLS server use, the SANs, the key pairs, the file modes.
# Bad options exit 2 and leave the directory as it was.
# usage: cli.sh PATH/TO/gatewarden
set -u
GW=$1
if ! command -v openssl >/dev/null; then
	if [[ -n ${CI:-} ]]; then
		echo "FAIL: the openssl command is missing (dev.sh installs it)"
		exit 1
	fi
	echo "SKIP: the openssl command is missing (dev.sh installs it)"
	exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL $1"
	fail=$((fail + 1))
}
t() { # t NAME EXPECTED_EXIT CMD...; output in $TMP/out, $TMP/err
	local name=$1 want=$2
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	local got=$?
	if [[ $got -ne $want ]]; then
		bad "$name: exit $got, want $want"
		sed 's/^/  out: /' "$TMP/out" | head -10
		sed 's/^/  err: /' "$TMP/err" | head -10
		return 1
	fi
	ok
}
has() { # has NAME FILE REGEX
	if grep -q -E -- "$3" "$2"; then ok; else
		bad "$1: no line matching /$3/ in:"
		sed 's/^/  | /' "$2" | head -20
	fi
}
mode() { stat -c %a "$1"; }

D=$TMP/out1
t generate 0 "$GW" certs generate --out "$D" --dns localhost --ip 127.0.0.1 --ip ::1 --days 30
has generate-msg "$TMP/out" "^wrote $D/ca.crt, ca.key, tls.crt, tls.key: gatewarden.gatewarden.svc, 30 days"
for f in ca.crt tls.crt; do [[ $(mode "$D/$f") == 644 ]] && ok || bad "mode of $f is $(mode "$D/$f")"; done
for f in ca.key tls.key; do [[ $(mode "$D/$f") == 600 ]] && ok || bad "mode of $f is $(mode "$D/$f")"; done
[[ -z $(find "$D" -name '.*' -type f) ]] && ok || bad "temporary files left in $D"

# the chain, as a TLS client checks it: purpose sslserver, the name the API server dials
t verify 0 openssl verify -CAfile "$D/ca.crt" -purpose sslserver -verify_hostname gatewarden.gatewarden.svc "$D/tls.crt"
t verify-ip 0 openssl verify -CAfile "$D/ca.crt" -purpose sslserver -verify_ip 127.0.0.1 "$D/tls.crt"
t verify-wrong-name 2 openssl verify -CAfile "$D/ca.crt" -purpose sslserver -verify_hostname evil.example "$D/tls.crt"
"$GW" certs generate --out "$TMP/other" >/dev/null
t verify-other-ca 2 openssl verify -CAfile "$TMP/other/ca.crt" -purpose sslserver "$D/tls.crt"

t sans 0 openssl x509 -in "$D/tls.crt" -noout -ext subjectAltName,extendedKeyUsage,basicConstraints
has sans-list "$TMP/out" 'DNS:gatewarden.gatewarden.svc, DNS:gatewarden.gatewarden.svc.cluster.local, DNS:gatewarden.gatewarden, DNS:gatewarden, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1'
has eku "$TMP/out" 'TLS Web Server Authentication'
has not-ca "$TMP/out" 'CA:FALSE'
t ca-ext 0 openssl x509 -in "$D/ca.crt" -noout -ext basicConstraints,keyUsage
has ca-true "$TMP/out" 'CA:TRUE'
has ca-sign "$TMP/out" 'Certificate Sign'

# each key is its certificate's
for p in ca tls; do
	a=$(openssl x509 -in "$D/$p.crt" -noout -pubkey | sha256sum)
	b=$(openssl pkey -in "$D/$p.key" -pubout | sha256sum)
	[[ $a == "$b" ]] && ok || bad "$p.key does not match $p.crt"
done
t keytype 0 openssl pkey -in "$D/tls.key" -noout -text
has keytype-ec "$TMP/out" 'NIST CURVE: P-256|ASN1 OID: prime256v1'

# validity: 30 days, starting a few minutes back
nb=$(date -d "$(openssl x509 -in "$D/tls.crt" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$D/tls.crt" -noout -enddate | cut -d= -f2)" +%s)
[[ $((na - nb)) -eq $((30 * 86400 + 300)) ]] && ok || bad "validity is $((na - nb)) s, want 30 days + 300 s"
now=$(date +%s)
((nb <= now && now < na)) && ok || bad "not valid now ($nb..$na, now $now)"

# inspect
t inspect 0 "$GW" certs inspect "$D/tls.crt"
has inspect-server "$TMP/out" '"serverAuth": true'
has inspect-ips "$TMP/out" '"::1"'
has inspect-key "$TMP/out" '"keyType": "EC"'
t inspect-ca 0 "$GW" certs inspect "$D/ca.crt"
has inspect-isca "$TMP/out" '"isCA": true'
t inspect-key-file 2 "$GW" certs inspect "$D/tls.key"
has inspect-key-file-msg "$TMP/err" 'holds no PEM certificate'
t inspect-missing 2 "$GW" certs inspect "$TMP/nope.crt"
has inspect-missing-msg "$TMP/err" 'nope.crt: No such file or directory'

# existing files are kept unless --force; nothing changes on refusal
sum=$(cat "$D"/* | sha256sum)
t exists 2 "$GW" certs generate --out "$D"
has exists-msg "$TMP/err" "$D/ca.key exists \(use --force to replace it\)"
[[ $(cat "$D"/* | sha256sum) == "$sum" ]] && ok || bad "refused generate changed files"
t force 0 "$GW" certs generate --out "$D" --force --rsa --service hook --namespace policy
[[ $(cat "$D"/* | sha256sum) != "$sum" ]] && ok || bad "--force did not replace the files"
t verify-rsa 0 openssl verify -CAfile "$D/ca.crt" -purpose sslserver -verify_hostname hook.policy.svc "$D/tls.crt"
t keytype-rsa 0 openssl pkey -in "$D/tls.key" -noout -text
has keytype-rsa-bits "$TMP/out" 'Private-Key: \(2048 bit'

# bad options: exit 2, a message, no directory created
n=0
for args in "--ip 300.1.1.1" "--dns a,IP:1.2.3.4" "--service Bad" "--namespace a.b" "--days 0" "--days 900" \
	"--days x" "--ca-days 10 --days 20" "--bogus"; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	t "bad-$n ($args)" 2 "$GW" certs generate --out "$TMP/bad$n" $args
	[[ -s $TMP/err ]] && ok || bad "bad-$n: no message"
	[[ ! -e $TMP/bad$n ]] && ok || bad "bad-$n: $TMP/bad$n was created"
done
t no-out 2 "$GW" certs generate
has no-out-msg "$TMP/err" '--out DIR is required'
t no-parent 2 "$GW" certs generate --out "$TMP/a/b/c"
has no-parent-msg "$TMP/err" 'cannot create directory'
t unknown 2 "$GW" certs frobnicate
has unknown-msg "$TMP/err" "unknown subcommand 'frobnicate'"
t help 0 "$GW" certs --help
has help-text "$TMP/out" 'certs generate --out DIR'
t top-help 0 "$GW" --help
has top-help-certs "$TMP/out" '^  certs CMD'

echo "certs cli: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
