package report

import (
	"fmt"
	"hash/fnv"
	"math"
)

// packageColor is a colour for a package name, the same on every run: the
// FNV-1a hash of the name picks the hue, saturation and lightness (kept
// light enough for dark labels). Files of no known package are grey.
func packageColor(name string) string {
	if name == "" {
		return "#b4b4b4"
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	v := h.Sum32()
	hue := float64(v % 360)
	sat := 0.45 + float64(v>>9%30)/100
	lig := 0.60 + float64(v>>17%16)/100
	return hslHex(hue, sat, lig)
}

// hslHex converts a hue in degrees and saturation and lightness in [0,1] to
// "#rrggbb".
func hslHex(h, s, l float64) string {
	c := (1 - math.Abs(float64(2*l)-1)) * s // float64(): no fused multiply-add, same bytes on every GOARCH
	hp := h / 60
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	var r, g, b float64
	switch {
	case hp < 1:
		r, g = c, x
	case hp < 2:
		r, g = x, c
	case hp < 3:
		g, b = c, x
	case hp < 4:
		g, b = x, c
	case hp < 5:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := l - c/2
	to := func(v float64) int { return int(math.Round((v + m) * 255)) }
	return fmt.Sprintf("#%02x%02x%02x", to(r), to(g), to(b))
}
