package report

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var updateGolden = flag.Bool("updateGolden", false, "rewrite the golden files in testdata")

const testMiB = 1 << 20

// sampleReport is a small layer near its limits: 212.4 MiB of 250 MiB
// unzipped, 48.0 MiB of 50 MiB zipped.
func sampleReport() *Report {
	return &Report{
		Schema:       SchemaV1,
		Platform:     "linux/arm64",
		Profile:      "lambda",
		Runtime:      "python3.12",
		RuntimeImage: "public.ecr.aws/lambda/python@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		Packages: []Package{
			{Name: "certifi", Version: "2024.8.30", Wheel: "certifi-2024.8.30-py3-none-any.whl", Files: 7, Bytes: 300_000, ZippedBytes: 160_000},
			{Name: "numpy", Version: "2.1.1", Wheel: "numpy-2.1.1-cp312-cp312-manylinux_2_17_aarch64.whl", Files: 1_024, Bytes: 100 * testMiB, ZippedBytes: 25 * testMiB,
				Strip: &Strip{Mode: "debug", Files: 40, SavedBytes: 12 * testMiB}, Warnings: []string{"bundled libgfortran"}},
			{Name: "pandas", Version: "2.2.3", Wheel: "pandas-2.2.3-cp312-cp312-manylinux_2_17_aarch64.whl", Files: 2_100, Bytes: 90 * testMiB, ZippedBytes: 20 * testMiB,
				Strip: &Strip{Mode: "debug", Files: 30, SavedBytes: 5 * testMiB, Skipped: []Skip{{Path: "pandas/_libs/odd.so", Reason: "patchelf layout"}}}},
			{Name: "six", Version: "1.16.0", Wheel: "six-1.16.0-py2.py3-none-any.whl", Files: 3, Bytes: 900},
			{Name: "pyarrow", Version: "17.0.0", Wheel: "pyarrow-17.0.0-cp312-cp312-manylinux_2_28_aarch64.whl", Files: 300, Bytes: 222_718_771 - 100*testMiB - 90*testMiB - 300_000 - 900, ZippedBytes: 2 * testMiB,
				Strip: &Strip{Mode: "all", Files: 12, SavedBytes: 0}},
		},
		Totals: Totals{Files: 3_434, Unzipped: 222_718_771, Zipped: 48 * testMiB},
		Limits: Limits{Unzipped: 250 * testMiB, Zipped: 50 * testMiB},
	}
}

func renderText(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The whole output, for review: go test ./pkg/report -run Golden -updateGolden.
func TestWriteTextGolden(t *testing.T) {
	got := renderText(t, sampleReport())
	golden := filepath.Join("testdata", "report.txt")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("WriteText differs from %s (rerun with -updateGolden to accept):\n%s", golden, got)
	}
}

// tableLines returns the header, the package rows and the totals row of the
// table, and checks the rule between rows and totals.
func tableLines(t *testing.T, out string) (header string, rows []string, total string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "PACKAGE ") })
	if start < 0 {
		t.Fatalf("no table header in:\n%s", out)
	}
	end := start + 1
	for end < len(lines) && !strings.HasPrefix(lines[end], "---") {
		end++
	}
	if end+1 >= len(lines) || !strings.HasPrefix(lines[end+1], "TOTAL") {
		t.Fatalf("no rule and totals row in:\n%s", out)
	}
	if strings.Trim(lines[end], "-") != "" {
		t.Errorf("rule %q is not all dashes", lines[end])
	}
	return lines[start], lines[start+1 : end], lines[end+1]
}

func TestWriteTextTable(t *testing.T) {
	r := sampleReport()
	before := slices.Clone(r.Packages)
	out := renderText(t, r)
	if !slices.EqualFunc(before, r.Packages, func(a, b Package) bool { return a.Name == b.Name }) {
		t.Error("WriteText reordered r.Packages")
	}
	header, rows, total := tableLines(t, out)

	// Largest unzipped first.
	var names []string
	for _, row := range rows {
		names = append(names, strings.Fields(row)[0])
	}
	if want := []string{"numpy", "pandas", "pyarrow", "certifi", "six"}; !slices.Equal(names, want) {
		t.Errorf("row order %v, want %v", names, want)
	}

	// Left-aligned columns start, and right-aligned ones end, at the same
	// column on every line.
	all := append(append([]string{header}, rows...), total)
	for _, col := range []string{"VERSION"} {
		at := strings.Index(header, col)
		for _, l := range all[1:] {
			if l[at-2:at] != "  " || (l[at] == ' ' && !strings.HasPrefix(l, "TOTAL")) {
				t.Errorf("column %s does not start at %d in %q", col, at, l)
			}
		}
	}
	for _, col := range []string{"FILES", "UNZIPPED", "SHARE", "SHARED", "IF REMOVED"} {
		end := strings.Index(header, col) + len(col)
		for _, l := range all {
			if strings.HasPrefix(l, "TOTAL") && (col == "SHARED" || col == "IF REMOVED") {
				continue // blank there
			}
			if len(l) < end || l[end-1] == ' ' || (len(l) > end && l[end] != ' ') {
				t.Errorf("column %s does not end at %d in %q", col, end, l)
			}
		}
	}

	// A report without shares (schema v1): each package's own size, its
	// share, nothing shared, no removal figure.
	if got, want := strings.Fields(rows[0]), []string{"numpy", "2.1.1", "1024", "100.0", "MiB", "47.1%", "-", "-"}; !slices.Equal(got, want) {
		t.Errorf("numpy row %q, want fields %q", rows[0], want)
	}
	if got, want := strings.Fields(rows[4]), []string{"six", "1.16.0", "3", "900", "B", "0.0%", "-", "-"}; !slices.Equal(got, want) {
		t.Errorf("six row %q, want fields %q", rows[4], want)
	}
	// Totals: the report's totals, 100%.
	if got, want := strings.Fields(total), []string{"TOTAL", "(5", "packages)", "3434", "212.4", "MiB", "100.0%"}; !slices.Equal(got, want) {
		t.Errorf("totals row %q, want fields %q", total, want)
	}

	for _, want := range []string{
		"geolayer layer report: platform linux/arm64, profile lambda, runtime python3.12\n",
		"runtime image: public.ecr.aws/lambda/python@sha256:0123",
		"\nunzipped 212.4 MiB of 250.0 MiB (85%)\n",
		"\nzipped   48.0 MiB of 50.0 MiB (96%)\n",
		"\nslimming: STRIP saved 17.0 MiB (per package and file: report.json)\n",
		"\nwarning: numpy: bundled libgfortran\n",
		"\nstrip left pandas/_libs/odd.so unchanged in pandas: patchelf-style layout: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if l != strings.TrimRight(l, " ") {
			t.Errorf("trailing spaces in %q", l)
		}
	}
}

func TestWriteTextWidth(t *testing.T) {
	r := sampleReport()
	r.Packages[0].Name = strings.Repeat("a-very-long-distribution-name-", 4)
	r.Packages[0].Version = "1.0.0.post12345+local.build.identifier"
	r.Packages[1].Name = "ünïcødé-nämé-" + strings.Repeat("ß", 40)
	r.Packages[2].Name = "tab\tand\nnewline"
	r.Packages[3].Files = 1_234_567
	r.Packages[3].Bytes = 1_500 * 1 << 30
	out := renderText(t, r)
	header, rows, total := tableLines(t, out)
	for _, l := range append(append([]string{header}, rows...), total) {
		if n := utf8.RuneCountInString(l); n > 100 {
			t.Errorf("%d columns wide: %q", n, l)
		}
	}
	if !strings.Contains(out, "a-very-long-distribution-...") || !strings.Contains(out, "1.0.0.post1...") {
		t.Errorf("long name or version not shortened:\n%s", out)
	}
	if !strings.Contains(out, "tab and newline") {
		t.Errorf("control characters not replaced:\n%s", out)
	}
	if len(rows) != len(r.Packages) {
		t.Errorf("%d rows for %d packages: a newline in a name split a row", len(rows), len(r.Packages))
	}
}

func TestWriteTextLimits(t *testing.T) {
	r := sampleReport()
	r.Limits = Limits{Unzipped: 0, Zipped: 40 * testMiB}
	out := renderText(t, r)
	for _, want := range []string{
		"\nunzipped 212.4 MiB (no limit)\n",
		"\nzipped   48.0 MiB of 40.0 MiB (120%), OVER by 8.0 MiB\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestUsedPercent(t *testing.T) {
	for _, c := range []struct{ used, limit, want int64 }{
		{0, 100, 0},
		{849, 1000, 85},
		{9_996, 10_000, 99}, // rounds to 100 but is under
		{10_000, 10_000, 100},
		{10_004, 10_000, 101}, // rounds to 100 but is over
		{3, 0, 0},
	} {
		if got := usedPercent(c.used, c.limit); got != c.want {
			t.Errorf("usedPercent(%d, %d) = %d, want %d", c.used, c.limit, got, c.want)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{testMiB - 1, "1.0 MiB"}, // not "1024.0 KiB"
		{222_718_771, "212.4 MiB"},
		{250 * testMiB, "250.0 MiB"},
		{3 << 30, "3.0 GiB"},
		{-2048, "-2.0 KiB"},
	} {
		if got := humanBytes(c.n); got != c.want {
			t.Errorf("humanBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestWriteTextDeterministic(t *testing.T) {
	want := renderText(t, sampleReport())
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10 {
		r := sampleReport()
		rng.Shuffle(len(r.Packages), func(i, j int) { r.Packages[i], r.Packages[j] = r.Packages[j], r.Packages[i] })
		if got := renderText(t, r); got != want {
			t.Fatalf("output depends on package order:\n%s\nvs\n%s", got, want)
		}
	}
}

func TestWriteTextEmpty(t *testing.T) {
	out := renderText(t, &Report{})
	if !strings.Contains(out, "TOTAL (0 packages)") || !strings.Contains(out, "unzipped 0 B (no limit)") {
		t.Errorf("empty report:\n%s", out)
	}
	if err := WriteText(&bytes.Buffer{}, nil); err == nil {
		t.Error("nil report: no error")
	}
}

// Vendored libraries get one line each: path, size, source, who needs them.
func TestWriteTextVendored(t *testing.T) {
	r := sampleReport()
	r.Packages = append(r.Packages, Package{Name: "native-libraries", Files: 2, Bytes: 14_000,
		Vendored: []VendoredLib{{Soname: "libglfnative.so.1", Path: "lib/libglfnative.so.1", Source: "/usr/local/lib/libglfnative.so.1.0.0", Bytes: 14_000,
			NeededBy: []string{"python/glf_linked/_linked.so", "libother.so.2"}}}})
	out := renderText(t, r)
	want := "vendored lib/libglfnative.so.1 (13.7 KiB, from the build stage's /usr/local/lib/libglfnative.so.1.0.0) for python/glf_linked/_linked.so, libother.so.2\n"
	if !strings.Contains(out, want) {
		t.Errorf("missing %q in:\n%s", want, out)
	}
	if renderText(t, sampleReport()) == out || strings.Contains(renderText(t, sampleReport()), "vendored") {
		t.Errorf("a report without vendored libraries must not get the section")
	}
}
