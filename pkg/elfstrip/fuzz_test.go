package elfstrip

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// FuzzStrip: Strip must never panic, never fail verification, and must
// either copy the input unchanged or produce a smaller file that strips to
// itself. Run locally with
//
//	go test ./pkg/elfstrip/ -run '^$' -fuzz FuzzStrip -fuzztime 20s
func FuzzStrip(f *testing.F) {
	for _, o := range []synthOpts{
		{is64: true}, {is64: true, big: true}, {}, {big: true},
		{is64: true, debugInLoad: true}, {is64: true, trailing: []byte{0, 0, 0, 1}},
	} {
		f.Add(synthELF(o), uint8(Unneeded))
	}
	f.Add([]byte("\x7fELF"), uint8(Debug))
	f.Fuzz(func(t *testing.T, in []byte, m uint8) {
		mode := Mode(m % 3)
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("slow: %v for %d bytes", d, len(in))
			}
		}()
		var out bytes.Buffer
		res, err := Strip(bytes.NewReader(in), int64(len(in)), &out, mode)
		if err != nil {
			if errors.Is(err, ErrNotELF) {
				return
			}
			t.Fatalf("Strip: %v", err)
		}
		if !res.Changed {
			if !bytes.Equal(out.Bytes(), in) {
				t.Fatal("unchanged result, but the output differs from the input")
			}
			return
		}
		if int64(out.Len()) != res.After || res.After >= res.Before {
			t.Fatalf("result %+v, output %d bytes", res, out.Len())
		}
		again, err := Strip(bytes.NewReader(out.Bytes()), int64(out.Len()), &bytes.Buffer{}, mode)
		if err != nil || again.Changed {
			t.Fatalf("stripping the output again: %+v, %v", again, err)
		}
	})
}
