// Package progress shows a build's steps as they run: on a terminal a live
// view (step n/m, the instruction, cached or running, elapsed time and the
// tail of the step's output), elsewhere plain lines, or nothing.
package progress

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Mode is how progress is shown.
type Mode int

// The modes of --progress.
const (
	Auto  Mode = iota // TTY on a terminal, else Plain
	TTY               // a live view redrawn in place
	Plain             // one line per event
	Quiet             // nothing
)

// ParseMode parses a --progress value.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "tty":
		return TTY, nil
	case "plain":
		return Plain, nil
	case "quiet":
		return Quiet, nil
	}
	return 0, fmt.Errorf("unknown progress mode %q (want auto, tty, plain or quiet)", s)
}

// TailLines is how many of a step's last output lines are kept.
const TailLines = 10

// liveTail is how many output lines a running step shows in the live view.
const liveTail = 6

// Progress receives a build's events and shows them on w. It is safe for
// concurrent use by parallel stages.
type Progress struct {
	w      io.Writer
	mode   Mode
	width  int
	height int // of the terminal; 0 when unknown
	now    func() time.Time
	start  time.Time

	mu      sync.Mutex
	steps   []*Step
	drawn   int // lines of the live region on screen (TTY)
	stop    chan struct{}
	stopped chan struct{}
	closed  bool
}

// New returns a Progress writing to w in mode; Auto picks TTY when w is a
// terminal. Close it when the build ends.
func New(w io.Writer, mode Mode) *Progress {
	width, height := 0, 0
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if mode == Auto {
			mode = TTY
		}
		width, height, _ = term.GetSize(int(f.Fd()))
	}
	if mode == Auto {
		mode = Plain
	}
	p := newProgress(w, mode, width, time.Now, 100*time.Millisecond)
	p.height = height
	return p
}

// newProgress: a TTY view is redrawn every interval (never when 0).
func newProgress(w io.Writer, mode Mode, width int, now func() time.Time, interval time.Duration) *Progress {
	if width <= 0 {
		width = 80
	}
	p := &Progress{w: w, mode: mode, width: width, now: now, start: now()}
	if mode == TTY && interval > 0 {
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go p.tick(interval)
	}
	return p
}

// Mode returns the mode in effect (Auto resolved).
func (p *Progress) Mode() Mode { return p.mode }

func (p *Progress) tick(interval time.Duration) {
	defer close(p.stopped)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.redraw()
			p.mu.Unlock()
		}
	}
}

// Close draws the final state and stops the live view.
func (p *Progress) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	if p.stop != nil {
		close(p.stop)
		<-p.stopped
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == TTY {
		p.redraw()
	}
}

type state int

const (
	waiting state = iota
	running
	cached
	done
	failed
)

// Step is one step of the build as the display shows it. It is an
// io.Writer for the step's output.
type Step struct {
	p     *Progress
	id    int
	label string // e.g. "[build 2/5] Exec "make""

	state   state
	started time.Time
	elapsed time.Duration
	partial []byte   // output after the last newline
	tail    []string // last TailLines complete lines
	shown   bool     // TTY: printed above the live region for good
}

// Step registers step n of m of stage (a name or "") showing text.
func (p *Progress) Step(stage string, n, m int, text string) *Step {
	p.mu.Lock()
	defer p.mu.Unlock()
	label := fmt.Sprintf("[%d/%d]", n, m)
	if stage != "" {
		label = fmt.Sprintf("[%s %d/%d]", stage, n, m)
	}
	s := &Step{p: p, id: len(p.steps) + 1, label: label + " " + oneLine(text)}
	p.steps = append(p.steps, s)
	return s
}

// Running marks the step as running.
func (s *Step) Running() {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	s.state, s.started = running, p.now()
	if p.mode == Plain {
		fmt.Fprintf(p.w, "#%d %s\n", s.id, s.label)
	}
}

// Cached marks the step as done without running, from the cache.
func (s *Step) Cached() {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	s.state = cached
	if p.mode == Plain {
		fmt.Fprintf(p.w, "#%d %s\n#%d CACHED\n", s.id, s.label, s.id)
	}
}

// Done marks the step as finished, failed when err is not nil.
func (s *Step) Done(err error) {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	s.flushPartial()
	if !s.started.IsZero() {
		s.elapsed = p.now().Sub(s.started)
	}
	s.state = done
	if err != nil {
		s.state = failed
	}
	if p.mode == Plain {
		if err != nil {
			fmt.Fprintf(p.w, "#%d ERROR %s\n", s.id, seconds(s.elapsed))
		} else {
			fmt.Fprintf(p.w, "#%d DONE %s\n", s.id, seconds(s.elapsed))
		}
	}
}

// Write records the step's output: Plain shows each line as it completes,
// TTY the last lines while the step runs.
func (s *Step) Write(b []byte) (int, error) {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			s.partial = append(s.partial, b...)
			if len(s.partial) > 4096 {
				s.partial = s.partial[len(s.partial)-4096:]
			}
			break
		}
		s.partial = append(s.partial, b[:i]...)
		s.line()
		b = b[i+1:]
	}
	return n, nil
}

func (s *Step) flushPartial() {
	if len(s.partial) > 0 {
		s.line()
	}
}

// line ends the partial line. The caller holds p.mu.
func (s *Step) line() {
	l := strings.TrimRight(string(s.partial), "\r")
	if i := strings.LastIndexByte(l, '\r'); i >= 0 {
		l = l[i+1:] // a progress bar redrawn with \r: its last state
	}
	l = clean(l)
	s.partial = s.partial[:0]
	s.tail = append(s.tail, l)
	if len(s.tail) > TailLines {
		s.tail = s.tail[len(s.tail)-TailLines:]
	}
	if s.p.mode == Plain {
		fmt.Fprintf(s.p.w, "#%d %s\n", s.id, l)
	}
}

// Tail returns the last lines of the step's output (at most TailLines).
func (s *Step) Tail() []string {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	out := append([]string(nil), s.tail...)
	if len(s.partial) > 0 {
		out = append(out, string(s.partial))
		if len(out) > TailLines {
			out = out[1:]
		}
	}
	return out
}

// redraw repaints the TTY view: finished steps are printed once, for good,
// above a live region of the running steps, which is repainted in place.
// The caller holds p.mu.
func (p *Progress) redraw() {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", p.drawn)
	}
	// Steps that finished since the last redraw, in order, for good, as long
	// as no earlier step is still waiting or running (keeps the order).
	for _, s := range p.steps {
		if s.shown {
			continue
		}
		if s.state == waiting || s.state == running {
			break
		}
		s.shown = true
		switch s.state {
		case cached:
			b.WriteString(p.fit(fmt.Sprintf(" => %s", s.label), "CACHED"))
		case done:
			b.WriteString(p.fit(fmt.Sprintf(" => %s", s.label), seconds(s.elapsed)))
		case failed:
			b.WriteString(p.fit(fmt.Sprintf(" => ERROR %s", s.label), seconds(s.elapsed)))
			for _, l := range s.tail {
				b.WriteString(p.fit("    "+l, ""))
			}
		}
	}
	var live []string
	if !p.closed {
		total, finished := len(p.steps), 0
		for _, s := range p.steps {
			if s.state >= cached {
				finished++
			}
		}
		live = append(live, p.fit(fmt.Sprintf("[+] Building %s (%d/%d)", seconds(p.now().Sub(p.start)), finished, total), ""))
		for _, s := range p.steps {
			if s.shown {
				continue
			}
			switch s.state {
			case running:
				live = append(live, p.fit(fmt.Sprintf(" => %s", s.label), seconds(p.now().Sub(s.started))))
				tail := s.tail
				if len(tail) > liveTail {
					tail = tail[len(tail)-liveTail:]
				}
				for _, l := range tail {
					live = append(live, p.fit("\x1b[2m    "+l, ""))
				}
			case cached, done, failed:
				live = append(live, p.fit(fmt.Sprintf(" => %s", s.label), "waiting to print"))
			}
		}
	}
	// The live region must fit the terminal, or it cannot be redrawn in place.
	if p.height > 2 && len(live) > p.height-1 {
		live = append(live[:1], live[len(live)-(p.height-2):]...)
	}
	for _, l := range live {
		b.WriteString(l)
	}
	lines := len(live)
	p.drawn = lines
	io.WriteString(p.w, b.String())
}

// fit returns a line of at most the terminal's width: text, then right
// after it the status, ended by a newline (and a reset of attributes).
func (p *Progress) fit(text, status string) string {
	room := p.width - 1
	if status != "" {
		room -= len(status) + 1
	}
	runes := []rune(text)
	if room < 1 {
		room = 1
	}
	if len(runes) > room {
		runes = append(runes[:room-1], '…')
	}
	line := string(runes)
	if status != "" {
		pad := p.width - 1 - len([]rune(line)) - len(status)
		if pad < 1 {
			pad = 1
		}
		line += strings.Repeat(" ", pad) + status
	}
	if strings.Contains(line, "\x1b[") {
		line += "\x1b[0m"
	}
	return line + "\n"
}

// csi matches a terminal control sequence. It is compiled on first use:
// most gun commands never show progress, and each start would pay for it.
var csi = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("\x1b\\[[0-9;?]*[ -/]*[@-~]") })

// clean removes terminal escape sequences and control characters from a
// line of a step's output, so that it cannot disturb the display.
func clean(l string) string {
	if strings.IndexByte(l, '\x1b') >= 0 {
		l = csi().ReplaceAllString(l, "")
	}
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, l)
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", "⏎")
	return strings.ReplaceAll(s, "\t", " ")
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}
