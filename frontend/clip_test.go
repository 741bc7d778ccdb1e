package frontend

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/pkg/errors"
)

func TestClipText(t *testing.T) {
	long := strings.Repeat("a", 1<<20)
	got := clipText("REQUIRE " + long + "==1.0: not found on http://x/simple/")
	want := "REQUIRE " + strings.Repeat("a", clipHead) + fmt.Sprintf("…(%d bytes)…", len(long)+len("==1.0:")) + strings.Repeat("a", clipTail-len("==1.0:")) + "==1.0: not found on http://x/simple/"
	if got != want {
		t.Errorf("clipText:\n got %q\nwant %q", got, want)
	}
	short := "unknown instruction FROB (did you mean FROM?)"
	if clipText(short) != short {
		t.Errorf("a short message changed: %q", clipText(short))
	}
	// Words of exactly the bound stay; the spaces between words stay.
	edge := strings.Repeat("b", maxEchoWord) + " \t" + strings.Repeat("c", maxEchoWord)
	if clipText(edge) != edge {
		t.Error("words of maxEchoWord bytes were clipped")
	}
	// Multi-byte runes are cut at their boundaries.
	runes := clipText(strings.Repeat("é", 2000))
	if !utf8.ValidString(runes) || len(runes) > clipHead+clipTail+40 {
		t.Errorf("clipped runes: valid %v, %d bytes", utf8.ValidString(runes), len(runes))
	}
	// Many short words: the message as a whole is bounded.
	many := clipText(strings.Repeat("word ", 100000))
	if len(many) > maxMessage+64 || !strings.HasSuffix(many, "(the message is 500000 bytes; cut)") {
		t.Errorf("a 500 kB message of short words: %d bytes, ends %q", len(many), many[len(many)-60:])
	}
}

// The final error keeps its Geolayerfile locations when its message is
// clipped, and is the same error when nothing needs clipping.
func TestClipErrorKeepsLocation(t *testing.T) {
	loc := []parser.Range{{Start: parser.Position{Line: 3}, End: parser.Position{Line: 3}}}
	err := located(errors.Errorf("%s==1.0: not found on http://x/simple/", strings.Repeat("a", 1<<20)), loc)
	got := clipError(err)
	if len(got.Error()) > 1024 {
		t.Fatalf("clipped error is %d bytes", len(got.Error()))
	}
	var le *parser.LocationError
	if !errors.As(got, &le) || len(le.Locations) != 1 || le.Locations[0][0].Start.Line != 3 {
		t.Errorf("the clipped error lost its location: %#v", le)
	}
	small := located(errors.New("glf-x==1.0: not found"), loc)
	if clipError(small) != small {
		t.Error("an error that needs no clipping was replaced")
	}
}
