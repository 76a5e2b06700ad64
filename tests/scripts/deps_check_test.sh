#!/bin/sh
# scripts/deps.sh decides which packages are installed from dpkg-query: this runs its --check
# mode against a fake dpkg and dpkg-query (an amd64 machine with arm64 added, the cross build's
# setup) and checks that only a native or an `Architecture: all` copy counts.
#   deps_check_test.sh PATH/TO/scripts/deps.sh
set -eu
deps=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
cat >"$work/bin/dpkg" <<'FAKE'
#!/bin/sh
[ "$1" = --print-architecture ] && echo amd64
FAKE
# Answers `dpkg-query -W -f=FORMAT NAME` from $FAKE_DB ("name arch status" lines; a name not
# there has one native installed copy), one FORMAT per copy with ${Package}, ${Architecture},
# ${db:Status-Status} and \n filled in, as dpkg-query does for a bare name. A name:arch query
# fails, so that a script asking that way cannot pass.
cat >"$work/bin/dpkg-query" <<'FAKE'
#!/bin/sh
format='${Package}\n'
for a; do
  case $a in -f=*) format=${a#-f=} ;; esac
  name=$a
done
case $name in *:*) exit 1 ;; esac
grep -q "^$name " "$FAKE_DB" || echo "$name amd64 installed" >>"$FAKE_DB"
grep "^$name " "$FAKE_DB" | while read -r pkg arch status; do
  line=$(printf '%s' "$format" | sed -e "s/\${Package}/$pkg/g" -e "s/\${Architecture}/$arch/g" \
    -e "s/\${db:Status-Status}/$status/g")
  printf "$line"
done
FAKE
# Nothing may be installed for real: the scripts under test only report in --check mode.
for tool in apt-get sudo; do
  printf '#!/bin/sh\necho "fake %s called: $*" >&2\nexit 3\n' "$tool" >"$work/bin/$tool"
  chmod +x "$work/bin/$tool"
done
chmod +x "$work/bin/dpkg" "$work/bin/dpkg-query"

failures=0
# expect NAME STATUS [ERE]: deps.sh --check with $FAKE_DB as given exits STATUS, stderr matches ERE.
expect() {
  name=$1 want=$2 re=${3:-}
  set +e
  PATH="$work/bin:$PATH" FAKE_DB="$work/db" sh "$deps" --check >"$work/out" 2>"$work/err"
  got=$?
  set -e
  if [ "$got" != "$want" ] || { [ -n "$re" ] && ! grep -Eq "$re" "$work/err"; }; then
    echo "FAIL $name: status $got (want $want)"
    cat "$work/out" "$work/err"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

: >"$work/db"
expect all_native 0
printf 'libasmjit-dev arm64 installed\n' >"$work/db"
expect foreign_copy_only 1 'missing \(amd64\): libasmjit-dev$'
printf 'libasmjit-dev arm64 installed\nlibasmjit-dev amd64 installed\n' >"$work/db"
expect both_architectures 0
printf 'python3 all installed\ncmake all installed\n' >"$work/db"
expect architecture_all 0
printf 'libffi-dev amd64 config-files\nlibbson-dev arm64 installed\n' >"$work/db"
expect removed_and_foreign 1 'missing \(amd64\): libffi-dev libbson-dev$'
[ "$failures" = 0 ]
