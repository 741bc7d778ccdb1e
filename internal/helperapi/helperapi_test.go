package helperapi

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/geolayer/geolayer/pkg/prune"
)

func checkOptions() CheckOptions {
	return CheckOptions{
		Machine: "aarch64", MountPoint: "/opt",
		LibraryPath:  []string{"/var/lang/lib", "/lib64", "/opt/lib"},
		SystemDirs:   []string{"/lib64", "/usr/lib64"},
		Absent:       map[string]string{"libcrypt.so.1": "not on the platform"},
		GlibcCeiling: "2.34", SitePackages: "python/lib/python3.13/site-packages",
		Mode: CheckWarn,
	}
}

// full has every field of every command set (TestSamplesSetEveryField
// holds it to that), with values that need care: spaces, '=' and '-' at
// the start of a value, unicode, negative numbers.
func full() []Command {
	return []Command{
		Install{Wheel: "/in/glf_pure-1.0.0-py3-none-any.whl", Root: "/out", SitePackages: "python/lib/python3.13/site-packages",
			Scripts: "bin", Data: "python", Headers: "python/include", Interpreter: "/usr/bin/env python3",
			URL: "http://127.0.0.1:5001/files/a b.whl?x=y", SHA256: strings.Repeat("a", 64), Epoch: -5,
			Meta: "/meta/glf-pure.json", Sdist: "glf_pure-1.0.0.tar.gz", BuildImage: "img@sha256:" + strings.Repeat("1", 64), Runtime: "python3.13"},
		Slim{In: "/in", Out: "/out", Strip: StripUnneeded, SitePackages: ".",
			Prune: &prune.Options{Rules: []prune.Rule{{Pattern: "tests/", Source: "PRUNE, Geolayerfile line 3"}, {Pattern: "--x=ü", Keep: true, Source: "KEEP"}},
				NoDefaults: true, Presets: []string{"geo"}, Bytecode: true, Package: "glf-pure"},
			MetaIn: "/meta-in/glf-pure.json", MetaOut: "/meta/glf-pure.json"},
		Bytecode{In: "/in", Out: "/out", SitePackages: "python", MountPoint: "/opt", Python: "/var/lang/bin/python3.13",
			Optimize: 2, Sourceless: true, MetaIn: "/meta-in/x.json", MetaOut: "/meta/x.json"},
		Vendor{Layer: "/layer", Build: "/build", Runtime: "/runtime", Config: checkOptions(), LibDir: "lib", Strip: StripDebug,
			Out: "/out", MetaOut: "/meta/native-libraries.json"},
		Check{Layer: "/layer", Runtime: "/runtime", Config: checkOptions(), Out: "/out"},
		Licenses{Tree: "/tree", Meta: "/meta-in", Out: "/out", MetaOut: "/meta/third-party-licenses.json"},
		Fragment{Root: "/tree", Package: "glf-pure", Out: "/frag", Epoch: 1700000000, Level: 9},
		Assemble{Fragments: "/frags", Meta: "/meta", Out: "/out", Platform: "linux/arm64", Profile: "aws-lambda", Runtime: "python3.13", Runtimes: []string{"python3.11", "python3.13"},
			LimitUnzipped: 262144000, LimitZipped: 52428800, DirectUpload: 52428800, RuntimeImage: "rt@sha256:" + strings.Repeat("2", 64),
			Dedup: true, Epoch: 1, PlatformLimitUnzipped: 262144000, PlatformLimitZipped: 52428800, MountPoint: "/opt", LibDir: "lib",
			LibraryPath: "/var/lang/lib:/opt/lib", Env: map[string]string{"B": "x=y", "A": "", "PROJ_DATA": "/opt/p"},
			Check: "/check/check.json", Checks: map[string]string{"python3.11": "/checks/python3.11/check.json"}, HTML: "/html/report.html"},
		Imports{Report: "/in/report.json", HTMLIn: "/htmlin/report.html", Tree: "/layer", SitePackages: "python", Results: "/results",
			Emulated: true, Out: "/out/report.json", HTML: "/html/report.html"},
	}
}

// minimal has only the required fields of every command set.
func minimal() []Command {
	return []Command{
		Install{Wheel: "/in/x.whl", Root: "/out", SitePackages: ".", Meta: "/meta/x.json"},
		Slim{In: "/in", Out: "/out", SitePackages: ".", MetaIn: "/a", MetaOut: "/b"},
		Bytecode{In: "/in", Out: "/out", SitePackages: ".", MetaIn: "/a", MetaOut: "/b"},
		Vendor{Layer: "/layer", Build: "/build", Config: CheckOptions{Machine: "x86_64"}, Out: "/out", MetaOut: "/m"},
		Check{Layer: "/layer", Config: CheckOptions{Machine: "x86_64"}, Out: "/out"},
		Licenses{Tree: "/t", Meta: "/m", Out: "/o", MetaOut: "/mo"},
		Fragment{Root: "/t", Package: "p", Out: "/o"},
		Assemble{Fragments: "/f", Meta: "/m", Out: "/o"},
		Imports{Report: "/r", Results: "/res", Out: "/o"},
	}
}

// deref is the struct a Parse pointer points to, for comparing with the
// value that wrote the command line.
func deref(c Command) any { return reflect.ValueOf(c).Elem().Interface() }

// parseTyped runs the command's own Parse<Command>.
func parseTyped(args []string) (Command, error) {
	switch args[0] {
	case "install":
		return ParseInstall(args)
	case "slim":
		return ParseSlim(args)
	case "bytecode":
		return ParseBytecode(args)
	case "vendor":
		return ParseVendor(args)
	case "check":
		return ParseCheck(args)
	case "licenses":
		return ParseLicenses(args)
	case "fragment":
		return ParseFragment(args)
	case "assemble":
		return ParseAssemble(args)
	case "imports":
		return ParseImports(args)
	}
	return nil, nil
}

func TestSamplesCoverEveryCommandAndField(t *testing.T) {
	var names []string
	for _, c := range full() {
		names = append(names, c.Name())
		v := reflect.ValueOf(c)
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).IsZero() {
				t.Errorf("%s: the full sample leaves %s zero", c.Name(), v.Type().Field(i).Name)
			}
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, Names()) {
		t.Errorf("samples cover %v, commands are %v", names, Names())
	}
}

// A command's struct -> Args -> Parse is the same struct, with every field
// set and with only the required ones (the others at their zero values),
// through the generic Parse and the command's own.
func TestRoundTrip(t *testing.T) {
	for _, c := range append(full(), minimal()...) {
		args := c.Args()
		if args[0] != c.Name() || args[1] != "--api=1" {
			t.Errorf("%s: command line starts %q, want the name then --api=1", c.Name(), args[:2])
		}
		for _, a := range args {
			if strings.Contains(a, "=!") {
				t.Errorf("%s: a field did not encode: %q", c.Name(), a)
			}
		}
		got, err := Parse(args)
		if err != nil {
			t.Errorf("%s: %v\n%q", c.Name(), err, args)
			continue
		}
		if !reflect.DeepEqual(deref(got), c) {
			t.Errorf("%s round trip:\n got %#v\nwant %#v\nargs %q", c.Name(), deref(got), c, args)
		}
		typed, err := parseTyped(args)
		if err != nil || !reflect.DeepEqual(deref(typed), c) {
			t.Errorf("%s: Parse%s gives %#v, %v", c.Name(), c.Name(), typed, err)
		}
	}
}

// Zero values are not written: a field's zero value is its default.
func TestZeroValuesAreNotWritten(t *testing.T) {
	got := Slim{In: "/in", Out: "/out", SitePackages: ".", MetaIn: "/a", MetaOut: "/b"}.Args()
	want := []string{"slim", "--api=1", "--in=/in", "--out=/out", "--site-packages=.", "--meta-in=/a", "--meta-out=/b"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	got = Assemble{Fragments: "/f", Meta: "/m", Out: "/o", Dedup: true, Env: map[string]string{"Z": "1", "A": "b=c"}}.Args()
	want = []string{"assemble", "--api=1", "--fragments=/f", "--meta=/m", "--out=/o", "--dedup", "--env=A=b=c", "--env=Z=1"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestParseErrorsNameTheFlag(t *testing.T) {
	base := Slim{In: "/in", Out: "/out", SitePackages: ".", MetaIn: "/a", MetaOut: "/b"}.Args()
	with := func(extra ...string) []string { return append(slices.Clone(base), extra...) }
	without := func(flag string) []string {
		var out []string
		for _, a := range base {
			if !strings.HasPrefix(a, flag+"=") {
				out = append(out, a)
			}
		}
		return out
	}
	asm := Assemble{Fragments: "/f", Meta: "/m", Out: "/o"}.Args()
	chk := Check{Layer: "/l", Config: CheckOptions{Machine: "x86_64"}, Out: "/o"}.Args()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{with("--bogus=1"), "unknown flag --bogus"},
		{with("--bogus"), "unknown flag --bogus"},
		{with("--strip=maximal"), `--strip: invalid strip mode "maximal" (want none, debug, unneeded)`},
		{with("--strip=Unneeded"), `--strip: invalid strip mode "Unneeded"`},
		{with("--strip"), "--strip needs a value: --strip=VALUE"},
		{with("--prune={"), "--prune: invalid value"},
		{with(`--prune={"Rules":[],"Extra":1}`), `--prune: invalid value: json: unknown field "Extra"`},
		{with(`--prune={} {}`), "--prune: invalid value: text after the JSON value"},
		{with(`--prune=null`), ""}, // JSON null is no pruning, as no flag
		{with("--in=/again"), "--in given twice"},
		{with("positional"), `unexpected argument "positional"`},
		{with("-in=/x"), `unexpected argument "-in=/x"`},
		{with("--"), `unexpected argument "--"`},
		{with("--api=1"), "--api given twice"},
		{without("--meta-out"), "--meta-out is required"},
		{append(without("--meta-out"), "--meta-out="), "--meta-out is required"},
		{append(slices.Clone(asm), "--limit-zipped=12MB"), `--limit-zipped: invalid value "12MB": want an integer`},
		{append(slices.Clone(asm), "--limit-zipped=99999999999999999999"), "--limit-zipped: invalid value"},
		{append(slices.Clone(asm), "--dedup=true"), "--dedup takes no value"},
		{append(slices.Clone(asm), "--dedup", "--dedup"), "--dedup given twice"},
		{append(slices.Clone(asm), "--env=NOVALUE"), `--env: want KEY=VALUE, got "NOVALUE"`},
		{append(slices.Clone(asm), "--env==x"), `--env: want KEY=VALUE`},
		{append(slices.Clone(asm), "--env=A=1", "--env=A=2"), `--env: "A" given twice`},
		{append(slices.Clone(chk), `--runtime=/r`, `--config={"mode":"loud"}`), "--config given twice"},
		{[]string{"check", "--api=1", "--layer=/l", "--out=/o", `--config={"machine":"x86_64","mode":"loud"}`}, `--config: invalid value: invalid check mode "loud"`},
		{[]string{"check", "--api=1", "--layer=/l", "--out=/o"}, "--config is required"},
	} {
		_, err := Parse(tc.args)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: got %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// Every command line carries the protocol version first; the helper refuses
// another or none, saying the frontend image and the helper differ.
func TestProtocolVersion(t *testing.T) {
	args := Fragment{Root: "/t", Package: "p", Out: "/o"}.Args()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"fragment", "--api=2", "--root=/t", "--name=p", "--out=/o"}, "helper protocol 1, frontend sent 2: the frontend image and the helper differ"},
		{[]string{"fragment", "--api=0"}, "helper protocol 1, frontend sent 0: the frontend image and the helper differ"},
		{[]string{"fragment", "--api=one"}, `helper protocol 1, frontend sent "one" (not a number): the frontend image and the helper differ`},
		{[]string{"fragment", "--root", "/t", "--name", "p"}, `helper protocol 1, frontend sent none (the command line starts with "--root", not --api=N): the frontend image and the helper differ`},
		{[]string{"fragment"}, "helper protocol 1, frontend sent none (the command line starts with nothing"},
		{append([]string{"fragment", "--root=/t"}, args[1:]...), "frontend sent none"},
	} {
		_, err := ParseFragment(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, err := ParseFragment(Install{}.Args()); err == nil || !strings.Contains(err.Error(), `not a helper fragment command line (it starts with "install")`) {
		t.Errorf("ParseFragment of an install line: %v", err)
	}
	if _, err := Parse([]string{"frobnicate", "--api=1"}); err == nil || !strings.Contains(err.Error(), `unknown helper command "frobnicate"`) {
		t.Errorf("unknown command: %v", err)
	}
	if _, err := Parse(nil); err == nil {
		t.Error("an empty command line parsed")
	}
}

func TestModes(t *testing.T) {
	for _, m := range []StripMode{StripNone, StripDebug, StripUnneeded} {
		if got, err := ParseStripMode(m.String()); err != nil || got != m {
			t.Errorf("strip %v: %v, %v", m, got, err)
		}
	}
	for _, m := range []CheckMode{CheckOff, CheckWarn, CheckError} {
		if got, err := ParseCheckMode(m.String()); err != nil || got != m {
			t.Errorf("check %v: %v, %v", m, got, err)
		}
	}
	if StripMode(9).String() != "StripMode(9)" || CheckMode(7).String() != "CheckMode(7)" {
		t.Errorf("out-of-range modes: %s %s", StripMode(9), CheckMode(7))
	}
	// An out-of-range mode is written under a name the helper refuses.
	bad := Slim{In: "/in", Out: "/out", SitePackages: ".", MetaIn: "/a", MetaOut: "/b", Strip: StripMode(9)}.Args()
	if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), `--strip: invalid strip mode "StripMode(9)"`) {
		t.Errorf("out-of-range strip mode: %v", err)
	}
	if StripNone != 0 || CheckOff != 0 {
		t.Error("the zero modes must be none and off (an unset Target strips and checks nothing)")
	}
}

func TestUsageListsEveryFlag(t *testing.T) {
	for _, c := range full() {
		u := Usage(c.Name())
		for _, a := range c.Args()[2:] {
			flag, _, _ := strings.Cut(a, "=")
			if !strings.Contains(u, "  "+flag) {
				t.Errorf("%s usage lacks %s:\n%s", c.Name(), flag, u)
			}
		}
	}
	if Usage("nope") != "" {
		t.Error("usage of an unknown command")
	}
	if u := Usage("install"); !strings.Contains(u, "--wheel=VALUE\n      the wheel file (required)") {
		t.Errorf("install usage:\n%s", u)
	}
}

func TestArgv(t *testing.T) {
	got := Argv(Binary, Licenses{Tree: "/t", Meta: "/m", Out: "/o", MetaOut: "/mo"})
	want := []string{"/geolayer", "helper", "licenses", "--api=1", "--tree=/t", "--meta=/m", "--out=/o", "--meta-out=/mo"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Damaged command lines (an argument dropped, repeated, cut short or
// swapped with the next) never make the decoder panic, and whatever still
// parses writes a command line that parses to the same.
func TestDamagedCommandLines(t *testing.T) {
	var lines [][]string
	for _, c := range append(full(), minimal()...) {
		args := c.Args()
		for i := range args {
			lines = append(lines, slices.Delete(slices.Clone(args), i, i+1))
			lines = append(lines, slices.Insert(slices.Clone(args), i, args[i]))
			for _, n := range []int{0, 1, 2, len(args[i]) / 2, len(args[i]) - 1} {
				if n >= 0 && n < len(args[i]) {
					cut := slices.Clone(args)
					cut[i] = cut[i][:n]
					lines = append(lines, cut)
				}
			}
			if i+1 < len(args) {
				sw := slices.Clone(args)
				sw[i], sw[i+1] = sw[i+1], sw[i]
				lines = append(lines, sw)
			}
		}
	}
	parsed := 0
	for _, l := range lines {
		c, err := Parse(l)
		if err != nil {
			continue
		}
		parsed++
		again, err := Parse(c.Args())
		if err != nil {
			t.Errorf("%q parsed, its Args %q do not: %v", l, c.Args(), err)
			continue
		}
		// Compared as command lines: an empty map or slice and a nil one
		// are the same there.
		if !slices.Equal(c.Args(), again.Args()) {
			t.Errorf("%q: %q then %q", l, c.Args(), again.Args())
		}
	}
	if parsed == 0 || parsed == len(lines) {
		t.Errorf("%d of %d damaged command lines parsed: the damage is not exercising both paths", parsed, len(lines))
	}
}
