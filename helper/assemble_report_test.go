package helper

import (
	"archive/zip"
	"bytes"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/internal/helperapi"
	"github.com/geolayer/geolayer/pkg/report"
)

// reportLayer is a layer of three packages where alpha and beta vendor the
// same library (libgdal), all three the same libproj (gamma under another
// name), alpha holds a file twice and alpha and beta an identical small
// file (below the deduplication threshold: stored twice).
type reportLayer struct {
	trees map[string]map[string]string // package -> path -> content ("->x": symlink to x)
	metas map[string]report.Package
}

const patchelfReason = "section .gnu_debuglink (#21) to drop lies at 0x610c8, before the end of the loaded image (0x62000): removing it would move segments (a patchelf-style layout)"

func newReportLayer() *reportLayer {
	rnd := func(n int, seed uint64) string {
		r := rand.New(rand.NewPCG(seed, 7))
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return string(b)
	}
	gdal, proj, dup := rnd(50_000, 1), rnd(30_000, 2), rnd(8_000, 3)
	small := "same small file\n"
	l := &reportLayer{trees: map[string]map[string]string{
		"alpha": {
			"python/alpha/__init__.py":       "import alpha.core\n",
			"python/alpha/core.so":           rnd(20_000, 4),
			"python/alpha/core-link.so":      "->core.so",
			"python/alpha/data/one.bin":      dup,
			"python/alpha/data/two.bin":      dup,
			"python/alpha/small.txt":         small,
			"python/alpha.libs/libgdal.so.1": gdal,
			"python/alpha.libs/libproj.so.2": proj,
		},
		"beta": {
			"python/beta/__init__.py":       "import beta.x\n",
			"python/beta/x.so":              rnd(15_000, 5),
			"python/beta/small.txt":         small,
			"python/beta.libs/libgdal.so.1": gdal,
			"python/beta.libs/libproj.so.2": proj,
		},
		"gamma": {
			"python/gamma/__init__.py":          "",
			"python/gamma/own.py":               rnd(6_000, 6),
			"python/gamma/vendor/libproj.so.25": proj,
		},
	}}
	l.metas = map[string]report.Package{
		"alpha": {Name: "alpha", Version: "1.0", Warnings: []string{"PRUNE \"*.so\" removes files that the built-in KEEP protects"},
			Strip: &report.Strip{Mode: "unneeded", Files: 1, SavedBytes: 1234, Skipped: []report.Skip{
				{Path: "python/alpha.libs/libgdal.so.1", Reason: patchelfReason},
				{Path: "python/alpha.libs/libproj.so.2", Reason: strings.ReplaceAll(patchelfReason, "0x610c8", "0x1f00")},
			}}},
		"beta": {Name: "beta", Version: "2.0", Warnings: []string{"PRUNE \"*.so\" removes files that the built-in KEEP protects"},
			Strip: &report.Strip{Mode: "unneeded", Skipped: []report.Skip{
				{Path: "python/beta.libs/libgdal.so.1", Reason: strings.ReplaceAll(patchelfReason, "#21", "#27")},
				{Path: "python/beta/x.so", Reason: "no section header table"},
			}}},
		"gamma": {Name: "gamma", Version: "3.0"},
	}
	for name, tree := range l.trees {
		m := l.metas[name]
		for _, c := range tree {
			m.Files++
			if !strings.HasPrefix(c, "->") {
				m.Bytes += int64(len(c))
			}
		}
		l.metas[name] = m
	}
	return l
}

// write writes the fragments and package reports of pkgs into dir/frags
// and dir/meta, with the helper's own fragment step.
func (l *reportLayer) write(t *testing.T, dir string, pkgs ...string) {
	t.Helper()
	for _, name := range pkgs {
		root := filepath.Join(dir, "trees", name)
		for p, c := range l.trees[name] {
			full := filepath.Join(root, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			var err error
			if target, ok := strings.CutPrefix(c, "->"); ok {
				err = os.Symlink(target, full)
			} else {
				err = os.WriteFile(full, []byte(c), 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := runFragment(&helperapi.Fragment{Root: root, Package: name, Out: filepath.Join(dir, "frags")}, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, "meta"), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(dir, "meta", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := report.Write(f, l.metas[name]); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// assembleReport assembles the layer of pkgs and returns its report, the
// build log and report.html.
func (l *reportLayer) assemble(t *testing.T, dedup bool, limitUnzipped int64, pkgs ...string) (*report.Report, string, string, error) {
	t.Helper()
	dir := t.TempDir()
	l.write(t, dir, pkgs...)
	o := &helperapi.Assemble{Fragments: filepath.Join(dir, "frags"), Meta: filepath.Join(dir, "meta"), Out: filepath.Join(dir, "out"),
		Platform: "linux/amd64", Profile: "aws-lambda", Runtime: "python3.12", HTML: filepath.Join(dir, "out", "report.html"),
		Dedup: dedup, LimitUnzipped: limitUnzipped}
	var log bytes.Buffer
	if err := runAssemble(o, &log); err != nil {
		return nil, "", "", err
	}
	rep, err := report.Read(filepath.Join(dir, "out", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "out", "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	// The report's unzipped size is the archive's: file sizes plus link
	// target lengths.
	zr, err := zip.OpenReader(filepath.Join(dir, "out", "layer.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = zr.Close() }()
	var unzipped int64
	files := 0
	for _, f := range zr.File {
		unzipped += int64(f.UncompressedSize64)
		if !strings.HasSuffix(f.Name, "/") {
			files++
		}
	}
	if rep.Totals.Unzipped != unzipped || rep.Totals.Files != files {
		t.Errorf("totals %+v, the archive unpacks %d bytes in %d files", rep.Totals, unzipped, files)
	}
	return rep, log.String(), string(page), nil
}

func sharesSum(rep *report.Report) (bytes int64, files int) {
	for _, s := range rep.Shares {
		bytes += s.Bytes
		files += s.Files
	}
	return bytes, files
}

func findShare(rep *report.Report, pkgs ...string) *report.Share {
	for i := range rep.Shares {
		if slices.Equal(rep.Shares[i].Packages, pkgs) {
			return &rep.Shares[i]
		}
	}
	return nil
}

func findPackage(rep *report.Report, name string) *report.Package {
	for i := range rep.Packages {
		if rep.Packages[i].Name == name {
			return &rep.Packages[i]
		}
	}
	return nil
}

// The shares of a deduplicated layer add up to its size to the byte; what
// removing a package saves is exactly the difference with the layer
// assembled without it, and is the package's exclusive bytes plus the
// links of its copies of shared files when another package keeps the
// copies; files shared by several packages are a share of their own,
// counted once.
func TestAssembleReportSharesAddUp(t *testing.T) {
	l := newReportLayer()
	all := []string{"alpha", "beta", "gamma"}
	rep, log, page, err := l.assemble(t, true, 0, all...)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Schema != report.SchemaV2 {
		t.Errorf("schema %q", rep.Schema)
	}
	if b, f := sharesSum(rep); b != rep.Totals.Unzipped || f != rep.Totals.Files {
		t.Errorf("shares add up to %d bytes in %d files, the layer has %d in %d", b, f, rep.Totals.Unzipped, rep.Totals.Files)
	}
	gdal := findShare(rep, "alpha", "beta")
	proj := findShare(rep, "alpha", "beta", "gamma")
	if gdal == nil || proj == nil {
		t.Fatalf("no shared groups in %+v", rep.Shares)
	}
	// alpha keeps the copies (its name sorts first); the others are links.
	link := func(from, to string) int64 {
		rel, _ := filepath.Rel(path.Dir(from), to)
		return int64(len(rel))
	}
	if want := 50_000 + link("python/beta.libs/libgdal.so.1", "python/alpha.libs/libgdal.so.1"); gdal.Bytes != want || gdal.Files != 2 {
		t.Errorf("libgdal share %+v, want %d bytes in 2 files", gdal, want)
	}
	if want := 30_000 + link("python/beta.libs/libproj.so.2", "python/alpha.libs/libproj.so.2") +
		link("python/gamma/vendor/libproj.so.25", "python/alpha.libs/libproj.so.2"); proj.Bytes != want || proj.Files != 3 {
		t.Errorf("libproj share %+v, want %d bytes in 3 files", proj, want)
	}
	alpha, beta, gamma := findPackage(rep, "alpha"), findPackage(rep, "beta"), findPackage(rep, "gamma")
	// alpha's own: everything but the shared libraries; its duplicate
	// data file is a link to the other, counted as such.
	wantAlpha := int64(len(l.trees["alpha"]["python/alpha/__init__.py"])) + 20_000 + int64(len("core.so")) + 8_000 +
		link("python/alpha/data/two.bin", "python/alpha/data/one.bin") + int64(len("same small file\n"))
	if a := alpha.Layer; a.ExclusiveBytes != wantAlpha || a.ExclusiveFiles != 6 || a.SharedBytes != 80_000 || a.SharedFiles != 2 {
		t.Errorf("alpha's layer %+v, want %d exclusive bytes in 6 files, 80000 shared in 2", a, wantAlpha)
	}
	if s := findShare(rep, "alpha"); s == nil || s.Bytes != alpha.Layer.ExclusiveBytes {
		t.Errorf("alpha's share %+v differs from its exclusive bytes", s)
	}
	if got := beta.Layer.Shared; len(got) != 2 || !slices.Equal(got[0].With, []string{"alpha"}) || got[0].Bytes != 50_000 ||
		!slices.Equal(got[1].With, []string{"alpha", "gamma"}) || got[1].Bytes != 30_000 {
		t.Errorf("beta shares %+v", got)
	}

	// Removing a package saves the difference of the two layers.
	for _, name := range all {
		var rest []string
		for _, n := range all {
			if n != name {
				rest = append(rest, n)
			}
		}
		without, _, _, err := l.assemble(t, true, 0, rest...)
		if err != nil {
			t.Fatal(err)
		}
		p := findPackage(rep, name)
		want := report.Saving{Unzipped: rep.Totals.Unzipped - without.Totals.Unzipped, Zipped: rep.Totals.Zipped - without.Totals.Zipped}
		if got := p.Layer.RemovalSaves; got == nil || *got != want {
			t.Errorf("removing %s saves %+v, the layers differ by %+v", name, got, want)
		}
		if b, _ := sharesSum(without); b != without.Totals.Unzipped {
			t.Errorf("without %s: shares add up to %d, not %d", name, b, without.Totals.Unzipped)
		}
	}
	// beta and gamma hold no kept copy: removing them saves their own
	// bytes plus their links, nothing of the shared files.
	if want := beta.Layer.ExclusiveBytes + link("python/beta.libs/libgdal.so.1", "python/alpha.libs/libgdal.so.1") +
		link("python/beta.libs/libproj.so.2", "python/alpha.libs/libproj.so.2"); beta.Layer.RemovalSaves.Unzipped != want {
		t.Errorf("removing beta saves %d, want exclusive + links = %d", beta.Layer.RemovalSaves.Unzipped, want)
	}
	if want := gamma.Layer.ExclusiveBytes + link("python/gamma/vendor/libproj.so.25", "python/alpha.libs/libproj.so.2"); gamma.Layer.RemovalSaves.Unzipped != want {
		t.Errorf("removing gamma saves %d, want exclusive + link = %d", gamma.Layer.RemovalSaves.Unzipped, want)
	}
	// Removing both holders of libgdal saves it whole.
	both, _, _, err := l.assemble(t, true, 0, "gamma")
	if err != nil {
		t.Fatal(err)
	}
	if want := rep.Totals.Unzipped - both.Totals.Unzipped; gdal.RemovalSaves == nil || gdal.RemovalSaves.Unzipped != want {
		t.Errorf("removing alpha and beta saves %+v, the layers differ by %d", gdal.RemovalSaves, want)
	}

	// Notes: the three patchelf skips are one line with their bytes; the
	// other reason its own; the warning both packages gave, one line.
	if len(rep.Notes) != 3 {
		t.Fatalf("notes %+v", rep.Notes)
	}
	w, pe, other := rep.Notes[0], rep.Notes[1], rep.Notes[2]
	if w.Kind != report.NoteWarning || !slices.Equal(w.Packages, []string{"alpha", "beta"}) {
		t.Errorf("warning note %+v", w)
	}
	if pe.Kind != report.NoteStripSkipped || pe.Files != 3 || pe.Bytes != 130_000 || !strings.Contains(pe.Text, "strip left 3 files (127.0 KiB) unchanged in alpha 2, beta 1: patchelf-style layout") {
		t.Errorf("patchelf note %+v", pe)
	}
	if other.Files != 1 || other.Bytes != 15_000 || !strings.Contains(other.Text, "python/beta/x.so") {
		t.Errorf("other strip note %+v", other)
	}
	if sk := alpha.Strip.Skipped[0]; sk.Bytes != 50_000 {
		t.Errorf("skipped file without its size: %+v", sk)
	}

	// The build log: the groups, the notes grouped.
	for _, want := range []string{"shared by alpha, beta, gamma", "shared by alpha, beta", "IF REMOVED", "100.0%", "strip left 3 files (127.0 KiB) unchanged", "warning: alpha, beta: PRUNE"} {
		if !strings.Contains(log, want) {
			t.Errorf("build log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "0x610c8") {
		t.Errorf("build log lists skipped files one by one:\n%s", log)
	}
	// report.html: shared files striped, per-file notes collapsed.
	for _, want := range []string{`<rect class="b"`, "shared by alpha, beta (stored once", "<details><summary>3 files</summary>", "0x610c8", `<tbody class="shared">`} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

// Without deduplication every copy is its package's own: the shares are
// the packages' sizes, and removing one saves all of it.
func TestAssembleReportWithoutDedup(t *testing.T) {
	l := newReportLayer()
	rep, _, _, err := l.assemble(t, false, 0, "alpha", "beta", "gamma")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := sharesSum(rep); b != rep.Totals.Unzipped {
		t.Errorf("shares add up to %d, the layer has %d", b, rep.Totals.Unzipped)
	}
	for _, s := range rep.Shares {
		if s.Shared() {
			t.Errorf("a shared group without deduplication: %+v", s)
		}
	}
	for _, p := range rep.Packages {
		if p.Layer.RemovalSaves.Unzipped != p.Layer.ExclusiveBytes || p.Layer.SharedBytes != 0 {
			t.Errorf("%s: %+v", p.Name, p.Layer)
		}
	}
}

// Over budget, the explanation lists what removing each package saves and
// the shared groups with what removing all their holders saves.
func TestAssembleReportOverBudget(t *testing.T) {
	l := newReportLayer()
	_, _, _, err := l.assemble(t, true, 100000, "alpha", "beta", "gamma")
	if err == nil {
		t.Fatal("over budget, no error")
	}
	msg := err.Error()
	for _, want := range []string{"what removing one package would save", "shares 78.1 KiB with beta, gamma", "shared by alpha, beta, gamma: removing all 3 saves"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	// alpha saves most when removed, gamma least.
	if a, g := strings.Index(msg, "  alpha 1.0"), strings.Index(msg, "  gamma 3.0"); a < 0 || g < a {
		t.Errorf("packages not ordered by what removing them saves:\n%s", msg)
	}
}
