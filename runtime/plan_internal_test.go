package runtime

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/sys/unix"
)

func TestTrimPlans(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
		// b was run last, then d, e, c, a.
		age := map[string]time.Duration{"b": 0, "d": 1, "e": 2, "c": 3, "a": 4}[name]
		if err := os.Chtimes(p, now, now.Add(-age*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := trimPlans(dir, 3); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	slices.Sort(left)
	if d := cmp.Diff([]string{"b", "d", "e"}, left); d != "" {
		t.Errorf("plans kept (-want +got):\n%s", d)
	}
	if err := trimPlans(dir, 3); err != nil {
		t.Errorf("trim within the bound: %v", err)
	}
}

func TestPlanKey(t *testing.T) {
	// plan.c hashes the same bytes (TestPlanRunsTheSameContainer and
	// TestPlanWithOptions show that it finds gun's plans): the key's
	// strings, each with its NUL.
	if planKey([]string{"a", "bc"}) == planKey([]string{"ab", "c"}) {
		t.Error("the key does not separate the arguments")
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"gun", "run", "img", "true"}, []string{"", "img"}},
		{[]string{"gun", "run", "img"}, []string{"", "img"}},
		{[]string{"gun", "run", "", "x"}, []string{"", ""}},
		{[]string{"gun", "run", "-e", "A=1", "img"}, []string{"-e", "A=1", "img"}},
		{[]string{"gun", "run"}, nil},
		{[]string{"gun", "build", "x"}, nil},
	} {
		if got := planArgs(tc.args); !cmp.Equal(got, tc.want) {
			t.Errorf("planArgs(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// FuzzParsePlan drives plan.c's parser of plan files (gun_plan_parse, then
// the C init's of the configuration in it) with raw bytes, and checks the
// round trip of what planBytes writes: plan.c reads the fields Go meant,
// and the init, given the scratch directory plan.c makes in the plan's run
// directory, the container Go meant, with the overlay's options Go would
// have sent for that scratch directory.
func FuzzParsePlan(f *testing.F) {
	f.Add([]byte(nil), "/s/holder.sock", "/s/run", "nameserver 10.0.0.1\n", "127.0.0.1 localhost\n", "guntainer\n", uint8(2), "/l/a\n/l/b", "A=1")
	f.Add([]byte(planMagic+"\x00/h\x00/r\x00\x00\x00\x00x\x00"), "", "/a,b:c\\d/run", "", "", "", uint8(0), "/l", "")
	f.Add([]byte(planMagic+"\x00/h\x00r/../x\x00\x00\x00\x002\x00gun-cinit-3\x00"), "s", "run/", "", "", "h", uint8(255), "", "")
	f.Fuzz(func(t *testing.T, raw []byte, sock, runDir, resolv, hosts, hostname string, stdio uint8, layers, env string) {
		if p, err := cParsePlan(raw); err == nil {
			if !filepath.IsAbs(p.runDir) || filepath.Clean(p.runDir) != p.runDir || p.stdio > 255 {
				t.Fatalf("%q parsed as %+v", raw, p)
			}
			_, _ = cParseConfig(p.config, configPlan, filepath.Join(p.runDir, "0123456789abcdef"))
		}
		runDir = filepath.Clean("/" + runDir)
		scratch := filepath.Join(runDir, "0123456789abcdef")
		cfg := &initConfig{Scratch: scratch, Cwd: "/", Hostname: "guntainer", Layers: lines(layers), Env: lines(env)}
		etc := []scratchFile{{"resolv.conf", []byte(resolv)}, {"hosts", []byte(hosts)}, {"hostname", []byte(hostname)}}
		b := planBytes(sock, int(stdio), cfg, etc, nil)
		if b == nil {
			return // a NUL byte or the stand-in in a string, or too long
		}
		p, err := cParsePlan(b)
		if len(runDir) >= unix.PathMax-64 {
			if err == nil {
				t.Fatalf("a run directory of %d bytes", len(runDir))
			}
			return
		}
		if err != nil {
			t.Fatalf("plan.c cannot read gun's plan %q: %v", b, err)
		}
		want := cPlan{sock: sock, runDir: runDir, resolv: resolv, hosts: hosts, hostname: hostname, stdio: int(stdio), config: p.config}
		if !cmp.Equal(*p, want, cmp.AllowUnexported(cPlan{})) {
			t.Fatalf("plan.c read %+v, want %+v", *p, want)
		}
		got, err := cParseConfig(p.config, configPlan, scratch)
		if len(cfg.Layers) == 0 {
			if err == nil {
				t.Fatal("the C init took a plan without layers")
			}
			return
		}
		if err != nil {
			t.Fatalf("the C init cannot read gun's plan %q: %v", b, err)
		}
		if d := cmp.Diff(cfg, &got.cfg); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
		upper, work := filepath.Join(scratch, scratchUpper), filepath.Join(scratch, scratchWork)
		if want := overlayOptions(cfg.Layers, upper, work, cfg.KeepUpper); got.overlay != want {
			t.Fatalf("overlay options %q, want %q", got.overlay, want)
		}
		fuzzFastSection(t, raw, sock, int(stdio), cfg, etc, lines(layers), lines(env), lines(hosts), lines(resolv), hostname)
	})
}

// fuzzFastSection checks the round trip of a plan with a fast section
// (fastplan.go): plan.c reads the section Go wrote, takes it for its
// command line only, makes gun's word for a command line as Go would (a
// plain one's command, or the one a plan with options holds: raw of odd
// length), and takes no fast section from a plan with a byte changed (at
// raw's first byte's share of it).
func fuzzFastSection(t *testing.T, raw []byte, sock string, stdio int, cfg *initConfig, etc []scratchFile, files, entry, cmd, given []string, record string) {
	var idents []string
	for i, f := range files {
		idents = append(idents, "/"+f, strconv.Itoa(i))
	}
	env := []string{"PATH", envIdentity(record, len(record)%2 == 0)}
	record = "," + record
	argv := append([]string{"gun", "run", "img"}, given...)
	args := slices.Concat(entry, given)
	if len(given) == 0 {
		args = slices.Concat(entry, cmd)
	}
	key, fastEntry, fastCmd := []string{"", "img"}, entry, cmd
	if len(raw)%2 == 1 {
		argv = slices.Concat([]string{"gun", "run", "-e", "A=1", "img"}, given)
		key, fastEntry, fastCmd = argv[2:], args, nil
	}
	nouns := slices.Clone(given)
	slices.Reverse(nouns)
	claim := Claim{Dir: "/c/" + string(raw), Records: [4]string{"{\x02i}", string(raw), strings.Join(given, " "), record},
		Adjectives: given, Nouns: nouns}
	b := planBytes(sock, stdio, cfg, etc, fastStrings(key, idents, env, fastEntry, fastCmd, claim.strings(), record))
	if b == nil {
		return
	}
	p, err := cParsePlan(b)
	if err != nil {
		t.Fatalf("plan.c cannot read gun's plan %q: %v", b, err)
	}
	// Go writes the section unless a string holds a NUL or the stand-in.
	all := strings.Join(slices.Concat(key, idents, env, fastEntry, fastCmd, claim.strings(), []string{record}), "")
	if writes := !strings.ContainsAny(all, "\x00"+planScratch); p.fast != writes {
		t.Fatalf("plan.c read a fast section: %v, want %v, in %q", p.fast, writes, b)
	}
	if !p.fast {
		return
	}
	want := cPlan{sock: p.sock, runDir: p.runDir, resolv: p.resolv, hosts: p.hosts, hostname: p.hostname, stdio: p.stdio, config: p.config,
		fast: true, args: key, files: idents, env: env, entry: fastEntry, cmd: fastCmd, claim: claim, record: record}
	if !cmp.Equal(*p, want, cmp.AllowUnexported(cPlan{}), cmpopts.EquateEmpty()) {
		t.Fatalf("plan.c read %+v, want %+v", *p, want)
	}
	if !bytes.Equal(planCore(b), planCore(planBytes(sock, stdio, cfg, etc, nil))) {
		t.Fatal("the fast section changed the rest of the plan")
	}
	if strings.Contains(strings.Join(given, ""), "\x00") {
		return // not a command line
	}
	const another = "the plan is another command line's"
	if why := cPlanWhy(b, argv); why == another || why == "" {
		t.Fatalf("plan.c did not take the plan of %q for it: %q", argv, why)
	}
	other := slices.Clone(argv)
	if len(raw)%2 == 1 {
		other = append(other, "x")
	} else {
		other[2] = "img2"
	}
	if why := cPlanWhy(b, other); why != another {
		t.Fatalf("plan.c took the plan of %q for %q: %q", argv, other, why)
	}
	w, ok := verdict(args)
	if len(args) == 0 || args[0] == "" {
		w, ok = nil, false
	}
	if got := cVerdict(b, argv); !bytes.Equal(got, w) || (got == nil) == ok {
		t.Fatalf("gun's word for %q: %q, want %q", argv, got, w)
	}
	if len(raw) > 0 {
		bad := bytes.Clone(b)
		bad[int(raw[0])*len(bad)/256] ^= raw[len(raw)-1] | 1
		if p, err := cParsePlan(bad); err == nil && p.fast {
			t.Fatalf("plan.c took the fast section of a changed plan %q", bad)
		}
	}
}
