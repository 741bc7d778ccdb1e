package profile

import (
	"fmt"
	"path"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestTableRowsValid(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Profiles() {
		if seen[p.Name] {
			t.Errorf("profile %s listed twice", p.Name)
		}
		seen[p.Name] = true
		names := map[string]bool{}
		for _, rt := range p.Runtimes {
			id := p.Name + " " + rt.Name
			if names[rt.Name] {
				t.Errorf("%s listed twice", id)
			}
			names[rt.Name] = true
			if rt.Profile != p.Name {
				t.Errorf("%s: Profile = %q", id, rt.Profile)
			}
			if err := rt.Validate(); err != nil {
				t.Errorf("%s: %v", id, err)
			}
			major, minor, err := ParseGlibc(rt.Glibc)
			if err != nil || major != 2 || minor < 17 {
				t.Errorf("%s: glibc %q", id, rt.Glibc)
			}
			pv, ok := parseRuntimePython(rt.Name)
			if !ok || pv != rt.PythonVersion {
				t.Errorf("%s: name does not match PythonVersion %q", id, rt.PythonVersion)
			}
			if want := "cp" + strings.ReplaceAll(rt.PythonVersion, ".", ""); rt.ABI != want {
				t.Errorf("%s: ABI %q, want %q", id, rt.ABI, want)
			}
			if rt.RuntimeImage == "" || rt.BuildImage == "" || rt.OS == "" || rt.MountPoint == "" {
				t.Errorf("%s: images/OS/mount point unset: %+v", id, rt)
			}
			for _, img := range []string{rt.RuntimeImage, rt.BuildImage} {
				if strings.ContainsAny(img, "{} ") {
					t.Errorf("%s: image %q has placeholders or spaces", id, img)
				}
			}
			if len(rt.Platforms) == 0 || len(rt.SysLibDirs) == 0 || rt.Env == nil {
				t.Errorf("%s: platforms/libdirs/env unset", id)
			}
			for _, pl := range rt.Platforms {
				parsed, err := platforms.Parse(pl)
				if err != nil || platforms.Format(platforms.Normalize(parsed)) != pl {
					t.Errorf("%s: platform %q not in normalized form", id, pl)
				}
			}
			for _, d := range append(rt.SysLibDirs, rt.MountPoint) {
				if !path.IsAbs(d) {
					t.Errorf("%s: %q is not absolute", id, d)
				}
			}
			l := rt.Layout
			for _, d := range []string{l.SitePackages, l.Bin, l.Lib, l.Data} {
				if strings.HasPrefix(d, "/") || strings.HasSuffix(d, "/") || strings.Contains(d, "..") {
					t.Errorf("%s: layout path %q must be relative and clean", id, d)
				}
			}
			if l.SitePackages == "" || l.Data == "" || l.Bin == "" {
				t.Errorf("%s: layout incomplete: %+v", id, l)
			}
			if rt.Limits.Zipped < 0 || rt.Limits.Unzipped < 0 || (rt.Limits.Zipped > 0 && rt.Limits.Unzipped > 0 && rt.Limits.Zipped > rt.Limits.Unzipped) {
				t.Errorf("%s: limits %+v", id, rt.Limits)
			}
		}
	}
	for _, name := range []string{"aws-lambda", "gcp-functions", "azure-functions", "custom"} {
		if !seen[name] {
			t.Errorf("profile %s missing", name)
		}
	}
}

func TestLambdaRows(t *testing.T) {
	for minor := 10; minor <= 14; minor++ {
		pv := fmt.Sprintf("3.%d", minor)
		rt, err := Lookup("aws-lambda", "python"+pv)
		if err != nil {
			t.Fatal(err)
		}
		wantGlibc, wantOS := "2.34", "Amazon Linux 2023"
		if minor < 12 {
			wantGlibc, wantOS = "2.26", "Amazon Linux 2"
		}
		if rt.Glibc != wantGlibc || rt.OS != wantOS {
			t.Errorf("%s: glibc %s on %s", rt.Name, rt.Glibc, rt.OS)
		}
		if rt.Layout != (Layout{SitePackages: "python/lib/python" + pv + "/site-packages", Bin: "bin", Lib: "lib", Data: "python"}) {
			t.Errorf("%s: layout %+v", rt.Name, rt.Layout)
		}
		if rt.RuntimeImage != "public.ecr.aws/lambda/python:"+pv || !strings.HasPrefix(rt.BuildImage, "public.ecr.aws/sam/build-python"+pv+":") {
			t.Errorf("%s: images %s, %s", rt.Name, rt.RuntimeImage, rt.BuildImage)
		}
		if rt.Limits != (Limits{Unzipped: 262144000, DirectUpload: 52428800}) || rt.MountPoint != "/opt" {
			t.Errorf("%s: limits %+v mount %s", rt.Name, rt.Limits, rt.MountPoint)
		}
		// The runtime's own CPython and its libraries come first.
		ld := rt.Env["LD_LIBRARY_PATH"]
		if i, j := strings.Index(ld, "/var/lang/lib:/lib64:/usr/lib64"), strings.Index(ld, "/opt/lib"); i != 0 || j < i {
			t.Errorf("%s: LD_LIBRARY_PATH %q", rt.Name, ld)
		}
		if !strings.HasPrefix(rt.Env["PATH"], "/var/lang/bin:") || !strings.HasSuffix(rt.Env["PATH"], ":/opt/bin") {
			t.Errorf("%s: PATH %q", rt.Name, rt.Env["PATH"])
		}
		if rt.Python != "/var/lang/bin/python"+pv || rt.BuildPython != rt.Python {
			t.Errorf("%s: interpreters %q, %q", rt.Name, rt.Python, rt.BuildPython)
		}
		if _, ok := rt.Env["PYTHONPATH"]; ok {
			t.Errorf("%s: PYTHONPATH set; the runtime orders sys.path itself (SysPath)", rt.Name)
		}
		// Layers after /var/task; /var/runtime after the runtime's
		// site-packages from 3.11 on, before it on 3.10.
		site := "/var/lang/lib/python" + pv + "/site-packages"
		want := []string{"/var/task", "/opt/python/lib/python" + pv + "/site-packages", "/opt/python", site, "/var/runtime"}
		if minor == 10 {
			want[3], want[4] = want[4], want[3]
		}
		if strings.Join(rt.SysPath, " ") != strings.Join(want, " ") {
			t.Errorf("%s: sys.path head %v, want %v", rt.Name, rt.SysPath, want)
		}
	}
}

func TestGCPAndAzureRows(t *testing.T) {
	for minor := 10; minor <= 14; minor++ {
		id := fmt.Sprintf("python3%d", minor)
		rt, err := Lookup("gcp-functions", id)
		if err != nil {
			t.Fatal(err)
		}
		stack, glibc := "google-22", "2.35"
		if minor == 14 {
			stack, glibc = "google-24", "2.39"
		}
		if rt.BuildPython != "" {
			t.Errorf("%s: the buildpacks stack image has no CPython of the runtime, BuildPython %q", id, rt.BuildPython)
		}
		if rt.RuntimeImage != "us-central1-docker.pkg.dev/serverless-runtimes/"+stack+"-full/runtimes/"+id ||
			!strings.Contains(rt.BuildImage, stack) || rt.Glibc != glibc || rt.Limits.Unzipped != 0 {
			t.Errorf("%s: %+v", id, rt)
		}
	}
	for minor := 10; minor <= 13; minor++ {
		rt, err := Lookup("azure-functions", fmt.Sprintf("python3.%d", minor))
		if err != nil {
			t.Fatal(err)
		}
		if rt.RuntimeImage != fmt.Sprintf("mcr.microsoft.com/azure-functions/python:4-python3.%d", minor) ||
			rt.Glibc != map[bool]string{true: "2.31", false: "2.36"}[minor < 12] || rt.Layout.SitePackages != ".python_packages/lib/site-packages" ||
			rt.MountPoint != "/home/site/wwwroot" || len(rt.Platforms) != 1 || rt.Platforms[0] != "linux/amd64" {
			t.Errorf("%s: %+v", rt.Name, rt)
		}
		if want := rt.MountPoint + "/" + rt.Layout.SitePackages; !strings.HasPrefix(rt.Env["PYTHONPATH"], want) {
			t.Errorf("%s: PYTHONPATH %q does not start with %s", rt.Name, rt.Env["PYTHONPATH"], want)
		}
	}
	if _, err := Lookup("azure-functions", "python3.14"); err == nil {
		t.Error("azure python3.14 should not exist")
	}
}

func TestLookupErrors(t *testing.T) {
	tests := []struct{ profile, runtime, want string }{
		{"aws", "python3.13", `unknown target profile "aws" (valid profiles: aws-lambda, gcp-functions, azure-functions, custom)`},
		{"aws-lambda", "python3.9", "valid runtimes: python3.10, python3.11, python3.12, python3.13, python3.14)"},
		{"aws-lambda", "python313", "did you mean python3.13?"},
		{"gcp-functions", "python3.12", "did you mean python312?"},
		{"gcp-functions", "nodejs22", "valid runtimes: python310, python311, python312, python313, python314"},
		{"custom", "pypy3.10", "not a CPython 3 version"},
	}
	for _, tt := range tests {
		_, err := Lookup(tt.profile, tt.runtime)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Lookup(%q, %q): err = %v, want containing %q", tt.profile, tt.runtime, err, tt.want)
		}
	}
}

func TestLookupReturnsCopies(t *testing.T) {
	a, _ := Lookup("aws-lambda", "python3.13")
	a.Env["PATH"] = "changed"
	a.Platforms[0] = "changed"
	b, _ := Lookup("aws-lambda", "python3.13")
	if b.Env["PATH"] == "changed" || b.Platforms[0] == "changed" {
		t.Error("Lookup shares maps or slices with the table")
	}
}

func TestApplyOverrides(t *testing.T) {
	rt, err := Lookup("aws-lambda", "python3.12")
	if err != nil {
		t.Fatal(err)
	}
	got, err := rt.ApplyOverrides("registry.example/py:3.12", "", "2.28", LayoutSitePackages)
	if err != nil {
		t.Fatal(err)
	}
	if got.RuntimeImage != "registry.example/py:3.12" || got.BuildImage != rt.BuildImage || got.Glibc != "2.28" ||
		got.Layout.SitePackages != "." || got.MountPoint != "/opt" {
		t.Errorf("overrides: %+v", got)
	}
	if rt.Glibc != "2.34" || rt.RuntimeImage != "public.ecr.aws/lambda/python:3.12" || rt.Layout.SitePackages != "python/lib/python3.12/site-packages" {
		t.Error("ApplyOverrides modified its receiver")
	}
	same, err := rt.ApplyOverrides("", "", "", "")
	if err != nil || same.RuntimeImage != rt.RuntimeImage || same.Layout != rt.Layout {
		t.Errorf("no-op overrides: %+v, %v", same, err)
	}
	for _, tt := range []struct{ glibc, layout, want string }{
		{"2", "", "invalid glibc"},
		{"2.34.1", "", "invalid glibc"},
		{"", "zip", `unknown layout "zip"`},
	} {
		if _, err := rt.ApplyOverrides("", "", tt.glibc, tt.layout); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ApplyOverrides(glibc=%q, layout=%q): err = %v, want %q", tt.glibc, tt.layout, err, tt.want)
		}
	}
}

func TestCustomProfile(t *testing.T) {
	for _, name := range []string{"python3.13", "python313", "3.13", "cp313"} {
		rt, err := Lookup("custom", name)
		if err != nil {
			t.Fatal(err)
		}
		if rt.PythonVersion != "3.13" || rt.ABI != "cp313" || rt.Name != name {
			t.Errorf("custom %s: %+v", name, rt)
		}
		if err := rt.Validate(); err == nil || !strings.Contains(err.Error(), "missing --runtime-image, --glibc, --layout") {
			t.Errorf("custom %s Validate: %v", name, err)
		}
	}
	rt, _ := Lookup("custom", "python3.12")
	if _, err := rt.ApplyOverrides("img", "", "", ""); err == nil || !strings.Contains(err.Error(), "missing --glibc, --layout") {
		t.Errorf("partial custom: %v", err)
	}
	got, err := rt.ApplyOverrides("img:1", "", "2.31", LayoutLambda)
	if err != nil {
		t.Fatal(err)
	}
	if got.BuildImage != "img:1" || got.MountPoint != "/opt" || got.Layout.SitePackages != "python/lib/python3.12/site-packages" {
		t.Errorf("custom overrides: %+v", got)
	}
	got, err = rt.ApplyOverrides("img:1", "build:1", "2.31", LayoutAzure)
	if err != nil || got.BuildImage != "build:1" || got.MountPoint != "/home/site/wwwroot" {
		t.Errorf("custom azure: %+v, %v", got, err)
	}
}

func TestSupportsPlatform(t *testing.T) {
	lambda, _ := Lookup("aws-lambda", "python3.13")
	azure, _ := Lookup("azure-functions", "python3.12")
	tests := []struct {
		rt   *Runtime
		p    string
		want bool
	}{
		{lambda, "linux/amd64", true},
		{lambda, "linux/arm64", true},
		{lambda, "linux/arm64/v8", true},
		{lambda, "linux/aarch64", true},
		{lambda, "linux/x86_64", true},
		{lambda, "linux/386", false},
		{lambda, "linux/arm/v7", false},
		{lambda, "windows/amd64", false},
		{lambda, "linux/riscv64", false},
		{azure, "linux/amd64", true},
		{azure, "linux/arm64", false},
	}
	for _, tt := range tests {
		p, err := platforms.Parse(tt.p)
		if err != nil {
			t.Fatal(err)
		}
		if got := tt.rt.SupportsPlatform(p); got != tt.want {
			t.Errorf("%s %s SupportsPlatform(%s) = %v, want %v", tt.rt.Profile, tt.rt.Name, tt.p, got, tt.want)
		}
	}
	// Unnormalized input straight from a caller.
	if !lambda.SupportsPlatform(ocispecs.Platform{OS: "linux", Architecture: "aarch64"}) {
		t.Error("raw aarch64 not normalized")
	}
}
