package lsptest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// readFrame reads one message body framed by a Content-Length header into
// buf, or into a larger buffer if it does not fit.
func readFrame(in *bufio.Reader, buf []byte) ([]byte, error) {
	length := -1
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("read header: %w", err)
		}
		line = strings.TrimSpace(line)
		if line == "" {
			if length < 0 {
				return nil, errors.New("frame without Content-Length")
			}
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
			if length, err = strconv.Atoi(strings.TrimSpace(value)); err != nil || length < 0 {
				return nil, fmt.Errorf("bad Content-Length %q", value)
			}
		}
	}
	if cap(buf) < length {
		buf = make([]byte, length)
	}
	body := buf[:length]
	if _, err := io.ReadFull(in, body); err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return body, nil
}
