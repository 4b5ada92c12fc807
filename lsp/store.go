package lsp

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"go.lsp.dev/protocol"

	"github.com/gun-tools/gun/lang/check"
)

// A snapshot is one version of an open document. It never changes; the
// analysis of its text is computed once, on first use, and shared by the
// diagnostics and every request on that version.
type snapshot struct {
	uri     protocol.DocumentURI
	version int32
	m       *Mapper
	// cache carries the shell analysis from one version to the next.
	cache *check.Cache
	// fill: the version a document was opened with, whose analysis runs
	// without the cache: filling it made that analysis 1.3 to 2.4 times
	// dearer. The next version's analysis fills it.
	fill bool

	once sync.Once
	an   *analysis

	symOnce   sync.Once
	syms      encoded     // document symbols, encoded on first request
	symsReady atomic.Bool // syms is ready
	// outline is set once the client has asked for this document's
	// symbols, and carried over to its next versions: the client shows an
	// outline, so the diagnoser encodes each new version's symbols with its
	// diagnostics, before the client asks again.
	outline atomic.Bool
}

func (s *snapshot) text() string { return s.m.Text() }

// analysis returns the front end's view of the snapshot, computing it once.
// Should the front end panic, the document is treated as empty and the
// panic becomes its one diagnostic: a long-lived server reports a broken
// invariant rather than dying of it.
func (s *snapshot) analysis() *analysis {
	s.once.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				s.an = brokenAnalysis(s.uri, s.m, fmt.Sprintf("internal error in gun's front end, please report it: %v", r))
			}
		}()
		cache := s.cache
		if s.fill {
			cache = nil
		}
		s.an = analyze(s.uri, s.m, cache)
	})
	return s.an
}

// A change is one content change of textDocument/didChange. Range is nil for
// a replacement of the whole text (protocol.TextDocumentContentChangeEvent
// cannot tell the two apart, so the server decodes changes itself).
type change struct {
	Range *protocol.Range `json:"range,omitempty"`
	Text  string          `json:"text"`
}

// store holds the latest snapshot of every open document.
type store struct {
	mu   sync.Mutex
	docs map[protocol.DocumentURI]*snapshot
}

func newStore() *store { return &store{docs: make(map[protocol.DocumentURI]*snapshot)} }

func (st *store) open(uri protocol.DocumentURI, version int32, text string) *snapshot {
	snap := &snapshot{uri: uri, version: version, m: NewMapper(text), cache: new(check.Cache), fill: true}
	st.mu.Lock()
	st.docs[uri] = snap
	st.mu.Unlock()
	return snap
}

// change applies changes, in order, to the document's latest version. A
// range whose line is past the end means the end of the document, as the
// protocol says; a range that ends before it starts rejects the whole
// notification and keeps the document as it was.
func (st *store) change(uri protocol.DocumentURI, version int32, changes []change) (*snapshot, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	old, ok := st.docs[uri]
	if !ok {
		return nil, fmt.Errorf("change to %s, which is not open", uri)
	}
	m := old.m
	for i, c := range changes {
		if c.Range == nil {
			m = NewMapper(c.Text)
			continue
		}
		start, end, err := m.RangeOffsets(*c.Range)
		if err != nil && end < start {
			return nil, fmt.Errorf("change %d of version %d of %s: %w", i, version, uri, err)
		}
		text := m.Text()
		var b strings.Builder
		b.Grow(len(text) - (end - start) + len(c.Text))
		b.WriteString(text[:start])
		b.WriteString(c.Text)
		b.WriteString(text[end:])
		m = NewMapper(b.String())
	}
	snap := &snapshot{uri: uri, version: version, m: m, cache: old.cache}
	snap.outline.Store(old.outline.Load())
	st.docs[uri] = snap
	return snap, nil
}

// close forgets a document and reports whether it was open.
func (st *store) close(uri protocol.DocumentURI) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.docs[uri]
	delete(st.docs, uri)
	return ok
}

// get returns the latest snapshot of an open document.
func (st *store) get(uri protocol.DocumentURI) (*snapshot, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	snap, ok := st.docs[uri]
	return snap, ok
}
