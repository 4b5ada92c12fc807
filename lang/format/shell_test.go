package format_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gun-tools/gun/lang/format"
)

func TestShellFile(t *testing.T) {
	src := `Using "a.tar"
Exec <<EOF
    set -e
    if [ -f /x ]
    then   echo   yes;  fi
    for f in a b; do echo "$f"
    done
    EOF
Exec    "if   true; then x; fi"
Main <<EOF
	  exec   app   --serve
	EOF
Exec <<EOF
    cat <<X
      kept   as   is
    X
    EOF
Exec <<EOF
    if true; then
    EOF
Exec <<EOF
    #!/usr/bin/awk -f
    BEGIN {   print "awk" > "/awk" }
    EOF
Exec <<EOF
    #!/usr/bin/env bash
    [[   -f /x ]]  &&  echo   yes
    EOF
Main <<EOF
    #!/usr/bin/awk -f
    exec   app
    EOF
`
	want := `Using "a.tar"
Exec <<EOF
    set -e
    if [ -f /x ]; then echo yes; fi
    for f in a b; do
        echo "$f"
    done
    EOF
Exec "if   true; then x; fi"
Main <<EOF
	exec app --serve
	EOF
Exec <<EOF
    cat <<X
      kept   as   is
    X
    EOF
Exec <<EOF
    if true; then
    EOF
Exec <<EOF
    #!/usr/bin/awk -f
    BEGIN {   print "awk" > "/awk" }
    EOF
Exec <<EOF
    #!/usr/bin/env bash
    [[ -f /x ]] && echo yes
    EOF
Main <<EOF
    #!/usr/bin/awk -f
    exec app
    EOF
`
	got, err := format.ShellFile("t", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("ShellFile (-want +got):\n%s", diff)
	}
	again, err := format.ShellFile("t", got)
	if err != nil || string(again) != string(got) {
		t.Errorf("not idempotent (%v):\n%s", err, again)
	}
}
