package memo

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:])
}

// later returns a clock an hour ahead, so that files just written are not racy.
func later() time.Time { return time.Now().Add(time.Hour) }

func TestMemoRemembersAndNotices(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "base.tar")
	if err := os.WriteFile(f, []byte("aaaa"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := Open(filepath.Join(dir, "memo", "digests.json"))
	m.now = later
	for i := 0; i < 3; i++ {
		d, err := m.File(f)
		if err != nil {
			t.Fatal(err)
		}
		if d != sum("aaaa") {
			t.Fatalf("digest %s, want %s", d, sum("aaaa"))
		}
	}
	if n := m.reads.Load(); n != 1 {
		t.Fatalf("read the file %d times, want 1", n)
	}
	// Same size, new content: the change time differs, so it is read again.
	if err := os.WriteFile(f, []byte("bbbb"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d, _ := m.File(f); d != sum("bbbb") {
		t.Fatalf("after change: digest %s, want %s", d, sum("bbbb"))
	}
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	// A new process: remembered from disk, nothing read.
	m2 := Open(m.file)
	m2.now = later
	if d, err := m2.File(f); err != nil || d != sum("bbbb") {
		t.Fatalf("reopened: %s, %v", d, err)
	}
	if n := m2.reads.Load(); n != 0 {
		t.Fatalf("reopened memo read the file %d times, want 0", n)
	}
}

func TestMemoRacyFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := Open(filepath.Join(dir, "memo.json"))
	m.File(f)
	m.File(f)
	if n := m.reads.Load(); n != 2 {
		t.Fatalf("a just-modified file was read %d times, want 2 (not remembered)", n)
	}
	// Saved within the window: still not remembered.
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(m.file); !os.IsNotExist(err) {
		t.Fatalf("memo file written with nothing to remember: %v", err)
	}
	// Saved after the window: checked again (one more read) and remembered.
	m.File(f)
	m.now = later
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	if n := m.reads.Load(); n != 4 {
		t.Fatalf("%d reads, want 4 (3 lookups and the check at Save)", n)
	}
	m2 := Open(m.file)
	m2.now = later
	if d, _ := m2.File(f); d != sum("x") || m2.reads.Load() != 0 {
		t.Fatalf("confirmed racy file: digest %s, %d reads; want it remembered", d, m2.reads.Load())
	}
}

func TestMemoRacyFileChangedBeforeSave(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	os.WriteFile(f, []byte("x"), 0o644)
	m := Open(filepath.Join(dir, "memo.json"))
	m.File(f)
	os.WriteFile(f, []byte("y"), 0o644)
	m.now = later
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	m2 := Open(m.file)
	m2.now = later
	if d, _ := m2.File(f); d != sum("y") {
		t.Fatalf("digest %s after a change in the racy window, want the new content's", d)
	}
}

func TestMemoSaveMerges(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("a"), 0o644)
	os.WriteFile(b, []byte("b"), 0o644)
	file := filepath.Join(dir, "memo.json")
	m1, m2 := Open(file), Open(file)
	m1.now, m2.now = later, later
	m1.File(a)
	m2.File(b)
	if err := m1.Save(); err != nil {
		t.Fatal(err)
	}
	if err := m2.Save(); err != nil {
		t.Fatal(err)
	}
	m3 := Open(file)
	m3.now = later
	m3.File(a)
	m3.File(b)
	if n := m3.reads.Load(); n != 0 {
		t.Fatalf("merged memo read %d files, want 0", n)
	}
}

func TestMemoCorruptFileIsEmpty(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "memo.json")
	os.WriteFile(file, []byte("{not json"), 0o600)
	f := filepath.Join(dir, "f")
	os.WriteFile(f, []byte("x"), 0o644)
	m := Open(file)
	m.now = later
	if d, err := m.File(f); err != nil || d != sum("x") {
		t.Fatalf("%s, %v", d, err)
	}
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	if Open(file).entries == nil || len(Open(file).entries) != 1 {
		t.Fatal("corrupt memo not replaced by a good one")
	}
}

func TestNilMemoHashes(t *testing.T) {
	f := filepath.Join(t.TempDir(), "f")
	os.WriteFile(f, []byte("x"), 0o644)
	var m *Memo
	if d, err := m.File(f); err != nil || d != sum("x") {
		t.Fatalf("%s, %v", d, err)
	}
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
}

// Record keeps a digest a caller computed while reading the file, unless
// the file changed after the caller stat'ed it.
func TestRecord(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "base.tar")
	if err := os.WriteFile(f, []byte("aaaa"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := Open(filepath.Join(dir, "digests.json"))
	m.now = later
	fi, err := os.Stat(f)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := m.Lookup(f, fi); ok {
		t.Fatalf("Lookup of an unseen file gave %s", d)
	}
	m.Record(f, fi, sum("aaaa"))
	if d, ok := m.Lookup(f, fi); !ok || d != sum("aaaa") {
		t.Fatalf("Lookup after Record: %q, %v; want %s", d, ok, sum("aaaa"))
	}

	// Changed between the caller's stat and Record: not remembered.
	g := filepath.Join(dir, "other.tar")
	os.WriteFile(g, []byte("xxxx"), 0o644)
	gi, _ := os.Stat(g)
	os.Chtimes(g, time.Now(), time.Now().Add(-time.Minute))
	m.Record(g, gi, sum("xxxx"))
	if d, ok := m.Lookup(g, gi); ok {
		t.Fatalf("Record of a file that changed after its stat remembered %s", d)
	}
}
