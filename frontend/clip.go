package frontend

import (
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/pkg/errors"
)

// What geolayer itself echoes of its input is bounded: a hostile
// Geolayerfile, requirements file or index page can hold a 1 MB word, and
// the build's messages and step names would repeat it whole (the error,
// the step's progress name, buildx's box around a failed step). buildx
// also prints the source line an error points at; that one copy is
// buildx's and stays.
const (
	// maxEchoWord is the longest word of a message or step name kept
	// whole; a longer one keeps its head and tail around "…(N bytes)…".
	maxEchoWord = 512
	clipHead    = 200
	clipTail    = 64
	// maxMessage bounds a whole message after its words are clipped.
	maxMessage = 64 << 10
)

// clipWord shortens one word longer than maxEchoWord to its head, its
// length and its tail (cut at UTF-8 boundaries).
func clipWord(w string) string {
	if len(w) <= maxEchoWord {
		return w
	}
	head, tail := clipHead, len(w)-clipTail
	for head > 0 && !startsRune(w[head]) {
		head--
	}
	for tail < len(w) && !startsRune(w[tail]) {
		tail++
	}
	return fmt.Sprintf("%s…(%d bytes)…%s", w[:head], len(w), w[tail:])
}

func startsRune(b byte) bool { return b&0xC0 != 0x80 }

// clipText clips every over-long word of s (words: runs without spaces,
// tabs or newlines) and then s itself to maxMessage.
func clipText(s string) string {
	if len(s) <= maxEchoWord {
		return s
	}
	var b strings.Builder
	start := -1
	flush := func(end int) {
		if start >= 0 {
			b.WriteString(clipWord(s[start:end]))
			start = -1
		}
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			flush(i)
			b.WriteByte(s[i])
		default:
			if start < 0 {
				start = i
			}
		}
	}
	flush(len(s))
	out := b.String()
	if len(out) > maxMessage {
		cut := maxMessage
		for cut > 0 && !startsRune(out[cut]) {
			cut--
		}
		out = fmt.Sprintf("%s…(the message is %d bytes; cut)", out[:cut], len(out))
	}
	return out
}

// clipError bounds the message of the build's final error (clipText),
// keeping its Geolayerfile locations. An error whose message needs no
// clipping is returned as it is.
func clipError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clipped := clipText(msg)
	if clipped == msg {
		return err
	}
	out := errors.New(clipped)
	var le *parser.LocationError
	if errors.As(err, &le) {
		for _, loc := range le.Locations {
			out = parser.WithLocation(out, loc)
		}
	}
	return out
}
